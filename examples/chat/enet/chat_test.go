package enetchat_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chat/chattest"
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
	room := chattest.Serve(t, l)

	var ps []*enet.Peer
	for _, nick := range []string{"alice", "bob"} {
		p, err := enet.Dial(ctx, l.Addr().String(), nil)
		require.NoError(t, err)
		chattest.Join(t, ctx, p, nick)
		ps = append(ps, p)
	}
	alice, bob := ps[0], ps[1]
	chattest.Chat(t, ctx, alice, bob, "hi over ENet")
	// Closing bob disconnects him; the room tells alice.
	require.NoError(t, bob.Close())
	chattest.Expect(t, ctx, alice, chat.Message{Type: "leave", Nick: "bob"})
	require.Equal(t, []string{"alice"}, room.Members())
}
