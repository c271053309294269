package peertest

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// ListenerHarness tells TestListener how to run one transport's listener.
type ListenerHarness[P peer.PacketPeer] struct {
	// Listen opens a listener on 127.0.0.1 that holds at most maxPending
	// connections for Accept/TakeConnection. The test closes it.
	Listen func(t *testing.T, maxPending int) peer.Listener[P]
	// Connect makes one client connection that ln will hand out: a dial,
	// plus whatever the transport needs before the listener counts it (a
	// first datagram on UDP). The test closes the client. A connection the
	// listener refuses may return an error.
	Connect func(ctx context.Context, ln peer.Listener[P]) (io.Closer, error)
	// Refuses says the listener turns away connections beyond maxPending,
	// counting them in ListenerStats().Refused. False for listeners that
	// leave them to the kernel's backlog (stream over TCP).
	Refuses bool
	// Timeout bounds each check. 0 means 10 seconds.
	Timeout time.Duration
	// IgnoreGoroutines lists stack substrings of goroutines a library is
	// known to leave running after Close.
	IgnoreGoroutines []string
}

// TestListener checks the peer.Listener contract against a real listener:
// Accept hands out a connection and honours its context, TakeConnection and
// IsConnectionAvailable agree, the pending cap holds (and refuses and counts
// when the listener refuses), Close ends a waiting Accept with
// net.ErrClosed, evicts and counts what was waiting, and leaves no
// goroutine running.
func TestListener[P peer.PacketPeer](t *testing.T, h ListenerHarness[P]) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	setup := func(t *testing.T, maxPending int) (peer.Listener[P], context.Context) {
		CheckGoroutines(t, h.IgnoreGoroutines...)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		t.Cleanup(cancel)
		ln := h.Listen(t, maxPending)
		t.Cleanup(func() { ln.Close() })
		return ln, ctx
	}
	connect := func(t *testing.T, ctx context.Context, ln peer.Listener[P]) {
		t.Helper()
		c, err := h.Connect(ctx, ln)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		t.Cleanup(func() { c.Close() })
	}
	// waitFor polls a listener's state, which changes on its own goroutines.
	waitFor := func(t *testing.T, ctx context.Context, what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("timed out waiting for %s", what)
			case <-time.After(time.Millisecond):
			}
		}
	}

	t.Run("Accept", func(t *testing.T) {
		ln, ctx := setup(t, peer.DefaultMaxPendingConnections)
		if ln.Addr() == nil {
			t.Fatal("Addr() is nil")
		}
		connect(t, ctx, ln)
		p, err := ln.Accept(ctx)
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		defer p.Close()
		if s := ln.ListenerStats(); s.Accepted != 1 {
			t.Fatalf("Accepted = %d after one Accept, want 1", s.Accepted)
		}
	})

	t.Run("TakeConnection", func(t *testing.T) {
		ln, ctx := setup(t, peer.DefaultMaxPendingConnections)
		if ln.IsConnectionAvailable() {
			t.Fatal("IsConnectionAvailable before any client")
		}
		if _, err := ln.TakeConnection(); !errors.Is(err, peer.ErrUnavailable) {
			t.Fatalf("TakeConnection with none waiting = %v, want ErrUnavailable", err)
		}
		connect(t, ctx, ln)
		waitFor(t, ctx, "IsConnectionAvailable", ln.IsConnectionAvailable)
		p, err := ln.TakeConnection()
		if err != nil {
			t.Fatalf("TakeConnection after IsConnectionAvailable: %v", err)
		}
		defer p.Close()
		if ln.IsConnectionAvailable() {
			t.Fatal("IsConnectionAvailable after its only connection was taken")
		}
		if _, err := ln.TakeConnection(); !errors.Is(err, peer.ErrUnavailable) {
			t.Fatalf("second TakeConnection = %v, want ErrUnavailable", err)
		}
	})

	t.Run("PendingCap", func(t *testing.T) {
		const max = 2
		ln, ctx := setup(t, max)
		for range max {
			connect(t, ctx, ln)
		}
		waitFor(t, ctx, "two pending connections", func() bool {
			return ln.IsConnectionAvailable() && ln.ListenerStats().Pending == max
		})
		if h.Refuses {
			cctx, cancel := context.WithTimeout(ctx, timeout/4)
			c, err := h.Connect(cctx, ln)
			cancel()
			if err == nil {
				t.Cleanup(func() { c.Close() })
			}
			waitFor(t, ctx, "a refusal counted", func() bool { return ln.ListenerStats().Refused >= 1 })
		}
		for i := range max {
			p, err := ln.TakeConnection()
			if err != nil {
				t.Fatalf("TakeConnection %d: %v", i, err)
			}
			defer p.Close()
		}
		if h.Refuses && ln.IsConnectionAvailable() {
			t.Fatal("a connection beyond the pending cap was kept")
		}
	})

	t.Run("AcceptContext", func(t *testing.T) {
		ln, ctx := setup(t, peer.DefaultMaxPendingConnections)
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := ln.Accept(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Accept with an ended context = %v, want context.DeadlineExceeded", err)
		}
	})

	t.Run("CloseEndsAccept", func(t *testing.T) {
		ln, ctx := setup(t, peer.DefaultMaxPendingConnections)
		errc := make(chan error, 1)
		go func() {
			_, err := ln.Accept(ctx)
			errc <- err
		}()
		if err := ln.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept ended by Close = %v, want net.ErrClosed", err)
		}
		if _, err := ln.Accept(ctx); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close = %v, want net.ErrClosed", err)
		}
	})

	t.Run("CloseEvicts", func(t *testing.T) {
		ln, ctx := setup(t, peer.DefaultMaxPendingConnections)
		connect(t, ctx, ln)
		waitFor(t, ctx, "IsConnectionAvailable", ln.IsConnectionAvailable)
		if err := ln.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if ln.IsConnectionAvailable() {
			t.Fatal("IsConnectionAvailable after Close")
		}
		if _, err := ln.TakeConnection(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("TakeConnection after Close = %v, want net.ErrClosed", err)
		}
		if s := ln.ListenerStats(); s.Evicted != 1 || s.Pending != 0 {
			t.Fatalf("after Close with one waiting: Evicted %d Pending %d, want 1 0", s.Evicted, s.Pending)
		}
	})
}
