package enet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// relay forwards datagrams between clients and one server through a lossy
// link: it drops, duplicates and reorders (holds a datagram back behind the
// next one) at the given rates, from a fixed seed.
type relay struct {
	front  *net.UDPConn // clients send here
	back   *net.UDPConn // talks to the server
	server netip.AddrPort

	mu     sync.Mutex
	loss   float64 // rates, under mu: tests change them mid-run
	dup    float64
	swap   float64
	rng    *rand.Rand
	client netip.AddrPort
	stats  struct{ forwarded, dropped, duplicated, reordered int }
	// inspect, if set (under mu), sees every datagram, both ways.
	inspect func([]byte)
	wg      sync.WaitGroup
}

func newRelay(t *testing.T, server netip.AddrPort, loss, dup, swap float64) *relay {
	t.Helper()
	front, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	back, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	r := &relay{front: front, back: back, server: server, loss: loss, dup: dup, swap: swap,
		rng: rand.New(rand.NewPCG(1, 2))}
	r.wg.Add(2)
	go r.pump(front, back, true)
	go r.pump(back, front, false)
	t.Cleanup(func() {
		front.Close()
		back.Close()
		r.wg.Wait()
		t.Logf("relay: %+v", r.stats)
	})
	return r
}

func (r *relay) addr() string { return r.front.LocalAddr().String() }

func (r *relay) pump(from, to *net.UDPConn, upstream bool) {
	defer r.wg.Done()
	buf := make([]byte, 1<<16)
	var held []byte
	var heldTo netip.AddrPort
	for {
		n, src, err := from.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		r.mu.Lock()
		dst := r.server
		if upstream {
			r.client = src
		} else {
			dst = r.client
		}
		x := r.rng.Float64()
		inspect := r.inspect
		loss, dup, swap := r.loss, r.dup, r.swap
		r.mu.Unlock()
		if inspect != nil {
			inspect(buf[:n])
		}
		pkt := append([]byte(nil), buf[:n]...)
		switch {
		case x < loss:
			r.count(func() { r.stats.dropped++ })
			continue
		case x < loss+dup:
			to.WriteToUDPAddrPort(pkt, dst)
			r.count(func() { r.stats.duplicated++ })
		case x < loss+dup+swap && held == nil:
			held, heldTo = pkt, dst
			r.count(func() { r.stats.reordered++ })
			continue
		}
		to.WriteToUDPAddrPort(pkt, dst)
		r.count(func() { r.stats.forwarded++ })
		if held != nil {
			to.WriteToUDPAddrPort(held, heldTo)
			held = nil
		}
	}
}

func (r *relay) count(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
}

// TestLossyLinkGoGo: through 10 % loss, 5 % duplicates and 10 % reordering,
// every reliable packet (fragmented ones included) arrives exactly once and
// in order on each channel, and no unsequenced packet arrives twice.
func TestLossyLinkGoGo(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	r := newRelay(t, l.Addr().(*net.UDPAddr).AddrPort(), 0.10, 0.05, 0.10)
	ctx := testCtx(t)
	cli, err := Dial(ctx, r.addr(), &Config{Channels: 3})
	require.NoError(t, err)
	defer cli.Close()
	srv, err := l.Accept(ctx)
	require.NoError(t, err)

	const reliable, unseq = 300, 200
	go func() {
		for i := range reliable {
			n := 8 + (i*97)%3000
			b := pattern(n, byte(i))
			binary.BigEndian.PutUint32(b, uint32(i))
			cli.Send(i%2, b, FlagReliable)
			if i < unseq {
				u := make([]byte, 4)
				binary.BigEndian.PutUint32(u, uint32(i))
				cli.Send(2, u, FlagUnsequenced)
			}
		}
	}()
	next := [2]int{0, 1}
	seenUnseq := map[uint32]bool{}
	got := 0
	for got < reliable {
		p, err := srv.ReadPacket(ctx)
		require.NoError(t, err, "after %d reliable packets", got)
		id := binary.BigEndian.Uint32(p)
		if srv.PacketChannel() == 2 {
			require.Equal(t, FlagUnsequenced, srv.PacketFlags())
			require.False(t, seenUnseq[id], "unsequenced packet %d delivered twice", id)
			seenUnseq[id] = true
			continue
		}
		ch := srv.PacketChannel()
		require.Equal(t, next[ch], int(id), "channel %d out of order", ch)
		want := pattern(8+(int(id)*97)%3000, byte(id))
		binary.BigEndian.PutUint32(want, id)
		require.True(t, bytes.Equal(want, p), "packet %d corrupted", id)
		next[ch] += 2
		got++
	}
	t.Logf("unsequenced delivered: %d of %d", len(seenUnseq), unseq)
}

// TestLossyLinkLibenet: libenet's client runs its script through the lossy
// relay to a Go server: every reliable echo comes back intact and in order.
func TestLossyLinkLibenet(t *testing.T) {
	peertest.CheckGoroutines(t)
	enetPeer(t)
	h, err := NewHost("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer h.Close()
	r := newRelay(t, h.LocalAddr().(*net.UDPAddr).AddrPort(), 0.10, 0.05, 0.10)
	_, port, _ := net.SplitHostPort(r.addr())
	c := startC(t, "client", port, "--channels", "3")
	ctx := testCtx(t)
	for done := false; !done; {
		ev, err := h.Service(ctx)
		if err != nil {
			dumpSlots(t, h)
			t.Fatal(err)
		}
		switch ev.Type {
		case EventReceive:
			p, err := ev.Peer.GetPacket()
			require.NoError(t, err)
			require.NoError(t, ev.Peer.Send(ev.Channel, p, ev.Peer.PacketFlags()))
		case EventDisconnect:
			done = true
		}
	}
	require.NoError(t, c.wait(t), "the C client checks every reliable echo")
}

// TestLossyLinkGoClientLibenet: a Go client sends the script to libenet's
// echo server through the lossy relay; every reliable echo comes back
// intact and in order per channel.
func TestLossyLinkGoClientLibenet(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := startC(t, "server", "--channels", "3")
	port := strings.TrimPrefix(c.expect(t, "PORT "), "PORT ")
	r := newRelay(t, netip.MustParseAddrPort("127.0.0.1:"+port), 0.10, 0.05, 0.10)
	ctx := testCtx(t)
	p, err := Dial(ctx, r.addr(), &Config{Channels: 3})
	require.NoError(t, err)
	defer p.Close()
	var want [3][][]byte
	for _, m := range script(p.MTU(), 3, false) {
		require.NoError(t, p.Send(m.ch, m.data, m.flags))
		if m.flags == FlagReliable {
			want[m.ch] = append(want[m.ch], m.data)
		}
	}
	for left := 8; left > 0; {
		got, err := p.ReadPacket(ctx)
		require.NoError(t, err)
		if p.PacketFlags() != FlagReliable {
			continue
		}
		ch := p.PacketChannel()
		require.NotEmpty(t, want[ch], "unexpected reliable echo on channel %d", ch)
		require.True(t, bytes.Equal(want[ch][0], got), "channel %d: %d bytes, want %d", ch, len(got), len(want[ch][0]))
		want[ch] = want[ch][1:]
		left--
	}
	start := time.Now()
	require.NoError(t, p.Close())
	t.Logf("graceful close over the lossy link took %v", time.Since(start))
}

// dumpSlots logs each live slot's sending state, to diagnose a stall.
func dumpSlots(t *testing.T, h *Host) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.slots {
		if s.state == StateDisconnected {
			continue
		}
		t.Logf("slot %d %v: outgoing %d sent %d acks %d inTransit %d throttle %d window %d rtt %d/%d lost %d",
			s.index, s.state, s.queued(), len(s.sent), len(s.acks), s.reliableInTransit, s.throttle, s.window, s.rtt, s.rttVar, s.packetsLost)
		for i := range s.channels {
			ch := &s.channels[i]
			if len(ch.inReliable) == 0 && len(ch.inUnreliable) == 0 {
				continue
			}
			t.Logf("  channel %d: in rel %d unrel %d, out rel %d; held reliable %d unreliable %d",
				i, ch.inReliableSeq, ch.inUnreliableSeq, ch.outReliableSeq, len(ch.inReliable), len(ch.inUnreliable))
			for j, ic := range ch.inReliable {
				if j > 3 {
					break
				}
				t.Logf("    held %s seq %d frags %d remaining %d got %d/%d", commandName(ic.number), ic.seq, ic.fragCount, ic.remaining, ic.got, ic.total)
			}
		}
		for i, c := range s.sent {
			if i > 3 {
				break
			}
			t.Logf("  sent %s ch %d seq %d attempts %d rto %d age %d", commandName(c.number), c.channel, c.seq, c.attempts, c.rto, h.clock()-c.sentTime)
		}
		for i := 0; i < min(4, s.outData.len()); i++ {
			c := s.outData.at(i)
			t.Logf("  queued %s ch %d seq %d attempts %d", commandName(c.number), c.channel, c.seq, c.attempts)
		}
	}
}
