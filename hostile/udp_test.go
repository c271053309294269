package hostile

import (
	"context"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/udp"
)

// udpServer starts a udp Listener with cfg, served by an echo server that
// accepts nothing on its own, and one honest client it has accepted.
func udpServer(t *testing.T, cfg *udp.Config) (*udp.Listener, *server, *udp.Peer) {
	t.Helper()
	ln, err := udp.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	s := newServer(t, ln.Addr().String(), adapt(ln.Accept), ln.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := udp.Dial(ctx, s.addr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.PutVar("hello"))
	s.acceptOne(t, ctx)
	exchange(t, c, 10*time.Second)
	return ln, s, c
}

// udpSockets opens n UDP sockets on 127.0.0.1, closed at the end of the test.
func udpSockets(t *testing.T, n int) []*net.UDPConn {
	t.Helper()
	out := make([]*net.UDPConn, n)
	for i := range out {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		out[i] = c
	}
	return out
}

// TestUDPFloodOfRemotes: 300 new remotes send one datagram each to a
// Listener with Godot's default pending cap (16) that nobody accepts from.
// Pending stays at the cap, the other 284 datagrams are dropped and counted
// without allocating, an already accepted client keeps being served, memory
// stays bounded.
func TestUDPFloodOfRemotes(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, _, c := udpServer(t, nil)
	base := ln.Stats()
	before := heapNow()

	const n, batch = 300, 50
	r := rand.New(rand.NewPCG(3, 4))
	dst := ln.Addr().(*net.UDPAddr)
	socks := udpSockets(t, n)
	for i, sock := range socks {
		_, err := sock.WriteToUDP(randBytes(r, 100), dst)
		require.NoError(t, err)
		if (i+1)%batch == 0 { // let the reader keep up so the kernel drops nothing
			want := base.PacketsReceived + uint64(i+1)
			waitFor(t, 10*time.Second, "the listener to read the flood", func() bool { return ln.Stats().PacketsReceived >= want })
		}
	}
	st := ln.Stats()
	t.Logf("stats after the flood: %+v", st)
	require.Equal(t, udp.DefaultMaxPendingConnections, st.Pending)
	require.Equal(t, uint64(n-udp.DefaultMaxPendingConnections), st.Refused-base.Refused)
	require.Equal(t, 1, st.Active)
	require.True(t, ln.IsConnectionAvailable())

	exchange(t, c, 10*time.Second) // the accepted client is still served
	checkHeap(t, before, heapBound)
}

// TestUDPOversizeDatagrams: datagrams bigger than Config.MaxPacketSize, from
// the accepted client and from new remotes, are dropped and counted before
// any peer is made for them; the server never sees them.
func TestUDPOversizeDatagrams(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, s, c := udpServer(t, &udp.Config{MaxPacketSize: 1024})
	base := ln.Stats()
	before := heapNow()

	big := make([]byte, 2000)
	dst := ln.Addr().(*net.UDPAddr)
	socks := udpSockets(t, 50)
	// Batches of 10, so that the kernel's receive buffer never overflows
	// on a busy machine: every datagram must reach the listener.
	for i := range 50 {
		require.NoError(t, c.PutPacket(big)) // the client's limit is the default 65507
		_, err := socks[i].WriteToUDP(big, dst)
		require.NoError(t, err)
		if (i+1)%5 == 0 {
			want := base.DroppedOversize + uint64(2*(i+1))
			waitFor(t, 10*time.Second, "oversize datagrams counted", func() bool { return ln.Stats().DroppedOversize >= want })
		}
	}
	require.Equal(t, uint64(100), ln.Stats().DroppedOversize-base.DroppedOversize)
	st := ln.Stats()
	require.Equal(t, 0, st.Pending, "no peer is made for an oversize datagram")
	exchange(t, c, 10*time.Second)
	require.Empty(t, s.drain(), "the server saw nothing of the oversize datagrams")
	checkHeap(t, before, 1<<20)
}

// TestUDPRefusingListener: with RefuseNewConnections, a flood of new
// remotes makes no peer at all.
func TestUDPRefusingListener(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, err := udp.Listen("127.0.0.1:0", &udp.Config{MaxPendingConnections: udp.RefuseNewConnections})
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	before := heapNow()
	dst := ln.Addr().(*net.UDPAddr)
	for _, sock := range udpSockets(t, 100) {
		_, err := sock.WriteToUDP([]byte("knock knock"), dst)
		require.NoError(t, err)
	}
	waitFor(t, 10*time.Second, "100 datagrams refused", func() bool { return ln.Stats().Refused == 100 })
	require.Equal(t, 0, ln.Stats().Pending)
	require.False(t, ln.IsConnectionAvailable())
	checkHeap(t, before, 1<<20)
}
