package streamchat_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/stream"
)

// serve runs the loop of ./server on a loopback listener and returns its
// address and a function that stops it and waits for every client served.
func serve(t *testing.T, ctx context.Context) (string, *chat.Room, func()) {
	l, err := stream.Listen("127.0.0.1:0", &stream.Config{WriteTimeout: 10 * time.Second})
	require.NoError(t, err)
	room := chat.NewRoom(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var serving sync.WaitGroup
	accepting := make(chan struct{})
	go func() {
		defer close(accepting)
		for {
			p, err := l.Accept(ctx)
			if err != nil {
				return
			}
			serving.Add(1)
			go func() {
				defer serving.Done()
				room.Serve(ctx, p)
			}()
		}
	}()
	return l.Addr().String(), room, func() {
		l.Close()
		<-accepting
		serving.Wait()
	}
}

// TestChat200Clients: 200 clients join over loopback TCP, each says three
// things, and every client receives every message.
func TestChat200Clients(t *testing.T) {
	peertest.CheckGoroutines(t)
	const clients, each = 200, 3
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	addr, room, stop := serve(t, ctx)
	defer stop()

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
	require.Empty(t, room.Members(), "everyone left")
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
