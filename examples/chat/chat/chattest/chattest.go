// Package chattest is the conversation every chat example's test runs over
// its transport: serve a Room on a real listener, join, chat and leave.
package chattest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer"
)

// Serve serves a new Room on l with peer.Serve, as every chat server does,
// until the test ends; then it stops serving and requires Serve to return
// nil, which it does after closing l and every peer and waiting for every
// session.
func Serve[P peer.PacketPeer](t testing.TB, l peer.Listener[P]) *chat.Room {
	room := chat.NewRoom(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ServeRoom(t, l, room)
	return room
}

// ServeRoom is Serve with a room the test has set up.
func ServeRoom[P peer.PacketPeer](t testing.TB, l peer.Listener[P], room *chat.Room) {
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- peer.Serve(ctx, l, func(ctx context.Context, p P) { room.Serve(ctx, p) })
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-served)
	})
}

// Expect reads the next message on p and requires it to be want.
func Expect(t testing.TB, ctx context.Context, p peer.PacketPeer, want chat.Message) {
	t.Helper()
	m, err := chat.ReadMessage(ctx, p)
	require.NoError(t, err)
	require.Equal(t, want, m)
}

// Join joins the room on p, a connection just dialled, as nick; it
// requires a welcome and closes p when the test ends.
func Join(t testing.TB, ctx context.Context, p peer.PacketPeer, nick string) {
	t.Helper()
	t.Cleanup(func() { p.Close() })
	require.NoError(t, p.PutVar(chat.Message{Type: "join", Nick: nick}))
	m, err := chat.ReadMessage(ctx, p)
	require.NoError(t, err)
	require.Equal(t, "welcome", m.Type)
	require.Equal(t, nick, m.Nick)
}

// Chat is the conversation of two members, alice (joined first) and bob
// (joined after): alice is told bob joined, then bob says text as the plain
// Dictionary a Godot client sends with put_var, and both receive it.
func Chat(t testing.TB, ctx context.Context, alice, bob peer.PacketPeer, text string) {
	t.Helper()
	Expect(t, ctx, alice, chat.Message{Type: "join", Nick: "bob"})
	require.NoError(t, bob.PutVar(map[string]any{"type": "say", "text": text}))
	for _, p := range []peer.PacketPeer{alice, bob} {
		Expect(t, ctx, p, chat.Message{Type: "say", Nick: "bob", Text: text})
	}
}

// Leave has the member nick leave on p and requires watcher to be told.
func Leave(t testing.TB, ctx context.Context, p peer.PacketPeer, nick string, watcher peer.PacketPeer) {
	t.Helper()
	require.NoError(t, p.PutVar(chat.Message{Type: "leave"}))
	Expect(t, ctx, watcher, chat.Message{Type: "leave", Nick: nick})
}

// WaitEmpty waits until the room has no members, as after everyone left or
// disconnected (the room handles leaves asynchronously), or fails when ctx
// ends first.
func WaitEmpty(t testing.TB, ctx context.Context, room *chat.Room) {
	t.Helper()
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
