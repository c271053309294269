package webrtc

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
)

// Channel layout of Godot's WebRTCMultiplayerPeer: the first three
// channels carry transfer channel 0 in each mode; custom channel i (transfer
// channel i+1) is SCTP stream 4+i, labelled with its id.
const (
	mpChReliable   = 0 // SCTP id 1, "reliable"
	mpChOrdered    = 1 // SCTP id 2, "ordered"
	mpChUnreliable = 2 // SCTP id 3, "unreliable"
	mpChReserved   = 3
)

// MultiplayerMaxPacketSize is what Godot's WebRTCMultiplayerPeer reports as
// get_max_packet_size: 1200 bytes, advisory (larger packets are sent, up to
// the channel's MaxPacketSize).
const MultiplayerMaxPacketSize = 1200

// MultiplayerConfig is the channels_config of Godot's create_server,
// create_client and create_mesh, and for ListenMultiplayer and
// DialMultiplayer the lobby and connection settings. The zero value is
// Godot's default: no custom channels.
type MultiplayerConfig struct {
	// Channels are the custom channels, transfer channels 1, 2, ... in
	// order, each created reliable (ordered), unreliable ordered
	// (maxPacketLifeTime 1 ms) or unreliable (unordered, maxPacketLifeTime
	// 1 ms) by its mode. A mode outside the three is refused with
	// ErrInvalidParameter.
	Channels []multiplayer.TransferMode
	// Connection configures the PeerConnections ListenMultiplayer and
	// DialMultiplayer create, their lobby (Lobby) and how long a member may
	// take to connect (HandshakeTimeout). Its Channels field is not used:
	// the channels are the multiplayer peer's. nil means the defaults.
	Connection *Config
}

// MultiplayerStats counts a server's or mesh's peers.
type MultiplayerStats struct {
	// Connected counts the peers reported with PeerConnected.
	Connected uint64
	// Refused counts AddPeer calls refused while SetRefuseNewConnections
	// was on (ListenMultiplayer's lobby members among them), and lobby
	// members whose id was taken.
	Refused uint64
	// TimedOut counts lobby members that did not connect within
	// HandshakeTimeout (ListenMultiplayer only): they were removed.
	TimedOut uint64
	// Failed counts lobby members removed because their offer, answer or
	// candidate could not be used (ListenMultiplayer only).
	Failed uint64
}

// ConnectedPeer is what Godot's get_peer returns for one peer (its
// dictionary {connection, channels, connected}): the PeerConnection, its
// channels in layout order, and whether every channel is open and the
// peer was reported with PeerConnected.
type ConnectedPeer struct {
	Connection *PeerConnection
	Channels   []*DataChannel
	Connected  bool
}

type mpMode int

const (
	mpServer mpMode = iota
	mpClient
	mpMesh
)

// MultiplayerPeer is Godot 4's WebRTCMultiplayerPeer: a server, client or
// mesh member of Godot's high-level multiplayer, one PeerConnection per
// remote peer. It embeds *multiplayer.Peer, so it has the whole
// multiplayer API (ids, targets, events, PutVar and the rest) and passes
// multiplayertest.
//
// As in Godot it makes no offers and takes no descriptions: the
// application creates each PeerConnection (in StateNew), gives it to
// AddPeer with the remote id, which creates the channels, and then does
// the offer, answer and candidate exchange through its signalling.
// ListenMultiplayer and DialMultiplayer do all that through a signalling
// server speaking Godot's webrtc_signaling demo protocol (package
// signaling).
//
// The channels are Godot's, all negotiated, identical on both sides: SCTP
// stream 1 "reliable" (ordered, reliable), 2 "ordered" (ordered,
// maxPacketLifeTime = AddPeer's unreliableLifetime), 3 "unreliable"
// (unordered, same lifetime), then one per MultiplayerConfig.Channels
// entry, stream 4+i labelled "4", "5", ... Transfer channel 0 sends on 1,
// 2 or 3 by transfer mode; transfer channel c > 0 on stream c+3 whatever
// the mode, and a receiver reports the mode the channel was created with.
// Packets carry no header.
//
// A peer is connected, and PeerConnected reported (on a client: with
// ConnectionConnected), once its PeerConnection is StateConnected and every
// channel is open. Its PeerConnection leaving StateConnected (disconnected,
// failed, closed) or any channel closing removes it, with
// PeerDisconnected if it was connected (on a client, losing peer 1 ends the
// session). A removed peer's PeerConnection is closed, as Godot's is when
// its last reference goes. A client whose connection to the server ends
// before it connected is ConnectionDisconnected too (Godot's stays
// CONNECTING): a session does not restart, create a new client to retry.
//
// Where Godot 4.6 differs: add_peer with an id already added replaces the
// older peer silently (AddPeer refuses it, ErrAlreadyInUse);
// get_unique_id after close returns 1 with an error (UniqueID returns 0);
// put_packet on a channel not open yet returns ERR_UNCONFIGURED on the web
// (here ErrFailed, as DataChannel.PutPacket reports it).
//
// Received packets stay in their channel's queue (bounded by the
// PeerConnection's Config.ReceiveBufferBytes and ReceiveBufferPackets per
// channel) until read; the peer keeps an 8-byte note per queued packet of
// whose packet comes next (multiplayer.Queue).
//
// Godot → Go:
//
//	WebRTCMultiplayerPeer.create_server(channels_config)  CreateServer(&MultiplayerConfig{Channels: ...})
//	create_client(peer_id, channels_config)               CreateClient(id, cfg)
//	create_mesh(peer_id, channels_config)                 CreateMesh(id, cfg)
//	add_peer(peer, peer_id, unreliable_lifetime = 1)      AddPeer(pc, id, unreliableLifetime)
//	remove_peer(peer_id)                                  RemovePeer(id)
//	has_peer(peer_id)                                     HasPeer(id)
//	get_peer(peer_id)                                     GetPeer(id) (*ConnectedPeer, nil if none)
//	get_peers()                                           GetPeers() (map[int32]ConnectedPeer)
//	(the webrtc_signaling demo's glue)                    ListenMultiplayer, DialMultiplayer
type MultiplayerPeer struct {
	*multiplayer.Peer
	m *mpTransport
}

type mpChannel struct {
	t       *dcTransport
	dc      *DataChannel
	p       *mpPeer
	channel int // transfer channel reported on receipt
	mode    multiplayer.TransferMode
}

type mpPeer struct {
	id    int32
	pc    *PeerConnection
	chans []*mpChannel

	connected bool        // guarded by mpTransport.mu
	live      atomic.Bool // connected, for onPacket
	removed   atomic.Bool
}

type mpTransport struct {
	mode  mpMode
	modes []multiplayer.TransferMode // by channel index
	ev    multiplayer.Events

	status atomic.Int32
	id     atomic.Int32
	refuse atomic.Bool

	mu     sync.Mutex
	peers  map[int32]*mpPeer
	closed bool
	wg     sync.WaitGroup // closing removed peers' connections

	// q notes whose channel has the next packet: one note per packet
	// queued on a connected peer's channel (a few more while a peer
	// connects; a note whose channel is empty is skipped).
	q *multiplayer.Queue[*mpChannel]

	connected, refused, timedOut, failed atomic.Uint64

	conn  *multiplayer.Connecting // client: the server connected, or the session failed
	lobby *mpLobby                // ListenMultiplayer, DialMultiplayer
}

func newMultiplayer(op string, mode mpMode, id int32, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	if id < 1 {
		return nil, &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("unique id %d is outside [1, 2^31-1]", id)}
	}
	if mode == mpClient && id == multiplayer.TargetPeerServer {
		return nil, &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: "a client cannot have id 1"}
	}
	m := &mpTransport{
		mode:  mode,
		modes: []multiplayer.TransferMode{multiplayer.TransferModeReliable, multiplayer.TransferModeUnreliableOrdered, multiplayer.TransferModeUnreliable},
		peers: map[int32]*mpPeer{},
		q:     multiplayer.NewQueue[*mpChannel](),
		conn:  multiplayer.NewConnecting("webrtc"),
	}
	if cfg != nil {
		if len(cfg.Channels) > multiplayer.MaxTransferChannel {
			return nil, &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter,
				Detail: fmt.Sprintf("%d custom channels, at most %d", len(cfg.Channels), multiplayer.MaxTransferChannel)}
		}
		for i, mode := range cfg.Channels {
			if !mode.Valid() {
				return nil, &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter,
					Detail: fmt.Sprintf("channel %d: %v is not a transfer mode", i+1, mode)}
			}
		}
		m.modes = append(m.modes, cfg.Channels...)
	}
	m.id.Store(id)
	if mode == mpClient {
		m.status.Store(int32(multiplayer.ConnectionConnecting))
	} else {
		m.status.Store(int32(multiplayer.ConnectionConnected))
	}
	return &MultiplayerPeer{Peer: multiplayer.New(m), m: m}, nil
}

// CreateServer returns a server (Godot's create_server): id 1,
// ConnectionConnected at once. Add each client's PeerConnection with
// AddPeer. cfg may be nil.
func CreateServer(cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	return newMultiplayer("create server", mpServer, multiplayer.TargetPeerServer, cfg)
}

// CreateClient returns a client with the given id, in [2, 2^31-1], that
// the signalling gave it (Godot's create_client). It is
// ConnectionConnecting until AddPeer's connection to the server (id 1) is
// connected, then ConnectionConnected with a PeerConnected(1) event.
func CreateClient(id int32, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	return newMultiplayer("create client", mpClient, id, cfg)
}

// CreateMesh returns a mesh member with the given id, in [1, 2^31-1]
// (Godot's create_mesh): ConnectionConnected at once, not a server, with a
// direct PeerConnection (AddPeer) to every other member.
func CreateMesh(id int32, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	return newMultiplayer("create mesh", mpMesh, id, cfg)
}

// AddPeer adds the remote peer id reached through pc (Godot's add_peer):
// it creates the channels on pc, which must be in StateNew, and watches
// it; the application then makes or takes the offer. unreliableLifetime is
// the maxPacketLifeTime in milliseconds of the "ordered" and "unreliable"
// channels (Godot's default is 1). A client may only add id 1, a server
// any id but 1. Errors match ErrInvalidParameter for a bad id, lifetime or
// connection, ErrUnauthorized while SetRefuseNewConnections is on,
// ErrAlreadyInUse for an id already added (Godot silently replaces the
// older peer), ErrClosed after Close.
func (p *MultiplayerPeer) AddPeer(pc *PeerConnection, id int32, unreliableLifetime int) error {
	const op = "add peer"
	m := p.m
	bad := func(format string, a ...any) error {
		return &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf(format, a...)}
	}
	switch {
	case p.IsClosed():
		return &peer.OpError{Op: op, Transport: "webrtc", Err: peer.ErrClosed}
	case m.mode == mpClient && id != multiplayer.TargetPeerServer:
		return bad("a client only adds the server, id 1, not %d", id)
	case m.mode == mpServer && id == multiplayer.TargetPeerServer:
		return bad("a server cannot add id 1")
	case id < 1:
		return bad("peer id %d is outside [1, 2^31-1]", id)
	case unreliableLifetime < 0 || unreliableLifetime > math.MaxUint16:
		return bad("unreliable lifetime %d ms is outside [0, 65535]", unreliableLifetime)
	case m.refuse.Load():
		m.refused.Add(1)
		return &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrUnauthorized, Detail: "refusing new connections"}
	case pc == nil:
		return bad("no peer connection")
	case pc.ConnectionState() != StateNew:
		return bad("the peer connection is %v, not STATE_NEW", pc.ConnectionState())
	}
	m.mu.Lock()
	taken := m.peers[id] != nil
	m.mu.Unlock()
	if taken {
		return &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrAlreadyInUse, Detail: fmt.Sprintf("peer %d was added already", id)}
	}
	mp := &mpPeer{id: id, pc: pc}
	for i, mode := range m.modes {
		var label string
		cfg := DataChannelConfig{Negotiated: true, ID: i + 1}
		switch i {
		case mpChReliable:
			label = "reliable"
		case mpChOrdered:
			label = "ordered"
			cfg.MaxPacketLifeTime = Ptr(unreliableLifetime)
		case mpChUnreliable:
			label = "unreliable"
			cfg.MaxPacketLifeTime, cfg.Ordered = Ptr(unreliableLifetime), Ptr(false)
		default:
			label = strconv.Itoa(i + 1)
			switch mode {
			case multiplayer.TransferModeUnreliableOrdered:
				cfg.MaxPacketLifeTime = Ptr(1)
			case multiplayer.TransferModeUnreliable:
				cfg.MaxPacketLifeTime, cfg.Ordered = Ptr(1), Ptr(false)
			}
		}
		dc, err := pc.CreateDataChannel(label, &cfg)
		if err != nil {
			for _, c := range mp.chans {
				c.dc.Close()
			}
			return err
		}
		ch := &mpChannel{t: dc.t, dc: dc, p: mp, mode: mode}
		if i >= mpChReserved {
			ch.channel = i - mpChReserved + 1
		}
		mp.chans = append(mp.chans, ch)
	}
	m.mu.Lock()
	if m.closed || m.peers[id] != nil {
		closed := m.closed
		m.mu.Unlock()
		for _, c := range mp.chans {
			c.dc.Close()
		}
		if closed {
			return &peer.OpError{Op: op, Transport: "webrtc", Err: peer.ErrClosed}
		}
		return &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrAlreadyInUse, Detail: fmt.Sprintf("peer %d was added already", id)}
	}
	m.peers[id] = mp
	m.mu.Unlock()
	check := func() { m.check(mp) }
	for _, c := range mp.chans {
		c.t.hook.Store(&channelHook{packet: func() { m.onPacket(c) }, open: check, gone: check})
	}
	pc.stateHook.Store(&check)
	check()
	return nil
}

// check applies Godot's poll to mp: connected once the connection is and
// every channel is open, removed once either is not.
func (m *mpTransport) check(mp *mpPeer) {
	m.mu.Lock()
	if m.peers[mp.id] != mp {
		m.mu.Unlock()
		return
	}
	switch mp.pc.ConnectionState() {
	case StateNew, StateConnecting:
		m.mu.Unlock()
		return
	case StateConnected:
	default:
		m.removeLocked(mp, true)
		return
	}
	open := 0
	for _, c := range mp.chans {
		select {
		case <-c.t.gone:
			m.removeLocked(mp, true)
			return
		case <-c.t.opened:
			open++
		default:
		}
	}
	if open < len(mp.chans) || mp.connected {
		m.mu.Unlock()
		return
	}
	mp.connected = true
	mp.live.Store(true)
	m.connected.Add(1)
	if m.mode == mpClient {
		m.status.Store(int32(multiplayer.ConnectionConnected))
	}
	// Packets that arrived while the peer connected wait in its channels.
	for _, c := range mp.chans {
		for range c.t.q.Len() {
			m.q.Push(c)
		}
	}
	m.ev.PeerConnected(mp.id)
	m.mu.Unlock()
	if m.mode == mpClient {
		m.conn.Finish(nil)
	}
}

// removeLocked forgets mp, reports it gone if it was connected, unlocks
// m.mu and closes mp's connection: at once when the caller is the
// application, in the background when it may be a pion goroutine (which
// closing waits for).
func (m *mpTransport) removeLocked(mp *mpPeer, background bool) {
	delete(m.peers, mp.id)
	mp.removed.Store(true)
	mp.live.Store(false)
	wasConnected := mp.connected
	mp.connected = false
	if m.mode == mpClient && mp.id == multiplayer.TargetPeerServer {
		if wasConnected {
			m.endSession(errServerGone)
		} else {
			m.endSession(multiplayer.SessionEnded("webrtc", "the connection to the server failed before it opened"))
		}
	}
	if wasConnected {
		m.ev.PeerDisconnected(mp.id)
	}
	if !background {
		m.mu.Unlock()
		mp.pc.Close()
		return
	}
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		mp.pc.Close()
	}()
}

var (
	errServerGone = multiplayer.SessionEnded("webrtc", "the connection to the server closed")
	errMPNotConn  = &peer.OpError{Op: "put packet", Transport: "webrtc", Code: peer.ErrUnconfigured, Detail: "not connected"}
)

// endSession makes a client ConnectionDisconnected with id 0; reads report
// err once the queued packets are read.
func (m *mpTransport) endSession(err error) {
	m.status.Store(int32(multiplayer.ConnectionDisconnected))
	m.id.Store(0)
	m.q.End(err)
	m.conn.Finish(&peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect, Detail: err.Error()})
}

func (m *mpTransport) onPacket(c *mpChannel) {
	if c.p.live.Load() { // else noted when the peer connects
		m.q.Push(c)
	}
}

// RemovePeer removes peer id (Godot's remove_peer): PeerDisconnected if it
// was connected (on a client, removing the server ends the session), and
// its PeerConnection is closed. An unknown id is refused with
// ErrInvalidParameter.
func (p *MultiplayerPeer) RemovePeer(id int32) error {
	m := p.m
	m.mu.Lock()
	mp := m.peers[id]
	if mp == nil {
		m.mu.Unlock()
		return &peer.OpError{Op: "remove peer", Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("no peer %d", id)}
	}
	m.removeLocked(mp, false)
	return nil
}

// HasPeer reports whether peer id was added and not removed (Godot's
// has_peer), connected or not.
func (p *MultiplayerPeer) HasPeer(id int32) bool {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	return p.m.peers[id] != nil
}

// GetPeer describes peer id (Godot's get_peer), nil if there is none. Use
// the connection and channels for their state and statistics; reading from
// a channel would take packets from the MultiplayerPeer.
func (p *MultiplayerPeer) GetPeer(id int32) *ConnectedPeer {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	mp := p.m.peers[id]
	if mp == nil {
		return nil
	}
	cp := mp.info()
	return &cp
}

// GetPeers describes every peer by id (Godot's get_peers).
func (p *MultiplayerPeer) GetPeers() map[int32]ConnectedPeer {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	out := make(map[int32]ConnectedPeer, len(p.m.peers))
	for id, mp := range p.m.peers {
		out[id] = mp.info()
	}
	return out
}

func (mp *mpPeer) info() ConnectedPeer {
	cp := ConnectedPeer{Connection: mp.pc, Connected: mp.connected, Channels: make([]*DataChannel, len(mp.chans))}
	for i, c := range mp.chans {
		cp.Channels[i] = c.dc
	}
	return cp
}

// Stats returns the peer's counters.
func (p *MultiplayerPeer) Stats() MultiplayerStats {
	return MultiplayerStats{Connected: p.m.connected.Load(), Refused: p.m.refused.Load(),
		TimedOut: p.m.timedOut.Load(), Failed: p.m.failed.Load()}
}

// channelIndex maps a transfer mode and channel to the layout index.
func channelIndex(mode multiplayer.TransferMode, channel int) int {
	if channel > 0 {
		return channel + mpChReserved - 1
	}
	switch mode {
	case multiplayer.TransferModeUnreliableOrdered:
		return mpChOrdered
	case multiplayer.TransferModeUnreliable:
		return mpChUnreliable
	}
	return mpChReliable
}

func (m *mpTransport) PutPacket(p []byte, target int32, mode multiplayer.TransferMode, channel int) error {
	if multiplayer.ConnectionStatus(m.status.Load()) == multiplayer.ConnectionDisconnected {
		return errMPNotConn
	}
	idx := channelIndex(mode, channel)
	if idx >= len(m.modes) {
		return &peer.OpError{Op: "put packet", Transport: "webrtc", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("transfer channel %d: the peer has %d custom channels", channel, len(m.modes)-mpChReserved)}
	}
	if target > 0 {
		m.mu.Lock()
		mp := m.peers[target]
		m.mu.Unlock()
		if mp == nil {
			return &peer.OpError{Op: "put packet", Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("no peer %d", target)}
		}
		return mp.chans[idx].t.PutPacket(p)
	}
	// Send outside the lock: a full send queue waits for pion, whose
	// goroutines report into check.
	var buf [16]*dcTransport
	ts := buf[:0]
	m.mu.Lock()
	for id, mp := range m.peers {
		if target != 0 && id == -target {
			continue
		}
		ts = append(ts, mp.chans[idx].t)
	}
	m.mu.Unlock()
	// As Godot's, a broadcast reports no error of its own: a peer still
	// connecting simply does not get it.
	for _, t := range ts {
		_ = t.PutPacket(p)
	}
	return nil
}

func (m *mpTransport) GetPacket() ([]byte, multiplayer.PacketInfo, error) {
	return m.q.GetPacket(readNote)
}

// readNote reads the packet a note is for, from a peer still there.
func readNote(c *mpChannel) ([]byte, multiplayer.PacketInfo, bool) {
	if c.p.removed.Load() {
		return nil, multiplayer.PacketInfo{}, false
	}
	b, err := c.t.GetPacket()
	if err != nil {
		return nil, multiplayer.PacketInfo{}, false
	}
	return b, multiplayer.PacketInfo{From: c.p.id, Channel: c.channel, Mode: c.mode}, true
}

func (m *mpTransport) WaitPacket(ctx context.Context) error { return m.q.Wait(ctx) }

// AvailablePacketCount counts the packets queued on connected peers'
// channels, as Godot's.
func (m *mpTransport) AvailablePacketCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, mp := range m.peers {
		if !mp.connected {
			continue
		}
		for _, c := range mp.chans {
			n += c.t.q.Len()
		}
	}
	return n
}

// MaxPacketSize is Godot's: 1200, advisory.
func (m *mpTransport) MaxPacketSize() int { return MultiplayerMaxPacketSize }

func (m *mpTransport) UniqueID() int32 { return m.id.Load() }
func (m *mpTransport) ConnectionStatus() multiplayer.ConnectionStatus {
	return multiplayer.ConnectionStatus(m.status.Load())
}
func (m *mpTransport) IsServer() bool                 { return m.mode == mpServer }
func (m *mpTransport) IsServerRelaySupported() bool   { return m.mode != mpMesh }
func (m *mpTransport) SetRefuseNewConnections(r bool) { m.refuse.Store(r) }
func (m *mpTransport) Events() *multiplayer.Events    { return &m.ev }

func (m *mpTransport) DisconnectPeer(id int32, force bool) error {
	m.mu.Lock()
	mp := m.peers[id]
	if mp == nil {
		m.mu.Unlock()
		return &peer.OpError{Op: "disconnect peer", Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("no peer %d", id)}
	}
	if !force {
		// Godot closes the connection; the peer is removed, with
		// PeerDisconnected, when its channels report it.
		m.mu.Unlock()
		return mp.pc.Close()
	}
	// Forgotten at once, without an event.
	mp.connected = false
	if m.mode == mpClient {
		m.endSession(multiplayer.SessionEnded("webrtc", "disconnected"))
	}
	m.removeLocked(mp, false)
	return nil
}

func (m *mpTransport) Close() error {
	if m.lobby != nil {
		m.lobby.close()
	}
	m.mu.Lock()
	m.closed = true
	peers := m.peers
	m.peers = map[int32]*mpPeer{}
	m.mu.Unlock()
	m.q.Close()
	for _, mp := range peers {
		mp.removed.Store(true)
		mp.pc.Close()
	}
	m.wg.Wait()
	m.status.Store(int32(multiplayer.ConnectionDisconnected))
	m.id.Store(0)
	m.conn.Finish(&peer.OpError{Op: "dial", Transport: "webrtc", Err: peer.ErrClosed})
	m.q.Close()
	return nil
}
