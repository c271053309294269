package enet

import (
	"bytes"
	"context"
	"encoding/hex"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// rawClient speaks ENet by hand over a UDP socket, to send what no honest
// ENet would.
type rawClient struct {
	t       testing.TB
	conn    *net.UDPConn
	slot    uint16 // the server's slot for us
	outSess uint8
}

func dialRaw(t testing.TB, server net.Addr) *rawClient {
	t.Helper()
	conn, err := net.DialUDP("udp4", nil, server.(*net.UDPAddr))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: t, conn: conn}
	_, err = conn.Write(connectDatagram(1))
	require.NoError(t, err)
	buf := make([]byte, maxMTU)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := conn.Read(buf)
	require.NoError(t, err)
	hd, ok := parseHeader(buf[:n])
	require.True(t, ok)
	var v command
	_, _, err = decodeCommand(buf[hd.size:n], &v)
	require.NoError(t, err)
	require.Equal(t, byte(cmdVerifyConnect), v.number)
	c.slot, c.outSess = v.outgoingPeerID, v.outSession
	ack := make([]byte, 12)
	put16(ack, 0, flagSentTime|c.slot|uint16(c.outSess)<<sessionShift)
	put16(ack, 2, 1)
	ack[4], ack[5] = cmdAcknowledge, 0xFF
	put16(ack, 6, 1)
	put16(ack, 8, 1)
	put16(ack, 10, hd.sentTime)
	_, err = conn.Write(ack)
	require.NoError(t, err)
	return c
}

// send sends commands (already encoded) in one datagram with sentTime 1.
func (c *rawClient) send(cmds ...[]byte) {
	b := make([]byte, 4, 1400)
	put16(b, 0, flagSentTime|c.slot|uint16(c.outSess)<<sessionShift)
	put16(b, 2, 1)
	for _, x := range cmds {
		b = append(b, x...)
	}
	_, err := c.conn.Write(b)
	require.NoError(c.t, err)
}

func fragmentCmd(ch uint8, seq, start uint16, count, num, total, off uint32, payload []byte) []byte {
	b := make([]byte, 24, 24+len(payload))
	b[0], b[1] = cmdSendFragment|cmdFlagAck, ch
	put16(b, 2, seq)
	put16(b, 4, start)
	put16(b, 6, uint16(len(payload)))
	put32(b, 8, count)
	put32(b, 12, num)
	put32(b, 16, total)
	put32(b, 20, off)
	return append(b, payload...)
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestFragmentBombBounded: a peer opens thousands of fragment groups that
// each claim 32 MiB and never complete them. The memory held for it stays
// within MaxWaitingData (its bytes are counted, 64 per fragment and 128
// per group on top of the payload), and an honest client on the same host
// still gets a 1 MiB packet through.
func TestFragmentBombBounded(t *testing.T) {
	peertest.CheckGoroutines(t)
	const perPeer, perHost = 2 << 20, 4 << 20
	l, err := Listen("127.0.0.1:0", &Config{MaxWaitingData: perPeer, MaxHostWaitingData: perHost})
	require.NoError(t, err)
	defer l.Close()
	ctx := testCtx(t)
	bomber := dialRaw(t, l.Addr())
	_, err = l.Accept(ctx)
	require.NoError(t, err)
	h := l.Host()

	before := heapAlloc()
	payload := bytes.Repeat([]byte{0xEE}, 1000)
	const groups = 20000
	for i := range groups {
		start := uint16(1 + i%28000)
		bomber.send(fragmentCmd(0, start, start, 1<<20, uint32(i%7), 32<<20, uint32(i%7)*1000, payload))
	}
	// The bomb has been processed once a PING sent behind it is acknowledged
	// (resent, in case the kernel dropped it with part of the flood).
	buf := make([]byte, maxMTU)
	deadline := time.Now().Add(20 * time.Second)
	for acked := false; !acked; {
		require.True(t, time.Now().Before(deadline), "the PING behind the bomb was never acknowledged")
		bomber.send([]byte{cmdPing | cmdFlagAck, 0xFF, 0, 2})
		require.NoError(t, bomber.conn.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
		for {
			n, err := bomber.conn.Read(buf)
			if err != nil {
				break // resend
			}
			if (n >= 10 && buf[2] == cmdAcknowledge && buf[3] == 0xFF && u16(buf, 4) == 2) ||
				(n >= 12 && buf[4] == cmdAcknowledge && buf[5] == 0xFF && u16(buf, 6) == 2) {
				acked = true
				break
			}
		}
	}
	grown := int64(heapAlloc()) - int64(before)
	held := h.waiting.Load()
	t.Logf("%d fragment datagrams (%d MB sent): host holds %d bytes (limit %d), heap grew %d bytes",
		groups, groups*1028>>20, held, perPeer, grown)
	require.LessOrEqual(t, held, int64(perPeer))
	// Data that cannot be delivered before a gap is filled takes at most
	// half of the allowance; the bomb filled that half.
	require.Greater(t, held, int64(perPeer/2)-2000, "the bomb filled the peer's allowance (so the limit was what stopped it)")
	require.Less(t, grown, int64(2*perPeer), "heap growth stays within twice the per-peer limit")

	honest, err := Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	defer honest.Close()
	srv, err := l.Accept(ctx)
	require.NoError(t, err)
	big := pattern(1<<20, 5)
	require.NoError(t, honest.PutPacket(big))
	got, err := srv.ReadPacket(ctx)
	require.NoError(t, err)
	require.True(t, bytes.Equal(big, got))
}

// TestConnectFloodBounded: CONNECTs from 100 source ports take at most
// MaxPeers slots (the rest are ignored without a reply, as ENet does), and
// the connected peer is still served.
func TestConnectFloodBounded(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", &Config{MaxPeers: 8})
	require.NoError(t, err)
	defer l.Close()
	ctx := testCtx(t)
	honest, err := Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	defer honest.Close()
	srv, err := l.Accept(ctx)
	require.NoError(t, err)
	for range 100 {
		conn, err := net.DialUDP("udp4", nil, l.Addr().(*net.UDPAddr))
		require.NoError(t, err)
		_, err = conn.Write(connectDatagram(1))
		require.NoError(t, err)
		conn.Close()
	}
	require.NoError(t, honest.PutPacket([]byte("still here")))
	got, err := srv.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "still here", string(got))
	h := l.Host()
	h.mu.Lock()
	used := 0
	for _, s := range h.slots {
		if s.state != StateDisconnected {
			used++
		}
	}
	h.mu.Unlock()
	require.LessOrEqual(t, used, 8)
}

// TestWireConnectLayout: the CONNECT a Go client sends is byte for byte
// the one of spec §11.2 (libenet 1.3.17's capture), apart from the MTU
// (1392, ENet 1.3.18's and Godot's), the sentTime and the random connectID.
func TestWireConnectLayout(t *testing.T) {
	peertest.CheckGoroutines(t)
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer raw.Close()
	h, err := NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer h.Close()
	_, err = h.ConnectToHost(raw.LocalAddr().String(), 3, 0x11223344)
	require.NoError(t, err)
	buf := make([]byte, 100)
	require.NoError(t, raw.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, _, err := raw.ReadFromUDP(buf)
	require.NoError(t, err)
	got := buf[:n]
	require.Len(t, got, 52)
	want, _ := hex.DecodeString("8fff0000" + "82ff0001" + "0000ffff" + "00000570" + "00010000" + "00000003" +
		"00000000" + "00000000" + "00001388" + "00000002" + "00000002" + "00000000" + "11223344")
	copy(got[2:4], want[2:4])     // sentTime
	copy(got[44:48], want[44:48]) // connectID
	require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got))
}

// TestSpoofedDisconnectIgnored: a DISCONNECT carrying a live peer's slot
// and session but sent from another port, or with the wrong session from
// the right port, does not end the connection.
func TestSpoofedDisconnectIgnored(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	ctx := testCtx(t)
	victim := dialRaw(t, l.Addr())
	srv, err := l.Accept(ctx)
	require.NoError(t, err)

	disconnect := []byte{cmdDisconnect | cmdFlagAck, 0xFF, 0, 2, 0, 0, 0, 0}
	attacker := &rawClient{t: t, slot: victim.slot, outSess: victim.outSess}
	attacker.conn, err = net.DialUDP("udp4", nil, l.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer attacker.conn.Close()
	attacker.send(disconnect)
	wrongSession := &rawClient{t: t, conn: victim.conn, slot: victim.slot, outSess: (victim.outSess + 1) & 3}
	wrongSession.send(disconnect)

	// The victim's next packet still arrives.
	victim.send([]byte{cmdSendReliable | cmdFlagAck, 0, 0, 1, 0, 2, 'o', 'k'})
	got, err := srv.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", string(got))
	require.Equal(t, StateConnected, srv.State())
}

// TestBogusAcknowledgements: ACKs for sequence numbers never sent, on
// channels that do not exist, and with send times in the future change
// nothing: the server's reliable data still flows and is acknowledged.
func TestBogusAcknowledgements(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	ctx := testCtx(t)
	c := dialRaw(t, l.Addr())
	srv, err := l.Accept(ctx)
	require.NoError(t, err)
	for i := range 2000 {
		ack := make([]byte, 8)
		ack[0], ack[1] = cmdAcknowledge, byte(i%300)
		put16(ack, 2, uint16(i*7))
		put16(ack, 4, uint16(i*7))
		put16(ack, 6, uint16(i*13))
		c.send(ack)
	}
	require.NoError(t, srv.PutPacket([]byte("still reliable")))
	buf := make([]byte, maxMTU)
	require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		n, err := c.conn.Read(buf)
		require.NoError(t, err)
		if bytes.Contains(buf[:n], []byte("still reliable")) {
			break
		}
	}
	require.Equal(t, StateConnected, srv.State())
}

// TestReceiveEventsBounded: a Godot-style host whose application reads
// packets (ReadPacket) but does not call Service accumulates EventReceive
// entries; they count 64 bytes each against MaxHostWaitingData (64 KiB
// here), so at most 1024 are ever queued while 3000 packets come in. Once
// Service drains them, delivery resumes with the next packet in order.
func TestReceiveEventsBounded(t *testing.T) {
	peertest.CheckGoroutines(t)
	const limit, total = 64 << 10, 3000
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	cli, err := NewHost("", &Config{MaxPeers: 1, MaxHostWaitingData: limit})
	require.NoError(t, err)
	defer cli.Close()
	ctx := testCtx(t)
	cp, err := cli.ConnectToHost(l.Addr().String(), 1, 5)
	require.NoError(t, err)
	ev, err := cli.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
	sp, err := l.Accept(ctx)
	require.NoError(t, err)
	require.NoError(t, sp.SetTimeout(32, 30*time.Second, 30*time.Second))
	for i := range total {
		require.NoError(t, sp.Send(0, []byte{byte(i), byte(i >> 8)}, FlagReliable))
	}
	queued := func() int {
		cli.mu.Lock()
		defer cli.mu.Unlock()
		return len(cli.events)
	}
	got, maxQueued := 0, 0
	for got < total {
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		p, err := cp.ReadPacket(rctx)
		cancel()
		maxQueued = max(maxQueued, queued())
		if err != nil {
			// Stalled: the queued events took the room. Drain them, and
			// the next packet in order must come.
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Positive(t, queued())
			for {
				e, err := cli.ServiceTimeout(0)
				require.NoError(t, err)
				if e.Type == EventNone {
					break
				}
			}
			p, err := cp.ReadPacket(ctx)
			require.NoError(t, err)
			require.Equal(t, []byte{byte(got), byte(got >> 8)}, p)
			got++
			break
		}
		require.Equal(t, []byte{byte(got), byte(got >> 8)}, p)
		got++
	}
	t.Logf("%d packets read, at most %d receive events queued (bound %d)", got, maxQueued, limit/eventCost)
	require.Less(t, got, total, "never stalled: events are not counted")
	require.LessOrEqual(t, maxQueued, limit/eventCost)
}

// TestGapFillsWhenAheadIsFull: a peer's reliable packets 2..200 (1000 bytes
// each) arrive before packet 1 and would fill its whole allowance (128 KiB)
// waiting for it; packet 1 must still be accepted, and then every stored
// packet is delivered in order. (Before the fix, packet 1 found no room,
// was never acknowledged, and the channel stalled for good.)
func TestGapFillsWhenAheadIsFull(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", &Config{MaxWaitingData: 128 << 10})
	require.NoError(t, err)
	defer l.Close()
	ctx := testCtx(t)
	c := dialRaw(t, l.Addr())
	srv, err := l.Accept(ctx)
	require.NoError(t, err)
	cmd := func(seq uint16) []byte {
		b := make([]byte, 6, 1006)
		b[0], b[1] = cmdSendReliable|cmdFlagAck, 0
		put16(b, 2, seq)
		put16(b, 4, 1000)
		return append(b, bytes.Repeat([]byte{byte(seq)}, 1000)...)
	}
	for seq := uint16(2); seq <= 200; seq++ {
		c.send(cmd(seq))
	}
	c.send(cmd(1))
	for seq := 1; seq <= 40; seq++ {
		p, err := srv.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, byte(seq), p[0], "packet %d", seq)
	}
}

// TestSendPassDrainsAcks: one send pass sends all 1000 pending
// acknowledgements, 32 per datagram (ENet's command limit), so 32
// datagrams. The old code sent the first datagram and left the rest for
// the next 5 ms tick, which made a burst of small reliable packets about 10
// times slower than libenet's (the sender retransmitted before the acks
// came).
func TestSendPassDrainsAcks(t *testing.T) {
	peertest.CheckGoroutines(t)
	h, s := connectedHost(t, nil)
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range 1000 {
		s.acks = append(s.acks, pendingAck{seq: uint16(i + 1), sentTime: 1, number: cmdSendReliable})
	}
	before := h.stats.sentPackets + h.stats.sendErrors
	h.sendSlot(s, false)
	require.Equal(t, 0, len(s.acks), "acknowledgements left for a later pass")
	require.Equal(t, uint64(32), h.stats.sentPackets+h.stats.sendErrors-before)
}
