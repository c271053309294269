package enet

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// TestSendQueueBound: once the remote stops acknowledging (its side was
// Reset, so it drops every datagram), reliable packets pile up until
// SendQueueBytes; the next Send fails with ErrOutOfMemory and is counted,
// and the queue never holds more than the bound.
func TestSendQueueBound(t *testing.T) {
	peertest.CheckGoroutines(t)
	const limit = 1 << 20
	cfg := &Config{MaxPacketSize: 64 << 10, SendQueueBytes: limit}
	cli, srv, _ := pair(t, cfg)
	srv.Reset()
	buf := make([]byte, 64<<10)
	accepted := 0
	var err error
	for range 1000 {
		if err = cli.Send(0, buf, FlagReliable); err != nil {
			break
		}
		accepted++
	}
	require.ErrorIs(t, err, peer.ErrOutOfMemory)
	t.Logf("accepted %d packets of 64 KiB, then: %v", accepted, err)
	// 64 KiB at MTU 1392 is 49 fragments: 75 KiB with their overhead.
	require.Equal(t, limit/(len(buf)+49*outCmdOverhead), accepted)
	require.Equal(t, uint64(1), cli.Stats().RefusedSends)

	require.ErrorIs(t, cli.Send(1, buf, FlagUnreliableFragment), peer.ErrOutOfMemory,
		"unreliable packets share the bound")
	require.ErrorIs(t, cli.PutPacket(buf), peer.ErrOutOfMemory)
	require.Equal(t, uint64(3), cli.Stats().RefusedSends)
	h := cli.t.h
	h.mu.Lock()
	held := cli.t.s.outBytes
	h.mu.Unlock()
	require.LessOrEqual(t, held, int64(limit))
	require.Greater(t, held, int64(limit)-int64(len(buf)+49*outCmdOverhead))
}

// TestSendQueueFreed: acknowledged commands leave the bound's count, so
// a peer that keeps its remote busy within the bound never fails, and the
// count returns to 0 once everything is acknowledged.
func TestSendQueueFreed(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := &Config{MaxPacketSize: 64 << 10, SendQueueBytes: 1 << 20}
	cli, srv, _ := pair(t, cfg)
	buf := make([]byte, 32<<10)
	ctx := testCtx(t)
	for range 64 { // 2 MiB in all, twice the bound
		require.NoError(t, cli.Send(0, buf, FlagReliable))
		_, err := srv.ReadPacket(ctx)
		require.NoError(t, err)
	}
	require.Zero(t, cli.Stats().RefusedSends)
}

// TestSendQueueBytesClamp: a bound below one MaxPacketSize packet is raised
// so that such a packet fits.
func TestSendQueueBytesClamp(t *testing.T) {
	c := (&Config{SendQueueBytes: 1}).withDefaults()
	require.GreaterOrEqual(t, int64(c.SendQueueBytes), outCost(c.MaxPacketSize, c.MaxPacketSize/(minMTU-32)+1))
	c = (*Config)(nil).withDefaults()
	require.Equal(t, DefaultSendQueueBytes, c.SendQueueBytes)
}

// TestConfigCheck: fields outside their ranges fail NewHost, Dial and
// Listen with ErrInvalidParameter, naming the field.
func TestConfigCheck(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		name string
	}{
		{Config{MaxPeers: MaxPeers + 1}, "max peers"},
		{Config{MaxPeers: -1}, "max peers"},
		{Config{ChannelLimit: 256}, "channel limit"},
		{Config{Channels: -1}, "channel count"},
		{Config{MTU: 100}, "MTU"},
	} {
		_, err := NewHost("", &c.cfg)
		require.ErrorIs(t, err, peer.ErrInvalidParameter)
		require.ErrorContains(t, err, c.name)
		_, err = Listen("127.0.0.1:0", &c.cfg)
		require.ErrorIs(t, err, peer.ErrInvalidParameter)
		_, err = Dial(testCtx(t), "127.0.0.1:9", &c.cfg)
		require.ErrorIs(t, err, peer.ErrInvalidParameter)
	}
}

// TestWritePacketWaitsForRoom: with the link down (a relay dropping
// everything) the send queue fills; WritePacket then waits instead of
// failing, returns once the link is back and acknowledgements make room,
// and its packet arrives after the others. With the link down for good it
// ends with its context, with an error matching both the context's and
// ErrTimeout, and nothing is counted as dropped.
func TestWritePacketWaitsForRoom(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := &Config{MaxPacketSize: 64 << 10, SendQueueBytes: 1 << 20}
	l, err := Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	defer l.Close()
	r := newRelay(t, netip.MustParseAddrPort(l.Addr().String()), 0, 0, 0)
	ctx := testCtx(t)
	cli, err := Dial(ctx, r.addr(), cfg)
	require.NoError(t, err)
	defer cli.Close()
	srv, err := l.Accept(ctx)
	require.NoError(t, err)

	r.mu.Lock()
	r.loss = 1
	r.mu.Unlock()
	buf := make([]byte, 64<<10)
	var sent []int // packet sizes
	// Big packets, then small ones to the brim.
	for _, n := range []int{len(buf), 4} {
		for cli.Send(0, buf[:n], FlagReliable) == nil {
			sent = append(sent, n)
		}
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err = cli.WritePacket(short, []byte("last"))
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, uint64(2), cli.Stats().RefusedSends, "only the two failed Sends are counted")

	done := make(chan error, 1)
	go func() { done <- cli.WritePacket(ctx, []byte("last")) }()
	r.mu.Lock()
	r.loss = 0
	r.mu.Unlock()
	for _, n := range sent {
		p, err := srv.ReadPacket(ctx)
		require.NoError(t, err)
		require.Len(t, p, n)
	}
	require.NoError(t, <-done)
	p, err := srv.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, []byte("last"), p)
}

// TestPeerStats: through a relay that reorders datagrams, every unreliable
// sequenced packet is either read or counted in DroppedLate (overtaken by
// a newer one); an unreliable packet above the receiver's MaxPacketSize is
// counted in DroppedOversize.
func TestPeerStats(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", &Config{MaxPacketSize: 1000})
	require.NoError(t, err)
	defer l.Close()
	r := newRelay(t, netip.MustParseAddrPort(l.Addr().String()), 0, 0, 0.3)
	ctx := testCtx(t)
	cli, err := Dial(ctx, r.addr(), &Config{Channels: 2})
	require.NoError(t, err)
	defer cli.Close()
	srv, err := l.Accept(ctx)
	require.NoError(t, err)

	const n = 300
	for i := range n {
		require.NoError(t, cli.Send(0, []byte{byte(i), byte(i >> 8)}, 0))
		if i%10 == 9 {
			cli.t.h.Flush() // ten per datagram, so that datagrams can swap
		}
	}
	got := 0
	for got+int(srv.PeerStats().DroppedLate) < n {
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := srv.ReadPacket(short)
		cancel()
		if err == nil {
			got++
		}
		require.NoError(t, ctx.Err())
	}
	t.Logf("%d read, %+v", got, srv.PeerStats())
	require.Equal(t, n, got+int(srv.PeerStats().DroppedLate))
	require.Positive(t, srv.PeerStats().DroppedLate, "the relay reordered nothing")

	require.NoError(t, cli.Send(1, make([]byte, 1100), 0))
	require.NoError(t, cli.Send(1, []byte("after"), FlagReliable))
	for {
		p, err := srv.ReadPacket(ctx)
		require.NoError(t, err)
		if string(p) == "after" {
			break
		}
	}
	require.Equal(t, uint64(1), srv.PeerStats().DroppedOversize)
	require.Equal(t, srv.PeerStats(), srv.Stats().PeerStats)
}
