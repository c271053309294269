package dtls_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pdtls "github.com/pion/dtls/v3"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

// stallConn lets a pion client send its ClientHello and its ClientHello
// with the cookie, closes echoed once the second is sent, and swallows
// everything after: a client that proves its address and goes silent.
type stallConn struct {
	*net.UDPConn
	writes atomic.Int32
	echoed chan struct{}
}

func (c *stallConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	switch c.writes.Add(1) {
	case 1:
		return c.UDPConn.WriteTo(b, addr)
	case 2:
		n, err := c.UDPConn.WriteTo(b, addr)
		close(c.echoed)
		return n, err
	}
	return len(b), nil
}

// stallVerified starts n clients that stall after echoing their cookie and
// returns once each has sent the echo. With chatty, each then sends a junk
// datagram every 100 ms (activity without progress). Cleanup stops them.
func stallVerified(t *testing.T, l *dtls.Listener, n int, chatty bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range n {
		sock, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		t.Cleanup(func() { sock.Close() })
		sc := &stallConn{UDPConn: sock, echoed: make(chan struct{})}
		dc, err := pdtls.ClientWithOptions(sc, l.Addr(), pdtls.WithInsecureSkipVerify(true))
		require.NoError(t, err)
		wg.Go(func() {
			_ = dc.HandshakeContext(ctx) // stalls after the echo; ends with ctx
			dc.Close()
		})
		select {
		case <-sc.echoed:
		case <-time.After(5 * time.Second):
			t.Fatal("the stalling client never echoed its cookie")
		}
		if chatty {
			wg.Go(func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
						_, _ = sock.WriteTo([]byte("junk, not DTLS"), l.Addr())
					}
				}
			})
		}
	}
}

// TestStalledVerifiedHandshakeEvicted: clients that echo their cookie and
// go silent hold every handshake slot (default 10 s handshake timeout). A
// new client evicts one of them once it has been silent a second and gets
// in; Stats counts the eviction.
func TestStalledVerifiedHandshakeEvicted(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, &dtls.Config{MaxPendingHandshakes: 2})
	stallVerified(t, l, 2, false)
	eventually(t, 5*time.Second, func() bool { return l.Stats().Pending == 2 }, "the stalled handshakes hold both slots")

	ctx := testCtx(t, 10*time.Second)
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, s := dialAccept(t, dctx, l, trusting(cert))
	took := time.Since(start)
	st := l.Stats()
	t.Logf("honest handshake took %v with every slot stalled; stats %+v", took, st)
	require.Equal(t, uint64(1), st.Evicted, "%+v", st)
	require.Equal(t, uint64(1), st.Stalled, "the victim should be a verified handshake: %+v", st)
	require.Equal(t, 1, st.Pending, "the other stalled handshake keeps its slot: %+v", st)

	require.NoError(t, c.PutPacket([]byte("hi")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(got))
}

// TestStalledHandshakeKeptWhileSlotsFree: a verified handshake silent for
// longer than the eviction grace keeps its slot (until HandshakeTimeout)
// while other slots are free; new clients are served without evicting it.
func TestStalledHandshakeKeptWhileSlotsFree(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, &dtls.Config{MaxPendingHandshakes: 2})
	stallVerified(t, l, 1, false)
	eventually(t, 5*time.Second, func() bool { return l.Stats().Pending == 1 }, "the stalled handshake holds a slot")
	<-time.After(1200 * time.Millisecond) // longer than the eviction grace

	ctx := testCtx(t, 10*time.Second)
	for range 2 {
		c, s := dialAccept(t, ctx, l, trusting(cert))
		c.Close()
		s.Close()
	}
	// No ClientHello was turned away (which would have cost its client a
	// retransmission) and none evicted.
	st := l.Stats()
	require.Equal(t, uint64(0), st.Refused, "%+v", st)
	require.Equal(t, uint64(0), st.Evicted, "%+v", st)
	require.Equal(t, 1, st.Pending, "%+v", st)
}

// TestBusyVerifiedHandshakeEvicted: a client that echoes its cookie and
// then keeps sending junk, never finishing, is not silent; it still loses
// its slot to a newcomer once its handshake has run verifiedMaxAge (3 s).
func TestBusyVerifiedHandshakeEvicted(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, &dtls.Config{MaxPendingHandshakes: 1})
	stallVerified(t, l, 1, true)
	eventually(t, 5*time.Second, func() bool { return l.Stats().Pending == 1 }, "the busy handshake holds the slot")

	ctx := testCtx(t, 10*time.Second)
	start := time.Now()
	c, s := dialAccept(t, ctx, l, trusting(cert))
	took := time.Since(start)
	st := l.Stats()
	t.Logf("honest handshake took %v with the slot held by a busy client; stats %+v", took, st)
	require.GreaterOrEqual(t, took, 2*time.Second, "the busy handshake was evicted as if silent")
	require.Equal(t, uint64(1), st.Stalled, "%+v", st)
	require.NoError(t, c.PutPacket([]byte("hi")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(got))
}
