package enet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pair returns a Dial peer and the Listener peer it is connected to.
func pair(t testing.TB, cfg *Config) (cli, srv *Peer, l *Listener) {
	t.Helper()
	l, err := Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	ctx := testCtx(t)
	cli, err = Dial(ctx, l.Addr().String(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	srv, err = l.Accept(ctx)
	require.NoError(t, err)
	return cli, srv, l
}

func TestConformanceDial(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		cli, srv, _ := pair(t, nil)
		return cli, srv
	}, peertest.Config{})
}

func TestConformanceListener(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		cli, srv, _ := pair(t, nil)
		return srv, cli
	}, peertest.Config{})
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) + seed
	}
	return b
}

func TestChannelsAndModes(t *testing.T) {
	peertest.CheckGoroutines(t)
	cli, srv, _ := pair(t, &Config{Channels: 4})
	ctx := testCtx(t)
	require.Equal(t, 4, cli.Channels())
	require.Equal(t, 4, srv.Channels())
	type msg struct {
		ch    int
		flags PacketFlags
		n     int
	}
	msgs := []msg{{0, FlagReliable, 0}, {1, FlagReliable, 10}, {2, 0, 100}, {3, FlagUnsequenced, 50},
		{1, FlagReliable, 5000}, {2, FlagUnreliableFragment, 3000}, {0, FlagReliable, 1 << 20}}
	for i, m := range msgs {
		require.NoError(t, cli.Send(m.ch, pattern(m.n, byte(i)), m.flags))
	}
	for i, m := range msgs {
		p, err := srv.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, m.ch, srv.PacketChannel(), "packet %d", i)
		require.Equal(t, m.flags, srv.PacketFlags(), "packet %d", i)
		require.True(t, bytes.Equal(pattern(m.n, byte(i)), p), "packet %d: %d bytes", i, len(p))
	}
}

func TestHostEvents(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := NewHost("127.0.0.1:0", &Config{MaxPeers: 4, ChannelLimit: 2})
	require.NoError(t, err)
	defer srv.Close()
	cli, err := NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer cli.Close()
	ctx := testCtx(t)
	cp, err := cli.ConnectToHost(srv.LocalAddr().String(), 4, 0x11223344)
	require.NoError(t, err)
	require.Contains(t, []State{StateConnecting, StateConnected}, cp.State())

	ev, err := srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
	require.Equal(t, uint32(0x11223344), ev.Data)
	require.Equal(t, 2, ev.Peer.Channels())
	sp := ev.Peer

	ev, err = cli.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
	require.Equal(t, cp, ev.Peer)
	require.Equal(t, 2, cp.Channels(), "the client takes the server's channel limit")

	require.NoError(t, cp.Send(1, []byte("hi"), FlagReliable))
	ev, err = srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventReceive, ev.Type)
	require.Equal(t, 1, ev.Channel)
	p, err := sp.GetPacket()
	require.NoError(t, err)
	require.Equal(t, "hi", string(p))

	sp.Disconnect(0xABCD)
	ev, err = cli.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventDisconnect, ev.Type)
	require.Equal(t, uint32(0xABCD), ev.Data)
	ev, err = srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventDisconnect, ev.Type)
	require.Equal(t, sp, ev.Peer)
	_, err = cp.GetPacket()
	require.ErrorIs(t, err, io.EOF)

	ev, err = srv.ServiceTimeout(0)
	require.NoError(t, err)
	require.Equal(t, EventNone, ev.Type)
}

func TestDisconnectNowAndTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := NewHost("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer srv.Close()
	cli, err := NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer cli.Close()
	ctx := testCtx(t)
	cp, err := cli.ConnectToHost(srv.LocalAddr().String(), 1, 7)
	require.NoError(t, err)
	ev, err := srv.Service(ctx)
	require.NoError(t, err)
	sp := ev.Peer
	ev, err = cli.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)

	cp.DisconnectNow(42)
	require.Equal(t, StateDisconnected, cp.State())
	ev, err = srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventDisconnect, ev.Type)
	require.Equal(t, uint32(42), ev.Data)
	require.Equal(t, sp, ev.Peer)
	ev, err = cli.ServiceTimeout(50 * time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, EventNone, ev.Type, "disconnect_now raises no local event")

	// Reset: the remote gets no notice and times out.
	cp, err = cli.ConnectToHost(srv.LocalAddr().String(), 1, 8)
	require.NoError(t, err)
	ev, err = srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
	sp = ev.Peer
	ev, err = cli.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
	require.NoError(t, sp.SetTimeout(4, 200*time.Millisecond, 400*time.Millisecond))
	cp.Reset()
	ev, err = srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventDisconnect, ev.Type)
	_, err = sp.GetPacket()
	require.True(t, errors.Is(err, peer.ErrTimeout), "got %v", err)
}

// TestStatistics: after traffic the RTT statistics are measured values, the
// throttle is ENet's default, and the host counters count and reset.
func TestStatistics(t *testing.T) {
	peertest.CheckGoroutines(t)
	cli, srv, l := pair(t, nil)
	ctx := testCtx(t)
	// Round trips: the server acknowledges a ping before (or in the same
	// datagram as) it sends the echo, so once the client has the echo it
	// has taken the ACK too.
	for range 20 {
		require.NoError(t, cli.PutPacket([]byte("ping")))
		p, err := srv.ReadPacket(ctx)
		require.NoError(t, err)
		require.NoError(t, srv.PutPacket(p))
		_, err = cli.ReadPacket(ctx)
		require.NoError(t, err)
	}
	rtt := cli.Statistic(PeerRoundTripTime)
	require.Greater(t, rtt, 0.0)
	require.Less(t, rtt, 500.0, "the first ACK replaces ENet's 500 ms default")
	require.Equal(t, 32.0, cli.Statistic(PeerPacketThrottleLimit))
	require.Equal(t, 5000.0, cli.Statistic(PeerPacketThrottleInterval))
	h := l.Host()
	require.GreaterOrEqual(t, h.PopStatistic(StatReceivedPackets), uint64(20))
	require.Greater(t, h.PopStatistic(StatSentData), uint64(0))
	require.Less(t, h.PopStatistic(StatReceivedPackets), uint64(20), "PopStatistic zeroes the counter")
}

// MaxPacketSize is exactly what Send and PutPacket accept: ENet's 32 MiB by
// default (not the 2^24 Godot's ENetPacketPeer reports), Config.MaxPacketSize
// when set, and what ENet's fragment count allows at a small MTU.
func TestMaxPacketSizeIsWhatSendAccepts(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	cli, srv, _ := pair(t, nil)
	require.Equal(t, DefaultMaxPacketSize, cli.MaxPacketSize())
	require.Equal(t, DefaultMaxPacketSize, srv.MaxPacketSize())
	big := make([]byte, cli.MaxPacketSize()+1)
	err := cli.PutPacket(big)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.ErrorContains(t, err, "packet of 33554433 bytes exceeds max packet size 33554432")
	require.ErrorIs(t, srv.Send(0, big, FlagUnsequenced), peer.ErrInvalidParameter)

	cli, srv, _ = pair(t, &Config{MaxPacketSize: 100_000})
	require.Equal(t, 100_000, cli.MaxPacketSize())
	require.ErrorIs(t, cli.PutPacket(make([]byte, 100_001)), peer.ErrInvalidParameter)
	want := pattern(100_000, 3)
	require.NoError(t, cli.PutPacket(want))
	got, err := srv.ReadPacket(ctx)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got))

	cli, _, _ = pair(t, &Config{MTU: minMTU, MaxPacketSize: 1 << 30})
	require.Equal(t, (minMTU-28)*maxFragmentCnt, cli.MaxPacketSize())
}

// At steady state, a packet costs no allocation on either host: batched
// socket reads, protocol, delivery, acknowledgements and queued sends. (A
// peer recycles up to maxFreeBytes of buffers of packets it read, so a
// burst of 128 small waiting packets allocates nothing either.)
func TestSteadyStateNoAllocations(t *testing.T) {
	cli, srv, _ := pair(t, &Config{Channels: 2})
	ctx := testCtx(t)
	msg := make([]byte, 64)
	var buf []byte
	echo := func(burst int, flags PacketFlags) {
		for range burst {
			if err := cli.Send(1, msg, flags); err != nil {
				t.Fatal(err)
			}
		}
		for range burst {
			var err error
			if buf, err = srv.AppendPacket(ctx, buf[:0]); err != nil {
				t.Fatal(err)
			}
			if err := srv.Send(1, buf, flags); err != nil {
				t.Fatal(err)
			}
		}
		for range burst {
			var err error
			if buf, err = cli.AppendPacket(ctx, buf[:0]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, burst := range []int{1, 8, 128} {
		for range 200 {
			echo(burst, FlagReliable) // warm the free lists and queues
		}
		allocs := testing.AllocsPerRun(200, func() { echo(burst, FlagReliable) })
		require.Zero(t, allocs, "burst of %d", burst)
	}
}

// A host bound to IPv6 loopback serves a client dialing it, and a host on
// every address (dual-stack) serves an IPv4 client under its IPv4 address.
func TestIPv6(t *testing.T) {
	probe, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	probe.Close()
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	for _, tc := range []struct{ bind, dial, remote string }{
		{"[::1]:0", "::1", "::1"},
		{":0", "127.0.0.1", "127.0.0.1"},
	} {
		l, err := Listen(tc.bind, nil)
		require.NoError(t, err)
		t.Cleanup(func() { l.Close() })
		port := l.Addr().(*net.UDPAddr).Port
		cli, err := Dial(ctx, net.JoinHostPort(tc.dial, strconv.Itoa(port)), nil)
		require.NoError(t, err, tc.bind)
		t.Cleanup(func() { cli.Close() })
		srv, err := l.Accept(ctx)
		require.NoError(t, err)
		require.Equal(t, tc.remote, srv.RemoteAddrPort().Addr().String())
		require.NoError(t, cli.Send(3, []byte("ping"), FlagReliable))
		p, err := srv.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, "ping", string(p))
		require.NoError(t, srv.PutPacket([]byte("pong")))
		p, err = cli.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, "pong", string(p))
		require.NoError(t, cli.Close())
		require.NoError(t, l.Close())
	}
}

// What one pass sends to many peers leaves in one sendmmsg: a broadcast
// to 16 clients costs the server a few system calls, not 16.
func TestBroadcastBatched(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	const n = 16
	l, err := Listen("127.0.0.1:0", &Config{MaxPeers: n})
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	clis := make([]*Peer, n)
	for i := range clis {
		clis[i], err = Dial(ctx, l.Addr().String(), &Config{Channels: 1})
		require.NoError(t, err)
		t.Cleanup(func() { clis[i].Close() })
		_, err = l.Accept(ctx)
		require.NoError(t, err)
	}
	sock := l.Host().sock
	before := sock.WriteCalls()
	require.NoError(t, l.Host().Broadcast(0, []byte("to all"), FlagReliable))
	for _, c := range clis {
		p, err := c.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, "to all", string(p))
	}
	calls := sock.WriteCalls() - before
	t.Logf("%d datagrams in %d system calls", n, calls)
	require.LessOrEqual(t, calls, uint64(n/4))
}

// SocketSend puts raw bytes on the host's socket (Godot's socket_send),
// from the host's port, also from a dual-stack host to an IPv4 remote.
func TestSocketSend(t *testing.T) {
	peertest.CheckGoroutines(t)
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer raw.Close()
	require.NoError(t, raw.SetReadDeadline(time.Now().Add(10*time.Second)))
	h, err := NewHost("", nil)
	require.NoError(t, err)
	defer h.Close()
	require.NoError(t, h.SocketSend(raw.LocalAddr().(*net.UDPAddr).AddrPort(), []byte("punch")))
	buf := make([]byte, 16)
	n, from, err := raw.ReadFromUDPAddrPort(buf)
	require.NoError(t, err)
	require.Equal(t, "punch", string(buf[:n]))
	require.Equal(t, h.LocalPort(), int(from.Port()))
}

// A burst of a thousand 64-byte packets in flight gets every buffer back
// once acknowledged (the free list is bounded by 256 KiB, not by a count of
// 256, which made such a burst allocate three times per packet), while
// 4 KiB buffers stop at the byte bound.
func TestPacketBuffersRecycled(t *testing.T) {
	h := &Host{}
	for _, tc := range []struct{ size, burst, kept int }{
		{64, 1000, 1000},
		{maxMTU, 1000, maxPktFreeBytes / maxMTU},
	} {
		h.pktFree, h.pktFreeBytes = nil, 0
		msg := make([]byte, tc.size)
		var cmds []*outCmd
		for range tc.burst {
			cmds = append(cmds, &outCmd{data: h.packetBuffer(msg), pooled: true})
		}
		for _, c := range cmds {
			h.freeOut(c)
		}
		require.Len(t, h.pktFree, tc.kept, "%d-byte buffers", tc.size)
		require.LessOrEqual(t, h.pktFreeBytes, maxPktFreeBytes)
		allocs := testing.AllocsPerRun(10, func() {
			for i := range tc.kept {
				cmds[i] = &outCmd{data: h.packetBuffer(msg), pooled: true}
			}
			for _, c := range cmds[:tc.kept] {
				h.freeOut(c)
			}
		})
		require.LessOrEqual(t, allocs, float64(tc.kept), "only the command structs may allocate")
	}
}
