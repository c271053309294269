package udp

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

func listenPolled(t *testing.T, cfg *Config) *Listener {
	t.Helper()
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Polled = true
	l, err := Listen("127.0.0.1:0", &c)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// readFrom reads one datagram on c, failing the test after 5 seconds.
func readFrom(t *testing.T, c *net.UDPConn) string {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	require.NoError(t, err)
	return string(buf[:n])
}

// A polled Listener reads only in Poll, and its peers' puts leave only in
// Poll: no goroutine does either.
func TestPolledListenerReadsAndSendsInPoll(t *testing.T) {
	peertest.CheckGoroutines(t)
	before := runtime.NumGoroutine()
	l := listenPolled(t, nil)
	require.Equal(t, before, runtime.NumGoroutine(), "Listen started a goroutine")
	c := rawSockets(t, 1)[0]

	_, err := c.WriteToUDPAddrPort([]byte("hello"), listenerAddr(l))
	require.NoError(t, err)
	require.False(t, l.IsConnectionAvailable(), "a datagram was read without Poll")
	require.Zero(t, l.Stats().PacketsReceived)

	require.NoError(t, l.PollContext(testCtx(t)))
	require.True(t, l.IsConnectionAvailable())
	p, err := l.TakeConnection()
	require.NoError(t, err)
	got, err := p.GetPacket()
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))
	require.Equal(t, c.LocalAddr().(*net.UDPAddr).AddrPort(), p.PacketAddr())

	calls := l.sock.WriteCalls()
	require.NoError(t, p.PutPacket([]byte("world")))
	require.Equal(t, calls, l.sock.WriteCalls(), "PutPacket sent at once")
	require.EqualValues(t, 1, p.Stats().PacketsSent)
	require.NoError(t, l.Poll())
	require.Equal(t, calls+1, l.sock.WriteCalls())
	require.Equal(t, "world", readFrom(t, c))

	// Later datagrams from the same remote go to the same peer.
	_, err = c.WriteToUDPAddrPort([]byte("again"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, l.PollContext(testCtx(t)))
	require.False(t, l.IsConnectionAvailable())
	got, err = p.GetPacket()
	require.NoError(t, err)
	require.Equal(t, "again", string(got))
}

// One Poll reads what many remotes sent with one recvmmsg and sends the
// answers of every peer with one sendmmsg.
func TestPolledListenerBatches(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("recvmmsg and sendmmsg are Linux's")
	}
	peertest.CheckGoroutines(t)
	const n = 8
	l := listenPolled(t, &Config{MaxPacketSize: 1472})
	cs := rawSockets(t, n)
	for i, c := range cs {
		// Loopback delivers in the sender's call: all n wait when Poll runs.
		_, err := c.WriteToUDPAddrPort([]byte{byte(i)}, listenerAddr(l))
		require.NoError(t, err)
	}
	require.NoError(t, l.Poll())
	require.EqualValues(t, 1, l.sock.ReadCalls())
	require.EqualValues(t, n, l.Stats().PacketsReceived)
	for l.IsConnectionAvailable() {
		p, err := l.TakeConnection()
		require.NoError(t, err)
		got, err := p.GetPacket()
		require.NoError(t, err)
		require.NoError(t, p.PutPacket(append([]byte("echo"), got...)))
	}
	require.Zero(t, l.sock.WriteCalls())
	require.NoError(t, l.Poll())
	require.EqualValues(t, 1, l.sock.WriteCalls())
	for i, c := range cs {
		require.Equal(t, string(append([]byte("echo"), byte(i))), readFrom(t, c))
	}
}

// Poll applies the read loop's bounds and counts what they drop.
func TestPolledListenerBounds(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listenPolled(t, &Config{MaxPendingConnections: 2, MaxPacketSize: 100, ReceiveQueuePackets: 3})
	cs := rawSockets(t, 3)
	for _, c := range cs {
		_, err := c.WriteToUDPAddrPort([]byte("hi"), listenerAddr(l))
		require.NoError(t, err)
	}
	_, err := cs[0].WriteToUDPAddrPort(make([]byte, 101), listenerAddr(l))
	require.NoError(t, err)
	for range 4 {
		_, err := cs[1].WriteToUDPAddrPort([]byte("more"), listenerAddr(l))
		require.NoError(t, err)
	}
	for l.Stats().PacketsReceived < 3+1+4 {
		require.NoError(t, l.PollContext(testCtx(t)))
	}
	st := l.Stats()
	require.Equal(t, 2, st.Pending)
	require.EqualValues(t, 1, st.Refused, "third remote beyond MaxPendingConnections")
	require.EqualValues(t, 1, st.DroppedOversize)
	require.EqualValues(t, 2, st.DroppedFull, "second peer's ring holds 3 packets")
	require.EqualValues(t, 3+1+4, st.PacketsReceived)
}

// A polled Listener drops a peer that sent nothing for IdleTimeout, in
// Poll; a datagram still waiting in the socket when Poll runs late keeps
// its peer.
func TestPolledListenerIdleTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = 100 * time.Millisecond
	l := listenPolled(t, &Config{IdleTimeout: idle})
	c := rawSockets(t, 1)[0]
	_, err := c.WriteToUDPAddrPort([]byte("one"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, l.PollContext(testCtx(t)))
	p, err := l.TakeConnection()
	require.NoError(t, err)

	// The program does not poll for three IdleTimeouts (time passing is
	// what is tested here), while a datagram waits in the socket.
	time.Sleep(3 * idle)
	last := time.Now() // before Poll reads the last datagram
	_, err = c.WriteToUDPAddrPort([]byte("two"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, l.Poll())
	require.Zero(t, l.Stats().Expired, "expired although its datagram was waiting")

	// Nothing more: Poll drops it once IdleTimeout has passed.
	for l.Stats().Expired == 0 {
		ctx, cancel := context.WithTimeout(testCtx(t), idle/4)
		err := l.PollContext(ctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	require.GreaterOrEqual(t, time.Since(last), idle)
	for _, want := range []string{"one", "two"} {
		got, err := p.GetPacket()
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	}
	_, err = p.GetPacket()
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.ErrorIs(t, p.PutPacket([]byte("late")), peer.ErrTimeout)
	require.Zero(t, l.Stats().Active)
}

// PollContext sleeps until a datagram arrives, returns ctx's error when ctx
// ends, and leaves the socket usable for the next Poll.
func TestPolledListenerPollContext(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listenPolled(t, nil)
	c := rawSockets(t, 1)[0]

	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { done <- l.PollContext(ctx) }()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	ctx, cancel = context.WithTimeout(testCtx(t), 20*time.Millisecond)
	require.ErrorIs(t, l.PollContext(ctx), context.DeadlineExceeded)
	cancel()

	// The past deadlines are gone: Poll and PollContext read.
	_, err := c.WriteToUDPAddrPort([]byte("a"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, l.Poll())
	require.True(t, l.IsConnectionAvailable())
	p, err := l.TakeConnection()
	require.NoError(t, err)

	// A PollContext waiting with a long-lived context wakes for a datagram.
	ctx = testCtx(t)
	go func() { done <- l.PollContext(ctx) }()
	_, err = c.WriteToUDPAddrPort([]byte("b"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, <-done)
	require.Equal(t, 2, p.AvailablePacketCount())

	// The queued put leaves before PollContext waits.
	require.NoError(t, p.PutPacket([]byte("answer")))
	go func() { done <- l.PollContext(ctx) }()
	require.Equal(t, "answer", readFrom(t, c))
	_, err = c.WriteToUDPAddrPort([]byte("c"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, <-done)
	require.Equal(t, 3, p.AvailablePacketCount())
	require.Zero(t, l.Stats().ReadErrors)
}

// Close sends what peers queued, wakes a waiting PollContext, leaves no
// goroutine, and Poll then fails.
func TestPolledListenerClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listenPolled(t, nil)
	c := rawSockets(t, 1)[0]
	_, err := c.WriteToUDPAddrPort([]byte("x"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, l.Poll())
	p, err := l.TakeConnection()
	require.NoError(t, err)
	require.NoError(t, p.PutPacket([]byte("bye")))

	done := make(chan error, 1)
	go func() { done <- l.PollContext(context.Background()) }()
	require.NoError(t, l.Close())
	err = <-done
	require.ErrorIs(t, err, net.ErrClosed)
	require.Equal(t, "bye", readFrom(t, c))

	for _, err := range []error{l.Poll(), l.PollContext(context.Background())} {
		require.ErrorIs(t, err, net.ErrClosed)
		require.ErrorIs(t, err, peer.ErrUnconfigured)
	}
	require.True(t, p.IsClosed())
	require.NoError(t, l.Close())
}

// Poll on a Listener with a read goroutine does nothing, until Close.
func TestPollUnpolledListener(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	require.NoError(t, l.Poll())
	require.NoError(t, l.PollContext(testCtx(t)))
	require.NoError(t, l.Close())
	require.ErrorIs(t, l.Poll(), net.ErrClosed)
}

// A Godot-style serve step (Poll; GetPacket and PutPacket for the peer)
// allocates nothing.
func TestPolledListenerAllocs(t *testing.T) {
	l := listenPolled(t, &Config{MaxPacketSize: 1472})
	c := rawSockets(t, 1)[0]
	to := listenerAddr(l)
	msg := []byte("ping")
	buf := make([]byte, 64)
	_, err := c.WriteToUDPAddrPort(msg, to)
	require.NoError(t, err)
	require.NoError(t, l.PollContext(testCtx(t)))
	p, err := l.TakeConnection()
	require.NoError(t, err)
	_, err = p.GetPacket()
	require.NoError(t, err)
	ctx := testCtx(t)
	var failed error
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := c.WriteToUDPAddrPort(msg, to); err != nil {
			failed = err
		}
		if err := l.PollContext(ctx); err != nil {
			failed = err
		}
		for p.AvailablePacketCount() > 0 {
			pkt, err := p.GetPacket()
			if err != nil {
				failed = err
				break
			}
			p.PutPacket(pkt)
		}
		if err := l.Poll(); err != nil {
			failed = err
		}
		if _, err := c.Read(buf); err != nil {
			failed = err
		}
	})
	require.NoError(t, failed)
	require.Zero(t, allocs)
}

// polledListener serves the listener contract with a polled Listener, as
// a program that polls would: Accept polls until a connection is pending.
type polledListener struct{ *Listener }

func (l polledListener) Accept(ctx context.Context) (*Peer, error) {
	for {
		p, err := l.Listener.TakeConnection()
		if !errors.Is(err, peer.ErrUnavailable) {
			return p, err
		}
		if err := l.PollContext(ctx); err != nil {
			return nil, err
		}
	}
}

func (l polledListener) TakeConnection() (*Peer, error) {
	l.Poll()
	return l.Listener.TakeConnection()
}

func (l polledListener) IsConnectionAvailable() bool {
	l.Poll()
	return l.Listener.IsConnectionAvailable()
}

func (l polledListener) ListenerStats() peer.ListenerStats {
	l.Poll()
	return l.Listener.ListenerStats()
}

func TestPolledListenerConformance(t *testing.T) { peertest.TestListener(t, listenerHarness(true)) }

// One Poll reads at most 4096 datagrams, so that a flood cannot keep it
// from returning; the next Poll reads on.
func TestPolledListenerPollBound(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listenPolled(t, &Config{MaxPacketSize: 64, SocketBuffer: 4 << 20, ReceiveQueuePackets: 1})
	c := rawSockets(t, 1)[0]
	const sent = maxPollDatagrams + 500
	for i := range sent {
		_, err := c.WriteToUDPAddrPort([]byte{byte(i)}, listenerAddr(l))
		require.NoError(t, err)
	}
	require.NoError(t, l.Poll())
	require.EqualValues(t, maxPollDatagrams, l.Stats().PacketsReceived)
	require.NoError(t, l.Poll())
	st := l.Stats()
	require.Greater(t, st.PacketsReceived, uint64(maxPollDatagrams), "the second Poll reads on")
	require.EqualValues(t, st.PacketsReceived-1, st.DroppedFull, "one packet fits the ring")
}

// While one goroutine sleeps in PollContext, Poll on another returns at
// once and sends the puts queued meanwhile.
func TestPolledListenerPollWhileWaiting(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listenPolled(t, nil)
	c := rawSockets(t, 1)[0]
	_, err := c.WriteToUDPAddrPort([]byte("x"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, l.PollContext(testCtx(t)))
	p, err := l.TakeConnection()
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- l.PollContext(testCtx(t)) }()
	require.NoError(t, p.PutPacket([]byte("pushed")))
	require.NoError(t, l.Poll())
	require.Equal(t, "pushed", readFrom(t, c))
	_, err = c.WriteToUDPAddrPort([]byte("y"), listenerAddr(l))
	require.NoError(t, err)
	require.NoError(t, <-done)
	require.Equal(t, 2, p.AvailablePacketCount())
}
