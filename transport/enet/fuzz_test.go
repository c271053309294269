package enet

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/packetpeer/packetpeer/internal/udpsock"
)

// fuzzSrc is the fake remote of the fuzz targets; datagrams sent back to it
// go to a port where nothing listens.
var fuzzSrc = netip.MustParseAddrPort("127.0.0.1:9")

// connectDatagram is a client's CONNECT (slot 0, 4 channels, data 7).
func connectDatagram(now uint16) []byte {
	b := make([]byte, 4+48)
	put16(b, 0, flagSentTime|maxPeerID)
	put16(b, 2, now)
	b[4], b[5] = cmdConnect|cmdFlagAck, 0xFF
	put16(b, 6, 1)
	b[10], b[11] = 0xFF, 0xFF
	put32(b, 12, 1392)
	put32(b, 16, 65536)
	put32(b, 20, 4)
	put32(b, 32, 5000)
	put32(b, 36, 2)
	put32(b, 40, 2)
	copy(b[44:48], "\x01\x02\x03\x04")
	put32(b, 48, 7)
	return b
}

// connectedHost returns a host whose slot 0 is CONNECTED to fuzzSrc (after
// a forged CONNECT and the ACK of the VERIFY_CONNECT), and that slot.
func connectedHost(t testing.TB, cfg *Config) (*Host, *slot) {
	h, err := NewHost("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	forgeHandshake(t, h)
	return h, h.slots[0]
}

// forgeHandshake connects fuzzSrc to h's slot 0 (which must be free).
func forgeHandshake(t testing.TB, h *Host) {
	h.mu.Lock()
	now := uint16(h.clock())
	h.mu.Unlock()
	h.receive(fuzzSrc, connectDatagram(now))
	h.Flush() // sends the VERIFY_CONNECT
	h.mu.Lock()
	sess := h.slots[0].inSess
	h.mu.Unlock()
	ack := []byte{0x80, 0, 0, 0, cmdAcknowledge, 0xFF, 0, 1, 0, 1, 0, 0}
	ack[0] |= sess << 4
	binary.BigEndian.PutUint16(ack[2:], now)
	binary.BigEndian.PutUint16(ack[10:], now)
	h.receive(fuzzSrc, ack)
	drainEvents(h)
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.slots[0].state; st != StateConnected {
		t.Fatalf("forged handshake left slot 0 in %v", st)
	}
}

// drainEvents reads every queued event and packet, as an application would.
func drainEvents(h *Host) {
	for {
		ev, err := h.ServiceTimeout(0)
		if err != nil || ev.Type == EventNone {
			return
		}
		if ev.Type == EventReceive {
			ev.Peer.GetPacket()
		}
	}
}

func seedDatagrams() [][]byte {
	frag := func(cmd byte, seq, start uint16, count, num, total, off uint32, n int) []byte {
		b := make([]byte, 4+24+n)
		put16(b, 0, flagSentTime)
		b[4], b[5] = cmd, 1
		put16(b, 6, seq)
		put16(b, 8, start)
		put16(b, 10, uint16(n))
		put32(b, 12, count)
		put32(b, 16, num)
		put32(b, 20, total)
		put32(b, 24, off)
		return b
	}
	return [][]byte{
		{0x80, 0, 0, 1, 0x86, 0, 0, 1, 0, 3, 'a', 'b', 'c'},                         // reliable
		{0x00, 0, 0x07, 1, 0, 0, 0, 1, 0, 2, 'h', 'i'},                              // unreliable
		{0x00, 0, 0x49, 2, 0, 0, 0, 5, 0, 1, 'u'},                                   // unsequenced
		{0x80, 0, 0, 1, 0x85, 0xFF, 0, 2, 0x8A, 0xFF, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0}, // ping + bandwidth
		{0x80, 0, 0, 1, 0x8B, 0xFF, 0, 2, 0, 0, 0x13, 0x88, 0, 0, 0, 2, 0, 0, 0, 2}, // throttle configure
		{0x80, 0, 0, 1, 0x84, 0xFF, 0, 2, 0, 0, 0xAB, 0xCD},                         // disconnect
		{0x00, 0, 0x01, 0xFF, 0, 1, 0, 1, 0, 0},                                     // ack
		frag(0x88, 1, 1, 2, 0, 10, 0, 5), frag(0x88, 2, 1, 2, 1, 10, 5, 5),          // reliable fragments
		frag(0x0C, 0, 1, 3, 1, 30, 10, 10), frag(0x88, 1, 1, 1<<20, 7, 32<<20, 100, 1), // unreliable, bomb
		append(connectDatagram(1)[:2:2], connectDatagram(1)[4:]...), // CONNECT without time
		{0xC0, 0, 0, 1, 1, 2, 3},                                    // compressed, no codec
		{0x80, 0, 0, 1, 0x86, 0, 0, 1, 0xFF, 0xFF, 1},               // payload past the end
	}
}

// FuzzDatagram feeds arbitrary datagrams, as the socket's batches hand
// them over, to a host with one connected peer (and, with peer ID 0xFFF,
// to its CONNECT path). It must never panic, and
// the data it holds must stay within the configured limits.
func FuzzDatagram(f *testing.F) {
	for _, s := range seedDatagrams() {
		f.Add(s)
	}
	h, s := connectedHost(f, &Config{MaxPeers: 2, MaxWaitingData: 64 << 10, MaxHostWaitingData: 96 << 10})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 2 && binary.BigEndian.Uint16(b)&maxPeerID == 0 {
			// Inputs addressed to slot 0 carry its current session.
			h.mu.Lock()
			b[0] = b[0]&^(sessionMask>>8) | s.inSess<<4
			h.mu.Unlock()
		}
		h.receiveBatch([]udpsock.Message{udpsock.MakeMessage(b, len(b), fuzzSrc, udpsock.Config{MaxPacketSize: maxMTU})})
		h.mu.Lock()
		w, pw := h.waiting.Load(), s.waiting
		if s.pub != nil {
			pw += s.pub.t.in.bytes.Load()
		}
		h.mu.Unlock()
		if w > 96<<10 {
			t.Fatalf("host holds %d bytes, over its 96 KiB limit", w)
		}
		if pw > 64<<10 {
			t.Fatalf("peer holds %d bytes, over its 64 KiB limit", pw)
		}
		drainEvents(h)
		for _, x := range h.slots {
			h.mu.Lock()
			st := x.state
			h.mu.Unlock()
			if st != StateDisconnected && st != StateConnected {
				h.mu.Lock()
				x.reset()
				h.mu.Unlock()
			}
		}
		h.mu.Lock()
		st := s.state
		h.mu.Unlock()
		if st == StateDisconnected {
			forgeHandshake(t, h)
		}
	})
}

// FuzzDecodeCommand checks the command decoder alone: no panic, and a
// payload always inside the input.
func FuzzDecodeCommand(f *testing.F) {
	for _, s := range seedDatagrams() {
		if len(s) > 4 {
			f.Add(s[4:])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c command
		n, done, err := decodeCommand(b, &c)
		if done || err != nil {
			return
		}
		if n < 4 || n > len(b) || len(c.payload) > n {
			t.Fatalf("decoded length %d (payload %d) for %d bytes", n, len(c.payload), len(b))
		}
	})
}
