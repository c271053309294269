package udp

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/packetpeer/packetpeer/internal/udpsock"
)

// FuzzRecord checks the ring record decoder: any bytes give an address and
// payload or an error, and encoding the decoded address gives it back.
func FuzzRecord(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, recordHeader))
	f.Add(append(bytes.Repeat([]byte{0xff}, recordHeader), "payload"...))
	rec := make([]byte, recordHeader+3)
	putRecordHeader(rec, netip.MustParseAddrPort("127.0.0.1:4242"))
	copy(rec[recordHeader:], "abc")
	f.Add(rec)
	f.Fuzz(func(t *testing.T, b []byte) {
		src, payload, err := decodeRecord(b)
		if len(b) < recordHeader {
			if err == nil {
				t.Fatalf("decodeRecord(%d bytes) did not fail", len(b))
			}
			return
		}
		if err != nil {
			t.Fatalf("decodeRecord: %v", err)
		}
		if !bytes.Equal(payload, b[recordHeader:]) {
			t.Fatal("payload changed")
		}
		if src.Addr().Is4In6() {
			t.Fatalf("IPv4-mapped address %v not unmapped", src)
		}
		again := make([]byte, recordHeader)
		putRecordHeader(again, src)
		src2, _, err := decodeRecord(again)
		if err != nil || src2 != src {
			t.Fatalf("round trip: %v -> %v, %v", src, src2, err)
		}
	})
}

// FuzzDemux feeds a Listener's demultiplexer random datagrams from 16
// sources, alone or in batches, interleaved with TakeConnection, peer Close and cap changes, and
// checks its invariants: the pending queue never exceeds its cap, every
// packet lands on the peer of its source, and nothing panics.
//
// Input: a sequence of 3-byte commands [op, selector, length].
func FuzzDemux(f *testing.F) {
	f.Add([]byte{0, 1, 5, 0, 2, 5, 2, 0, 0, 1, 1, 9})
	f.Add(bytes.Repeat([]byte{0, 7, 64}, 40))
	f.Add([]byte{0, 1, 200, 0, 1, 65, 2, 0, 0, 3, 0, 0, 0, 1, 1})
	f.Add([]byte{4, 0, 0, 0, 1, 1, 4, 9, 0, 0, 2, 2, 2, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		c := (&Config{MaxPacketSize: 64, ReceiveQueueBytes: 256, MaxPendingConnections: 4}).withDefaults()
		sock, err := udpsock.New(conn, udpsock.Config{Headroom: recordHeader, MaxPacketSize: c.MaxPacketSize})
		if err != nil {
			t.Fatal(err)
		}
		l := newListener(sock, c)
		close(l.readerDone) // no reader goroutine: the test calls demux itself
		defer l.Close()
		// Op 1 queues its datagram in a batch that the next op 0 hands over
		// with its own, as one read of several datagrams would.
		var batch []udpsock.Message
		var taken []*Peer
		for len(data) >= 3 {
			op, sel, n := data[0], data[1]%16, int(data[2])
			data = data[3:]
			switch op % 5 {
			case 0, 1:
				src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1 + sel%2}), 1000+uint16(sel))
				buf := make([]byte, recordHeader+max(n, 1))
				for i := range n {
					buf[recordHeader+i] = sel
				}
				batch = append(batch, udpsock.MakeMessage(buf, n, src, udpsock.Config{Headroom: recordHeader, MaxPacketSize: c.MaxPacketSize}))
				if op%5 == 0 {
					l.demux(batch)
					batch = batch[:0]
				}
			case 2:
				if p, err := l.TakeConnection(); err == nil {
					taken = append(taken, p)
				}
			case 3:
				if len(taken) > 0 {
					taken[int(sel)%len(taken)].Close()
				}
			case 4:
				l.SetMaxPendingConnections(int(sel%8) - 2)
			}
			st := l.Stats()
			if st.Pending > l.MaxPendingConnections() {
				t.Fatalf("%d pending, cap %d", st.Pending, l.MaxPendingConnections())
			}
		}
		for _, p := range taken {
			for {
				b, err := p.GetPacket()
				if err != nil {
					break
				}
				remote := p.t.key
				if p.PacketAddr() != remote {
					t.Fatalf("packet from %v on the peer of %v", p.PacketAddr(), remote)
				}
				if len(b) > 64 {
					t.Fatalf("%d-byte packet passed a 64-byte limit", len(b))
				}
				for _, c := range b {
					if uint16(c) != remote.Port()-1000 {
						t.Fatalf("payload of source %d on the peer of %v", c, remote)
					}
				}
			}
		}
	})
}
