package multiplayer

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// Events never holds more than MaxQueuedEvents: the oldest go first and are
// counted.
func TestEventsBounded(t *testing.T) {
	var e Events
	const extra = 10
	for i := range MaxQueuedEvents + extra {
		e.PeerConnected(int32(i))
	}
	if e.Len() != MaxQueuedEvents || e.Dropped() != extra {
		t.Fatalf("Len %d, Dropped %d; want %d, %d", e.Len(), e.Dropped(), MaxQueuedEvents, extra)
	}
	if cap(e.q) > MaxQueuedEvents {
		t.Fatalf("ring of %d events", cap(e.q))
	}
	ev, ok := e.pop()
	if !ok || ev.ID != extra {
		t.Fatalf("oldest kept event %v, want id %d", ev, extra)
	}
	for range MaxQueuedEvents - 1 {
		e.pop()
	}
	if e.Len() != 0 || e.q != nil {
		t.Fatalf("drained queue: Len %d, ring %d", e.Len(), len(e.q))
	}
}

func TestEventsWait(t *testing.T) {
	var e Events
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := e.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait on empty queue = %v", err)
	}
	got := make(chan Event)
	go func() {
		ev, _ := e.wait(context.Background())
		got <- ev
	}()
	e.PeerDisconnected(7)
	if ev := <-got; ev != (Event{PeerDisconnected, 7}) {
		t.Fatalf("wait = %v", ev)
	}
	e.PeerConnected(8)
	e.close()
	if _, err := e.wait(context.Background()); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("wait after close = %v", err)
	}
	if e.Len() != 0 {
		t.Fatalf("close kept %d events", e.Len())
	}
}

// scripted is a Transport returning a fixed list of packets, then err.
type scripted struct {
	ev   Events
	pkts []string
	from []int32
	end  error
	buf  []byte
}

func (s *scripted) PutPacket([]byte, int32, TransferMode, int) error { return nil }
func (s *scripted) GetPacket() ([]byte, PacketInfo, error) {
	if len(s.pkts) == 0 {
		if s.end != nil {
			return nil, PacketInfo{}, s.end
		}
		return nil, PacketInfo{}, peer.ErrUnavailable
	}
	// Reuse one buffer, as transports do.
	s.buf = append(s.buf[:0], s.pkts[0]...)
	info := PacketInfo{From: s.from[0], Mode: TransferModeUnreliable, Channel: 2}
	s.pkts, s.from = s.pkts[1:], s.from[1:]
	return s.buf, info, nil
}
func (s *scripted) AvailablePacketCount() int          { return len(s.pkts) }
func (s *scripted) MaxPacketSize() int                 { return 100 }
func (s *scripted) UniqueID() int32                    { return 1 }
func (s *scripted) ConnectionStatus() ConnectionStatus { return ConnectionConnected }
func (s *scripted) IsServer() bool                     { return true }
func (s *scripted) DisconnectPeer(int32, bool) error   { return nil }
func (s *scripted) Events() *Events                    { return &s.ev }
func (s *scripted) Close() error                       { return nil }

// PacketPeer looks ahead without losing or corrupting packets, and the
// error that ends the stream comes after the last packet.
func TestLookAhead(t *testing.T) {
	tr := &scripted{pkts: []string{"a", "b", "c"}, from: []int32{5, 6, 7}, end: io.EOF}
	p := New(tr)
	defer p.Close()
	if p.PacketPeer() != 5 || p.PacketChannel() != 2 || p.PacketMode() != TransferModeUnreliable {
		t.Fatalf("next packet: %d %d %v", p.PacketPeer(), p.PacketChannel(), p.PacketMode())
	}
	if n := p.AvailablePacketCount(); n != 3 {
		t.Fatalf("AvailablePacketCount %d with one looked ahead, want 3", n)
	}
	a, err := p.GetPacket()
	if err != nil || string(a) != "a" {
		t.Fatalf("GetPacket = %q, %v", a, err)
	}
	if p.PacketPeer() != 6 || string(a) != "a" {
		t.Fatalf("after look-ahead: next %d, previous packet %q", p.PacketPeer(), a)
	}
	b, info, err := p.GetPacketFrom()
	if err != nil || string(b) != "b" || info.From != 6 {
		t.Fatalf("GetPacketFrom = %q %+v %v", b, info, err)
	}
	c, info, err := p.ReadPacketFrom(context.Background())
	if err != nil || string(c) != "c" || info.From != 7 {
		t.Fatalf("ReadPacketFrom = %q %+v %v", c, info, err)
	}
	if p.PacketPeer() != 0 {
		t.Fatalf("PacketPeer at the end = %d", p.PacketPeer())
	}
	if _, err := p.GetPacket(); err != io.EOF {
		t.Fatalf("GetPacket at the end = %v, want io.EOF", err)
	}
	if _, err := p.ReadPacket(context.Background()); err != io.EOF {
		t.Fatalf("ReadPacket at the end = %v, want io.EOF", err)
	}
}

func TestSettings(t *testing.T) {
	p := New(&scripted{})
	defer p.Close()
	if p.TransferMode() != TransferModeReliable || p.TransferChannel() != 0 || p.TargetPeer() != TargetPeerBroadcast {
		t.Fatalf("defaults: %v %d %d", p.TransferMode(), p.TransferChannel(), p.TargetPeer())
	}
	for _, m := range []TransferMode{-1, 3} {
		if err := p.SetTransferMode(m); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("SetTransferMode(%d) = %v", m, err)
		}
		if err := p.SendTo(0, m, 0, []byte("x")); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("SendTo(mode %d) = %v", m, err)
		}
	}
	for _, ch := range []int{-1, 256} {
		if err := p.SetTransferChannel(ch); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("SetTransferChannel(%d) = %v", ch, err)
		}
	}
	if err := p.SetTransferChannel(255); err != nil || p.TransferChannel() != 255 {
		t.Errorf("SetTransferChannel(255) = %v", err)
	}
	if p.IsServerRelaySupported() {
		t.Errorf("relay supported without RelaySupporter (Godot's default is false)")
	}
	p.SetRefuseNewConnections(true)
	if !p.IsRefusingNewConnections() {
		t.Errorf("refuse flag not kept")
	}
	if TransferModeUnreliableOrdered.String() != "TRANSFER_MODE_UNRELIABLE_ORDERED" || ConnectionConnecting.String() != "CONNECTION_CONNECTING" {
		t.Errorf("names: %v %v", TransferModeUnreliableOrdered, ConnectionConnecting)
	}
}

// waitReady (Peer.WaitEvent) returns once an event is queued and leaves it
// queued.
func TestEventsWaitReady(t *testing.T) {
	var e Events
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := e.waitReady(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waitReady on empty queue = %v", err)
	}
	done := make(chan error)
	go func() { done <- e.waitReady(context.Background()) }()
	e.PeerConnected(9)
	if err := <-done; err != nil {
		t.Fatalf("waitReady = %v", err)
	}
	if err := e.waitReady(context.Background()); err != nil || e.Len() != 1 {
		t.Fatalf("waitReady again = %v, Len %d; want nil, 1", err, e.Len())
	}
	if ev, ok := e.pop(); !ok || ev != (Event{PeerConnected, 9}) {
		t.Fatalf("pop = %v %v", ev, ok)
	}
	e.close()
	if err := e.waitReady(context.Background()); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("waitReady after close = %v", err)
	}
}
