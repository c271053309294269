package webchat_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/webrtc/webchat"
	"github.com/packetpeer/packetpeer/internal/browsertest"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

const netnsEnv = "PACKETPEER_WEBRTC_NETNS"

// TestBrowserChat: headless Chromium loads the page, joins the chat through
// the signalling server and exchanges messages with the Go server on both
// data channels, while a Go client (Dial) is in the same room.
func TestBrowserChat(t *testing.T) {
	runBrowserChat(t)
}

// TestBrowserChatLoopbackOnlyNetns repeats the test inside a network
// namespace that has nothing but lo, so a setting that only works because
// the machine has another interface is caught. It needs root and unshare;
// it re-executes the test binary under `unshare -n`.
func TestBrowserChatLoopbackOnlyNetns(t *testing.T) {
	if os.Getenv(netnsEnv) == "1" {
		t.Skip("already inside the namespace")
	}
	browsertest.Find(t)
	// CI sets PACKETPEER_REQUIRE_NETNS=1: there, not running is a failure.
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("PACKETPEER_REQUIRE_NETNS") == "1" {
			t.Fatalf(format+" (PACKETPEER_REQUIRE_NETNS=1)", args...)
		}
		t.Skipf(format+" (set PACKETPEER_REQUIRE_NETNS=1 to fail instead)", args...)
	}
	if os.Getuid() != 0 {
		skip("needs root for unshare -n")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		skip("unshare not installed")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		skip("ip (iproute2) not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script := fmt.Sprintf("%s link set lo up && exec %q -test.run '^TestBrowserChat$' -test.v -test.count=1", ip, os.Args[0])
	cmd := exec.CommandContext(ctx, unshare, "-n", "sh", "-c", script)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "unshare failed") {
		skip("unshare -n not permitted here: %s", out)
	}
	t.Logf("inside the namespace:\n%s", out)
	require.NoError(t, err)
	require.Contains(t, string(out), "--- PASS: TestBrowserChat")
	if ifaces, _ := exec.Command(unshare, "-n", ip, "-o", "link").Output(); len(ifaces) > 0 {
		require.NotContains(t, string(ifaces), "eth", "the namespace has only lo")
	}
}

func runBrowserChat(t *testing.T) {
	browsertest.Find(t)
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	sig := signaling.NewServer(nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: webchat.Handler(sig)}
	go hs.Serve(ln)
	defer func() {
		sig.Close()
		hs.Close()
	}()
	base := "http://" + ln.Addr().String()
	sigURL := "ws://" + ln.Addr().String() + "/signal"

	l, err := webrtc.Listen(sigURL, &webrtc.Config{LoopbackOnly: true, Lobby: "chat", Channels: webchat.Channels()})
	require.NoError(t, err)
	room := chat.NewRoom(nil)
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- webchat.Serve(sctx, l, room) }()
	defer func() {
		stop() // Serve closes l and every peer, and waits for them
		require.NoError(t, <-served)
	}()

	// A Go client in the room: it greets the browser once it joins.
	gopher, err := webrtc.Dial(ctx, sigURL, &webrtc.Config{LoopbackOnly: true, Lobby: "chat", Channels: webchat.Channels()})
	require.NoError(t, err)
	defer gopher.Close()
	require.NoError(t, gopher.PutVar(chat.Message{Type: "join", Nick: "gopher"}))
	goSaw := make(chan []string, 1)
	go func() {
		var says []string
		defer func() { goSaw <- says }()
		for {
			m, err := chat.ReadMessage(ctx, gopher)
			if err != nil {
				return
			}
			switch {
			case m.Type == "join" && m.Nick == "browser":
				gopher.PutVar(chat.Message{Type: "say", Text: "hello from go"})
			case m.Type == "say" && m.Nick == "browser":
				says = append(says, m.Text)
				if len(says) == nSays {
					return
				}
			}
		}
	}()

	// Without this flag Chromium opens no ICE socket on loopback.
	b := browsertest.Launch(t, "--allow-loopback-in-peer-connection")
	// With capture permission granted Chromium shows real host candidates
	// instead of hiding them behind mDNS names pion cannot resolve here.
	require.NoError(t, b.Call(ctx, "Browser.grantPermissions",
		map[string]any{"permissions": []string{"audioCapture", "videoCapture"}}, nil))
	page := b.NewPage(ctx, "webrtc-chat")
	require.NoError(t, page.Goto(ctx, base+"/"))
	require.NoError(t, page.Eval(ctx, nil, `(l, n) => window.chat.connect(l, n)`, "chat", "browser"))
	require.NoError(t, page.WaitFor(ctx, `() => window.chat.joined || window.chat.errors.length > 0`))
	var errs []string
	require.NoError(t, page.Eval(ctx, &errs, `() => window.chat.errors`))
	require.Empty(t, errs, "page errors while joining")

	// Reliable channel: every say comes back (the room echoes to everyone), in order.
	require.NoError(t, page.Eval(ctx, nil, `(n) => { for (let i = 0; i < n; i++) window.chat.say('message ' + i); }`, nSays))
	require.NoError(t, page.WaitFor(ctx, `(n, nick) =>
		window.chat.messages.filter(m => m.type === 'say' && m.nick === nick).length >= n`, nSays, "browser"))
	// A message from the Go client in the room.
	require.NoError(t, page.WaitFor(ctx, `() => window.chat.messages.some(m => m.type === 'say' && m.nick === 'gopher')`))
	var res struct {
		Says    []string `json:"says"`
		Welcome struct {
			Nick    string   `json:"nick"`
			Members []string `json:"members"`
		} `json:"welcome"`
		Pongs  int      `json:"pongs"`
		Errors []string `json:"errors"`
	}
	// Unreliable channel: pings echoed by the server.
	require.NoError(t, page.Eval(ctx, &res.Pongs, `(n) => window.chat.ping(n, 1000)`, nPings))
	require.NoError(t, page.Eval(ctx, &res, `() => ({
		says: window.chat.messages.filter(m => m.type === 'say').map(m => m.nick + ': ' + m.text),
		welcome: window.chat.messages.find(m => m.type === 'welcome'),
		errors: window.chat.errors,
	})`))
	b.Close()
	require.Empty(t, res.Errors)
	// The welcome's member list is a PackedStringArray, decoded by the page.
	require.Equal(t, "browser", res.Welcome.Nick)
	require.Equal(t, []string{"browser", "gopher"}, res.Welcome.Members)
	// Reliable, ordered: all of the browser's messages, in order, plus the Go client's.
	var mine []string
	for _, s := range res.Says {
		if strings.HasPrefix(s, "browser: ") {
			mine = append(mine, strings.TrimPrefix(s, "browser: "))
		}
	}
	want := make([]string, nSays)
	for i := range want {
		want[i] = fmt.Sprint("message ", i)
	}
	require.Equal(t, want, mine)
	require.Contains(t, res.Says, "gopher: hello from go")
	require.Equal(t, want, <-goSaw, "the Go client got every browser message in order")
	// Unreliable (maxRetransmits 0): loopback may drop a few datagrams in a
	// burst, never most of them.
	t.Logf("unreliable channel: %d of %d pings echoed", res.Pongs, nPings)
	require.GreaterOrEqual(t, res.Pongs, nPings/2)
	require.LessOrEqual(t, res.Pongs, nPings)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("test ran out of time")
	}
}

const (
	nSays  = 100
	nPings = 200
)
