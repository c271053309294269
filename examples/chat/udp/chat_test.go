package udpchat_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/udp"
)

// TestChatOverUDP runs the server loop of ./server with two clients that
// speak the Dictionaries a Godot client (examples/godot/udp_chat_client.gd)
// sends with put_var.
func TestChatOverUDP(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := udp.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	room := chat.NewRoom(nil)
	served := make(chan error, 1)
	go func() { served <- chat.ServeListener(ctx, room, l) }()
	defer func() {
		cancel() // ServeListener closes l and waits for the sessions
		require.NoError(t, <-served)
	}()

	join := func(nick string) *udp.Peer {
		p, err := udp.Dial(ctx, l.Addr().String(), nil)
		require.NoError(t, err)
		require.NoError(t, p.PutVar(chat.Message{Type: "join", Nick: nick}))
		m, err := chat.ReadMessage(ctx, p)
		require.NoError(t, err)
		require.Equal(t, "welcome", m.Type)
		return p
	}
	alice := join("alice")
	defer alice.Close()
	bob := join("bob")
	defer bob.Close()
	m, err := chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "join", Nick: "bob"}, m)

	require.NoError(t, bob.PutVar(map[string]any{"type": "say", "text": "hi from a map"}))
	for _, p := range []*udp.Peer{alice, bob} {
		m, err := chat.ReadMessage(ctx, p)
		require.NoError(t, err)
		require.Equal(t, chat.Message{Type: "say", Nick: "bob", Text: "hi from a map"}, m)
	}
	require.NoError(t, bob.PutVar(chat.Message{Type: "leave"}))
	m, err = chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "leave", Nick: "bob"}, m)
	require.NoError(t, alice.PutVar(chat.Message{Type: "leave"}))
	// The room forgets alice; nothing is sent back, so watch the member list.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for len(room.Members()) > 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("members after everyone left: %v", room.Members())
		}
	}
}
