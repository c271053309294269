package webchat_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chat/chattest"
	"github.com/packetpeer/packetpeer/examples/chat/webrtc/webchat"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

// TestGoChat runs the server loop of ./server with two Go clients (./client)
// and checks the page is served.
func TestGoChat(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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
	sigURL := "ws://" + ln.Addr().String() + "/signal"

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(page), "createDataChannel('reliable', { negotiated: true, id: 1 })")
	resp, err = http.Get("http://" + ln.Addr().String() + "/nope")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	cfg := &webrtc.Config{LoopbackOnly: true, Lobby: "chat", Channels: webchat.Channels()}
	l, err := webrtc.Listen(sigURL, cfg)
	require.NoError(t, err)
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- webchat.Serve(sctx, l, chat.NewRoom(nil)) }()
	defer func() {
		stop() // Serve closes l and every peer, and waits for them
		require.NoError(t, <-served)
	}()

	var ps []*webrtc.Peer
	for _, nick := range []string{"alice", "bob"} {
		p, err := webrtc.Dial(ctx, sigURL, cfg)
		require.NoError(t, err)
		chattest.Join(t, ctx, p, nick)
		ps = append(ps, p)
	}
	alice, bob := ps[0], ps[1]
	chattest.Chat(t, ctx, alice, bob, "hi over webrtc")
	// The unreliable channel echoes.
	u := alice.Connection().Channel("unreliable")
	require.NotNil(t, u)
	require.False(t, u.IsOrdered())
	require.Equal(t, 0, u.MaxRetransmits())
	for {
		require.NoError(t, u.PutPacket([]byte("ping")))
		rctx, rcancel := context.WithTimeout(ctx, time.Second)
		got, err := u.ReadPacket(rctx)
		rcancel()
		if err == nil {
			require.Equal(t, "ping", string(got))
			break
		}
		require.NoError(t, ctx.Err(), "no echo on the unreliable channel")
	}
	require.NoError(t, bob.Close())
	chattest.Expect(t, ctx, alice, chat.Message{Type: "leave", Nick: "bob"})
}
