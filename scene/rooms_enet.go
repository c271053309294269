package scene

import (
	"net"
	"strconv"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/enet"
)

// OpenENet opens room name as an ENet server of its own on addr
// ("host:port"; port 0 picks a free one, see Room.Addr): Godot's
// ENetMultiplayerPeer.create_server with cfg (nil means Godot's defaults),
// under the room's Multiplayer. ENet has no URL to carry a room name, so
// each ENet room listens on its own port: a Godot client joins it unchanged
// with ENetMultiplayerPeer.create_client(host, port), the port coming from
// wherever the game learns its server (a matchmaker, a room list served
// over HTTP). Unlike a WebSocket room, an ENet room stays open when its
// clients leave, until CloseRoom or Close. It counts towards MaxRooms, runs
// Setup before its first client, and refuses WebSocket connections (Join).
// An empty, too long or taken name, MaxRooms reached, a Setup error, an
// ENet error (the port in use: peer.ErrCantCreate) or closed Rooms return
// an error.
func (rs *Rooms) OpenENet(name, addr string, cfg *enet.MultiplayerConfig) (*Room, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	switch {
	case rs.closed:
		return nil, roomErr("rooms closed", peer.ErrClosed)
	case name == "" || len(name) > MaxRoomName:
		return nil, roomErr("room name of "+strconv.Itoa(len(name))+" bytes, want 1 to "+strconv.Itoa(MaxRoomName), peer.ErrInvalidParameter)
	case rs.rooms[name] != nil:
		return nil, roomErr("room "+strconv.Quote(name)+" is open", peer.ErrAlreadyInUse)
	case len(rs.rooms) >= rs.cfg.MaxRooms:
		return nil, roomErr(strconv.Itoa(len(rs.rooms))+" rooms open, MaxRooms reached", peer.ErrBusy)
	}
	p, err := enet.CreateServer(addr, cfg)
	if err != nil {
		return nil, err
	}
	r := &Room{name: name, enet: p, done: make(chan struct{})}
	if err := rs.start(r, p); err != nil {
		return nil, err
	}
	return r, nil
}

// Addr returns the UDP address an ENet room listens on (its port is the
// one Godot clients pass to create_client), nil for a WebSocket room.
func (r *Room) Addr() net.Addr {
	if r.enet == nil {
		return nil
	}
	return r.enet.Host().LocalAddr()
}

// ENet returns an ENet room's multiplayer peer (for its host's
// statistics, compression or DTLS setup before clients come), nil for a
// WebSocket room.
func (r *Room) ENet() *enet.MultiplayerPeer { return r.enet }

// CloseRoom closes the open room name, dropping its clients (an ENet
// room's port closes with it), and runs OnRoomClosed. It returns an error
// matching peer.ErrInvalidParameter if no such room is open.
func (rs *Rooms) CloseRoom(name string) error {
	rs.mu.Lock()
	r := rs.rooms[name]
	if r != nil {
		delete(rs.rooms, name)
	}
	rs.mu.Unlock()
	if r == nil {
		return roomErr("no room "+strconv.Quote(name), peer.ErrInvalidParameter)
	}
	rs.closeRoom(r)
	return nil
}
