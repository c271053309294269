package rooms

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// Bounds of a Server.
const (
	DefaultMaxRooms = 1024 // rooms at once when Config.MaxRooms is 0
	MaxNameBytes    = 256  // bytes of a room name (the URL path)
)

// Config configures a Server. The zero value serves rooms of Godot's
// default SceneMultiplayer without nodes, up to DefaultMaxRooms.
type Config struct {
	// Multiplayer configures the scene.Multiplayer of every room; its
	// callbacks get the room's Multiplayer (Server.RoomOf tells which
	// room that is).
	Multiplayer scene.Config
	// Setup runs when a room is created, before its first client joins:
	// it declares the room's nodes and their handlers. An error refuses
	// the client (and the room). Setup must not call the Server.
	Setup func(r *Room) error
	// OnRoomClosed runs when a room closed: a WebSocket room when its last
	// client is gone, any room on CloseRoom or Close.
	OnRoomClosed func(r *Room)
	// MaxRooms bounds the rooms open at once; a client that would open
	// one more is refused. Zero means DefaultMaxRooms.
	MaxRooms int
	// WebSocket configures the queues of each WebSocket room's
	// multiplayer peer (websocket.NewMultiplayerServer); nil means the
	// defaults.
	WebSocket *websocket.Config
}

// Server runs many independent SceneMultiplayer sessions ("rooms") in one
// process, where a Godot server would run one session per process. Each
// room is a server of its own, with its own peer ids, path caches, relay
// and authentication: a client only ever sees the clients of its room.
//
// WebSocket rooms share one listener: a Godot client picks its room with
// the URL it connects to (WebSocketMultiplayerPeer.create_client
// ("ws://host:port/room-7") joins "/room-7"). Serve does that routing,
// Join takes any name. Such a room opens with its first client and closes
// when its last client is gone. ENet has no URL, so an ENet room
// (OpenENet) listens on a port of its own and stays open until CloseRoom.
//
// Memory is bounded by MaxRooms rooms of one scene.Multiplayer (its path
// caches bounded per peer, see scene.PeerPaths) and one multiplayer peer
// each (a WebSocket room's receive queue is bounded to 1 MiB).
type Server struct {
	cfg     Config
	wg      sync.WaitGroup
	refused atomic.Uint64

	mu     sync.Mutex
	rooms  map[string]*Room
	byM    map[*scene.Multiplayer]*Room // running rooms, until their session ended
	closed bool
}

// Room is one session of a Server.
type Room struct {
	name    string
	m       *scene.Multiplayer
	ws      *websocket.MultiplayerPeer // a WebSocket room's server, nil in an ENet room
	enet    *enet.MultiplayerPeer      // an ENet room's server, nil in a WebSocket room
	cancel  context.CancelFunc
	done    chan struct{}
	members int // WebSocket connections joined and not yet gone; guarded by Server.mu
}

// Name returns the room's name.
func (r *Room) Name() string { return r.name }

// Multiplayer returns the room's session.
func (r *Room) Multiplayer() *scene.Multiplayer { return r.m }

// New returns a Server without rooms configured by cfg (nil means the
// zero Config).
func New(cfg *Config) *Server {
	s := &Server{rooms: map[string]*Room{}, byM: map[*scene.Multiplayer]*Room{}}
	if cfg != nil {
		s.cfg = *cfg
	}
	if s.cfg.MaxRooms <= 0 {
		s.cfg.MaxRooms = DefaultMaxRooms
	}
	return s
}

// Acceptor is a source of WebSocket connections: a *websocket.Listener
// or a *websocket.Handler.
type Acceptor interface {
	Accept(ctx context.Context) (*websocket.Peer, error)
}

// Serve accepts connections from l until ctx ends or l is closed, and
// joins each to the room named by its request's URL path ("/room-7").
// Refused connections are closed and counted (Refused). It returns the
// error that ended accepting.
func (s *Server) Serve(ctx context.Context, l Acceptor) error {
	for {
		ws, err := l.Accept(ctx)
		if err != nil {
			return err
		}
		name := ""
		if r := ws.Request(); r != nil {
			name = r.URL.Path
		}
		s.Join(name, ws)
	}
}

// Join makes ws, an accepted connection, a client of the WebSocket room
// name, opening the room if it is not open: the client gets its id in the
// room and the room's Multiplayer admits it. An empty or too long name
// (over MaxNameBytes), an ENet room's name, a room that would exceed
// MaxRooms, a Setup error or a closed Server close ws and return an error
// (counted in Refused).
func (s *Server) Join(name string, ws *websocket.Peer) (*Room, error) {
	if ws == nil {
		return nil, &Error{Op: "join", Room: name, Reason: "no connection", Err: peer.ErrInvalidParameter}
	}
	r, err := s.enter(name)
	if err != nil {
		s.refused.Add(1)
		ws.CloseWithCode(-1, "")
		ws.Close()
		return nil, err
	}
	if _, err := r.ws.AddPeer(ws); err != nil {
		s.refused.Add(1)
		s.leave(r)
		return nil, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-ws.Disconnected()
		s.leave(r)
	}()
	return r, nil
}

// enter returns the WebSocket room name, opened if needed, with one more
// member.
func (s *Server) enter(name string) (*Room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rooms[name]; r != nil {
		if r.ws == nil {
			return nil, &Error{Op: "join", Room: name, Reason: "an ENet room", Err: peer.ErrInvalidParameter}
		}
		r.members++
		return r, nil
	}
	if err := s.canOpenLocked("join", name); err != nil {
		return nil, err
	}
	p, err := websocket.NewMultiplayerServer(s.cfg.WebSocket)
	if err != nil {
		return nil, err
	}
	r := &Room{name: name, ws: p}
	if err := s.startLocked(r, p); err != nil {
		return nil, err
	}
	r.members++
	return r, nil
}

// canOpenLocked reports whether room name may open now.
func (s *Server) canOpenLocked(op, name string) error {
	switch {
	case s.closed:
		return &Error{Op: op, Room: name, Reason: "server closed", Err: peer.ErrClosed}
	case name == "" || len(name) > MaxNameBytes:
		return &Error{Op: op, Room: name, Reason: "name of " + strconv.Itoa(len(name)) + " bytes, want 1 to " + strconv.Itoa(MaxNameBytes), Err: peer.ErrInvalidParameter}
	case s.rooms[name] != nil:
		return &Error{Op: op, Room: name, Reason: "room is open", Err: peer.ErrAlreadyInUse}
	case len(s.rooms) >= s.cfg.MaxRooms:
		return &Error{Op: op, Room: name, Reason: strconv.Itoa(len(s.rooms)) + " rooms open, MaxRooms reached", Err: peer.ErrBusy}
	}
	return nil
}

// startLocked runs r's session on p (after the config's Setup) and
// registers it; if Setup fails, p is closed.
func (s *Server) startLocked(r *Room, p multiplayer.MultiplayerPeer) error {
	r.m = scene.NewMultiplayer(p, &s.cfg.Multiplayer)
	if s.cfg.Setup != nil {
		if err := s.cfg.Setup(r); err != nil {
			p.Close()
			return err
		}
	}
	var ctx context.Context
	ctx, r.cancel = context.WithCancel(context.Background())
	r.done = make(chan struct{})
	s.rooms[r.name] = r
	s.byM[r.m] = r
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(r.done)
		r.m.Run(ctx)
	}()
	return nil
}

// leave drops one member of r and closes r when none is left.
func (s *Server) leave(r *Room) {
	s.mu.Lock()
	r.members--
	last := r.members == 0 && s.rooms[r.name] == r
	if last {
		delete(s.rooms, r.name)
	}
	s.mu.Unlock()
	if last {
		s.closeRoom(r)
	}
}

// closeRoom ends r, already out of s.rooms, and runs OnRoomClosed.
func (s *Server) closeRoom(r *Room) {
	r.cancel()
	r.m.MultiplayerPeer().Close()
	<-r.done
	s.mu.Lock()
	delete(s.byM, r.m)
	s.mu.Unlock()
	if s.cfg.OnRoomClosed != nil {
		s.cfg.OnRoomClosed(r)
	}
}

// CloseRoom closes the open room name, dropping its clients (an ENet
// room's port closes with it), and runs OnRoomClosed. It returns an error
// matching peer.ErrInvalidParameter if no such room is open. It waits for
// the room's session to end, so a callback or Handler of that room must
// not call it.
func (s *Server) CloseRoom(name string) error {
	s.mu.Lock()
	r := s.rooms[name]
	if r != nil {
		delete(s.rooms, name)
	}
	s.mu.Unlock()
	if r == nil {
		return &Error{Op: "close", Room: name, Reason: "no such room", Err: peer.ErrInvalidParameter}
	}
	s.closeRoom(r)
	return nil
}

// Room returns the open room name, nil if none.
func (s *Server) Room(name string) *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[name]
}

// RoomOf returns the room m is the session of, nil if m is none of s's
// (or its room has closed). The Config.Multiplayer callbacks use it to
// tell rooms apart; it is valid in every callback, up to the last one of
// a closing room.
func (s *Server) RoomOf(m *scene.Multiplayer) *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byM[m]
}

// Len returns the number of open rooms.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rooms)
}

// Refused returns how many WebSocket connections Join refused.
func (s *Server) Refused() uint64 { return s.refused.Load() }

// Close closes every room (dropping their clients) and refuses new
// ones. It returns once no goroutine of the Server is left, so no
// callback or Handler of a room may call it.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	rooms := s.rooms
	s.rooms = map[string]*Room{}
	s.mu.Unlock()
	for _, r := range rooms {
		s.closeRoom(r)
	}
	s.wg.Wait()
	return nil
}
