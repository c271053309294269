package udp

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// An accepted peer that hears nothing for IdleTimeout is dropped: queued
// packets first, then a timeout for reads and puts; the remote's next
// datagram is a new connection.
func TestListenerIdleTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = 200 * time.Millisecond
	l, err := Listen("127.0.0.1:0", &Config{IdleTimeout: idle})
	require.NoError(t, err)
	defer l.Close()
	c := rawSockets(t, 1)[0]

	_, err = c.WriteToUDPAddrPort([]byte("one"), listenerAddr(l))
	require.NoError(t, err)
	p, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	last := time.Now() // the last datagram arrives after this
	_, err = c.WriteToUDPAddrPort([]byte("two"), listenerAddr(l))
	require.NoError(t, err)
	waitFor(t, "two datagrams", func() bool { return p.AvailablePacketCount() == 2 })

	// Nothing more from the client. The queued packets are still read,
	// then the peer times out, not before IdleTimeout.
	for _, want := range []string{"one", "two"} {
		got, err := p.ReadPacket(testCtx(t))
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	}
	_, err = p.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.GreaterOrEqual(t, time.Since(last), idle)
	require.ErrorIs(t, p.PutPacket([]byte("late")), peer.ErrTimeout)
	_, err = p.GetPacket()
	require.ErrorIs(t, err, peer.ErrTimeout)
	st := l.Stats()
	require.EqualValues(t, 1, st.Expired)
	require.Zero(t, st.Active)

	// The same remote again: a new connection, which works.
	_, err = c.WriteToUDPAddrPort([]byte("back"), listenerAddr(l))
	require.NoError(t, err)
	p2, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	require.NotSame(t, p, p2)
	got, err := p2.ReadPacket(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, "back", string(got))
	require.NoError(t, p2.PutPacket([]byte("hi")))
	require.NoError(t, p.Close(), "closing the dropped peer leaves the new one alone")
	require.Equal(t, 1, l.Stats().Active)
}

// A peer that keeps sending is never dropped, however long it lives.
func TestListenerIdleTimeoutKeepsBusyPeers(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = 400 * time.Millisecond
	l, err := Listen("127.0.0.1:0", &Config{IdleTimeout: idle})
	require.NoError(t, err)
	defer l.Close()
	c := rawSockets(t, 1)[0]

	const n = 60 // one every 20 ms: three IdleTimeouts
	_, err = c.WriteToUDPAddrPort([]byte{0}, listenerAddr(l))
	require.NoError(t, err)
	p, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 1; i < n; i++ {
		<-tick.C
		_, err = c.WriteToUDPAddrPort([]byte{byte(i)}, listenerAddr(l))
		require.NoError(t, err)
	}
	for i := range n {
		got, err := p.ReadPacket(testCtx(t))
		require.NoError(t, err, "packet %d", i)
		require.Equal(t, []byte{byte(i)}, got)
	}
	require.Zero(t, l.Stats().Expired)
	require.NoError(t, p.PutPacket([]byte("still here")))
}

// Pending peers expire too, which frees their slots for new remotes.
func TestListenerIdleTimeoutFreesPending(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", &Config{IdleTimeout: 100 * time.Millisecond, MaxPendingConnections: 1})
	require.NoError(t, err)
	defer l.Close()
	s := rawSockets(t, 2)
	send := func(c *net.UDPConn, msg string) {
		_, err := c.WriteToUDPAddrPort([]byte(msg), listenerAddr(l))
		require.NoError(t, err)
	}
	send(s[0], "silent")
	waitFor(t, "a pending peer", l.IsConnectionAvailable)
	send(s[1], "refused")
	waitFor(t, "the second remote refused", func() bool { return l.Stats().Refused == 1 })

	waitFor(t, "the silent pending peer to expire", func() bool { return l.Stats().Expired == 1 })
	require.False(t, l.IsConnectionAvailable())
	send(s[1], "in")
	p, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	got, err := p.ReadPacket(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, "in", string(got))
	require.Equal(t, s[1].LocalAddr().(*net.UDPAddr).AddrPort(), p.PacketAddr())
}
