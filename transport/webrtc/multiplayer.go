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
// ConnectionConnected), once every channel is open and its PeerConnection
// is StateConnected, or still StateConnecting (pion can report that state
// late, or leave it there: see check). Its PeerConnection becoming
// disconnected, failed or closed, or any channel closing, removes it, with
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

	live    atomic.Bool // connected: its packets are noted
	removed atomic.Bool
}

type mpTransport struct {
	*multiplayer.Session[*mpPeer]
	modes []multiplayer.TransferMode // by channel index

	// mu orders a peer's connecting, removal and expiry, which pion's
	// goroutines and the application report concurrently, and removals
	// against Close.
	mu sync.Mutex
	wg sync.WaitGroup // closing removed peers' connections

	// q notes whose channel has the next packet: one note per packet
	// queued on a connected peer's channel (a few more while a peer
	// connects; a note whose channel is empty is skipped).
	q *multiplayer.Queue[*mpChannel]

	connected, refused, timedOut, failed atomic.Uint64

	lobby *mpLobby // ListenMultiplayer, DialMultiplayer
}

func newMultiplayer(op string, role multiplayer.Role, id int32, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	if id < 1 {
		return nil, &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("unique id %d is outside [1, 2^31-1]", id)}
	}
	if role == multiplayer.RoleClient && id == multiplayer.TargetPeerServer {
		return nil, &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: "a client cannot have id 1"}
	}
	m := &mpTransport{
		modes: []multiplayer.TransferMode{multiplayer.TransferModeReliable, multiplayer.TransferModeUnreliableOrdered, multiplayer.TransferModeUnreliable},
		q:     multiplayer.NewQueue[*mpChannel](),
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
	m.Session = multiplayer.NewSession[*mpPeer]("webrtc", role, id, m.q.End)
	return &MultiplayerPeer{Peer: multiplayer.New(m), m: m}, nil
}

// CreateServer returns a server (Godot's create_server): id 1,
// ConnectionConnected at once. Add each client's PeerConnection with
// AddPeer. cfg may be nil.
func CreateServer(cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	return newMultiplayer("create server", multiplayer.RoleServer, multiplayer.TargetPeerServer, cfg)
}

// CreateClient returns a client with the given id, in [2, 2^31-1], that
// the signalling gave it (Godot's create_client). It is
// ConnectionConnecting until AddPeer's connection to the server (id 1) is
// connected, then ConnectionConnected with a PeerConnected(1) event.
func CreateClient(id int32, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	return newMultiplayer("create client", multiplayer.RoleClient, id, cfg)
}

// CreateMesh returns a mesh member with the given id, in [1, 2^31-1]
// (Godot's create_mesh): ConnectionConnected at once, not a server, with a
// direct PeerConnection (AddPeer) to every other member.
func CreateMesh(id int32, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	return newMultiplayer("create mesh", multiplayer.RoleMesh, id, cfg)
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
	case m.Role() == multiplayer.RoleClient && id != multiplayer.TargetPeerServer:
		return bad("a client only adds the server, id 1, not %d", id)
	case m.Role() == multiplayer.RoleServer && id == multiplayer.TargetPeerServer:
		return bad("a server cannot add id 1")
	case id < 1:
		return bad("peer id %d is outside [1, 2^31-1]", id)
	case unreliableLifetime < 0 || unreliableLifetime > math.MaxUint16:
		return bad("unreliable lifetime %d ms is outside [0, 65535]", unreliableLifetime)
	case m.IsRefusingNewConnections():
		m.refused.Add(1)
		return &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrUnauthorized, Detail: "refusing new connections"}
	case pc == nil:
		return bad("no peer connection")
	case pc.ConnectionState() != StateNew:
		return bad("the peer connection is %v, not STATE_NEW", pc.ConnectionState())
	}
	if _, taken := m.Peer(id); taken {
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
	if err := m.Add(id, mp); err != nil {
		for _, c := range mp.chans {
			c.dc.Close()
		}
		return err
	}
	check := func() { m.check(mp) }
	for _, c := range mp.chans {
		c.t.hook.Store(&channelHook{packet: func() { m.onPacket(c) }, open: check, gone: check})
	}
	pc.stateHook.Store(&check)
	check()
	return nil
}

// check applies Godot's poll to mp: connected once every channel is open
// on a live connection, removed once a channel or the connection ends.
func (m *mpTransport) check(mp *mpPeer) {
	m.mu.Lock()
	if cur, ok := m.Peer(mp.id); !ok || cur != mp {
		m.mu.Unlock()
		return
	}
	state := mp.pc.ConnectionState()
	switch state {
	case StateNew, StateConnecting, StateConnected:
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
		default:
		}
		if c.t.isOpen.Load() {
			open++
		}
	}
	// Godot waits for STATE_CONNECTED as well; here open channels are
	// enough, since they run over the connection. pion v4.2 computes its
	// connection state in two goroutines without a lock (the ICE state
	// handler and the DTLS start), so it can report connected after the
	// channels open, or stay at connecting when the stale computation is
	// stored last (pion/webrtc#2578 saw the ICE state reordered so).
	// Waiting for it left a dial hanging until its deadline in CI.
	if state == StateNew || open < len(mp.chans) || mp.live.Load() {
		m.mu.Unlock()
		return
	}
	mp.live.Store(true)
	m.connected.Add(1)
	// Packets that arrived while the peer connected wait in its channels.
	for _, c := range mp.chans {
		for range c.t.q.Len() {
			m.q.Push(c)
		}
	}
	m.Connect(mp.id, mp)
	m.mu.Unlock()
}

// removeLocked forgets mp (PeerDisconnected if it was connected), unlocks
// m.mu and closes mp's connection: at once when the caller is the
// application, in the background when it may be a pion goroutine (which
// closing waits for).
func (m *mpTransport) removeLocked(mp *mpPeer, background bool) {
	mp.removed.Store(true)
	mp.live.Store(false)
	if !m.Remove(mp.id, mp) {
		m.mu.Unlock()
		return
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
	mp, ok := m.Peer(id)
	if !ok {
		m.mu.Unlock()
		return &peer.OpError{Op: "remove peer", Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("no peer %d", id)}
	}
	m.removeLocked(mp, false)
	return nil
}

// HasPeer reports whether peer id was added and not removed (Godot's
// has_peer), connected or not.
func (p *MultiplayerPeer) HasPeer(id int32) bool {
	_, ok := p.m.Peer(id)
	return ok
}

// GetPeer describes peer id (Godot's get_peer), nil if there is none. Use
// the connection and channels for their state and statistics; reading from
// a channel would take packets from the MultiplayerPeer.
func (p *MultiplayerPeer) GetPeer(id int32) *ConnectedPeer {
	mp, ok := p.m.Peer(id)
	if !ok {
		return nil
	}
	cp := mp.info()
	return &cp
}

// GetPeers describes every peer by id (Godot's get_peers).
func (p *MultiplayerPeer) GetPeers() map[int32]ConnectedPeer {
	out := map[int32]ConnectedPeer{}
	p.m.Each(func(id int32, mp *mpPeer) { out[id] = mp.info() })
	return out
}

func (mp *mpPeer) info() ConnectedPeer {
	cp := ConnectedPeer{Connection: mp.pc, Connected: mp.live.Load(), Channels: make([]*DataChannel, len(mp.chans))}
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
	if m.ConnectionStatus() == multiplayer.ConnectionDisconnected {
		return m.ErrNotConnected()
	}
	idx := channelIndex(mode, channel)
	if idx >= len(m.modes) {
		return &peer.OpError{Op: "put packet", Transport: "webrtc", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("transfer channel %d: the peer has %d custom channels", channel, len(m.modes)-mpChReserved)}
	}
	// Send outside the session's lock: a full send queue waits for pion,
	// whose goroutines report into check.
	var buf [16]*mpPeer
	to, err := m.Targets(buf[:0], target)
	if err != nil {
		return err
	}
	if target > 0 {
		return to[0].chans[idx].t.PutPacket(p)
	}
	// As Godot's, a broadcast reports no error of its own: a peer still
	// connecting simply does not get it.
	for _, mp := range to {
		_ = mp.chans[idx].t.PutPacket(p)
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
	n := 0
	m.Each(func(_ int32, mp *mpPeer) {
		if mp.live.Load() {
			for _, c := range mp.chans {
				n += c.t.q.Len()
			}
		}
	})
	return n
}

// MaxPacketSize is Godot's: 1200, advisory.
func (m *mpTransport) MaxPacketSize() int { return MultiplayerMaxPacketSize }

func (m *mpTransport) DisconnectPeer(id int32, force bool) error {
	m.mu.Lock()
	mp, err := m.Disconnect(id, force)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	if !force {
		// Godot closes the connection; the peer is removed, with
		// PeerDisconnected, when its channels report it.
		m.mu.Unlock()
		return mp.pc.Close()
	}
	// Forgotten at once, without an event.
	mp.removed.Store(true)
	mp.live.Store(false)
	m.mu.Unlock()
	mp.pc.Close()
	return nil
}

func (m *mpTransport) Close() error {
	if m.lobby != nil {
		m.lobby.close()
	}
	m.mu.Lock()
	peers := m.Session.Close()
	m.mu.Unlock()
	m.q.Close()
	for _, mp := range peers {
		mp.removed.Store(true)
		mp.pc.Close()
	}
	m.wg.Wait()
	m.q.Close()
	return nil
}
