package scene

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// Bounds of Rooms.
const (
	DefaultMaxRooms = 1024 // rooms at once when RoomsConfig.MaxRooms is 0
	MaxRoomName     = 256  // bytes of a room name (the URL path)
)

// RoomsConfig configures Rooms. The zero value serves rooms of Godot's
// default SceneMultiplayer without nodes, up to DefaultMaxRooms.
type RoomsConfig struct {
	// Config configures the Multiplayer of every room; its callbacks get
	// the room's Multiplayer (Multiplayer.Room tells which room).
	Config Config
	// Setup runs when a room is created, before its first client joins:
	// it declares the room's nodes and their handlers. An error refuses
	// the client (and the room). Setup must not call the Rooms.
	Setup func(r *Room) error
	// OnRoomClosed runs when a room closed, its last client gone.
	OnRoomClosed func(r *Room)
	// MaxRooms bounds the rooms open at once; a client that would open
	// one more is refused. Zero means DefaultMaxRooms.
	MaxRooms int
	// WebSocket configures the queues of each room's WebSocket
	// multiplayer peer (websocket.NewMultiplayerServer); nil means the
	// defaults.
	WebSocket *websocket.Config
}

// Rooms runs many independent SceneMultiplayer sessions ("rooms") in one
// process behind one WebSocket listener, where a Godot server would run one
// session per process. Each room is a server of its own, with its own
// peer ids, path caches, relay and authentication: a client only ever sees
// the clients of its room. A Godot client picks its room with the URL it
// connects to (WebSocketMultiplayerPeer.create_client("ws://host:port/room-7")
// joins "/room-7"); Serve does that routing, Join takes any name. ENet
// rooms (OpenENet) listen on a port each instead.
//
// A WebSocket room opens with its first client and closes when its last
// client is gone; an ENet room is open from OpenENet to CloseRoom. Memory is bounded by MaxRooms rooms of one Multiplayer (its path
// caches bounded per peer, see PeerPaths) and one WebSocket multiplayer
// peer (its receive queue bounded to 1 MiB) each.
type Rooms struct {
	cfg     RoomsConfig
	wg      sync.WaitGroup
	refused atomic.Uint64

	mu     sync.Mutex
	rooms  map[string]*Room
	closed bool
}

// Room is one session of Rooms.
type Room struct {
	name    string
	m       *Multiplayer
	peer    *websocket.MultiplayerPeer // nil in an ENet room
	enet    *enet.MultiplayerPeer      // an ENet room's server (OpenENet)
	cancel  context.CancelFunc
	done    chan struct{}
	members int // connections joined and not yet gone; guarded by Rooms.mu
}

// Name returns the room's name.
func (r *Room) Name() string { return r.name }

// Multiplayer returns the room's session.
func (r *Room) Multiplayer() *Multiplayer { return r.m }

// Room returns the room m is the session of, nil outside Rooms.
func (m *Multiplayer) Room() *Room { return m.room }

// NewRooms returns an empty Rooms configured by cfg (nil means the zero
// RoomsConfig).
func NewRooms(cfg *RoomsConfig) *Rooms {
	rs := &Rooms{rooms: map[string]*Room{}}
	if cfg != nil {
		rs.cfg = *cfg
	}
	if rs.cfg.MaxRooms <= 0 {
		rs.cfg.MaxRooms = DefaultMaxRooms
	}
	return rs
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
func (rs *Rooms) Serve(ctx context.Context, l Acceptor) error {
	for {
		ws, err := l.Accept(ctx)
		if err != nil {
			return err
		}
		name := ""
		if r := ws.Request(); r != nil {
			name = r.URL.Path
		}
		rs.Join(name, ws)
	}
}

// Join makes ws, an accepted connection, a client of the room name,
// opening the room if it is not open: the client gets its id in the room
// and the room's Multiplayer admits it. An empty or too long name (over
// MaxRoomName bytes), a room that would exceed MaxRooms, a Setup error or
// closed Rooms close ws and return an error (counted in Refused).
func (rs *Rooms) Join(name string, ws *websocket.Peer) (*Room, error) {
	if ws == nil {
		return nil, roomErr("no connection", peer.ErrInvalidParameter)
	}
	r, err := rs.enter(name)
	if err != nil {
		rs.refused.Add(1)
		ws.CloseWithCode(-1, "")
		ws.Close()
		return nil, err
	}
	if _, err := r.peer.AddPeer(ws); err != nil {
		rs.refused.Add(1)
		rs.leave(r)
		return nil, err
	}
	rs.wg.Add(1)
	go func() {
		defer rs.wg.Done()
		<-ws.Disconnected()
		rs.leave(r)
	}()
	return r, nil
}

func roomErr(reason string, err error) error {
	return &Error{Command: CommandSys, Offset: -1, Reason: reason, Err: err}
}

// enter returns the room name, opened if needed, with one more member.
func (rs *Rooms) enter(name string) (*Room, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	switch {
	case rs.closed:
		return nil, roomErr("rooms closed", peer.ErrClosed)
	case name == "" || len(name) > MaxRoomName:
		return nil, roomErr("room name of "+strconv.Itoa(len(name))+" bytes, want 1 to "+strconv.Itoa(MaxRoomName), peer.ErrInvalidParameter)
	}
	r := rs.rooms[name]
	if r != nil && r.enet != nil {
		return nil, roomErr("room "+strconv.Quote(name)+" is an ENet room", peer.ErrInvalidParameter)
	}
	if r == nil {
		if len(rs.rooms) >= rs.cfg.MaxRooms {
			return nil, roomErr(strconv.Itoa(len(rs.rooms))+" rooms open, MaxRooms reached", peer.ErrBusy)
		}
		p, err := websocket.NewMultiplayerServer(rs.cfg.WebSocket)
		if err != nil {
			return nil, err
		}
		r = &Room{name: name, peer: p, done: make(chan struct{})}
		if err := rs.start(r, p); err != nil {
			return nil, err
		}
	}
	r.members++
	return r, nil
}

// start runs r's session on p (after the config's Setup) and registers it;
// if Setup fails, p is closed. rs.mu is held.
func (rs *Rooms) start(r *Room, p multiplayer.MultiplayerPeer) error {
	r.m = NewMultiplayer(p, &rs.cfg.Config)
	r.m.room = r
	if rs.cfg.Setup != nil {
		if err := rs.cfg.Setup(r); err != nil {
			p.Close()
			return err
		}
	}
	var ctx context.Context
	ctx, r.cancel = context.WithCancel(context.Background())
	rs.wg.Add(1)
	go func() {
		defer rs.wg.Done()
		defer close(r.done)
		r.m.Run(ctx)
	}()
	rs.rooms[r.name] = r
	return nil
}

// leave drops one member of r and closes r when none is left.
func (rs *Rooms) leave(r *Room) {
	rs.mu.Lock()
	r.members--
	last := r.members == 0 && rs.rooms[r.name] == r
	if last {
		delete(rs.rooms, r.name)
	}
	rs.mu.Unlock()
	if last {
		rs.closeRoom(r)
	}
}

func (rs *Rooms) closeRoom(r *Room) {
	r.cancel()
	if r.enet != nil {
		r.enet.Close()
	} else {
		r.peer.Close()
	}
	<-r.done
	if rs.cfg.OnRoomClosed != nil {
		rs.cfg.OnRoomClosed(r)
	}
}

// Room returns the open room name, nil if none.
func (rs *Rooms) Room(name string) *Room {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.rooms[name]
}

// Len returns the number of open rooms.
func (rs *Rooms) Len() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.rooms)
}

// Refused returns how many connections Join refused.
func (rs *Rooms) Refused() uint64 { return rs.refused.Load() }

// Close closes every room (dropping their clients) and refuses new
// ones. It returns once no goroutine of the Rooms is left.
func (rs *Rooms) Close() error {
	rs.mu.Lock()
	rs.closed = true
	rooms := rs.rooms
	rs.rooms = map[string]*Room{}
	rs.mu.Unlock()
	for _, r := range rooms {
		rs.closeRoom(r)
	}
	rs.wg.Wait()
	return nil
}
