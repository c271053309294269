package chat

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

func newRoom(t *testing.T) (*Room, context.Context, func() peer.PacketPeer) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	room := NewRoom(slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan struct{})
	n := 0
	t.Cleanup(func() {
		cancel()
		for range n {
			<-done
		}
	})
	connect := func() peer.PacketPeer {
		server, client := peer.Pipe(nil)
		n++
		go func() { room.Serve(ctx, server); done <- struct{}{} }()
		t.Cleanup(func() { client.Close() })
		return client
	}
	return room, ctx, connect
}

func expect(t *testing.T, ctx context.Context, p peer.PacketPeer, want Message) {
	t.Helper()
	m, err := ReadMessage(ctx, p)
	require.NoError(t, err)
	require.Equal(t, want, m)
}

func TestJoinSayLeave(t *testing.T) {
	room, ctx, connect := newRoom(t)
	alice := connect()
	require.NoError(t, alice.PutVar(Message{Type: "join", Nick: "alice"}))
	expect(t, ctx, alice, Message{Type: "welcome", Nick: "alice", Members: []string{"alice"}})

	bob := connect()
	require.NoError(t, bob.PutVar(Message{Type: "join", Nick: "bob"}))
	expect(t, ctx, bob, Message{Type: "welcome", Nick: "bob", Members: []string{"alice", "bob"}})
	expect(t, ctx, alice, Message{Type: "join", Nick: "bob"})

	require.NoError(t, alice.PutVar(Message{Type: "say", Text: "hi"}))
	expect(t, ctx, alice, Message{Type: "say", Nick: "alice", Text: "hi"})
	expect(t, ctx, bob, Message{Type: "say", Nick: "alice", Text: "hi"})

	// A Godot client sends a plain Dictionary; extra keys are ignored.
	require.NoError(t, bob.PutVar(map[string]any{"type": "say", "text": strings.Repeat("é", MaxTextLength+5), "extra": 1}))
	expect(t, ctx, alice, Message{Type: "say", Nick: "bob", Text: strings.Repeat("é", MaxTextLength)})

	require.NoError(t, bob.PutVar(Message{Type: "leave"}))
	expect(t, ctx, alice, Message{Type: "leave", Nick: "bob"})
	require.Equal(t, []string{"alice"}, room.Members())

	alice.Close() // a disconnect counts as leaving
	require.Eventually(t, func() bool { return len(room.Members()) == 0 }, 5*time.Second, time.Millisecond)
}

func TestRefusals(t *testing.T) {
	_, ctx, connect := newRoom(t)
	alice := connect()
	require.NoError(t, alice.PutVar(Message{Type: "join", Nick: "alice"}))
	expect(t, ctx, alice, Message{Type: "welcome", Nick: "alice", Members: []string{"alice"}})

	dup := connect()
	require.NoError(t, dup.PutVar(Message{Type: "join", Nick: "alice"}))
	expect(t, ctx, dup, Message{Type: "error", Text: "nickname taken"})

	rude := connect()
	require.NoError(t, rude.PutVar(Message{Type: "say", Text: "no join"}))
	m, err := ReadMessage(ctx, rude)
	require.NoError(t, err)
	require.Equal(t, "error", m.Type)

	garbage := connect()
	require.NoError(t, garbage.PutPacket([]byte{0xff, 0, 0, 0}))
	_, err = ReadMessage(ctx, garbage) // the server hangs up
	require.ErrorIs(t, err, io.EOF)
}

func TestRunClient(t *testing.T) {
	_, ctx, connect := newRoom(t)
	watcher := connect()
	require.NoError(t, watcher.PutVar(Message{Type: "join", Nick: "watcher"}))
	expect(t, ctx, watcher, Message{Type: "welcome", Nick: "watcher", Members: []string{"watcher"}})

	var out strings.Builder
	err := RunClient(ctx, connect(), "carol", strings.NewReader("hello\n\nbye\n"), &out)
	require.NoError(t, err)
	expect(t, ctx, watcher, Message{Type: "join", Nick: "carol"})
	expect(t, ctx, watcher, Message{Type: "say", Nick: "carol", Text: "hello"})
	expect(t, ctx, watcher, Message{Type: "say", Nick: "carol", Text: "bye"})
	expect(t, ctx, watcher, Message{Type: "leave", Nick: "carol"})
}
