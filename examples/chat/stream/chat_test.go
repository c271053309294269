package streamchat_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chat/chattest"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/stream"
	"github.com/packetpeer/packetpeer/variant"
)

// serve runs the loop of ./server on a loopback listener until the test
// ends and returns its address.
func serve(t *testing.T) (string, *chat.Room) {
	l, err := stream.Listen("127.0.0.1:0", nil) // puts to a stuck client fail after DefaultWriteTimeout
	require.NoError(t, err)
	return l.Addr().String(), chattest.Serve(t, l)
}

// TestChat200Clients: 200 clients join over loopback TCP, each says three
// things, and every client receives every message.
func TestChat200Clients(t *testing.T) {
	peertest.CheckGoroutines(t)
	const clients, each = 200, 3
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	l, err := stream.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	addr := l.Addr().String()
	// In the chatter every client has one line in flight, and leaves follow:
	// a member may have a line from every client and every leave notice
	// waiting (above the default 256), which a slow reader under load sees.
	room := chat.NewRoom(slog.New(slog.NewTextHandler(io.Discard, nil)))
	room.QueueLength = 2*clients + 8
	chattest.ServeRoom(t, l, room)

	var joined sync.WaitGroup
	joined.Add(clients)
	start := make(chan struct{})
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := runClient(ctx, addr, fmt.Sprintf("c%03d", i), clients, each, &joined, start)
			if err != nil {
				cancel() // fail fast: release everyone waiting
			}
			errs <- err
		}()
	}
	go func() {
		joined.Wait()
		close(start)
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, ctx.Err())
	chattest.WaitEmpty(t, ctx, room)
}

func runClient(ctx context.Context, addr, nick string, clients, each int, joined *sync.WaitGroup, start chan struct{}) error {
	p, err := stream.Dial(ctx, addr, nil)
	if err != nil {
		joined.Done()
		return err
	}
	defer p.Close()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", nick, fmt.Sprintf(format, args...))
	}
	if err := p.PutVar(chat.Message{Type: "join", Nick: nick}); err != nil {
		joined.Done()
		return fail("join: %v", err)
	}
	// Wait until this client knows every member, so join notices are out
	// of the way before the chatter starts. (A join notice may arrive
	// before the welcome: the room lists a member before queuing its welcome.)
	// A member may be both in the welcome list and in a join notice.
	known, welcomed := map[string]bool{}, false
	for !welcomed || len(known) < clients {
		m, err := chat.ReadMessage(ctx, p)
		if err != nil {
			joined.Done()
			return fail("waiting for joins (%d known): %v", len(known), err)
		}
		switch m.Type {
		case "welcome":
			welcomed = true
			for _, n := range m.Members {
				known[n] = true
			}
		case "join":
			known[m.Nick] = true
		default:
			joined.Done()
			return fail("unexpected %+v before the chat started", m)
		}
	}
	joined.Done()
	select {
	case <-start:
	case <-ctx.Done():
		return fail("start: %v", ctx.Err())
	}
	seen := map[string]bool{}
	read := func() error {
		m, err := chat.ReadMessage(ctx, p)
		if err != nil {
			return fail("after %d messages: %v", len(seen), err)
		}
		switch m.Type {
		case "leave", "join":
			// A client that has seen everything may leave before we do,
			// and a join notice can trail its member's welcome.
			return nil
		case "say":
		default:
			return fail("unexpected %+v", m)
		}
		key := m.Nick + "/" + m.Text
		if seen[key] {
			return fail("duplicate %q", key)
		}
		seen[key] = true
		return nil
	}
	// Say each line and wait for its echo, so at most one message per
	// client is in flight: the room's per-member queue never overflows.
	for k := range each {
		text := fmt.Sprintf("message %d from %s", k, nick)
		if err := p.PutVar(chat.Message{Type: "say", Text: text}); err != nil {
			return fail("say: %v", err)
		}
		for !seen[nick+"/"+text] {
			if err := read(); err != nil {
				return err
			}
		}
	}
	for len(seen) < clients*each {
		if err := read(); err != nil {
			return err
		}
	}
	return p.PutVar(chat.Message{Type: "leave"})
}

// godotString is Godot 4's var_to_bytes of a String, written by hand.
func godotString(s string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 4) // TYPE_STRING
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	b = append(b, s...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// TestGodotClientBytes plays examples/godot/stream_chat_client.gd with a raw
// TCP socket: the bytes Godot's PacketPeerStream.put_var({"type": "join",
// "nick": "godot"}) puts on the wire join the room, and the reply is a frame
// holding a Godot Dictionary.
func TestGodotClientBytes(t *testing.T) {
	peertest.CheckGoroutines(t)
	addr, _ := serve(t)

	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	send := func(pairs ...string) {
		v := binary.LittleEndian.AppendUint32(nil, 27) // TYPE_DICTIONARY
		v = binary.LittleEndian.AppendUint32(v, uint32(len(pairs)/2))
		for _, s := range pairs {
			v = append(v, godotString(s)...)
		}
		frame := binary.LittleEndian.AppendUint32(nil, uint32(len(v)))
		_, err := conn.Write(append(frame, v...))
		require.NoError(t, err)
	}
	recv := func() chat.Message {
		var hdr [4]byte
		_, err := io.ReadFull(conn, hdr[:])
		require.NoError(t, err)
		payload := make([]byte, binary.LittleEndian.Uint32(hdr[:]))
		_, err = io.ReadFull(conn, payload)
		require.NoError(t, err)
		require.Equal(t, uint32(27), binary.LittleEndian.Uint32(payload), "a Dictionary")
		var m chat.Message
		require.NoError(t, variant.Unmarshal(payload, &m))
		return m
	}
	send("type", "join", "nick", "godot")
	require.Equal(t, chat.Message{Type: "welcome", Nick: "godot", Members: []string{"godot"}}, recv())
	send("type", "say", "text", "hello from GDScript")
	require.Equal(t, chat.Message{Type: "say", Nick: "godot", Text: "hello from GDScript"}, recv())
	send("type", "leave")
	_, err = conn.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the server hangs up after leave")
}
