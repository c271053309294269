package wschat

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/internal/browsertest"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// startServer runs the chat server on 127.0.0.1 until the test ends and
// returns its address. With cert it serves https and wss.
func startServer(t *testing.T, ctx context.Context, cert *devcert.Cert) string {
	t.Helper()
	room := chat.NewRoom(slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv, err := New(ctx, room, nil)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var tc *tls.Certificate
	if cert != nil {
		tc = &cert.TLS
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln, tc) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-served)
	})
	return ln.Addr().String()
}

// joinGo joins the room as a Go client and returns the welcome.
func joinGo(t *testing.T, ctx context.Context, url, nick string, cfg *websocket.Config) (*websocket.Peer, chat.Message) {
	t.Helper()
	p, err := websocket.Dial(ctx, url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	require.NoError(t, p.PutVar(chat.Message{Type: "join", Nick: nick}))
	m, err := chat.ReadMessage(ctx, p)
	require.NoError(t, err)
	return p, m
}

// TestGoClients: two Go clients chat through the server (no browser needed).
func TestGoClients(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr := startServer(t, ctx, nil)
	a, w := joinGo(t, ctx, "ws://"+addr+"/ws", "ann", nil)
	require.Equal(t, chat.Message{Type: "welcome", Nick: "ann", Members: []string{"ann"}}, w)
	b, w := joinGo(t, ctx, "ws://"+addr+"/ws", "ben", nil)
	require.Equal(t, []string{"ann", "ben"}, w.Members)
	m, err := chat.ReadMessage(ctx, a)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "join", Nick: "ben"}, m)
	require.NoError(t, b.PutVar(chat.Message{Type: "say", Text: "hi ann"}))
	for _, p := range []*websocket.Peer{a, b} {
		m, err := chat.ReadMessage(ctx, p)
		require.NoError(t, err)
		require.Equal(t, chat.Message{Type: "say", Nick: "ben", Text: "hi ann"}, m)
	}
	require.NoError(t, b.Close())
	m, err = chat.ReadMessage(ctx, a)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "leave", Nick: "ben"}, m)

	// The page is served too.
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(body), "variant.js")
	http.DefaultClient.CloseIdleConnections()
}

type tabResult struct {
	Lines    []string         `json:"lines"`
	Messages []map[string]any `json:"messages"`
}

// TestBrowserChat: two Chromium tabs and a Go client chat through the Go
// server, over ws and over wss (a devcert certificate the browser is told
// to accept); each side asserts what it saw.
func TestBrowserChat(t *testing.T) {
	browsertest.Find(t)
	t.Run("ws", func(t *testing.T) { browserChat(t, false) })
	t.Run("wss", func(t *testing.T) { browserChat(t, true) })
}

func browserChat(t *testing.T, secure bool) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var cert *devcert.Cert
	page, wsURL, cfg := "http://", "ws://", (*websocket.Config)(nil)
	if secure {
		var err error
		cert, err = devcert.New()
		require.NoError(t, err)
		page, wsURL = "https://", "wss://"
		cfg = &websocket.Config{TLSConfig: &tls.Config{RootCAs: cert.Pool}}
	}
	addr := startServer(t, ctx, cert)

	gp, welcome := joinGo(t, ctx, wsURL+addr+"/ws", "gopher", cfg)
	require.Equal(t, []string{"gopher"}, welcome.Members)
	goSaw := make(chan []chat.Message, 1)
	go func() {
		var seen []chat.Message
		defer func() { goSaw <- seen }()
		leaves := 0
		for leaves < 2 {
			m, err := chat.ReadMessage(ctx, gp)
			if err != nil {
				t.Errorf("Go client read: %v", err)
				return
			}
			seen = append(seen, m)
			switch {
			case m.Type == "say" && m.Nick == "bob":
				if err := gp.PutVar(chat.Message{Type: "say", Text: "hello from gopher"}); err != nil {
					t.Errorf("Go client send: %v", err)
					return
				}
			case m.Type == "leave":
				leaves++
			}
		}
	}()

	b := browsertest.Launch(t)
	if secure {
		// The page and its wss connection use the devcert certificate.
		require.NoError(t, b.Call(ctx, "Security.setIgnoreCertificateErrors", map[string]any{"ignore": true}, nil))
	}
	waitLine := func(p *browsertest.Page, prefix string) {
		t.Helper()
		require.NoError(t, p.WaitFor(ctx, `(p) => window.chatState && window.chatState.lines.some((l) => l.startsWith(p))`, prefix))
	}
	say := func(p *browsertest.Page, text string) {
		t.Helper()
		require.NoError(t, p.Eval(ctx, nil, `(text) => {
			document.getElementById('text').value = text;
			document.getElementById('send').click();
		}`, text))
	}
	alice := b.NewPage(ctx, "alice")
	require.NoError(t, alice.Goto(ctx, page+addr+"/?nick=alice"))
	waitLine(alice, "* welcome alice")
	bob := b.NewPage(ctx, "bob")
	require.NoError(t, bob.Goto(ctx, page+addr+"/?nick=bob"))
	waitLine(bob, "* welcome bob")
	waitLine(alice, "* bob joined")

	say(alice, "hello from alice ✓")
	waitLine(bob, "<alice> hello from alice ✓")
	say(bob, "hi from bob 🌍")
	waitLine(alice, "<bob> hi from bob 🌍")
	// The Go client answers once it has seen bob's message.
	waitLine(alice, "<gopher> hello from gopher")
	waitLine(bob, "<gopher> hello from gopher")

	tabs := map[string]tabResult{}
	for name, p := range map[string]*browsertest.Page{"alice": alice, "bob": bob} {
		var r tabResult
		require.NoError(t, p.Eval(ctx, &r, `() => ({ lines: window.chatState.lines, messages: window.chatState.messages })`))
		tabs[name] = r
	}
	// Closing the browser closes both tabs: the Go client sees them leave.
	b.Close()

	require.Equal(t, []string{
		"* welcome alice (members: alice, gopher)",
		"* bob joined",
		"<alice> hello from alice ✓",
		"<bob> hi from bob 🌍",
		"<gopher> hello from gopher",
	}, tabs["alice"].Lines)
	require.Equal(t, []string{
		"* welcome bob (members: alice, bob, gopher)",
		"<alice> hello from alice ✓",
		"<bob> hi from bob 🌍",
		"<gopher> hello from gopher",
	}, tabs["bob"].Lines)
	// The JS decoder produced real Dictionaries (objects), not strings.
	require.Equal(t, map[string]any{"type": "say", "nick": "bob", "text": "hi from bob 🌍"}, tabs["alice"].Messages[3])

	var seen []chat.Message
	select {
	case seen = <-goSaw:
	case <-ctx.Done():
		t.Fatal("Go client did not see both tabs leave")
	}
	require.Equal(t, []chat.Message{
		{Type: "join", Nick: "alice"},
		{Type: "join", Nick: "bob"},
		{Type: "say", Nick: "alice", Text: "hello from alice ✓"},
		{Type: "say", Nick: "bob", Text: "hi from bob 🌍"},
		{Type: "say", Nick: "gopher", Text: "hello from gopher"},
	}, seen[:5])
	require.ElementsMatch(t, []chat.Message{{Type: "leave", Nick: "alice"}, {Type: "leave", Nick: "bob"}}, seen[5:])
}
