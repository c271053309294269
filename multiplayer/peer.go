package multiplayer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// Transport is what a multiplayer peer implements: the virtuals of Godot's
// MultiplayerPeerExtension, with the transfer settings passed to each
// PutPacket instead of kept as state. Wrap one with New to get a *Peer.
//
// Implementations must be safe for concurrent use, with one reader
// (GetPacket) at a time.
type Transport interface {
	// PutPacket sends p to target (TargetPeerBroadcast, a peer id, or -id for
	// all but id) with the given mode and channel. p is never empty and
	// must not be retained. A client sends everything to its server
	// whatever the target, unless the transport connects clients directly.
	PutPacket(p []byte, target int32, mode TransferMode, channel int) error
	// GetPacket returns the next received packet without blocking, and who
	// sent it how. The slice may be reused by the next GetPacket. With
	// nothing queued it returns an error matching peer.ErrUnavailable.
	GetPacket() ([]byte, PacketInfo, error)
	// AvailablePacketCount is the number of packets GetPacket can return.
	AvailablePacketCount() int
	// MaxPacketSize is the largest packet PutPacket sends.
	MaxPacketSize() int
	// UniqueID is this peer's id: 1 on a server, the id the server gave a
	// client, 0 before it has one.
	UniqueID() int32
	// ConnectionStatus reports where the session is.
	ConnectionStatus() ConnectionStatus
	// IsServer reports whether this peer is the server (id 1).
	IsServer() bool
	// DisconnectPeer closes the connection to id; see Peer.DisconnectPeer.
	DisconnectPeer(id int32, force bool) error
	// Events is the queue the transport reports peer_connected and
	// peer_disconnected into.
	Events() *Events
	// Close releases everything; Peer calls it once.
	Close() error
}

// Optional interfaces a Transport may implement.
type (
	// Poller is implemented by transports driven by Godot-style polling
	// (Godot's _poll); Peer.Poll calls it. Transports with their own
	// goroutines do not need it.
	Poller interface{ Poll() error }
	// RelaySupporter reports Godot's is_server_relay_supported (false when
	// not implemented, as in Godot).
	RelaySupporter interface{ IsServerRelaySupported() bool }
	// Refuser is told when Peer.SetRefuseNewConnections changes.
	Refuser interface{ SetRefuseNewConnections(refuse bool) }
)

// A Transport may also implement peer.StatsReporter: Peer.PeerStats then
// returns its drop counters (zero otherwise).

// MultiplayerPeer is the API of every multiplayer peer in this module:
// Godot's MultiplayerPeer (which is a PacketPeer) plus Go's blocking reads
// and events. *Peer implements it, and so does every transport's multiplayer
// peer type, because they embed *Peer.
type MultiplayerPeer interface {
	peer.PacketPeer
	SetTargetPeer(id int32)
	TargetPeer() int32
	SetTransferMode(m TransferMode) error
	TransferMode() TransferMode
	SetTransferChannel(ch int) error
	TransferChannel() int
	SendTo(target int32, mode TransferMode, channel int, data []byte) error
	PacketPeer() int32
	PacketChannel() int
	PacketMode() TransferMode
	GetPacketFrom() ([]byte, PacketInfo, error)
	ReadPacketFrom(ctx context.Context) ([]byte, PacketInfo, error)
	WaitPacket(ctx context.Context) error
	UniqueID() int32
	ConnectionStatus() ConnectionStatus
	IsServer() bool
	IsServerRelaySupported() bool
	SetRefuseNewConnections(refuse bool)
	IsRefusingNewConnections() bool
	DisconnectPeer(id int32, force bool) error
	Poll() error
	PollEvent() (Event, bool)
	ReadEvent(ctx context.Context) (Event, error)
	WaitEvent(ctx context.Context) error
}

// Peer gives a Transport the behaviour Godot's MultiplayerPeer base class
// gives every subclass: the transfer settings (target peer, mode, channel)
// that PutPacket and PutVar use, the description of the next packet,
// refuse_new_connections, and the peer events; and, from the embedded
// *peer.Peer, PutVar, GetVar, blocking reads and uniform behaviour after
// Close. Transports embed *Peer in their own multiplayer peer type.
//
// A Peer is safe for concurrent use, with one reader at a time. The
// settings (SetTargetPeer, ...) are shared state, as in Godot; goroutines
// that send to different targets use SendTo instead.
type Peer struct {
	*peer.Peer
	t  Transport
	a  *adapter
	ev *Events

	target  atomic.Int32
	mode    atomic.Int32
	channel atomic.Int32
	refuse  atomic.Bool
}

// New returns a Peer on top of t with Godot's defaults: broadcast target,
// TransferModeReliable, channel 0, accepting new connections.
func New(t Transport) *Peer {
	p := &Peer{t: t, ev: t.Events()}
	p.mode.Store(int32(TransferModeReliable))
	p.a = &adapter{t: t, p: p, done: make(chan struct{})}
	p.Peer = peer.New(p.a)
	return p
}

// Transport returns the multiplayer transport p wraps.
func (p *Peer) Transport() Transport { return p.t }

// SetTargetPeer sets where PutPacket and PutVar send (Godot's
// set_target_peer): TargetPeerBroadcast (0) for every peer, a peer id for
// that peer, -id for every peer but id.
func (p *Peer) SetTargetPeer(id int32) { p.target.Store(id) }

// TargetPeer returns the target set by SetTargetPeer.
func (p *Peer) TargetPeer() int32 { return p.target.Load() }

// SetTransferMode sets the mode PutPacket and PutVar use (Godot's
// transfer_mode). An unknown mode is refused with ErrInvalidParameter.
func (p *Peer) SetTransferMode(m TransferMode) error {
	if !m.Valid() {
		return &peer.OpError{Op: "set transfer mode", Transport: "multiplayer", Code: peer.ErrInvalidParameter, Detail: m.String()}
	}
	p.mode.Store(int32(m))
	return nil
}

// TransferMode returns the mode set by SetTransferMode
// (TransferModeReliable by default).
func (p *Peer) TransferMode() TransferMode { return TransferMode(p.mode.Load()) }

// SetTransferChannel sets the channel PutPacket and PutVar use (Godot's
// transfer_channel). Channels outside [0, 255] are refused with
// ErrInvalidParameter (Godot only hints the range).
func (p *Peer) SetTransferChannel(ch int) error {
	if err := checkChannel("set transfer channel", ch); err != nil {
		return err
	}
	p.channel.Store(int32(ch))
	return nil
}

// TransferChannel returns the channel set by SetTransferChannel (0 by
// default).
func (p *Peer) TransferChannel() int { return int(p.channel.Load()) }

func checkChannel(op string, ch int) error {
	if ch < 0 || ch > MaxTransferChannel {
		return &peer.OpError{Op: op, Transport: "multiplayer", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("channel %d is outside [0, %d]", ch, MaxTransferChannel)}
	}
	return nil
}

// SendTo sends data as one packet to target with mode and channel, whatever
// SetTargetPeer, SetTransferMode and SetTransferChannel say: the form for
// goroutines that share a peer. An empty packet is not sent.
func (p *Peer) SendTo(target int32, mode TransferMode, channel int, data []byte) error {
	const op = "send to"
	if p.IsClosed() {
		return &peer.OpError{Op: op, Transport: "multiplayer", Err: peer.ErrClosed}
	}
	if !mode.Valid() {
		return &peer.OpError{Op: op, Transport: "multiplayer", Code: peer.ErrInvalidParameter, Detail: mode.String()}
	}
	if err := checkChannel(op, channel); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	return p.t.PutPacket(data, target, mode, channel)
}

// PacketPeer returns the id of the peer that sent the packet the next
// GetPacket returns (Godot's get_packet_peer), 0 when none is queued.
func (p *Peer) PacketPeer() int32 { return p.a.peek().From }

// PacketChannel returns the channel of the next packet (Godot's
// get_packet_channel).
func (p *Peer) PacketChannel() int { return p.a.peek().Channel }

// PacketMode returns the transfer mode of the next packet (Godot's
// get_packet_mode).
func (p *Peer) PacketMode() TransferMode { return p.a.peek().Mode }

// GetPacketFrom returns the next packet without blocking, as GetPacket, and
// who sent it how.
func (p *Peer) GetPacketFrom() ([]byte, PacketInfo, error) {
	if p.IsClosed() {
		return nil, PacketInfo{}, &peer.OpError{Op: "get packet", Transport: "multiplayer", Err: peer.ErrClosed}
	}
	return p.a.get()
}

// ReadPacketFrom waits for the next packet, as ReadPacket, and returns who
// sent it how. The slice is valid until the next read.
func (p *Peer) ReadPacketFrom(ctx context.Context) ([]byte, PacketInfo, error) {
	for {
		if err := p.WaitPacket(ctx); err != nil {
			if b, info, gerr := p.GetPacketFrom(); gerr == nil {
				return b, info, nil
			}
			return nil, PacketInfo{}, err
		}
		b, info, err := p.GetPacketFrom()
		if err == nil || !errors.Is(err, peer.ErrUnavailable) {
			return b, info, err
		}
	}
}

// WaitPacket waits until GetPacket has a packet (or the error that ended
// the session) to return, ctx ends, or the peer is closed. Godot-style code
// calls it, then PacketPeer, then GetPacket.
func (p *Peer) WaitPacket(ctx context.Context) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "wait packet", Transport: "multiplayer", Err: peer.ErrClosed}
	}
	return p.a.WaitPacket(ctx)
}

// UniqueID returns this peer's id (Godot's get_unique_id): 1 on a server,
// in [2, 2^31-1] on a connected client, 0 before a client has its id and
// after Close.
func (p *Peer) UniqueID() int32 {
	if p.IsClosed() {
		return 0
	}
	return p.t.UniqueID()
}

// ConnectionStatus returns the session's status (Godot's
// get_connection_status); ConnectionDisconnected after Close.
func (p *Peer) ConnectionStatus() ConnectionStatus {
	if p.IsClosed() {
		return ConnectionDisconnected
	}
	return p.t.ConnectionStatus()
}

// IsServer reports whether this peer is the server (Godot's is_server).
func (p *Peer) IsServer() bool { return p.t.IsServer() }

// IsServerRelaySupported reports whether the server relays packets between
// clients (Godot's is_server_relay_supported; SceneMultiplayer does the
// relaying).
func (p *Peer) IsServerRelaySupported() bool {
	if r, ok := p.t.(RelaySupporter); ok {
		return r.IsServerRelaySupported()
	}
	return false
}

// SetRefuseNewConnections makes a server turn new clients away (true) or
// accept them again (Godot's refuse_new_connections).
func (p *Peer) SetRefuseNewConnections(refuse bool) {
	p.refuse.Store(refuse)
	if r, ok := p.t.(Refuser); ok {
		r.SetRefuseNewConnections(refuse)
	}
}

// IsRefusingNewConnections returns the setting of SetRefuseNewConnections.
func (p *Peer) IsRefusingNewConnections() bool { return p.refuse.Load() }

// DisconnectPeer closes the connection to peer id (Godot's
// disconnect_peer). Without force the connection closes gracefully and a
// PeerDisconnected event follows when it has; with force the peer is
// forgotten at once and, as in Godot, no PeerDisconnected event is queued
// for it (on a client, forcing ends the whole session). An unknown id is
// refused with ErrInvalidParameter.
func (p *Peer) DisconnectPeer(id int32, force bool) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "disconnect peer", Transport: "multiplayer", Err: peer.ErrClosed}
	}
	return p.t.DisconnectPeer(id, force)
}

// Poll is Godot's poll. Transports with their own goroutines (every one in
// this module) do their work without it and it returns nil; a transport
// implementing Poller does its work here. Either way events are then read
// with PollEvent.
func (p *Peer) Poll() error {
	if p.IsClosed() {
		return &peer.OpError{Op: "poll", Transport: "multiplayer", Err: peer.ErrClosed}
	}
	if pl, ok := p.t.(Poller); ok {
		return pl.Poll()
	}
	return nil
}

// PollEvent returns the oldest queued peer event without blocking, false
// when none is queued: Godot's signals, read in a loop after Poll.
func (p *Peer) PollEvent() (Event, bool) { return p.ev.pop() }

// ReadEvent waits for the next peer event. It returns ctx's error when ctx
// ends first and an error matching ErrClosed after Close.
func (p *Peer) ReadEvent(ctx context.Context) (Event, error) {
	if p.IsClosed() {
		return Event{}, &peer.OpError{Op: "read event", Transport: "multiplayer", Err: peer.ErrClosed}
	}
	return p.ev.wait(ctx)
}

// WaitEvent waits until PollEvent has an event to return, without taking
// it, so that one goroutine can handle events and packets in the order
// they were queued. It returns ctx's error when ctx ends first and an error
// matching ErrClosed after Close.
func (p *Peer) WaitEvent(ctx context.Context) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "wait event", Transport: "multiplayer", Err: peer.ErrClosed}
	}
	return p.ev.waitReady(ctx)
}

// EventsDropped returns how many events were dropped because MaxQueuedEvents
// were queued and unread.
func (p *Peer) EventsDropped() uint64 { return p.ev.Dropped() }

// adapter is the peer.Transport under the embedded *peer.Peer: it sends
// with the current settings and keeps a one-packet look-ahead for
// PacketPeer, PacketChannel and PacketMode.
type adapter struct {
	t    Transport
	p    *Peer
	done chan struct{}

	mu        sync.Mutex
	staged    bool
	stageErr  error
	stageInfo PacketInfo
	stageBuf  [2][]byte // alternate, so a peek never overwrites the packet returned last
	stageIdx  int
}

func (a *adapter) PutPacket(b []byte) error {
	return a.t.PutPacket(b, a.p.target.Load(), TransferMode(a.p.mode.Load()), int(a.p.channel.Load()))
}

func (a *adapter) GetPacket() ([]byte, error) {
	b, _, err := a.get()
	return b, err
}

func (a *adapter) get() ([]byte, PacketInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.staged {
		a.staged = false
		return a.stageBuf[a.stageIdx], a.stageInfo, nil
	}
	if err := a.stageErr; err != nil {
		return nil, PacketInfo{}, err
	}
	return a.t.GetPacket()
}

// peek describes the next packet, fetching it from the transport into the
// look-ahead if needed.
func (a *adapter) peek() PacketInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.staged {
		return a.stageInfo
	}
	if a.stageErr != nil {
		return PacketInfo{}
	}
	b, info, err := a.t.GetPacket()
	if err != nil {
		if !errors.Is(err, peer.ErrUnavailable) {
			a.stageErr = err
		}
		return PacketInfo{}
	}
	a.stageIdx ^= 1
	a.stageBuf[a.stageIdx] = append(a.stageBuf[a.stageIdx][:0], b...)
	a.stageInfo, a.staged = info, true
	return info
}

// pollReady fetches the next packet or error into the look-ahead and
// reports whether there is one.
func (a *adapter) pollReady() bool {
	a.peek()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.staged || a.stageErr != nil
}

func (a *adapter) AvailablePacketCount() int {
	a.mu.Lock()
	staged := a.staged
	a.mu.Unlock()
	n := a.t.AvailablePacketCount()
	if staged {
		n++
	}
	return n
}

func (a *adapter) MaxPacketSize() int { return a.t.MaxPacketSize() }

// TransportName implements peer.Namer: the transport's name when it has
// one, else "multiplayer".
func (a *adapter) TransportName() string {
	if n, ok := a.t.(peer.Namer); ok {
		return n.TransportName()
	}
	return "multiplayer"
}

func (a *adapter) PeerStats() peer.PeerStats {
	if s, ok := a.t.(peer.StatsReporter); ok {
		return s.PeerStats()
	}
	return peer.PeerStats{}
}

func (a *adapter) WaitPacket(ctx context.Context) error {
	a.mu.Lock()
	ready := a.staged || a.stageErr != nil
	a.mu.Unlock()
	if ready {
		return nil
	}
	if w, ok := a.t.(peer.Waiter); ok {
		return w.WaitPacket(ctx)
	}
	// A transport without Waiter is polled, backing off to 10ms; polling
	// through the look-ahead also sees the error that ends a session.
	delay := 100 * time.Microsecond
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for !a.pollReady() {
		select {
		case <-timer.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-a.done:
			return &peer.OpError{Op: "wait packet", Transport: "multiplayer", Err: peer.ErrClosed}
		}
		if pl, ok := a.t.(Poller); ok {
			if err := pl.Poll(); err != nil {
				return err
			}
		}
		delay = min(2*delay, 10*time.Millisecond)
		timer.Reset(delay)
	}
	return nil
}

func (a *adapter) Close() error {
	close(a.done)
	a.p.ev.close()
	return a.t.Close()
}
