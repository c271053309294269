package rooms

import (
	"net"

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
// ENet error (the port in use: peer.ErrCantCreate) or a closed Server
// return an error.
func (s *Server) OpenENet(name, addr string, cfg *enet.MultiplayerConfig) (*Room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.canOpenLocked("open ENet", name); err != nil {
		return nil, err
	}
	p, err := enet.CreateServer(addr, cfg)
	if err != nil {
		return nil, err
	}
	r := &Room{name: name, enet: p}
	if err := s.startLocked(r, p); err != nil {
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
