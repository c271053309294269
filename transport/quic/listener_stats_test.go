package quic

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// syncBuffer is a log destination shared by the Listener's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lossyConn is a client's socket that can stop receiving (deaf: a
// handshake it starts cannot finish) and stop sending, at once (mute: with
// deaf, the client has vanished) or after a number of datagrams (sendOnly).
type lossyConn struct {
	net.PacketConn // an interface: quic-go must not see the *net.UDPConn
	deaf, mute     atomic.Bool
	sendOnly, sent atomic.Int64
}

func (c *lossyConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || !c.deaf.Load() {
			return n, addr, err
		}
	}
}

func (c *lossyConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.mute.Load() || c.sendOnly.Load() > 0 && c.sent.Add(1) > c.sendOnly.Load() {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}

// lossyTransport is a quic-go client transport on a lossyConn; cleanup
// closes both.
func lossyTransport(t *testing.T) (*quicgo.Transport, *lossyConn) {
	t.Helper()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	lc := &lossyConn{PacketConn: udp}
	tr := &quicgo.Transport{Conn: lc}
	t.Cleanup(func() {
		tr.Close()
		udp.Close()
	})
	return tr, lc
}

// waitStats waits until cond holds for l's counters.
func waitStats(t *testing.T, ctx context.Context, l *Listener, what string, cond func(ListenerStats) bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond(l.Stats()) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; stats %+v", what, ctx.Err(), l.Stats())
		}
	}
}

// TestListenerStats: every drop cause a QUIC Listener produces is counted and
// logged once: a failed TLS handshake (no common ALPN), a TLS handshake that
// never finishes, a connection that never opens its reliable stream, one
// that closes before opening it, a peer that expires, a connection refused
// for want of a slot, and one still pending at Close.
func TestListenerStats(t *testing.T) {
	peertest.CheckGoroutines(t)
	var logs syncBuffer
	// Longer than the keep-alive period (half the idle timeout): a close
	// lost on a loaded loopback is answered again to the next keep-alive.
	const hs = 1500 * time.Millisecond
	l := listen(t, &Config{MaxPendingConnections: 1, HandshakeTimeout: hs, IdleTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := testCtx(t, 30*time.Second)
	addr := l.Addr().String()

	// Failed: no common ALPN protocol.
	_, err := quicgo.DialAddr(ctx, addr, &tls.Config{RootCAs: testCert(t).Pool, ServerName: "127.0.0.1",
		NextProtos: []string{"not-packetpeer"}}, &quicgo.Config{})
	require.Error(t, err)
	waitStats(t, ctx, l, "a failed handshake", func(s ListenerStats) bool { return s.Failed == 1 })

	// TimedOut: a client sends its first Initial and nothing more (not even
	// a close), hears nothing back: the handshake never finishes.
	tr, lc := lossyTransport(t)
	lc.deaf.Store(true)
	lc.sendOnly.Store(1)
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = tr.Dial(dctx, l.Addr(), &tls.Config{RootCAs: testCert(t).Pool, ServerName: "127.0.0.1",
		NextProtos: []string{DefaultALPN}}, &quicgo.Config{})
	cancel()
	require.Error(t, err)
	waitStats(t, ctx, l, "a timed-out handshake", func(s ListenerStats) bool { return s.TimedOut == 1 })

	// TimedOut: handshaken, but the reliable stream is never opened.
	quiet := streamless(t, ctx, l)
	waitStats(t, ctx, l, "a stream that never opens", func(s ListenerStats) bool { return s.TimedOut == 2 })
	require.Equal(t, peer.ErrTimeout.Code(), appCode(t, quiet))

	// Failed: the client closes before opening its stream.
	gone := streamless(t, ctx, l)
	waitStats(t, ctx, l, "a connection waiting for its stream", func(s ListenerStats) bool { return s.Waiting == 1 })
	gone.CloseWithError(0, "")
	waitStats(t, ctx, l, "a client gone before its stream", func(s ListenerStats) bool { return s.Failed == 2 })

	// Expired: an accepted peer whose client vanishes.
	tr, lc = lossyTransport(t)
	qc, err := tr.Dial(ctx, l.Addr(), &tls.Config{RootCAs: testCert(t).Pool, ServerName: "127.0.0.1",
		NextProtos: []string{DefaultALPN}}, &quicgo.Config{})
	require.NoError(t, err)
	defer qc.CloseWithError(0, "")
	str, err := qc.OpenStreamSync(ctx)
	require.NoError(t, err)
	_, err = str.Write(openMarker[:])
	require.NoError(t, err)
	s1, err := l.Accept(ctx)
	require.NoError(t, err)
	defer s1.Close()
	lc.deaf.Store(true)
	lc.mute.Store(true)
	_, err = s1.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.Equal(t, uint64(1), l.Stats().Expired)

	// Refused: the one slot holds a peer nobody takes; a newcomer waits
	// for a slot and gives up.
	c2, err := Dial(ctx, addr, clientConfig(t, nil))
	require.NoError(t, err)
	defer c2.Close()
	_, err = Dial(ctx, addr, clientConfig(t, &Config{HandshakeTimeout: 300 * time.Millisecond}))
	require.ErrorIs(t, err, peer.ErrCantConnect)
	waitStats(t, ctx, l, "a refused connection", func(s ListenerStats) bool { return s.Refused == 1 })
	require.Equal(t, 1, l.Stats().Pending)

	// Evicted: c2 is still pending at Close.
	require.NoError(t, l.Close())
	st := l.Stats()
	want := peer.ListenerStats{Accepted: 1, Refused: 1, Failed: 2, TimedOut: 2, Expired: 1, Evicted: 1}
	require.Equal(t, want, st.ListenerStats)

	out := logs.String()
	for cause, n := range map[string]int{"cause=refused": 1, "cause=failed": 2, `cause="timed out"`: 2, "cause=expired": 1, "cause=evicted": 1} {
		require.Equal(t, n, strings.Count(out, cause), "%s in\n%s", cause, out)
	}
	require.Equal(t, 7, strings.Count(out, "packetpeer: connection dropped"), out)
	require.Contains(t, out, "transport=quic")
	require.Contains(t, out, "remote=127.0.0.1:")
	t.Log(out)
}
