package udp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or 5 seconds pass: socket delivery into
// the reader goroutine has no event a test can wait on, except the counters.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// dialPair returns two Dial peers connected to each other on 127.0.0.1.
func dialPair(t testing.TB, cfg *Config) (*Peer, *Peer) {
	t.Helper()
	ctx := testCtx(t)
	for attempt := 0; ; attempt++ {
		// Reserve a port for b, then free it so b can bind it.
		rc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		bAddr := rc.LocalAddr().String()
		rc.Close()
		a, err := Dial(ctx, bAddr, cfg)
		require.NoError(t, err)
		var bc Config
		if cfg != nil {
			bc = *cfg
		}
		bc.LocalAddr = bAddr
		b, err := Dial(ctx, a.LocalAddr().String(), &bc)
		if err != nil && errors.Is(err, syscall.EADDRINUSE) && attempt < 5 {
			a.Close()
			continue
		}
		require.NoError(t, err)
		return a, b
	}
}

// listenerPair returns a Listener-accepted peer and the Dial peer it serves.
// The Listener is closed in t's cleanup.
func listenerPair(t testing.TB, cfg *Config) (srv, cli *Peer, l *Listener) {
	t.Helper()
	l, err := Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	ctx := testCtx(t)
	cli, err = Dial(ctx, l.Addr().String(), cfg)
	require.NoError(t, err)
	for attempt := 0; srv == nil; attempt++ {
		require.Less(t, attempt, 20, "the listener never saw the client")
		require.NoError(t, cli.PutPacket([]byte("hello")))
		actx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		srv, err = l.Accept(actx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Accept: %v", err)
		}
	}
	// Drain the hellos, some of which may still be in flight: loopback
	// keeps datagrams in order, so once the last marker sent arrives,
	// nothing older is left to come.
	for k := 0; ; k++ {
		require.Less(t, k, 20, "the markers never arrived")
		marker := fmt.Sprintf("ready-%d", k)
		require.NoError(t, cli.PutPacket([]byte(marker)))
		rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		seen := false
		for !seen {
			p, err := srv.ReadPacket(rctx)
			if err != nil {
				require.ErrorIs(t, err, context.DeadlineExceeded)
				break
			}
			seen = string(p) == marker
			if !seen && string(p) != "hello" && !strings.HasPrefix(string(p), "ready-") {
				t.Fatalf("unexpected packet %q while draining", p)
			}
		}
		cancel()
		if seen {
			return srv, cli, l
		}
	}
}

func TestConformanceDial(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		a, b := dialPair(t, nil)
		return a, b
	}, peertest.Config{Unreliable: true, Unordered: true})
}

func TestConformanceListener(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		srv, cli, _ := listenerPair(t, nil)
		return srv, cli
	}, peertest.Config{Unreliable: true, Unordered: true})
}

func TestConformanceListenerReverse(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		srv, cli, _ := listenerPair(t, nil)
		return cli, srv
	}, peertest.Config{Unreliable: true, Unordered: true})
}

func TestConnectedFiltering(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := dialPair(t, nil)
	defer a.Close()
	defer b.Close()
	require.True(t, a.IsSocketConnected())
	stranger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer stranger.Close()
	aAddr := a.LocalAddr().(*net.UDPAddr).AddrPort()
	for range 10 {
		_, err := stranger.WriteToUDPAddrPort([]byte("stranger"), aAddr)
		require.NoError(t, err)
	}
	require.NoError(t, b.PutPacket([]byte("marker")))
	ctx := testCtx(t)
	for {
		p, err := a.ReadPacket(ctx)
		require.NoError(t, err)
		require.NotEqual(t, "stranger", string(p), "a connected socket accepted a third party's datagram")
		if string(p) == "marker" {
			break
		}
	}
	require.Equal(t, b.LocalAddr().(*net.UDPAddr).AddrPort(), a.PacketAddr())
	require.Zero(t, a.AvailablePacketCount())
	require.EqualValues(t, 1, a.Stats().PacketsReceived)
}

func rawSockets(t testing.TB, n int) []*net.UDPConn {
	t.Helper()
	out := make([]*net.UDPConn, n)
	for i := range out {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		out[i] = c
	}
	return out
}

func listenerAddr(l *Listener) netip.AddrPort { return l.Addr().(*net.UDPAddr).AddrPort() }

func TestPendingCap(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	require.Equal(t, DefaultMaxPendingConnections, l.MaxPendingConnections())
	senders := rawSockets(t, 20)
	for i, s := range senders {
		_, err := s.WriteToUDPAddrPort([]byte{byte(i)}, listenerAddr(l))
		require.NoError(t, err)
	}
	waitFor(t, "20 datagrams", func() bool { return l.Stats().PacketsReceived == 20 })
	st := l.Stats()
	require.Equal(t, 16, st.Pending)
	require.EqualValues(t, 4, st.Refused)
	require.True(t, l.IsConnectionAvailable())
	for i := range 16 {
		p, err := l.TakeConnection()
		require.NoError(t, err)
		got, err := p.GetPacket()
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, got, "pending peers are handed out in arrival order")
		require.Equal(t, senders[i].LocalAddr().(*net.UDPAddr).AddrPort(), p.PacketAddr())
	}
	_, err = l.TakeConnection()
	require.ErrorIs(t, err, peer.ErrUnavailable)
	require.False(t, l.IsConnectionAvailable())
	require.Equal(t, 16, l.Stats().Active)

	// With room again, a dropped sender becomes pending on its next datagram.
	_, err = senders[19].WriteToUDPAddrPort([]byte("retry"), listenerAddr(l))
	require.NoError(t, err)
	p, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	got, err := p.ReadPacket(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, "retry", string(got))
}

func TestRefuseNewConnections(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", &Config{MaxPendingConnections: RefuseNewConnections})
	require.NoError(t, err)
	defer l.Close()
	require.Equal(t, 0, l.MaxPendingConnections())
	for _, s := range rawSockets(t, 3) {
		_, err := s.WriteToUDPAddrPort([]byte("x"), listenerAddr(l))
		require.NoError(t, err)
	}
	waitFor(t, "3 datagrams", func() bool { return l.Stats().PacketsReceived == 3 })
	require.False(t, l.IsConnectionAvailable())
	require.EqualValues(t, 3, l.Stats().Refused)
	require.Equal(t, 0, l.Stats().Pending)

	// Godot's set_max_pending_connections: re-open, then refuse again.
	l.SetMaxPendingConnections(1)
	s := rawSockets(t, 2)
	for _, c := range s {
		_, err = c.WriteToUDPAddrPort([]byte("y"), listenerAddr(l))
		require.NoError(t, err)
	}
	waitFor(t, "2 more datagrams", func() bool { return l.Stats().PacketsReceived == 5 })
	require.Equal(t, 1, l.Stats().Pending)
	require.EqualValues(t, 4, l.Stats().Refused)
	l.SetMaxPendingConnections(0)
	require.Equal(t, 0, l.Stats().Pending, "lowering the cap closes pending peers beyond it")
	require.False(t, l.IsConnectionAvailable())
}

func TestRingOverflow(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := &Config{ReceiveQueueBytes: 4096, MaxPacketSize: 1000, SocketBuffer: 1 << 20}
	p, err := Bind("127.0.0.1:0", cfg)
	require.NoError(t, err)
	defer p.Close()
	const n, size = 100, 100
	s := rawSockets(t, 1)[0]
	to := p.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, size)
	for i := range n {
		binary.LittleEndian.PutUint32(buf, uint32(i))
		_, err := s.WriteToUDPAddrPort(buf, to)
		require.NoError(t, err)
	}
	waitFor(t, "all datagrams counted", func() bool {
		st := p.Stats()
		return st.PacketsReceived+st.DroppedFull == n
	})
	st := p.Stats()
	require.Positive(t, st.DroppedFull)
	// The ring is 2^nearest_shift(4096) = 8192 bytes; each packet costs 122.
	require.EqualValues(t, 8192/(size+recordHeader+4), st.PacketsReceived)
	require.Equal(t, int(st.PacketsReceived), p.AvailablePacketCount())
	// Drop-newest: the queued packets are the first ones, intact, in order.
	for i := range int(st.PacketsReceived) {
		got, err := p.GetPacket()
		require.NoError(t, err)
		require.Len(t, got, size)
		require.EqualValues(t, i, binary.LittleEndian.Uint32(got))
	}
	_, err = p.GetPacket()
	require.ErrorIs(t, err, peer.ErrUnavailable)
}

func TestOversize(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := &Config{MaxPacketSize: 100}
	p, err := Bind("127.0.0.1:0", cfg)
	require.NoError(t, err)
	defer p.Close()
	require.Equal(t, 100, p.MaxPacketSize())
	s := rawSockets(t, 1)[0]
	to := p.LocalAddr().(*net.UDPAddr).AddrPort()
	for _, n := range []int{101, 5000, 100} {
		_, err := s.WriteToUDPAddrPort(bytes.Repeat([]byte{'a'}, n), to)
		require.NoError(t, err)
	}
	got, err := p.ReadPacket(testCtx(t))
	require.NoError(t, err)
	require.Len(t, got, 100)
	require.EqualValues(t, 2, p.Stats().DroppedOversize)

	require.NoError(t, p.SetDestAddrPort(s.LocalAddr().(*net.UDPAddr).AddrPort()))
	err = p.PutPacket(make([]byte, 101))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.Contains(t, err.Error(), "101 bytes")

	// A Listener drops them too, before creating any peer.
	l, err := Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	defer l.Close()
	_, err = s.WriteToUDPAddrPort(make([]byte, 101), listenerAddr(l))
	require.NoError(t, err)
	waitFor(t, "the listener to read", func() bool { return l.Stats().PacketsReceived == 1 })
	require.EqualValues(t, 1, l.Stats().DroppedOversize)
	require.False(t, l.IsConnectionAvailable())
}

func TestCloseAcceptedUnregisters(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, cli, l := listenerPair(t, nil)
	defer cli.Close()
	require.True(t, srv.IsSocketConnected())
	require.Equal(t, l.LocalPort(), srv.LocalPort())
	require.Equal(t, 1, l.Stats().Active)
	require.NoError(t, srv.Close())
	require.Equal(t, 0, l.Stats().Active)
	require.NoError(t, cli.PutPacket([]byte("again")))
	ctx := testCtx(t)
	srv2, err := l.Accept(ctx)
	require.NoError(t, err)
	require.NotSame(t, srv, srv2)
	got, err := srv2.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "again", string(got))
	require.NoError(t, srv2.PutPacket([]byte("reply")))
	got, err = cli.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "reply", string(got))
}

func TestListenerCloseClosesPeers(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, cli, l := listenerPair(t, nil)
	defer cli.Close()
	other := rawSockets(t, 1)[0]
	_, err := other.WriteToUDPAddrPort([]byte("pending"), listenerAddr(l))
	require.NoError(t, err)
	waitFor(t, "a pending peer", l.IsConnectionAvailable)

	ctx := testCtx(t)
	readErr := make(chan error, 1)
	go func() {
		_, err := srv.ReadPacket(ctx)
		readErr <- err
	}()
	acceptErr := make(chan error, 1)
	go func() {
		// The pending one is taken first; the second Accept blocks.
		if _, err := l.Accept(ctx); err != nil {
			acceptErr <- err
			return
		}
		_, err := l.Accept(ctx)
		acceptErr <- err
	}()
	require.NoError(t, l.Close())
	require.ErrorIs(t, <-readErr, net.ErrClosed)
	require.ErrorIs(t, <-acceptErr, net.ErrClosed)
	require.ErrorIs(t, srv.PutPacket([]byte("x")), net.ErrClosed)
	_, err = srv.GetPacket()
	require.ErrorIs(t, err, net.ErrClosed)
	require.False(t, srv.IsBound())
	require.False(t, l.IsListening())
	_, err = l.TakeConnection()
	require.ErrorIs(t, err, net.ErrClosed)
	require.NoError(t, l.Close())
}

func TestBroadcastFlag(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, err := Bind("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer p.Close()
	on, err := p.IsBroadcastEnabled()
	require.NoError(t, err)
	require.False(t, on, "broadcast is off by default, as in Godot")
	require.NoError(t, p.SetBroadcastEnabled(true))
	on, err = p.IsBroadcastEnabled()
	require.NoError(t, err)
	require.True(t, on)
	require.NoError(t, p.SetBroadcastEnabled(false))
	on, _ = p.IsBroadcastEnabled()
	require.False(t, on)

	q, err := Bind("127.0.0.1:0", &Config{Broadcast: true})
	require.NoError(t, err)
	defer q.Close()
	on, _ = q.IsBroadcastEnabled()
	require.True(t, on)

	srv, cli, _ := listenerPair(t, nil)
	defer cli.Close()
	require.ErrorIs(t, srv.SetBroadcastEnabled(true), peer.ErrLocked)
	require.ErrorIs(t, srv.JoinMulticastGroup("239.1.2.3", ""), peer.ErrLocked)
}

func TestMulticastArguments(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, err := Bind(":0", nil)
	require.NoError(t, err)
	defer p.Close()
	require.ErrorIs(t, p.JoinMulticastGroup("10.0.0.1", ""), peer.ErrInvalidParameter)
	require.ErrorIs(t, p.JoinMulticastGroup("not an ip", ""), peer.ErrInvalidParameter)
	require.ErrorIs(t, p.JoinMulticastGroup("239.1.2.3", "no-such-iface0"), peer.ErrInvalidParameter)
	if err := p.JoinMulticastGroup("239.1.2.3", "lo"); err != nil {
		t.Logf("joining 239.1.2.3 on lo is not possible here: %v", err)
		return
	}
	require.NoError(t, p.LeaveMulticastGroup("239.1.2.3", "lo"))
}

func TestPacketAddrTwoSenders(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, err := Bind("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer p.Close()
	require.Equal(t, "", p.PacketIP())
	s := rawSockets(t, 2)
	to := p.LocalAddr().(*net.UDPAddr).AddrPort()
	_, err = s[0].WriteToUDPAddrPort([]byte("one"), to)
	require.NoError(t, err)
	_, err = s[1].WriteToUDPAddrPort([]byte("two"), to)
	require.NoError(t, err)
	waitFor(t, "two packets", func() bool { return p.AvailablePacketCount() == 2 })
	ctx := testCtx(t)
	for i, want := range []string{"one", "two"} {
		got, err := p.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(got))
		from := s[i].LocalAddr().(*net.UDPAddr)
		require.Equal(t, from.AddrPort(), p.PacketAddr())
		require.Equal(t, "127.0.0.1", p.PacketIP())
		require.Equal(t, from.Port, p.PacketPort())
	}
	// Reply to the last sender, as a Godot server does with set_dest_address.
	require.NoError(t, p.SetDestAddress(p.PacketIP(), p.PacketPort()))
	require.NoError(t, p.PutPacket([]byte("back")))
	buf := make([]byte, 16)
	require.NoError(t, s[1].SetReadDeadline(time.Now().Add(5*time.Second)))
	n, _, err := s[1].ReadFromUDPAddrPort(buf)
	require.NoError(t, err)
	require.Equal(t, "back", string(buf[:n]))
}

func TestDualStackBind(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, err := Bind("*:0", nil)
	if err != nil {
		t.Skipf("no dual-stack socket: %v", err)
	}
	defer p.Close()
	s := rawSockets(t, 1)[0]
	_, err = s.WriteToUDPAddrPort([]byte("v4"), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p.LocalPort())))
	require.NoError(t, err)
	_, err = p.ReadPacket(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", p.PacketIP(), "IPv4 senders are reported unmapped")
	require.NoError(t, p.SetDestAddrPort(p.PacketAddr()))
	require.NoError(t, p.PutPacket([]byte("reply")))
	buf := make([]byte, 16)
	require.NoError(t, s.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := s.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "reply", string(buf[:n]))
}

func TestDestinationErrors(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, err := Bind("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer p.Close()
	require.True(t, p.IsBound())
	require.False(t, p.IsSocketConnected())
	require.Nil(t, p.RemoteAddr())
	require.ErrorIs(t, p.PutPacket([]byte("x")), peer.ErrUnconfigured)
	require.ErrorIs(t, p.SetDestAddress("127.0.0.1", 0), peer.ErrInvalidParameter)
	require.ErrorIs(t, p.SetDestAddress("127.0.0.1", 70000), peer.ErrInvalidParameter)
	require.ErrorIs(t, p.SetDestAddress("no-such-host.invalid", 9), peer.ErrCantResolve)
	require.NoError(t, p.SetDestAddress("localhost", 9))
	require.Equal(t, uint16(9), p.DestAddr().Port())

	a, b := dialPair(t, nil)
	defer a.Close()
	defer b.Close()
	require.ErrorIs(t, a.SetDestAddress("127.0.0.1", 9), peer.ErrLocked)
	require.Equal(t, b.LocalAddr().(*net.UDPAddr).AddrPort(), a.DestAddr())
	require.Equal(t, b.LocalAddr().String(), a.RemoteAddr().String())

	_, err = Bind(p.LocalAddr().String(), nil)
	require.ErrorIs(t, err, peer.ErrAlreadyInUse)
	require.NoError(t, p.Close())
	require.False(t, p.IsBound())
	require.ErrorIs(t, p.Wait(testCtx(t)), net.ErrClosed)
}

func TestWait(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := dialPair(t, nil)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, a.Wait(ctx), context.DeadlineExceeded)
	require.NoError(t, b.PutPacket([]byte("w")))
	require.NoError(t, a.Wait(testCtx(t)))
	require.Equal(t, 1, a.AvailablePacketCount())
}

func TestPutPacketAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("alloc counting")
	}
	peertest.CheckGoroutines(t)
	a, b := dialPair(t, nil)
	defer a.Close()
	defer b.Close()
	srv, cli, _ := listenerPair(t, nil)
	defer cli.Close()
	u, err := Bind("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer u.Close()
	require.NoError(t, u.SetDestAddrPort(b.LocalAddr().(*net.UDPAddr).AddrPort()))
	msg := make([]byte, 64)
	for name, p := range map[string]*Peer{"dial": a, "listener peer": srv, "bound": u} {
		allocs := testing.AllocsPerRun(100, func() {
			if err := p.PutPacket(msg); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, "%s: PutPacket allocates", name)
	}

	// Receiving pops into a reused buffer: no allocation per packet either.
	for range 200 {
		require.NoError(t, a.PutPacket(msg))
	}
	waitFor(t, "150 queued packets", func() bool { return b.AvailablePacketCount() >= 150 })
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := b.GetPacket(); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "GetPacket allocates")
}

func TestDualStackListener(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("*:0", nil)
	if err != nil {
		t.Skipf("no dual-stack socket: %v", err)
	}
	defer l.Close()
	ctx := testCtx(t)
	c, err := Dial(ctx, net.JoinHostPort("127.0.0.1", strconv.Itoa(l.LocalPort())), nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.PutPacket([]byte("v4 over dual-stack")))
	srv, err := l.Accept(ctx)
	require.NoError(t, err)
	_, err = srv.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", srv.PacketIP())
	require.Equal(t, c.LocalAddr().String(), srv.RemoteAddr().String())
	require.NoError(t, srv.PutPacket([]byte("back")))
	got, err := c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "back", string(got))
}

func TestOpenErrors(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	_, err := Dial(ctx, "127.0.0.1:0", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = Dial(ctx, "127.0.0.1:99999", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = Dial(ctx, "no-such-host.invalid:9", nil)
	require.ErrorIs(t, err, peer.ErrCantResolve)
	_, err = Dial(ctx, "127.0.0.1:9", &Config{LocalAddr: "bad:addr:x"})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = Bind("127.0.0.1:99999", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = Listen("127.0.0.1:99999", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)

	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	_, err = Listen(l.Addr().String(), nil)
	require.ErrorIs(t, err, peer.ErrAlreadyInUse)
	// Godot's UDPServer sets SO_REUSEADDR: with it on both, the port is shared.
	reuse := &Config{ReuseAddress: true}
	la, err := Listen("127.0.0.1:0", reuse)
	require.NoError(t, err)
	defer la.Close()
	lb, err := Listen(la.Addr().String(), reuse)
	require.NoError(t, err)
	lb.Close()
	p, err := Bind("*:0", nil)
	if err == nil {
		require.True(t, p.LocalPort() > 0)
		p.Close()
	}
}

// A fatal socket error (simulated: real ones are rare) reaches Accept and
// every peer's reads instead of leaving them waiting.
func TestListenerFatalError(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, cli, l := listenerPair(t, nil)
	defer cli.Close()
	boom := errors.New("boom")
	l.fail(boom)
	_, err := l.Accept(testCtx(t))
	require.ErrorIs(t, err, boom)
	_, err = srv.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, boom)
}

func TestRingSizes(t *testing.T) {
	require.Equal(t, 131072, ringBytes(DefaultReceiveQueueBytes, DefaultMaxPacketSize), "Godot's default bind ring")
	require.Equal(t, 65536, ringBytes(listenerReceiveQueueBytes, DefaultMaxPacketSize), "Godot's UDPServer peer ring")
	require.Equal(t, 65536, ringBytes(65535, DefaultMaxPacketSize), "nearest_shift(65535) = 16")
	require.Equal(t, 2048, ringBytes(1024, 1000))
	require.Equal(t, 1024, ringBytes(16, 1000), "raised to hold one max-size packet (1000+22)")
}

func TestConnectToHost(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, err := Bind("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer a.Close()
	b, err := Bind("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer b.Close()
	stranger := rawSockets(t, 1)[0]
	aAddr := a.LocalAddr().(*net.UDPAddr).AddrPort()
	_, err = stranger.WriteToUDPAddrPort([]byte("before"), aAddr)
	require.NoError(t, err)
	waitFor(t, "the stranger's datagram", func() bool { return a.AvailablePacketCount() == 1 })

	port := a.LocalPort()
	require.ErrorIs(t, a.ConnectToHost("127.0.0.1", 0), peer.ErrInvalidParameter)
	require.ErrorIs(t, a.ConnectToHost("::1", b.LocalPort()), peer.ErrInvalidParameter, "IPv6 on an IPv4 socket")
	require.NoError(t, a.ConnectToHost("127.0.0.1", b.LocalPort()))
	require.Equal(t, port, a.LocalPort(), "the local port is kept")
	require.True(t, a.IsSocketConnected())
	require.Zero(t, a.AvailablePacketCount(), "connecting flushes the queue, as in Godot")
	require.ErrorIs(t, a.SetDestAddress("127.0.0.1", 9), peer.ErrLocked)
	require.Equal(t, b.LocalAddr().String(), a.RemoteAddr().String())

	// Sends need no destination now; the stranger is filtered out.
	require.NoError(t, a.PutPacket([]byte("to b")))
	ctx := testCtx(t)
	got, err := b.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "to b", string(got))
	_, err = stranger.WriteToUDPAddrPort([]byte("after"), aAddr)
	require.NoError(t, err)
	require.NoError(t, b.SetDestAddrPort(aAddr))
	require.NoError(t, b.PutPacket([]byte("from b")))
	got, err = a.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "from b", string(got))
	require.Equal(t, b.LocalAddr().(*net.UDPAddr).AddrPort(), a.PacketAddr())

	srv, cli, _ := listenerPair(t, nil)
	defer cli.Close()
	require.ErrorIs(t, srv.ConnectToHost("127.0.0.1", 9), peer.ErrLocked)
}

func TestConformanceBackgroundRead(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		a, b := dialPair(t, &Config{BackgroundRead: true})
		return a, b
	}, peertest.Config{Unreliable: true, Unordered: true})
}

func TestDirectRead(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := dialPair(t, &Config{ReceiveQueueBytes: 1024, MaxPacketSize: 200})
	defer a.Close()
	defer b.Close()
	// No reader goroutine: datagrams wait in the kernel until a read polls.
	for i := range 20 {
		require.NoError(t, a.PutPacket([]byte{byte(i)}))
	}
	require.NoError(t, a.PutPacket(make([]byte, 100)))
	waitFor(t, "a poll to see the datagrams", func() bool { return b.AvailablePacketCount() >= 21 })
	require.Equal(t, 21, b.AvailablePacketCount())
	for i := range 20 {
		p, err := b.GetPacket()
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, p)
		require.Equal(t, a.LocalAddr().(*net.UDPAddr).AddrPort(), b.PacketAddr())
	}
	_, err := b.GetPacket()
	require.NoError(t, err)

	// The ring still bounds one drain: 2^nearest_shift(1024) = 2048 bytes.
	for range 40 {
		require.NoError(t, a.PutPacket(make([]byte, 100)))
	}
	waitFor(t, "the overflow to be counted", func() bool {
		b.AvailablePacketCount()
		return b.Stats().PacketsReceived+b.Stats().DroppedFull >= 61
	})
	require.EqualValues(t, 2048/(100+recordHeader+4), b.AvailablePacketCount())
	require.Positive(t, b.Stats().DroppedFull)
	for b.AvailablePacketCount() > 0 {
		_, err := b.GetPacket()
		require.NoError(t, err)
	}

	// Blocking reads: a deadline, then a packet, then Close from another goroutine.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = b.ReadPacket(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, a.PutPacket([]byte("late")))
	got, err := b.ReadPacket(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, "late", string(got))
	errc := make(chan error, 1)
	go func() {
		_, err := b.ReadPacket(context.Background())
		errc <- err
	}()
	require.NoError(t, b.Close())
	require.ErrorIs(t, <-errc, net.ErrClosed)
}

func TestReadModes(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := dialPair(t, nil)
	defer a.Close()
	defer b.Close()
	require.NotNil(t, a.t.direct, "a Dial peer reads its socket directly by default")
	c, d := dialPair(t, &Config{BackgroundRead: true})
	defer c.Close()
	defer d.Close()
	require.Nil(t, c.t.direct, "BackgroundRead keeps the reader goroutine")
	e, err := Bind("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer e.Close()
	require.Nil(t, e.t.direct, "a Bind peer has a reader goroutine")

	// A direct peer's ReadPacket with a context already done still returns
	// a datagram waiting in the socket, as GetPacket would.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, a.PutPacket([]byte("queued")))
	var got []byte
	waitFor(t, "the datagram", func() bool {
		got, err = b.ReadPacket(ctx)
		if err != nil {
			require.ErrorIs(t, err, context.Canceled)
			return false
		}
		return true
	})
	require.Equal(t, "queued", string(got))
	_, err = b.ReadPacket(ctx)
	require.ErrorIs(t, err, context.Canceled)
	// Stats polls the socket too.
	require.NoError(t, a.PutPacket([]byte("x")))
	waitFor(t, "Stats to see the datagram", func() bool { return b.Stats().PacketsReceived == 2 })
}

// ReceiveQueuePackets bounds the ring in packets too: beyond it datagrams
// are dropped and counted, however much room the bytes leave.
func TestReceiveQueuePackets(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := dialPair(t, &Config{ReceiveQueuePackets: 3, BackgroundRead: true})
	defer a.Close()
	defer b.Close()
	for i := range 8 {
		require.NoError(t, a.PutPacket([]byte{byte(i)}))
	}
	waitFor(t, "every datagram counted", func() bool {
		s := b.Stats()
		return s.PacketsReceived+s.DroppedFull >= 8
	})
	s := b.Stats()
	require.EqualValues(t, 3, s.PacketsReceived)
	require.EqualValues(t, 5, s.DroppedFull)
	require.Equal(t, 3, b.AvailablePacketCount())
}

// Bursts that the peers read many datagrams at a time (Linux: recvmmsg):
// a Bind peer (reader goroutine) gets two senders' interleaved datagrams,
// each with its source, in order, oversize ones counted; a Dial peer polled
// as Godot polls (GetPacket) gets its remote's, in order.
func TestBurstReads(t *testing.T) {
	peertest.CheckGoroutines(t)
	const n = 150
	oversize := func(i int) bool { return i%50 == 10 }
	cfg := &Config{MaxPacketSize: 200, SocketBuffer: 1 << 20}
	msg := func(i int) []byte {
		b := make([]byte, 8)
		if oversize(i) {
			b = make([]byte, 201)
		}
		binary.LittleEndian.PutUint32(b, uint32(i))
		return b
	}

	t.Run("bind", func(t *testing.T) {
		p, err := Bind("127.0.0.1:0", cfg)
		require.NoError(t, err)
		defer p.Close()
		ss := rawSockets(t, 2)
		to := p.LocalAddr().(*net.UDPAddr).AddrPort()
		for i := range n {
			for _, s := range ss {
				_, err := s.WriteToUDPAddrPort(msg(i), to)
				require.NoError(t, err)
			}
		}
		next := map[netip.AddrPort]int{}
		ctx := testCtx(t)
		for range 2 * (n - n/50) {
			got, err := p.ReadPacket(ctx)
			require.NoError(t, err)
			from := p.PacketAddr()
			if oversize(next[from]) {
				next[from]++
			}
			require.EqualValues(t, next[from], binary.LittleEndian.Uint32(got), "from %s", from)
			next[from]++
		}
		require.Equal(t, map[netip.AddrPort]int{
			ss[0].LocalAddr().(*net.UDPAddr).AddrPort(): n,
			ss[1].LocalAddr().(*net.UDPAddr).AddrPort(): n,
		}, next)
		require.EqualValues(t, 2*(n/50), p.Stats().DroppedOversize)
	})

	t.Run("dial-polled", func(t *testing.T) {
		a, b := dialPair(t, cfg)
		defer a.Close()
		defer b.Close()
		for i := range n {
			_, err := a.t.conn.Write(msg(i)) // a's socket, connected to b
			require.NoError(t, err)
		}
		next := 0
		waitFor(t, "every datagram polled", func() bool {
			for {
				got, err := b.GetPacket()
				if err != nil {
					require.ErrorIs(t, err, peer.ErrUnavailable)
					return next == n
				}
				if oversize(next) {
					next++
				}
				require.EqualValues(t, next, binary.LittleEndian.Uint32(got))
				next++
			}
		})
		require.EqualValues(t, n/50, b.Stats().DroppedOversize)
	})
}

// After a ReadPacket whose context ended while it waited in the socket, a
// Dial peer's polls (GetPacket, AvailablePacketCount) read the socket
// again: the wait's deadline, now past, does not stick to them.
func TestPollAfterTimedOutRead(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := dialPair(t, nil)
	defer a.Close()
	defer b.Close()
	for _, end := range []string{"deadline", "cancel"} {
		var ctx context.Context
		var cancel context.CancelFunc
		if end == "deadline" {
			ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
		} else {
			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
		}
		_, err := b.ReadPacket(ctx)
		cancel()
		require.Error(t, err, end)
		require.NoError(t, a.PutPacket([]byte(end)))
		waitFor(t, "the datagram polled after a "+end, func() bool { return b.AvailablePacketCount() == 1 })
		got, err := b.GetPacket()
		require.NoError(t, err)
		require.Equal(t, end, string(got))
	}
}
