package lobby_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/examples/multiplayer/lobby"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// lines is an io.Writer that hands each Write (one line) to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) { l <- string(p); return len(p), nil }

func expect(t *testing.T, ctx context.Context, l lines, want string) {
	t.Helper()
	select {
	case got := <-l:
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	case <-ctx.Done():
		t.Fatalf("waiting for %q: %v", want, ctx.Err())
	}
}

// Two Go clients chat through the lobby over a real WebSocket multiplayer
// server on 127.0.0.1.
func TestLobby(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + srv.Addr().String()
	testLobby(t, srv, func(ctx context.Context) (multiplayer.MultiplayerPeer, error) {
		return websocket.DialClient(ctx, url, nil)
	})
}

// The same over ENet: an enet.CreateServer server and DialClient clients
// on 127.0.0.1 (Godot's ENetMultiplayerPeer on both sides).
func TestLobbyENet(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Host().LocalAddr().String()
	testLobby(t, srv, func(ctx context.Context) (multiplayer.MultiplayerPeer, error) {
		return enet.DialClient(ctx, addr, nil)
	})
}

// The same over WebRTC: a webrtc.ListenMultiplayer server and
// DialMultiplayer clients, signalled through the project's signalling
// server on 127.0.0.1.
func TestLobbyWebRTC(t *testing.T) {
	peertest.CheckGoroutines(t)
	sig := signaling.NewServer(nil)
	hs := httptest.NewServer(sig)
	defer func() {
		sig.Close()
		hs.Close()
	}()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")
	cfg := &webrtc.MultiplayerConfig{Connection: &webrtc.Config{LoopbackOnly: true, Lobby: "lobby"}}
	srv, err := webrtc.ListenMultiplayer(url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	testLobby(t, srv, func(ctx context.Context) (multiplayer.MultiplayerPeer, error) {
		return webrtc.DialMultiplayer(ctx, url, cfg)
	})
}

func testLobby(t *testing.T, srv multiplayer.MultiplayerPeer, dial func(context.Context) (multiplayer.MultiplayerPeer, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	defer srv.Close()
	served := make(chan error, 1)
	go func() { served <- lobby.Serve(ctx, srv, slog.New(slog.DiscardHandler)) }()

	join := func(nick string) (*io.PipeWriter, lines, chan error) {
		c, err := dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		in, w := io.Pipe()
		out := make(lines, 16)
		done := make(chan error, 1)
		go func() { done <- lobby.RunClient(ctx, c, nick, in, out) }()
		return w, out, done
	}
	aliceIn, aliceOut, aliceDone := join("alice")
	expect(t, ctx, aliceOut, "* alice joined\n")
	bobIn, bobOut, bobDone := join("bob")
	expect(t, ctx, bobOut, "* bob joined\n")
	expect(t, ctx, aliceOut, "* bob joined\n")

	io.WriteString(aliceIn, "hello bob\n")
	expect(t, ctx, bobOut, "alice: hello bob\n")
	io.WriteString(bobIn, "hi alice\n")
	expect(t, ctx, aliceOut, "bob: hi alice\n")

	bobIn.Close() // end of input: bob leaves
	if err := <-bobDone; err != nil {
		t.Fatalf("bob: %v", err)
	}
	expect(t, ctx, aliceOut, "* bob left\n")

	srv.Close() // alice's session ends
	if err := <-aliceDone; err != nil {
		t.Fatalf("alice: %v", err)
	}
	aliceIn.Close()
	<-served
}
