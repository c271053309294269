package enetchat_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/enet"
)

// TestChatOverENet runs the server loop of ./server with two clients that
// send the Dictionaries a Godot client sends with put_var.
func TestChatOverENet(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := enet.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	room := chat.NewRoom(nil)
	served := make(chan error, 1)
	go func() { served <- chat.ServeListener[*enet.Peer](ctx, room, l) }()
	defer func() {
		cancel()
		require.NoError(t, <-served)
	}()

	join := func(nick string) *enet.Peer {
		p, err := enet.Dial(ctx, l.Addr().String(), nil)
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
	m, err := chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "join", Nick: "bob"}, m)

	require.NoError(t, bob.PutVar(map[string]any{"type": "say", "text": "hi from a map"}))
	for _, p := range []*enet.Peer{alice, bob} {
		m, err := chat.ReadMessage(ctx, p)
		require.NoError(t, err)
		require.Equal(t, chat.Message{Type: "say", Nick: "bob", Text: "hi from a map"}, m)
	}
	// Closing bob disconnects him; the room tells alice.
	require.NoError(t, bob.Close())
	m, err = chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "leave", Nick: "bob"}, m)
}
