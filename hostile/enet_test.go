package hostile

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/enet"
)

// ENet wire constants (spec enet.md §2-§3), spelled out here because the
// attacks are written by hand.
const (
	enetAck            = 1
	enetConnect        = 2
	enetVerifyConnect  = 3
	enetDisconnect     = 4
	enetPing           = 5
	enetSendReliable   = 6
	enetSendUnreliable = 7
	enetSendFragment   = 8
	enetFlagAck        = 0x80
	enetSentTime       = 0x8000
	enetNoPeer         = 0xFFF
)

var be = binary.BigEndian

// enetRaw is a hand-driven ENet client on its own UDP socket.
type enetRaw struct {
	t       testing.TB
	conn    *net.UDPConn
	slot    uint16 // the server's peer id for us (VERIFY_CONNECT's outgoingPeerID)
	session uint8  // the session the server expects in our headers
}

func enetConnectCmd(connectID uint32) []byte {
	b := make([]byte, 48)
	b[0], b[1] = enetConnect|enetFlagAck, 0xFF
	be.PutUint16(b[2:], 1)
	b[6], b[7] = 0xFF, 0xFF
	be.PutUint32(b[8:], 1392)
	be.PutUint32(b[12:], 65536)
	be.PutUint32(b[16:], 2) // channels
	be.PutUint32(b[28:], 5000)
	be.PutUint32(b[32:], 2)
	be.PutUint32(b[36:], 2)
	be.PutUint32(b[40:], connectID)
	return b
}

// enetDatagram frames cmds under a header with peer id, session and sentTime 1.
func enetDatagram(peerID uint16, session uint8, cmds ...[]byte) []byte {
	b := make([]byte, 4, 1400)
	be.PutUint16(b, enetSentTime|peerID&0xFFF|uint16(session&3)<<12)
	be.PutUint16(b[2:], 1)
	for _, c := range cmds {
		b = append(b, c...)
	}
	return b
}

// dialENetRaw completes the handshake by hand.
func dialENetRaw(t testing.TB, server net.Addr, connectID uint32) *enetRaw {
	t.Helper()
	conn, err := net.DialUDP("udp4", nil, server.(*net.UDPAddr))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := &enetRaw{t: t, conn: conn}
	_, err = conn.Write(enetDatagram(enetNoPeer, 0, enetConnectCmd(connectID)))
	require.NoError(t, err)
	buf := make([]byte, 1500)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := conn.Read(buf)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 4+44)
	v := buf[4:n]
	require.Equal(t, byte(enetVerifyConnect), v[0]&0x0F)
	c.slot, c.session = be.Uint16(v[4:]), v[7]
	ack := make([]byte, 8)
	ack[0], ack[1] = enetAck, 0xFF
	be.PutUint16(ack[2:], be.Uint16(v[2:]))
	be.PutUint16(ack[4:], be.Uint16(v[2:]))
	be.PutUint16(ack[6:], be.Uint16(buf[2:]))
	c.send(ack)
	return c
}

func (c *enetRaw) send(cmds ...[]byte) {
	_, err := c.conn.Write(enetDatagram(c.slot, c.session, cmds...))
	require.NoError(c.t, err)
}

// sync sends an acknowledged PING behind whatever was sent before and waits
// for its ACK: the server has then handled everything sent earlier. The
// PING is resent in case the kernel dropped it with a flood.
func (c *enetRaw) sync(seq uint16) {
	c.t.Helper()
	ping := []byte{enetPing | enetFlagAck, 0xFF, 0, 0}
	be.PutUint16(ping[2:], seq)
	buf := make([]byte, 1500)
	deadline := time.Now().Add(20 * time.Second)
	for {
		require.True(c.t, time.Now().Before(deadline), "the PING behind the attack was never acknowledged")
		c.send(ping)
		require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
		for {
			n, err := c.conn.Read(buf)
			if err != nil {
				break
			}
			hdr := 2 // an ACK-only datagram has no sentTime
			if n >= 4 && be.Uint16(buf)&enetSentTime != 0 {
				hdr = 4
			}
			for b := buf[hdr:n]; len(b) >= 8; {
				if b[0]&0x0F == enetAck && b[1] == 0xFF && be.Uint16(b[4:]) == seq {
					return
				}
				b = b[enetCmdSize(b):]
			}
		}
	}
}

// enetCmdSize is the size of the command at the start of b, for skipping
// over a server's datagram (0 ends the walk).
func enetCmdSize(b []byte) int {
	sizes := [...]int{0, 8, 48, 44, 8, 4, 6, 8, 24, 8, 12, 16, 24}
	n := int(b[0] & 0x0F)
	if n >= len(sizes) || sizes[n] == 0 {
		return len(b)
	}
	size := sizes[n]
	if n == enetSendReliable || n == enetSendUnreliable || n == enetSendFragment || n == 9 || n == 12 {
		if len(b) >= size {
			size += int(be.Uint16(b[size-2:]))
		}
	}
	return min(size, len(b))
}

func reliableCmd(ch uint8, seq uint16, payload []byte) []byte {
	b := make([]byte, 6, 6+len(payload))
	b[0], b[1] = enetSendReliable|enetFlagAck, ch
	be.PutUint16(b[2:], seq)
	be.PutUint16(b[4:], uint16(len(payload)))
	return append(b, payload...)
}

func fragment(ch uint8, seq, start uint16, count, num, total, off uint32, payload []byte) []byte {
	b := make([]byte, 24, 24+len(payload))
	b[0], b[1] = enetSendFragment|enetFlagAck, ch
	be.PutUint16(b[2:], seq)
	be.PutUint16(b[4:], start)
	be.PutUint16(b[6:], uint16(len(payload)))
	be.PutUint32(b[8:], count)
	be.PutUint32(b[12:], num)
	be.PutUint32(b[16:], total)
	be.PutUint32(b[20:], off)
	return append(b, payload...)
}

// enetServer is a Listener with one honest Go client connected and accepted.
func enetServer(t *testing.T, cfg *enet.Config) (*enet.Listener, *enet.Peer, *enet.Peer) {
	t.Helper()
	ln, err := enet.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := enet.Dial(ctx, ln.Addr().String(), &enet.Config{Channels: 2, ConnectData: 2})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	srv, err := ln.Accept(ctx)
	require.NoError(t, err)
	return ln, srv, c
}

// enetServed checks that the honest client still gets a packet of n bytes
// through, reliably, in both directions.
func enetServed(t *testing.T, srv, c *enet.Peer, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	msg := bytes.Repeat([]byte{0x5A}, n)
	require.NoError(t, c.PutPacket(msg))
	got, err := srv.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, msg, got)
	require.NoError(t, srv.PutPacket(msg[:n/2]))
	got, err = c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, msg[:n/2], got)
}

// TestENetConnectFlood: 600 CONNECTs from 600 source ports against a host
// of 16 slots. At most 16 peers exist at any time (the other CONNECTs get
// no reply, as with ENet), the live heap grows by less than 1 MiB (16
// half-open peers of 2 channels: about 1.2 KB each), and the client
// connected before the flood is still served.
func TestENetConnectFlood(t *testing.T) {
	peertest.CheckGoroutines(t)
	const maxPeers, flood = 16, 600
	ln, srv, c := enetServer(t, &enet.Config{MaxPeers: maxPeers})
	before := heapNow()
	dst := ln.Addr().(*net.UDPAddr)
	for i := range flood {
		s, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		_, err = s.WriteToUDP(enetDatagram(enetNoPeer, 0, enetConnectCmd(uint32(i+100))), dst)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		if i%50 == 49 {
			require.LessOrEqual(t, len(ln.Host().Peers()), maxPeers)
		}
	}
	waitFor(t, 10*time.Second, "the flood to fill the peer table", func() bool {
		return len(ln.Host().Peers()) == maxPeers
	})
	enetServed(t, srv, c, 3000)
	require.Len(t, ln.Host().Peers(), maxPeers)
	checkHeap(t, before, 1<<20)
}

// TestENetSpoofedIDs: from another source port, DISCONNECTs and reliable
// data carrying every peer id of the host with every session id; from the
// victim's own port, data with the three wrong session ids. None of it
// reaches the application or ends the connection: the victim's next packet
// is the first one the server reads.
func TestENetSpoofedIDs(t *testing.T) {
	peertest.CheckGoroutines(t)
	const maxPeers = 8
	ln, err := enet.Listen("127.0.0.1:0", &enet.Config{MaxPeers: maxPeers})
	require.NoError(t, err)
	defer ln.Close()
	victim := dialENetRaw(t, ln.Addr(), 0xC0FFEE)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	srv, err := ln.Accept(ctx)
	require.NoError(t, err)

	attacker, err := net.DialUDP("udp4", nil, ln.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer attacker.Close()
	disconnect := []byte{enetDisconnect | enetFlagAck, 0xFF, 0, 2, 0, 0, 0, 0}
	for id := uint16(0); id <= maxPeers; id++ {
		for sess := range uint8(4) {
			_, err := attacker.Write(enetDatagram(id, sess, reliableCmd(0, 1, []byte("evil")), disconnect))
			require.NoError(t, err)
		}
	}
	_, err = attacker.Write(enetDatagram(enetNoPeer, 0, reliableCmd(0, 1, []byte("evil"))))
	require.NoError(t, err)
	for d := uint8(1); d < 4; d++ {
		_, err := victim.conn.Write(enetDatagram(victim.slot, victim.session+d, reliableCmd(0, 1, []byte("evil")), disconnect))
		require.NoError(t, err)
	}
	victim.send(reliableCmd(0, 1, []byte("ok")))
	got, err := srv.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", string(got))
	require.Equal(t, enet.StateConnected, srv.State())
	require.Len(t, ln.Host().Peers(), 1)
}

// TestENetFragmentBombs: one peer sends fragment groups that can never
// complete: counts above ENet's 1,048,576, totals above MaxPacketSize (1
// MiB here), fragments whose count or total disagree with their group's
// first fragment, offsets past the total, thousands of groups of 32 MiB.
// The live heap grows by less than MaxWaitingData (1 MiB) plus 1 MiB, and
// an honest client of the same host still gets 200 KB packets through.
func TestENetFragmentBombs(t *testing.T) {
	peertest.CheckGoroutines(t)
	const perPeer = 1 << 20
	ln, srv, c := enetServer(t, &enet.Config{MaxPacketSize: 1 << 20, MaxWaitingData: perPeer, MaxHostWaitingData: 4 << 20})
	bomber := dialENetRaw(t, ln.Addr(), 0xB0B)
	before := heapNow()
	p := bytes.Repeat([]byte{0xEE}, 1000)
	seq := uint16(1)
	next := func() uint16 { seq++; return seq }
	for i := range 3000 {
		var cmd []byte
		switch i % 6 {
		case 0: // count beyond ENet's maximum
			s := next()
			cmd = fragment(0, s, s, 1<<20+1, 0, 32<<20, 0, p)
		case 1: // total beyond MaxPacketSize
			s := next()
			cmd = fragment(0, s, s, 2000, 0, 2<<20, 0, p)
		case 2: // offset past the total
			s := next()
			cmd = fragment(0, s, s, 4, 1, 4000, 3500, p)
		case 3: // a group's second fragment disagrees on count and total
			s := next()
			bomber.send(fragment(0, s, s, 4, 0, 4000, 0, p))
			s2 := next()
			cmd = fragment(0, s2, s, 5, 1, 5000, 1000, p)
		default: // big groups, never completed
			s := next()
			cmd = fragment(0, s, s, 32768, uint32(i%5), 32<<20, uint32(i%5)*1000, p)
		}
		bomber.send(cmd)
	}
	bomber.sync(next())
	enetServed(t, srv, c, 200_000)
	checkHeap(t, before, perPeer+1<<20)
}

// TestENetAcksNeverSent: 5000 ACKs for reliable sequence numbers the server
// never used, on existing and non-existing channels, with arbitrary send
// times. The connection stays up, the server's RTT estimate stays below
// its 5 s floor timeout, and its reliable data still arrives.
func TestENetAcksNeverSent(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, err := enet.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer ln.Close()
	c := dialENetRaw(t, ln.Addr(), 0xACC)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	srv, err := ln.Accept(ctx)
	require.NoError(t, err)
	for i := range 5000 {
		ack := make([]byte, 8)
		ack[0], ack[1] = enetAck, []byte{0, 1, 7, 0xFE, 0xFF}[i%5]
		be.PutUint16(ack[4:], uint16(i*7+100))
		be.PutUint16(ack[6:], uint16(i*13))
		c.send(ack)
	}
	c.sync(2)
	require.NoError(t, srv.PutPacket([]byte("still reliable")))
	buf := make([]byte, 1500)
	require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	for {
		n, err := c.conn.Read(buf)
		require.NoError(t, err)
		if bytes.Contains(buf[:n], []byte("still reliable")) {
			break
		}
	}
	require.Equal(t, enet.StateConnected, srv.State())
	require.Less(t, srv.Statistic(enet.PeerRoundTripTime), float64(5000))
}

// TestENetWindowAbuse: one peer sends 1000-byte reliable commands with
// sequence numbers all over the 16-bit space (most ahead of what the
// server has delivered, so they would be held for reordering), on channels
// it never opened too, and unreliable ones with far-future sequence
// numbers. What the server holds for it stays within MaxWaitingData (1
// MiB, counting 128 bytes per command on top of its payload): the live heap
// grows by less than 3 MiB (allocation size classes and the honest
// exchange's buffers included), where 32,768 held commands would take 36
// MB; an honest client of the same host is still served.
func TestENetWindowAbuse(t *testing.T) {
	peertest.CheckGoroutines(t)
	const perPeer = 1 << 20
	ln, srv, c := enetServer(t, &enet.Config{MaxWaitingData: perPeer, MaxHostWaitingData: 4 << 20})
	abuser := dialENetRaw(t, ln.Addr(), 0xAB)
	before := heapNow()
	p := bytes.Repeat([]byte{0xAA}, 1000)
	for i := range 8000 {
		seq := uint16(2 + i*8)
		switch i % 4 {
		case 0, 1:
			abuser.send(reliableCmd(0, seq, p))
		case 2:
			abuser.send(reliableCmd(uint8(2+i%250), seq, p)) // channels never opened
		case 3:
			u := make([]byte, 8, 8+len(p))
			u[0], u[1] = enetSendUnreliable, 1
			be.PutUint16(u[4:], uint16(i*31))
			be.PutUint16(u[6:], uint16(len(p)))
			abuser.send(append(u, p...))
		}
	}
	abuser.sync(3)
	enetServed(t, srv, c, 100_000)
	checkHeap(t, before, 3*perPeer)
}

// TestENetDTLSHelloFlood: 300 DTLS ClientHellos (a real one, replayed) from
// 300 source ports against a DTLS host with room for 8 sessions (MaxPeers
// 4). Each would hold a session for the 10 s handshake timeout; the host
// evicts the oldest unfinished handshake instead, so an honest DTLS client
// arriving after the flood connects well within that timeout.
func TestENetDTLSHelloFlood(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)

	// A real ClientHello: the first datagram of a DTLS client host.
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer sink.Close()
	probe, err := enet.NewHost("", &enet.Config{MaxPeers: 1})
	require.NoError(t, err)
	require.NoError(t, probe.DTLSClientSetup("localhost", cert.Pool))
	_, err = probe.ConnectToHost(sink.LocalAddr().String(), 1, 0)
	require.NoError(t, err)
	buf := make([]byte, 2048)
	require.NoError(t, sink.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := sink.Read(buf)
	require.NoError(t, err)
	hello := append([]byte(nil), buf[:n]...)
	require.NoError(t, probe.Close())
	require.Equal(t, byte(22), hello[0], "a handshake record")

	srv, err := enet.NewHost("127.0.0.1:0", &enet.Config{MaxPeers: 4})
	require.NoError(t, err)
	defer srv.Close()
	require.NoError(t, srv.DTLSServerSetup(cert.TLS))
	dst := srv.LocalAddr().(*net.UDPAddr)
	for range 300 {
		s, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		_, err = s.WriteToUDP(hello, dst)
		require.NoError(t, err)
		require.NoError(t, s.Close())
	}

	cli, err := enet.NewHost("", &enet.Config{MaxPeers: 1})
	require.NoError(t, err)
	defer cli.Close()
	require.NoError(t, cli.DTLSClientSetup("localhost", cert.Pool))
	_, err = cli.ConnectToHost(srv.LocalAddr().String(), 1, 7)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	ev, err := srv.Service(ctx)
	require.NoError(t, err, "the honest client did not connect before the flood's handshakes expired")
	require.Equal(t, enet.EventConnect, ev.Type)
	require.Equal(t, uint32(7), ev.Data)
}
