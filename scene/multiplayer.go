package scene

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

// DefaultAuthTimeout is Godot's default auth_timeout.
const DefaultAuthTimeout = 3 * time.Second

// peerStateBytes bounds what an admitted peer costs a Multiplayer before
// it caches paths (TestMultiplayerPeerCost checks it).
const peerStateBytes = 512

// maxPollPackets is the most packets one Poll handles, so that a flood
// cannot keep authentication timeouts from being checked.
const maxPollPackets = 1024

// Config configures a Multiplayer. The zero value is Godot's default
// SceneMultiplayer: relay on, no authentication, objects not decoded, no
// callbacks.
//
// The callbacks are Godot's signals. They run on the goroutine that polls
// (Run or Poll), one at a time, in the order the events happened, and may
// call any method of the Multiplayer. Data slices are valid during the call
// only.
type Config struct {
	// NoRelay turns Godot's server_relay off: a server sends no ADD_PEER or
	// DEL_PEER and drops every RELAY, so clients only know the server; a
	// client neither wraps nor accepts relayed messages. Relay is also off
	// when the peer does not support it (IsServerRelaySupported).
	NoRelay bool

	// AuthCallback turns authentication on (Godot's auth_callback): a
	// connecting peer is then not admitted until both sides called
	// CompleteAuth for each other, and AuthCallback receives the auth data
	// the peer sends with its SendAuth. Godot admits a peer only if both
	// sides agree on using authentication.
	AuthCallback func(m *Multiplayer, id int32, data []byte)
	// AuthTimeout is Godot's auth_timeout: how long a peer may take to
	// authenticate, from its connection, before it is disconnected. Zero
	// means DefaultAuthTimeout (3 s); a negative value means no limit.
	AuthTimeout time.Duration

	// AllowObjectDecoding is Godot's allow_object_decoding: RPC arguments
	// may be full Objects (decoded as inert values), and Objects sent in RPC
	// arguments are encoded in full instead of as instance ids.
	AllowObjectDecoding bool

	// OnPeerConnected is Godot's peer_connected: id was admitted. On a
	// server it runs after the ADD_PEER messages went out. On a client it
	// runs for the server (id 1) once connected, then, with relay on, for
	// every other client the server announces: check id before calling
	// the server.
	OnPeerConnected func(m *Multiplayer, id int32)
	// OnPeerDisconnected is Godot's peer_disconnected: admitted peer id
	// left.
	OnPeerDisconnected func(m *Multiplayer, id int32)
	// OnPeerAuthenticating is Godot's peer_authenticating: id connected and
	// must now authenticate (with AuthCallback set).
	OnPeerAuthenticating func(m *Multiplayer, id int32)
	// OnPeerAuthenticationFailed is Godot's peer_authentication_failed: id
	// left or timed out before it was admitted.
	OnPeerAuthenticationFailed func(m *Multiplayer, id int32)
	// OnPeerPacket is Godot's peer_packet: id sent bytes with send_bytes.
	OnPeerPacket func(m *Multiplayer, id int32, data []byte)
	// OnServerDisconnected is Godot's server_disconnected, on a client.
	OnServerDisconnected func(m *Multiplayer)

	// TickRate is how many replication frames per second Run and Poll run
	// when a Replication is set (SetReplication); 0 means DefaultTickRate
	// (60, Godot's physics rate). Synchronizers send at their own
	// intervals, within these frames.
	TickRate int
}

// Stats counts the messages a Multiplayer dropped, as Godot does with an
// error log, and the work it did. Nothing dropped is answered on the wire.
type Stats struct {
	Malformed      uint64 // messages that did not decode, or that Godot rejects as they are (ADD_PEER to a server, RELAY with relay off, SYS inside RELAY)
	UnknownPeer    uint64 // messages from a peer not admitted (not connected, or still authenticating and not AUTH, or its last ones, which came with its disconnection: see "Leaving"), and relays to one
	UnknownNode    uint64 // SIMPLIFY_PATH or REMOTE_CALL naming a node not added, or a cache id the peer never sent
	UnknownMethod  uint64 // REMOTE_CALL of a method id the node does not have
	Unauthorized   uint64 // REMOTE_CALL of a disabled method, or of an authority method by another peer
	Unhandled      uint64 // REMOTE_CALL of a declared method without a Handler
	BadArgs        uint64 // REMOTE_CALLs whose Handler refused the arguments (count or types)
	CacheFull      uint64 // SIMPLIFY_PATHs refused by the per-peer bound (MaxPeerPaths, MaxPeerPathBytes)
	Unsupported    uint64 // replication messages (SPAWN, DESPAWN, SYNC) without a Replication set (SetReplication)
	Replicated     uint64 // replication messages handed to the Replication
	RPCs           uint64 // REMOTE_CALLs handed to a Handler
	Relayed        uint64 // packets forwarded to another client
	SendFailed     uint64 // replies, relays and peer-list messages the peer refused to send, also to peers whose leaving is not handled yet (DEL_PEER to each other when many clients leave at once)
	AuthTimeouts   uint64 // peers disconnected by AuthTimeout
	EventsReceived uint64 // peer events handled
}

type counters struct {
	malformed, unknownPeer, unknownNode, unknownMethod, unauthorized, unhandled,
	badArgs, cacheFull, unsupported, replicated, rpcs, relayed, sendFailed, authTimeouts,
	events atomic.Uint64
}

// Multiplayer is Godot's SceneMultiplayer on a multiplayer peer: it admits
// peers (with authentication when configured), tells clients about each
// other and relays between them, delivers send_bytes packets, keeps the
// node-path cache with every peer, and runs Go handlers for the RPCs that
// Godot peers call on the nodes added with AddNode, and calls RPCs on them.
//
// It plays the server (id 1) or a client, whichever the peer is. Drive it
// with Run, or call Poll from a loop as Godot does once per frame. The other
// methods are safe for concurrent use with that.
type Multiplayer struct {
	p      multiplayer.MultiplayerPeer
	cfg    Config
	server bool
	relay  bool
	dopts  variant.DecodeOptions
	eopts  variant.EncodeOptions
	st     counters

	mu      sync.Mutex
	nodes   map[string]*Node
	ids     NodeIDs
	peers   map[int32]*PeerPaths // admitted peers
	order   []int32              // admitted peers in admission order
	pending map[int32]*authState // authenticating peers
	buf     []byte               // message being built
	wrap    []byte               // relay wrapping of buf
	alt     []byte               // second encoding of an RPC (wide id or full path)
	targets []int32

	repl Replication
	gone []int32 // peers DisconnectPeer removed, for repl.RemovePeer

	expired  []int32 // Poll goroutine only
	goneBuf  []int32 // Poll goroutine only
	nextTick time.Time
}

type authState struct {
	local, remote bool
	deadline      time.Time // zero: no timeout
}

// NewMultiplayer returns a Multiplayer on p configured by cfg (nil means
// the zero Config). It does nothing until polled. Closing p ends it.
func NewMultiplayer(p multiplayer.MultiplayerPeer, cfg *Config) *Multiplayer {
	m := &Multiplayer{p: p, nodes: map[string]*Node{}, peers: map[int32]*PeerPaths{}, pending: map[int32]*authState{}}
	if cfg != nil {
		m.cfg = *cfg
	}
	m.server = p.IsServer()
	m.relay = !m.cfg.NoRelay && p.IsServerRelaySupported()
	m.dopts.AllowObjects = m.cfg.AllowObjectDecoding
	m.eopts.FullObjects = m.cfg.AllowObjectDecoding
	return m
}

// MultiplayerPeer returns the peer m runs on (Godot's multiplayer_peer).
func (m *Multiplayer) MultiplayerPeer() multiplayer.MultiplayerPeer { return m.p }

// UniqueID returns this side's peer id (Godot's get_unique_id).
func (m *Multiplayer) UniqueID() int32 { return m.p.UniqueID() }

// IsServer reports whether this side is the server (Godot's is_server).
func (m *Multiplayer) IsServer() bool { return m.server }

// Peers returns the admitted peers in admission order (Godot's get_peers).
func (m *Multiplayer) Peers() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.order)
}

// AuthenticatingPeers returns the peers still authenticating (Godot's
// get_authenticating_peers), in increasing order.
func (m *Multiplayer) AuthenticatingPeers() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]int32, 0, len(m.pending))
	for id := range m.pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Stats returns the counters so far.
func (m *Multiplayer) Stats() Stats {
	s := &m.st
	return Stats{
		Malformed: s.malformed.Load(), UnknownPeer: s.unknownPeer.Load(), UnknownNode: s.unknownNode.Load(),
		UnknownMethod: s.unknownMethod.Load(), Unauthorized: s.unauthorized.Load(), Unhandled: s.unhandled.Load(),
		BadArgs: s.badArgs.Load(), CacheFull: s.cacheFull.Load(), Unsupported: s.unsupported.Load(), Replicated: s.replicated.Load(),
		RPCs: s.rpcs.Load(), Relayed: s.relayed.Load(), SendFailed: s.sendFailed.Load(),
		AuthTimeouts: s.authTimeouts.Load(), EventsReceived: s.events.Load(),
	}
}

func sessionErr(c Command, reason string, err error) error {
	return &Error{Command: c, Offset: -1, Reason: reason, Err: err}
}

// Run polls m until ctx ends or the peer's session ends, waiting between
// polls for a packet, a peer event or an authentication timeout. It returns
// ctx's error, or the peer's: an error matching peer.ErrClosed after the
// peer was closed, or the error that ended a client's session, which
// matches io.EOF and peer.ErrUnconfigured (multiplayer.SessionEnded's)
// whether the server closed the connection or the transport gave up on it,
// and comes after OnPeerDisconnected(1) and OnServerDisconnected. Run and
// Poll must not be called concurrently, nor from a callback or Handler. No
// goroutine it starts outlives it.
func (m *Multiplayer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	type waker struct {
		sig chan error
		ack chan struct{}
		due bool // signalled, ack after the next Poll
	}
	start := func(wait func(context.Context) error) *waker {
		w := &waker{sig: make(chan error), ack: make(chan struct{}, 1)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := wait(ctx)
				select {
				case w.sig <- err:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
				select {
				case <-w.ack:
				case <-ctx.Done():
					return
				}
			}
		}()
		return w
	}
	pk := start(m.p.WaitPacket)
	ev := start(m.p.WaitEvent)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := m.Poll(); err != nil {
			return err
		}
		for _, w := range []*waker{pk, ev} {
			if w.due {
				w.due = false
				w.ack <- struct{}{}
			}
		}
		timer.Stop()
		var tc <-chan time.Time
		if d, ok := m.nextDeadline(); ok {
			timer.Reset(time.Until(d))
			tc = timer.C
		}
		var err error
		select {
		case err = <-pk.sig:
			pk.due = true
		case err = <-ev.sig:
			ev.due = true
		case <-tc:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if perr := m.Poll(); perr != nil {
				return perr
			}
			return err
		}
	}
}

// Poll does what Godot's SceneMultiplayer.poll does: it handles the peer's
// events (admitting and removing peers), then up to 1024 received packets in
// arrival order, then authentication timeouts. It never blocks. The error
// is the peer's, when reading from it failed for another reason than having
// nothing to read (peer.ErrUnavailable).
func (m *Multiplayer) Poll() error {
	if err := m.p.Poll(); err != nil && !errors.Is(err, peer.ErrClosed) {
		return err
	}
	m.pollEvents()
	// The status before reading: a client whose handshake completes between
	// a failed read and a look at the status would seem connected but
	// unreadable, and its session would end.
	connecting := m.p.ConnectionStatus() == multiplayer.ConnectionConnecting
	for range maxPollPackets {
		b, info, err := m.p.GetPacketFrom()
		if err != nil {
			if errors.Is(err, peer.ErrUnavailable) || connecting {
				break
			}
			m.pollEvents()
			m.sessionEnded()
			return err
		}
		m.receive(b, info)
	}
	now := time.Now()
	m.checkTimeouts(now)
	m.replicate(now)
	return nil
}

// sessionEnded removes the server on a client whose session ended, whether
// or not the peer reported it yet.
func (m *Multiplayer) sessionEnded() {
	if m.server {
		return
	}
	var a action
	m.mu.Lock()
	m.disconnectedLocked(&a, multiplayer.TargetPeerServer, true)
	m.mu.Unlock()
	a.run(m)
}

func (m *Multiplayer) pollEvents() {
	for {
		ev, ok := m.p.PollEvent()
		if !ok {
			return
		}
		m.st.events.Add(1)
		var a action
		m.mu.Lock()
		switch ev.Type {
		case multiplayer.PeerConnected:
			m.connectedLocked(&a, ev.ID)
		case multiplayer.PeerDisconnected:
			m.disconnectedLocked(&a, ev.ID, true)
		}
		m.mu.Unlock()
		a.run(m)
	}
}

// action is the callback a locked step asks for, run once m.mu is released.
type action struct {
	kind    actionKind
	id      int32
	data    []byte
	handler Handler
	call    Call
	args    Args
}

type actionKind uint8

const (
	actNone actionKind = iota
	actConnected
	actDisconnected
	actServerGone
	actAuthenticating
	actAuthFailed
	actAuthFailedServerGone
	actAuthData
	actPacket
	actRPC
	actReplication
)

func (a *action) run(m *Multiplayer) {
	c := &m.cfg
	switch a.kind {
	case actConnected:
		if m.repl != nil {
			m.repl.AddPeer(a.id)
		}
		if c.OnPeerConnected != nil {
			c.OnPeerConnected(m, a.id)
		}
	case actDisconnected, actServerGone:
		if m.repl != nil {
			m.repl.RemovePeer(a.id)
		}
		if c.OnPeerDisconnected != nil {
			c.OnPeerDisconnected(m, a.id)
		}
		if a.kind == actServerGone && c.OnServerDisconnected != nil {
			c.OnServerDisconnected(m)
		}
	case actAuthenticating:
		if c.OnPeerAuthenticating != nil {
			c.OnPeerAuthenticating(m, a.id)
		}
	case actAuthFailed, actAuthFailedServerGone:
		if c.OnPeerAuthenticationFailed != nil {
			c.OnPeerAuthenticationFailed(m, a.id)
		}
		if a.kind == actAuthFailedServerGone && c.OnServerDisconnected != nil {
			c.OnServerDisconnected(m)
		}
	case actAuthData:
		c.AuthCallback(m, a.id, a.data)
	case actPacket:
		if c.OnPeerPacket != nil {
			c.OnPeerPacket(m, a.id, a.data)
		}
	case actRPC:
		if err := a.handler.ServeRPC(a.call, a.args); err != nil {
			m.st.badArgs.Add(1)
		} else {
			m.st.rpcs.Add(1)
		}
	case actReplication:
		// The Replication counts what it drops (replication.Stats).
		m.repl.Receive(a.id, a.data)
	}
}

// connectedLocked handles the transport's peer_connected (spec §5.1, §5.3).
func (m *Multiplayer) connectedLocked(a *action, id int32) {
	if _, ok := m.peers[id]; ok {
		return
	}
	if m.pending[id] != nil {
		return
	}
	if m.cfg.AuthCallback != nil {
		st := &authState{}
		if t := m.authTimeout(); t > 0 {
			st.deadline = time.Now().Add(t)
		}
		m.pending[id] = st
		*a = action{kind: actAuthenticating, id: id}
		return
	}
	m.admitLocked(a, id)
}

func (m *Multiplayer) authTimeout() time.Duration {
	switch t := m.cfg.AuthTimeout; {
	case t == 0:
		return DefaultAuthTimeout
	case t < 0:
		return 0
	default:
		return t
	}
}

// admitLocked makes id a connected peer: on a server with relay, ADD_PEER
// id to every peer and ADD_PEER of every peer to id, first.
func (m *Multiplayer) admitLocked(a *action, id int32) {
	delete(m.pending, id)
	if m.server && m.relay {
		for _, q := range m.order {
			m.sendLocked(q, TransferModeReliable, 0, AppendAddPeer(m.buf[:0], id))
			m.sendLocked(id, TransferModeReliable, 0, AppendAddPeer(m.buf[:0], q))
		}
	}
	m.peers[id] = &PeerPaths{}
	m.order = append(m.order, id)
	*a = action{kind: actConnected, id: id}
}

// disconnectedLocked handles the transport's peer_disconnected (spec §5.2);
// signal false is SceneMultiplayer.disconnect_peer, which emits nothing.
func (m *Multiplayer) disconnectedLocked(a *action, id int32, signal bool) {
	if m.pending[id] != nil {
		delete(m.pending, id)
		if signal {
			*a = action{kind: actAuthFailed, id: id}
			if !m.server && id == multiplayer.TargetPeerServer {
				// Godot 4.6 then also emits server_disconnected.
				a.kind = actAuthFailedServerGone
			}
		}
		return
	}
	if _, ok := m.peers[id]; !ok {
		return
	}
	m.removeLocked(id)
	if !m.server && id == 1 {
		// The server is gone: Godot resets the whole session.
		for _, q := range m.order {
			delete(m.peers, q)
		}
		m.order = m.order[:0]
		m.ids = NodeIDs{}
		if signal {
			*a = action{kind: actServerGone, id: id}
		}
		return
	}
	if m.server && m.relay {
		for _, q := range m.order {
			m.sendLocked(q, TransferModeReliable, 0, AppendDelPeer(m.buf[:0], id))
		}
	}
	if signal {
		*a = action{kind: actDisconnected, id: id}
	}
}

func (m *Multiplayer) removeLocked(id int32) {
	delete(m.peers, id)
	if i := slices.Index(m.order, id); i >= 0 {
		m.order = slices.Delete(m.order, i, i+1)
	}
}

// DisconnectPeer removes peer id as Godot's SceneMultiplayer.disconnect_peer
// does: without OnPeerDisconnected or OnPeerAuthenticationFailed, with
// DEL_PEER to the other clients, then the peer disconnects it. An unknown
// id is an error matching peer.ErrInvalidParameter.
func (m *Multiplayer) DisconnectPeer(id int32) error {
	m.mu.Lock()
	_, ok := m.peers[id]
	if !ok && m.pending[id] == nil {
		m.mu.Unlock()
		return sessionErr(CommandSys, "disconnect of unknown peer "+strconv.Itoa(int(id)), peer.ErrInvalidParameter)
	}
	var a action
	m.disconnectedLocked(&a, id, false)
	if ok && m.repl != nil {
		m.gone = append(m.gone, id)
	}
	m.mu.Unlock()
	return m.p.DisconnectPeer(id, false)
}

// sendLocked sends pkt to peer to, wrapped in a RELAY to the server when
// this side is a client and to is another client. A failure is counted.
func (m *Multiplayer) sendLocked(to int32, mode TransferMode, ch int, pkt []byte) error {
	var err error
	if !m.server && to != multiplayer.TargetPeerServer {
		m.wrap, err = AppendRelay(m.wrap[:0], to, pkt)
		if err == nil {
			err = m.p.SendTo(multiplayer.TargetPeerServer, mode, ch, m.wrap)
		}
	} else {
		err = m.p.SendTo(to, mode, ch, pkt)
	}
	if err != nil {
		m.st.sendFailed.Add(1)
	}
	return err
}

// receive handles one packet (spec §3).
func (m *Multiplayer) receive(p []byte, info multiplayer.PacketInfo) {
	from := info.From
	m.mu.Lock()
	if _, ok := m.peers[from]; !ok && m.pending[from] == nil {
		// The transport queued the peer's connection before its packets:
		// handle the events queued since the last look.
		m.mu.Unlock()
		m.pollEvents()
		m.mu.Lock()
	}
	var a action
	m.receiveLocked(&a, from, info, p)
	m.mu.Unlock()
	a.run(m)
}

func (m *Multiplayer) receiveLocked(a *action, from int32, info multiplayer.PacketInfo, p []byte) {
	if st := m.pending[from]; st != nil {
		if len(p) < 2 || Command(p[0]&CommandMask) != CommandSys || SysCommand(p[1]) != SysAuth {
			m.st.unknownPeer.Add(1)
			return
		}
		if len(p) > 2 {
			*a = action{kind: actAuthData, id: from, data: p[2:]}
			return
		}
		st.remote = true
		if st.local {
			m.admitLocked(a, from)
		}
		return
	}
	if _, ok := m.peers[from]; !ok {
		m.st.unknownPeer.Add(1)
		return
	}
	if len(p) == 0 {
		m.st.malformed.Add(1)
		return
	}
	if Command(p[0]&CommandMask) != CommandSys {
		m.dispatchLocked(a, from, p)
		return
	}
	if len(p) > 1 && SysCommand(p[1]) == SysAuth {
		if len(p) != 2 {
			m.st.malformed.Add(1) // a stray completion notice is ignored silently
		}
		return
	}
	s, err := ParseSys(p)
	if err != nil {
		m.st.malformed.Add(1)
		return
	}
	switch {
	case s.Command == SysRelay && m.server:
		m.relayLocked(a, from, info, s)
	case s.Command == SysRelay:
		if from != multiplayer.TargetPeerServer || !m.relay {
			m.st.malformed.Add(1)
			return
		}
		m.dispatchLocked(a, s.Peer, s.Data)
	case m.server || from != multiplayer.TargetPeerServer || !m.relay || s.Peer < 2:
		m.st.malformed.Add(1) // ADD_PEER and DEL_PEER only go from the server to clients
	case s.Command == SysAddPeer:
		m.removeLocked(s.Peer) // a duplicate re-admits, as in Godot
		m.admitLocked(a, s.Peer)
	default:
		if _, ok := m.peers[s.Peer]; ok {
			m.removeLocked(s.Peer)
			*a = action{kind: actDisconnected, id: s.Peer}
		}
	}
}

// relayLocked applies the server's relay table (spec §4.2).
func (m *Multiplayer) relayLocked(a *action, from int32, info multiplayer.PacketInfo, s Sys) {
	if !m.relay {
		m.st.malformed.Add(1)
		return
	}
	d := s.Peer
	if d > 0 {
		if _, ok := m.peers[d]; !ok || d == multiplayer.TargetPeerServer {
			m.st.unknownPeer.Add(1)
			return
		}
	}
	fwd, err := AppendRelay(m.wrap[:0], from, s.Data)
	if err != nil {
		m.st.malformed.Add(1)
		return
	}
	m.wrap = fwd
	for _, q := range m.order {
		// One destination, even the sender itself, as in Godot; or everyone
		// but the sender (and -d).
		if d > 0 && q != d || d <= 0 && (q == from || q == -d) {
			continue
		}
		if m.p.SendTo(q, info.Mode, info.Channel, fwd) != nil {
			m.st.sendFailed.Add(1)
		} else {
			m.st.relayed.Add(1)
		}
	}
	if d == 0 || d < -1 {
		m.dispatchLocked(a, from, s.Data)
	}
}

// dispatchLocked handles a message that is not SYS (spec §3 step 4),
// directly from or relayed from peer from.
func (m *Multiplayer) dispatchLocked(a *action, from int32, p []byte) {
	if len(p) == 0 {
		m.st.malformed.Add(1)
		return
	}
	switch Command(p[0] & CommandMask) {
	case CommandRemoteCall:
		m.remoteCallLocked(a, from, p)
	case CommandSimplifyPath:
		m.simplifyLocked(from, p)
	case CommandConfirmPath:
		c, err := ParseConfirmPath(p)
		pp := m.peers[from]
		switch {
		case err != nil:
			m.st.malformed.Add(1)
		case pp == nil:
			m.st.unknownPeer.Add(1)
		default:
			if _, ok := m.ids.Path(c.ID); ok && pp.Confirm(c.ID) != nil {
				m.st.malformed.Add(1)
			}
		}
	case CommandRaw:
		data, err := ParseRaw(p)
		if err != nil {
			m.st.malformed.Add(1)
			return
		}
		*a = action{kind: actPacket, id: from, data: data}
	case CommandSys:
		m.st.malformed.Add(1) // SYS inside RELAY
	default:
		if m.repl == nil {
			m.st.unsupported.Add(1)
			return
		}
		m.st.replicated.Add(1)
		*a = action{kind: actReplication, id: from, data: p}
	}
}

func (m *Multiplayer) simplifyLocked(from int32, p []byte) {
	s, err := ParseSimplifyPath(p)
	if err != nil {
		m.st.malformed.Add(1)
		return
	}
	pp := m.peers[from]
	if pp == nil {
		m.st.unknownPeer.Add(1)
		return
	}
	sum := emptyChecksum
	if n := m.nodes[s.Path]; n != nil {
		sum = n.methods.Checksum()
	} else if m.repl == nil {
		m.st.unknownNode.Add(1) // Godot does not answer: the peer keeps sending full paths
		return
	}
	if err := pp.Add(s.ID, s.Path); err != nil {
		if errors.Is(err, peer.ErrOutOfMemory) {
			m.st.cacheFull.Add(1)
		} else {
			m.st.malformed.Add(1)
		}
		return
	}
	reply := AppendConfirmPath(m.buf[:0], ConfirmPath{Valid: s.Checksum == sum, ID: s.ID})
	m.sendLocked(from, TransferModeReliable, 0, reply)
}

func (m *Multiplayer) remoteCallLocked(a *action, from int32, p []byte) {
	rc, err := ParseRemoteCall(p)
	if err != nil {
		m.st.malformed.Add(1)
		return
	}
	var n *Node
	if rc.Path != "" {
		n = m.nodes[rc.Path]
	} else if pp := m.peers[from]; pp != nil {
		if path, ok := pp.Path(rc.Node); ok {
			n = m.nodes[path]
		}
	}
	if n == nil {
		m.st.unknownNode.Add(1)
		return
	}
	i, ok := n.methods.index(rc.Method)
	if !ok {
		m.st.unknownMethod.Add(1)
		return
	}
	meth := &n.methods.byID[i]
	if meth.Mode == RPCModeDisabled || meth.Mode == RPCModeAuthority && from != n.Authority() {
		m.st.unauthorized.Add(1)
		return
	}
	h := n.handlers[i]
	if h == nil {
		m.st.unhandled.Add(1)
		return
	}
	*a = action{kind: actRPC, handler: h, call: Call{Multiplayer: m, Node: n, Method: *meth, Sender: from}, args: rc.Arguments(m.dopts)}
}

// SendBytes sends data to peer to as Godot's send_bytes(data, to, mode,
// channel): to 0 is every admitted peer, -id every admitted peer but id. A
// server sends one packet per peer; a client sends to the server directly
// when to is 1 and otherwise one RELAY for the server to fan out. Empty
// data, an unknown peer or a failed send is an error.
func (m *Multiplayer) SendBytes(data []byte, to int32, mode TransferMode, channel int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	pkt, err := AppendRaw(m.buf[:0], data)
	if err != nil {
		return err
	}
	m.buf = pkt
	if !m.server {
		if to != multiplayer.TargetPeerServer && !m.relay {
			return sessionErr(CommandRaw, "send to peer "+strconv.Itoa(int(to))+" without relay", peer.ErrUnavailable)
		}
		if _, ok := m.peers[multiplayer.TargetPeerServer]; !ok {
			return sessionErr(CommandRaw, "not connected", peer.ErrUnconfigured)
		}
		return m.sendLocked(to, mode, channel, pkt)
	}
	targets, err := m.targetsLocked(to, CommandRaw)
	if err != nil {
		return err
	}
	var errs []error
	for _, q := range targets {
		if err := m.sendLocked(q, mode, channel, pkt); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// targetsLocked resolves a target as Godot does: a connected id, 0 for
// everyone, -id for everyone but id.
func (m *Multiplayer) targetsLocked(to int32, c Command) ([]int32, error) {
	m.targets = m.targets[:0]
	if to > 0 {
		if _, ok := m.peers[to]; !ok {
			return nil, sessionErr(c, "unknown peer "+strconv.Itoa(int(to)), peer.ErrInvalidParameter)
		}
		m.targets = append(m.targets, to)
		return m.targets, nil
	}
	for _, q := range m.order {
		if q != -to {
			m.targets = append(m.targets, q)
		}
	}
	return m.targets, nil
}

// SendAuth sends auth data to a peer that is authenticating (Godot's
// send_auth); it reaches the peer's auth callback. Empty data or a peer
// that is not authenticating is an error matching peer.ErrInvalidParameter;
// once either side completed, as in Godot, one matching
// peer.ErrFileCantWrite.
func (m *Multiplayer) SendAuth(id int32, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.pending[id]
	switch {
	case st == nil:
		return sessionErr(CommandSys, "peer "+strconv.Itoa(int(id))+" is not authenticating", peer.ErrInvalidParameter)
	case len(data) == 0:
		return sessionErr(CommandSys, "empty auth data", peer.ErrInvalidParameter)
	case st.local || st.remote:
		return sessionErr(CommandSys, "authentication of peer "+strconv.Itoa(int(id))+" already completed by one side", peer.ErrFileCantWrite)
	}
	m.buf = AppendAuth(m.buf[:0], data)
	return m.p.SendTo(id, TransferModeReliable, 0, m.buf)
}

// CompleteAuth marks peer id as authenticated by this side (Godot's
// complete_auth) and tells the peer. The peer is admitted once it completed
// too (then OnPeerConnected runs, before CompleteAuth returns if the peer
// had completed first). A peer that is not authenticating, or a second call,
// is an error matching peer.ErrInvalidParameter.
func (m *Multiplayer) CompleteAuth(id int32) error {
	m.mu.Lock()
	st := m.pending[id]
	if st == nil || st.local {
		m.mu.Unlock()
		return sessionErr(CommandSys, "peer "+strconv.Itoa(int(id))+" is not authenticating or already completed", peer.ErrInvalidParameter)
	}
	st.local = true
	m.buf = AppendAuth(m.buf[:0], nil)
	err := m.p.SendTo(id, TransferModeReliable, 0, m.buf)
	var a action
	if err == nil && st.remote {
		m.admitLocked(&a, id)
	}
	m.mu.Unlock()
	a.run(m)
	return err
}

// nextDeadline returns when Run must poll again without news from the
// peer: an authentication timeout or the next replication frame.
func (m *Multiplayer) nextDeadline() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var d time.Time
	if m.repl != nil {
		d = m.nextTick
	}
	for _, st := range m.pending {
		if !st.deadline.IsZero() && (d.IsZero() || st.deadline.Before(d)) {
			d = st.deadline
		}
	}
	return d, !d.IsZero()
}

// checkTimeouts disconnects the peers whose authentication took too long
// (spec §5.3 step 7).
func (m *Multiplayer) checkTimeouts(now time.Time) {
	m.mu.Lock()
	m.expired = m.expired[:0]
	for id, st := range m.pending {
		if !st.deadline.IsZero() && !now.Before(st.deadline) {
			m.expired = append(m.expired, id)
			delete(m.pending, id)
		}
	}
	m.mu.Unlock()
	slices.Sort(m.expired)
	for _, id := range m.expired {
		m.st.authTimeouts.Add(1)
		m.p.DisconnectPeer(id, false)
		a := action{kind: actAuthFailed, id: id}
		a.run(m)
	}
}
