package multiplayer

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/peer"
)

// Role is what a multiplayer peer is in its session (Godot's server,
// client and mesh modes).
type Role int

const (
	// RoleServer: id 1, ConnectionConnected from creation; its peers are
	// its clients.
	RoleServer Role = iota + 1
	// RoleClient: ConnectionConnecting until its one peer, the server
	// (id 1), is connected; the session ends when that peer goes.
	RoleClient
	// RoleMesh: ConnectionConnected from creation, not a server; it
	// reaches each peer directly.
	RoleMesh
)

// Session is the bookkeeping that Godot's MultiplayerPeer subclasses each
// keep and that is the same in all of them: the peer's own id, its
// connection status and role, refuse_new_connections, the peers map (id to
// the transport's connection P), the rules for emitting peer_connected and
// peer_disconnected, the end of a client's session and Close. A transport
// embeds *Session[P] and keeps only what is its own: how connections are
// made, read and written.
//
// A peer is added (Add) when the transport has a connection for it, and
// connected (Connect) when that connection can carry packets: only then is
// PeerConnected queued (on a client, for the server: with
// ConnectionConnected). Join does both at once. Whoever removes a connected
// peer (Remove) queues its PeerDisconnected; on a client, removing the
// server ends the session first. DisconnectPeer's force and Close remove
// peers without events, as Godot does.
//
// The embedded methods UniqueID, ConnectionStatus, IsServer,
// IsServerRelaySupported, SetRefuseNewConnections and Events implement
// those of Transport. A Session is safe for concurrent use; it queues
// events while holding its lock, so a peer's events are queued in order.
type Session[P comparable] struct {
	transport string
	role      Role
	onEnd     func(error)
	ev        Events
	conn      *Connecting
	notConn   error
	gone      error

	id     atomic.Int32
	status atomic.Int32
	refuse atomic.Bool

	mu     sync.Mutex
	peers  map[int32]sessionPeer[P]
	closed bool
}

type sessionPeer[P comparable] struct {
	p         P
	connected bool
}

// NewSession returns the session of a peer of transport (e.g. "enet",
// which names it in errors) in role. id is the peer's own id: ignored for
// a server (1); for a client, 0 until the server gives it one
// (SetUniqueID). onEnd, if not nil, is called with the error reads return
// once a client's session has ended (SessionEnded's); the transport ends
// its receive queue with it.
func NewSession[P comparable](transport string, role Role, id int32, onEnd func(error)) *Session[P] {
	s := &Session[P]{
		transport: transport,
		role:      role,
		onEnd:     onEnd,
		peers:     map[int32]sessionPeer[P]{},
		notConn:   &peer.OpError{Op: "put packet", Transport: transport, Code: peer.ErrUnconfigured, Detail: "not connected"},
		gone:      SessionEnded(transport, "the connection to the server closed"),
	}
	status := ConnectionConnected
	switch role {
	case RoleServer:
		id = TargetPeerServer
	case RoleClient:
		status = ConnectionConnecting
		s.conn = NewConnecting(transport)
	}
	s.id.Store(id)
	s.status.Store(int32(status))
	return s
}

// Role returns the peer's role.
func (s *Session[P]) Role() Role { return s.role }

// UniqueID returns the peer's own id: 1 on a server, 0 before a client has
// its id and after its session ended.
func (s *Session[P]) UniqueID() int32 { return s.id.Load() }

// ConnectionStatus returns where the session is.
func (s *Session[P]) ConnectionStatus() ConnectionStatus {
	return ConnectionStatus(s.status.Load())
}

// IsServer reports whether the role is RoleServer.
func (s *Session[P]) IsServer() bool { return s.role == RoleServer }

// IsServerRelaySupported is true for a server and a client (SceneMultiplayer
// relays through the server), false for a mesh member.
func (s *Session[P]) IsServerRelaySupported() bool { return s.role != RoleMesh }

// SetRefuseNewConnections records whether new peers are to be turned away;
// the transport checks IsRefusingNewConnections before adding one.
func (s *Session[P]) SetRefuseNewConnections(refuse bool) { s.refuse.Store(refuse) }

// IsRefusingNewConnections returns the setting of SetRefuseNewConnections.
func (s *Session[P]) IsRefusingNewConnections() bool { return s.refuse.Load() }

// Events returns the session's event queue.
func (s *Session[P]) Events() *Events { return &s.ev }

// Connecting returns a client's connection attempt, which Connect(1, ...)
// finishes with nil and the end of the session with its error; nil for a
// server or mesh member.
func (s *Session[P]) Connecting() *Connecting { return s.conn }

// ErrNotConnected returns the error to send with while the session is not
// connected: it matches peer.ErrUnconfigured.
func (s *Session[P]) ErrNotConnected() error { return s.notConn }

// SetUniqueID sets a client's id when the server gives it, before
// Connect(1, ...). It does nothing once the session is closed.
func (s *Session[P]) SetUniqueID(id int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.id.Store(id)
	}
}

// Peer returns the connection of peer id, connected or not.
func (s *Session[P]) Peer(id int32) (P, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.peers[id]
	return e.p, ok
}

// Each calls fn for every peer, connected or not, holding the session's
// lock: fn must not call the session.
func (s *Session[P]) Each(fn func(id int32, p P)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.peers {
		fn(id, e.p)
	}
}

// Targets appends to dst the peers a packet to target goes to: peer target
// when positive (an absent one is refused with an error matching
// peer.ErrInvalidParameter), every peer for TargetPeerBroadcast, every peer
// but -target when negative. Peers not connected yet are included.
func (s *Session[P]) Targets(dst []P, target int32) ([]P, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if target > 0 {
		e, ok := s.peers[target]
		if !ok {
			return dst, s.noPeer("put packet", target)
		}
		return append(dst, e.p), nil
	}
	for id, e := range s.peers {
		if target != 0 && id == -target {
			continue
		}
		dst = append(dst, e.p)
	}
	return dst, nil
}

func (s *Session[P]) noPeer(op string, id int32) error {
	return &peer.OpError{Op: op, Transport: s.transport, Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("no peer %d", id)}
}

// Add adds p as peer id, not connected yet: no event. It is refused with
// an error matching peer.ErrAlreadyInUse when id is taken and
// peer.ErrClosed after Close.
func (s *Session[P]) Add(id int32, p P) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(id, p)
}

func (s *Session[P]) addLocked(id int32, p P) error {
	if s.closed {
		return &peer.OpError{Op: "add peer", Transport: s.transport, Err: peer.ErrClosed}
	}
	if _, taken := s.peers[id]; taken {
		return &peer.OpError{Op: "add peer", Transport: s.transport, Code: peer.ErrAlreadyInUse, Detail: fmt.Sprintf("peer %d was added already", id)}
	}
	s.peers[id] = sessionPeer[P]{p: p}
	return nil
}

// Connect marks peer id, added as p, connected and queues PeerConnected(id);
// on a client, the server (id 1) connecting makes the session
// ConnectionConnected and finishes Connecting. It reports false, doing
// nothing, when id is not p any more or was connected already.
func (s *Session[P]) Connect(id int32, p P) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectLocked(id, p)
}

func (s *Session[P]) connectLocked(id int32, p P) bool {
	e, ok := s.peers[id]
	if !ok || e.p != p || e.connected {
		return false
	}
	e.connected = true
	s.peers[id] = e
	client := s.role == RoleClient && id == TargetPeerServer
	if client {
		s.status.Store(int32(ConnectionConnected))
	}
	s.ev.PeerConnected(id)
	if client {
		s.conn.Finish(nil)
	}
	return true
}

// Join is Add and Connect at once, for a connection that carries packets
// from the start.
func (s *Session[P]) Join(id int32, p P) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.addLocked(id, p); err != nil {
		return err
	}
	s.connectLocked(id, p)
	return nil
}

// JoinNew joins a peer under a random id not in use (GenerateUniqueID), as
// a server that gives clients their ids does, and returns the id. newPeer
// makes the peer for that id; it runs under the session's lock, before
// PeerConnected is queued and before any other goroutine can send to the
// peer, and must not call the session. After Close it is not called and an
// error matching peer.ErrClosed is returned.
func (s *Session[P]) JoinNew(newPeer func(id int32) P) (int32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, &peer.OpError{Op: "add peer", Transport: s.transport, Err: peer.ErrClosed}
	}
	id := GenerateUniqueID()
	for _, taken := s.peers[id]; taken; _, taken = s.peers[id] {
		id = GenerateUniqueID()
	}
	p := newPeer(id)
	s.peers[id] = sessionPeer[P]{p: p}
	s.connectLocked(id, p)
	return id, nil
}

// Remove removes peer id if it is still p, and reports whether it did.
// A connected peer's removal queues PeerDisconnected(id). On a client,
// removing the server ends the session first (End), with an error saying
// whether it had connected.
func (s *Session[P]) Remove(id int32, p P) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.peers[id]
	if !ok || e.p != p {
		return false
	}
	delete(s.peers, id)
	if s.role == RoleClient && id == TargetPeerServer {
		if e.connected {
			s.end(s.gone, nil)
		} else {
			s.end(SessionEnded(s.transport, "the connection to the server failed before it opened"), nil)
		}
	}
	if e.connected {
		s.ev.PeerDisconnected(id)
	}
	return true
}

// Disconnect is DisconnectPeer's bookkeeping: it returns peer id's
// connection for the transport to close, or an error matching
// peer.ErrInvalidParameter when there is no peer id. With force the peer is
// removed at once, without an event, and on a client the session ends.
func (s *Session[P]) Disconnect(id int32, force bool) (P, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.peers[id]
	if !ok {
		return e.p, s.noPeer("disconnect peer", id)
	}
	if force {
		delete(s.peers, id)
		if s.role == RoleClient {
			s.end(SessionEnded(s.transport, "disconnected"), nil)
		}
	}
	return e.p, nil
}

// End ends a client's session: ConnectionDisconnected with id 0, onEnd
// called with err, and Connecting, if still waiting, finished with an
// error matching peer.ErrCantConnect.
func (s *Session[P]) End(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.end(err, nil)
}

// Fail ends a client's session because connecting failed with dialErr,
// which Connecting finishes with.
func (s *Session[P]) Fail(dialErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.end(SessionEnded(s.transport, "connecting failed: "+dialErr.Error()), dialErr)
}

func (s *Session[P]) end(err, dialErr error) {
	s.status.Store(int32(ConnectionDisconnected))
	s.id.Store(0)
	if s.onEnd != nil {
		s.onEnd(err)
	}
	if s.conn != nil {
		if dialErr == nil {
			dialErr = &peer.OpError{Op: "dial", Transport: s.transport, Code: peer.ErrCantConnect, Detail: err.Error()}
		}
		s.conn.Finish(dialErr)
	}
}

// Close ends the session as Godot's close does: ConnectionDisconnected with
// id 0, every peer forgotten without events, Connecting finished with an
// error matching peer.ErrClosed. It returns the peers for the transport to
// close; later Add, Join and JoinNew calls are refused. Calling it again
// returns nil.
func (s *Session[P]) Close() []P {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	ps := make([]P, 0, len(s.peers))
	for _, e := range s.peers {
		ps = append(ps, e.p)
	}
	clear(s.peers)
	s.status.Store(int32(ConnectionDisconnected))
	s.id.Store(0)
	if s.conn != nil {
		s.conn.Finish(&peer.OpError{Op: "dial", Transport: s.transport, Err: peer.ErrClosed})
	}
	return ps
}
