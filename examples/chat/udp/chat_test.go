package udpchat_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat/chattest"
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
	room := chattest.Serve(t, l)

	var ps []*udp.Peer
	for _, nick := range []string{"alice", "bob"} {
		p, err := udp.Dial(ctx, l.Addr().String(), nil)
		require.NoError(t, err)
		chattest.Join(t, ctx, p, nick)
		ps = append(ps, p)
	}
	alice, bob := ps[0], ps[1]
	chattest.Chat(t, ctx, alice, bob, "hi from a map")
	chattest.Leave(t, ctx, bob, "bob", alice)
	// UDP has no disconnect and nothing is sent back to alice's leave:
	// watch the member list.
	require.NoError(t, alice.PutVar(map[string]any{"type": "leave"}))
	chattest.WaitEmpty(t, ctx, room)
}
