package enet

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// Peer is one ENet connection, Godot's ENetPacketPeer. It embeds *peer.Peer:
// PutPacket sends reliably on channel 0 (as Godot), GetPacket/ReadPacket
// return packets of every channel, and PacketChannel/PacketFlags tell where
// the last one came from.
type Peer struct {
	*peer.Peer
	t *peerTransport
}

type packet struct {
	data    []byte
	channel uint8
	flags   PacketFlags
}

// inbox is a peer's queue of delivered packets.
type inbox struct {
	mu    sync.Mutex
	q     []packet
	head  int
	err   error // the connection ended; reported once q is drained
	ready chan struct{}
	bytes atomic.Int64 // charged bytes queued
	// uncharged: the connection is over and the queue no longer counts
	// against the host's limit.
	uncharged bool
	last      []byte   // returned by the last GetPacket; recycled by the next
	free      [][]byte // recycled packet buffers (cap <= maxMTU)
	freeBytes int      // capacity held in free
}

// An inbox keeps the buffers of packets the application read for reuse:
// at most maxFreeBytes (eight datagram-sized buffers' worth), so up to 512
// small ones, and a burst of that many waiting packets recycles them.
const (
	maxFreeBuffers = 512
	maxFreeBytes   = 8 * maxMTU
)

// buffer returns a copy of p, in a recycled buffer when one is free.
func (in *inbox) buffer(p []byte) []byte {
	in.mu.Lock()
	if n := len(in.free); n > 0 && cap(in.free[n-1]) >= len(p) {
		b := in.free[n-1]
		in.free[n-1] = nil
		in.free = in.free[:n-1]
		in.freeBytes -= cap(b)
		in.mu.Unlock()
		return append(b[:0], p...)
	}
	in.mu.Unlock()
	return append(make([]byte, 0, roundBuf(len(p))), p...)
}

// roundBuf rounds a buffer size up to a multiple of 64 bytes, so that
// buffers recycle across packets of similar sizes.
func roundBuf(n int) int { return (n + 63) &^ 63 }

func (in *inbox) push(p packet, charged int64, hostWaiting *atomic.Int64) {
	in.mu.Lock()
	in.q = append(in.q, p)
	if !in.uncharged {
		in.bytes.Add(charged)
		hostWaiting.Add(charged)
	}
	in.mu.Unlock()
	select {
	case in.ready <- struct{}{}:
	default:
	}
}

func (in *inbox) signal() {
	select {
	case in.ready <- struct{}{}:
	default:
	}
}

// peerTransport implements peer.Transport for a Peer.
type peerTransport struct {
	h          *Host
	s          *slot // nil once the connection is over; guarded by h.mu
	in         inbox
	remote     netip.AddrPort
	channels   int
	connected  chan struct{}
	ended      chan struct{}
	endOnce    sync.Once
	endErr     error
	zombieSlot *slot // event mode: the slot to reset when the DISCONNECT event is popped
	ownsHost   bool  // Dial: Close closes the host

	lastChannel atomic.Int32
	lastFlags   atomic.Uint32
	stats       peerCounters

	// WritePacket callers waiting for room in the send queue (guarded by
	// h.mu), and the channel that wakes them when acknowledged data leaves.
	roomWaiters int
	room        chan struct{}
}

func newPeer(s *slot) *Peer {
	t := &peerTransport{h: s.h, s: s, remote: s.addr, channels: len(s.channels),
		connected: make(chan struct{}), ended: make(chan struct{})}
	t.in.ready = make(chan struct{}, 1)
	t.room = make(chan struct{}, 1)
	return &Peer{Peer: peer.New(t), t: t}
}

func (t *peerTransport) markConnected() {
	t.channels = len(t.s.channels)
	close(t.connected)
}

// end records why the connection ended; reads report it after the queue.
func (t *peerTransport) end(reason error) {
	t.endOnce.Do(func() {
		t.in.mu.Lock()
		t.in.err = reason
		t.in.mu.Unlock()
		t.endErr = reason
		close(t.ended)
		t.in.signal()
	})
}

// detach is called when the slot is reset: what is still queued stays
// readable but stops counting against the host's limit.
func (t *peerTransport) detach() {
	t.end(errLocalDisconnect)
	t.s = nil
	t.in.mu.Lock()
	t.in.uncharged = true
	n := t.in.bytes.Swap(0)
	t.in.mu.Unlock()
	t.h.waiting.Add(-n)
}

func (t *peerTransport) PutPacket(p []byte) error {
	return t.send("put packet", 0, p, FlagReliable)
}

// peerCounters are a peer's drop counters (Stats).
type peerCounters struct {
	full, oversize, late, refused atomic.Uint64
}

// Stats are an ENet peer's drop counters: peer.PeerStats for received
// packets, plus the sends its own side refused.
type Stats struct {
	peer.PeerStats
	// RefusedSends counts Send, PutPacket and Broadcast packets refused
	// because the send queue was full (Config.SendQueueBytes).
	RefusedSends uint64
}

// Stats returns the peer's drop counters. In PeerStats, DroppedFull counts
// unreliable and unsequenced packets discarded because MaxWaitingData or
// MaxHostWaitingData was reached (reliable ones are not acknowledged
// instead, and come again), DroppedOversize commands with a packet larger
// than MaxPacketSize, and DroppedLate unreliable sequenced packets (or
// fragment groups) that a newer one had overtaken.
func (p *Peer) Stats() Stats {
	return Stats{PeerStats: p.t.PeerStats(), RefusedSends: p.t.stats.refused.Load()}
}

// PeerStats is Stats().PeerStats, for peer.Peer.PeerStats.
func (t *peerTransport) PeerStats() peer.PeerStats {
	return peer.PeerStats{DroppedFull: t.stats.full.Load(), DroppedOversize: t.stats.oversize.Load(),
		DroppedLate: t.stats.late.Load()}
}

// WritePacket sends p reliably on channel 0, as PutPacket, but waits while
// the send queue is full (Config.SendQueueBytes) until acknowledgements
// make room or ctx ends; an ended ctx gives an error matching both
// ctx.Err() and peer.ErrTimeout. Nothing is counted as dropped while it
// waits.
func (t *peerTransport) WritePacket(ctx context.Context, p []byte) error {
	for {
		if err := ctx.Err(); err != nil {
			return &peer.OpError{Op: "write packet", Transport: "enet", Code: peer.ErrTimeout, Err: err}
		}
		full, err := t.trySend("write packet", 0, p, FlagReliable, true)
		if !full {
			return err
		}
		select {
		case <-t.room:
		case <-t.ended:
		case <-ctx.Done():
		}
		t.h.mu.Lock()
		t.roomWaiters--
		t.h.mu.Unlock()
	}
}

func (t *peerTransport) send(op string, ch int, p []byte, flags PacketFlags) error {
	_, err := t.trySend(op, ch, p, flags, false)
	return err
}

// trySend queues p, or with wait reports a full send queue (full, with
// the caller registered in roomWaiters) instead of failing.
func (t *peerTransport) trySend(op string, ch int, p []byte, flags PacketFlags, wait bool) (full bool, err error) {
	if err := checkFlags(op, flags); err != nil {
		return false, err
	}
	h := t.h
	if len(p) > h.cfg.MaxPacketSize {
		return false, tooLarge(op, len(p), h.cfg.MaxPacketSize)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := t.s
	if s == nil || h.closed {
		return false, &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrUnconfigured, Detail: "the peer is not connected"}
	}
	if ch < 0 || ch >= len(s.channels) {
		return false, &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("channel %d outside 0..%d", ch, len(s.channels)-1)}
	}
	if s.state != StateConnected {
		return false, &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrFailed, Detail: "peer state is " + s.state.String()}
	}
	if limit := h.sendLimit(s); len(p) > limit {
		return false, tooLarge(op, len(p), limit)
	}
	if !h.sendRoom(s, len(p)) {
		if wait {
			t.roomWaiters++
			return true, nil
		}
		t.stats.refused.Add(1)
		return false, &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrOutOfMemory,
			Detail: fmt.Sprintf("send queue full: %d bytes unacknowledged, SendQueueBytes %d", s.outBytes, h.cfg.SendQueueBytes)}
	}
	h.sendPacket(s, ch, p, flags)
	return false, nil
}

func (t *peerTransport) GetPacket() ([]byte, error) {
	in := &t.in
	in.mu.Lock()
	if in.head == len(in.q) {
		err := in.err
		in.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return nil, errNotQueued
	}
	p := in.q[in.head]
	in.q[in.head] = packet{}
	if c := cap(in.last); c > 0 && c <= maxMTU && len(in.free) < maxFreeBuffers && in.freeBytes+c <= maxFreeBytes {
		in.free = append(in.free, in.last[:0])
		in.freeBytes += c
	}
	in.last = p.data
	in.head++
	if in.head == len(in.q) {
		in.q, in.head = in.q[:0], 0
	} else if in.head > 64 && in.head*2 > len(in.q) {
		n := copy(in.q, in.q[in.head:])
		clear(in.q[n:])
		in.q, in.head = in.q[:n], 0
	}
	if !in.uncharged {
		n := int64(len(p.data)) + inCmdOverhead
		in.bytes.Add(-n)
		t.h.waiting.Add(-n)
	}
	in.mu.Unlock()
	t.lastChannel.Store(int32(p.channel))
	t.lastFlags.Store(uint32(p.flags))
	return p.data, nil
}

func (t *peerTransport) AvailablePacketCount() int {
	t.in.mu.Lock()
	defer t.in.mu.Unlock()
	return len(t.in.q) - t.in.head
}

func (t *peerTransport) WaitPacket(ctx context.Context) error {
	for {
		t.in.mu.Lock()
		ok := t.in.head < len(t.in.q) || t.in.err != nil
		t.in.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-t.in.ready:
		case <-t.ended: // wakes every waiter, not just the one ready's token wakes
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TransportName implements peer.Namer.
func (t *peerTransport) TransportName() string { return "enet" }

// MaxPacketSize is the largest packet Send and PutPacket accept:
// Config.MaxPacketSize (default 32 MiB, ENet's maximumPacketSize), or the
// most ENet's 1 048 576 fragments carry at the connection's MTU if that is
// less (548 MiB at the smallest MTU). Godot's ENetPacketPeer reports 2^24
// (16 MiB) whatever its host accepts; an ENetMultiplayerPeer's hosts use
// that figure.
func (t *peerTransport) MaxPacketSize() int {
	h := t.h
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sendLimit(t.s)
}

// Close disconnects gracefully: queued packets are sent first (up to
// Config.CloseTimeout), then the DISCONNECT handshake runs.
func (t *peerTransport) Close() error {
	h := t.h
	h.mu.Lock()
	if s := t.s; s != nil && !h.closed {
		h.serviceTime = h.clock()
		h.disconnectLater(s, 0)
		h.markDirty(s)
	}
	h.mu.Unlock()
	timer := time.NewTimer(h.cfg.CloseTimeout)
	defer timer.Stop()
	select {
	case <-t.ended:
	case <-h.done:
	case <-timer.C:
	}
	h.mu.Lock()
	if s := t.s; s != nil && !h.closed {
		h.serviceTime = h.clock()
		h.disconnectNow(s, 0)
	}
	h.mu.Unlock()
	t.end(errLocalDisconnect)
	if t.ownsHost {
		return h.Close()
	}
	return nil
}

// Send queues data on channel with flags (Godot's ENetPacketPeer.send):
// FlagReliable, FlagUnsequenced, FlagUnreliableFragment or 0 (unreliable,
// sequenced). Packets larger than the MTU allows are fragmented.
func (p *Peer) Send(channel int, data []byte, flags PacketFlags) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "send", Transport: "enet", Err: peer.ErrClosed}
	}
	return p.t.send("send", channel, data, flags)
}

// PacketChannel returns the channel of the packet last returned by
// GetPacket or ReadPacket (Godot's ENetMultiplayerPeer.get_packet_channel
// works from it).
func (p *Peer) PacketChannel() int { return int(p.t.lastChannel.Load()) }

// PacketFlags returns the flags of the packet last returned by GetPacket or
// ReadPacket: FlagReliable, FlagUnsequenced, FlagUnreliableFragment or 0.
func (p *Peer) PacketFlags() PacketFlags { return PacketFlags(p.t.lastFlags.Load()) }

func (p *Peer) withSlot(f func(h *Host, s *slot)) {
	h := p.t.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := p.t.s; s != nil && !h.closed {
		h.serviceTime = h.clock()
		f(h, s)
	}
}

// Disconnect asks the remote to disconnect, sending data (Godot's
// peer_disconnect). Queued data is dropped. An EventDisconnect follows
// when the remote acknowledges (or the request times out).
func (p *Peer) Disconnect(data uint32) {
	p.withSlot(func(h *Host, s *slot) { h.disconnect(s, data); h.markDirty(s) })
}

// DisconnectLater disconnects once everything queued has been sent and
// acknowledged (Godot's peer_disconnect_later).
func (p *Peer) DisconnectLater(data uint32) {
	p.withSlot(func(h *Host, s *slot) { h.disconnectLater(s, data); h.markDirty(s) })
}

// DisconnectNow sends one unreliable DISCONNECT and drops the connection at
// once, without a local event (Godot's peer_disconnect_now).
func (p *Peer) DisconnectNow(data uint32) {
	p.withSlot(func(h *Host, s *slot) { h.disconnectNow(s, data) })
}

// Reset drops the connection silently; the remote times out (Godot's reset).
func (p *Peer) Reset() {
	p.withSlot(func(h *Host, s *slot) { s.reset() })
}

// Ping sends a PING now (Godot's ping); ENet also pings on its own every
// ping interval.
func (p *Peer) Ping() {
	p.withSlot(func(h *Host, s *slot) {
		if s.state != StateConnected {
			return
		}
		c := h.newOut()
		c.number, c.channel, c.headLen = cmdPing, 0xFF, 4
		c.head[0], c.head[1] = cmdPing|cmdFlagAck, 0xFF
		s.queueOut(c)
	})
}

// SetPingInterval sets how long the link may be idle before a PING (Godot's
// ping_interval; 0 means ENet's 500 ms).
func (p *Peer) SetPingInterval(d time.Duration) {
	ms := uint32(d.Milliseconds())
	if ms == 0 {
		ms = defaultPingInterval
	}
	p.withSlot(func(h *Host, s *slot) { s.pingInterval = ms })
}

// SetTimeout sets ENet's timeout parameters (Godot's set_timeout): limit
// (default 32), minimum (5 s) and maximum (30 s). Zero values keep ENet's
// defaults. As in Godot, limit ≤ minimum ≤ maximum (in milliseconds) is required.
func (p *Peer) SetTimeout(limit int, minimum, maximum time.Duration) error {
	l, mn, mx := uint32(limit), uint32(minimum.Milliseconds()), uint32(maximum.Milliseconds())
	if l == 0 {
		l = defaultTimeoutLimit
	}
	if mn == 0 {
		mn = defaultTimeoutMinimum
	}
	if mx == 0 {
		mx = defaultTimeoutMaximum
	}
	if l > mn || mn > mx {
		return &peer.OpError{Op: "set timeout", Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("need limit (%d) <= minimum (%d ms) <= maximum (%d ms)", l, mn, mx)}
	}
	p.withSlot(func(h *Host, s *slot) { s.timeoutLimit, s.timeoutMin, s.timeoutMax = l, mn, mx })
	return nil
}

// ThrottleConfigure sets the packet throttle parameters and tells the
// remote (Godot's throttle_configure): interval, acceleration and
// deceleration (ENet defaults 5000 ms, 2, 2; scale 32).
func (p *Peer) ThrottleConfigure(interval time.Duration, acceleration, deceleration uint32) {
	ms := uint32(interval.Milliseconds())
	p.withSlot(func(h *Host, s *slot) {
		s.throttleInterval, s.throttleAccel, s.throttleDecel = ms, acceleration, deceleration
		if !s.connected() {
			return
		}
		c := h.newOut()
		c.number, c.channel, c.headLen = cmdThrottleConfigure, 0xFF, 16
		c.head[0], c.head[1] = cmdThrottleConfigure|cmdFlagAck, 0xFF
		put32(c.head[:], 4, ms)
		put32(c.head[:], 8, acceleration)
		put32(c.head[:], 12, deceleration)
		s.queueOut(c)
	})
}

// State returns the connection state (Godot's get_state).
func (p *Peer) State() State {
	h := p.t.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if p.t.s == nil {
		return StateDisconnected
	}
	return p.t.s.state
}

// IsActive reports whether the peer still has a connection (Godot's is_active).
func (p *Peer) IsActive() bool { return p.State() != StateDisconnected }

// RemoteAddr returns the remote address, a *net.UDPAddr (Godot's
// get_remote_address and get_remote_port).
func (p *Peer) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(p.t.remote) }

// RemoteAddrPort returns the remote address as a netip.AddrPort.
func (p *Peer) RemoteAddrPort() netip.AddrPort { return p.t.remote }

// LocalAddr returns the address of the host's socket.
func (p *Peer) LocalAddr() net.Addr { return p.t.h.LocalAddr() }

// Channels returns the channel count agreed in the handshake (Godot's
// get_channels).
func (p *Peer) Channels() int {
	h := p.t.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := p.t.s; s != nil {
		return len(s.channels)
	}
	return p.t.channels
}

// MTU returns the MTU agreed in the handshake.
func (p *Peer) MTU() int {
	h := p.t.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := p.t.s; s != nil {
		return int(s.mtu)
	}
	return 0
}

// PeerStatistic selects a per-peer value for Statistic (Godot's
// ENetPacketPeer.PeerStatistic).
type PeerStatistic int

// Peer statistics, numbered as in Godot.
const (
	PeerPacketLoss PeerStatistic = iota
	PeerPacketLossVariance
	PeerPacketLossEpoch
	PeerRoundTripTime
	PeerRoundTripTimeVariance
	PeerLastRoundTripTime
	PeerLastRoundTripTimeVariance
	PeerPacketThrottle
	PeerPacketThrottleLimit
	PeerPacketThrottleCounter
	PeerPacketThrottleEpoch
	PeerPacketThrottleAcceleration
	PeerPacketThrottleDeceleration
	PeerPacketThrottleInterval
)

// Statistic returns a per-peer value (Godot's get_statistic); times are in
// milliseconds, loss is scaled by 65536. 0 once disconnected.
func (p *Peer) Statistic(st PeerStatistic) float64 {
	h := p.t.h
	h.mu.Lock()
	defer h.mu.Unlock()
	s := p.t.s
	if s == nil {
		return 0
	}
	v := [...]uint32{s.packetLoss, s.packetLossVar, s.packetLossEpoch, s.rtt, s.rttVar, s.lastRTT, s.lastRTTVar,
		s.throttle, s.throttleLimit, s.throttleCounter, s.throttleEpoch, s.throttleAccel, s.throttleDecel, s.throttleInterval}
	if st < 0 || int(st) >= len(v) {
		return 0
	}
	return float64(v[st])
}

// Ended returns a channel closed when the connection is over (disconnect,
// timeout or Close).
func (p *Peer) Ended() <-chan struct{} { return p.t.ended }
