// Package session is a sketch of a SceneMultiplayer session on the server
// (peer 1): admission with ADD_PEER/DEL_PEER, relay, RAW, the node-path
// cache and RPC dispatch, on any transport that can send a packet to a peer
// with a transfer mode and channel and hands received packets over with
// their sender. It is internal until package multiplayer (the
// MultiplayerPeer contract) exists; then Session will take a multiplayer
// peer and move to package scene. Authentication is not here yet.
//
// A Session is not safe for concurrent use: one goroutine feeds it.
package session

import (
	"errors"
	"strconv"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// Sender is what a Session needs from a multiplayer peer to send: one packet
// to one peer (never a broadcast) with a transfer mode and channel. Send must
// not keep p after it returns.
type Sender interface {
	Send(to int32, mode scene.TransferMode, channel int, p []byte) error
}

// Node is a node of the game's scene tree that has RPCs.
type Node struct {
	Path      string         // relative to the multiplayer root, e.g. "Main"
	Methods   *scene.Methods // from scene.NewMethods (node-level, script)
	Authority int32          // multiplayer authority; 0 means 1 (the server), Godot's default
	// Call runs a received RPC. from is the remote sender id (the original
	// client for relayed calls).
	Call func(from int32, m scene.Method, args []any)
}

func (n *Node) authority() int32 {
	if n.Authority == 0 {
		return 1
	}
	return n.Authority
}

// Counters of dropped messages, as Godot logs them.
type Stats struct {
	Malformed    int // undecodable messages
	UnknownPeer  int // from or to a peer not connected
	UnknownNode  int // node path or cache id that names no node
	UnknownRPC   int // method id not in the node's table
	Unauthorized int // authority method from another peer, or disabled
	BadArgs      int // arguments that did not decode (the call still runs, as in Godot)
}

// Session is the server side of one SceneMultiplayer session (one room).
type Session struct {
	out   Sender
	relay bool
	opts  variant.DecodeOptions
	nodes map[string]*Node
	ids   scene.NodeIDs
	peers map[int32]*scene.PeerPaths
	order []int32 // connected peers in admission order
	buf   []byte

	// OnPacket receives RAW payloads (Godot's peer_packet signal). The slice
	// is valid during the call only.
	OnPacket func(from int32, data []byte)
	Stats    Stats
}

// New returns a server session that sends with out; relay is Godot's
// server_relay (default true in Godot).
func New(out Sender, relay bool) *Session {
	return &Session{out: out, relay: relay, nodes: map[string]*Node{}, peers: map[int32]*scene.PeerPaths{}}
}

// AddNode declares a node with RPCs.
func (s *Session) AddNode(n *Node) { s.nodes[n.Path] = n }

// PeerConnected admits p as a Godot server does without authentication:
// with relay, ADD_PEER p to every connected peer and ADD_PEER of each of
// them to p.
func (s *Session) PeerConnected(p int32) error {
	if _, ok := s.peers[p]; ok || p < 2 {
		return &scene.Error{Command: scene.CommandSys, Offset: -1, Reason: "peer " + strconv.Itoa(int(p)) + " already connected or not a client id", Err: peer.ErrInvalidParameter}
	}
	if s.relay {
		for _, q := range s.order {
			if err := s.send(q, scene.TransferModeReliable, 0, scene.AppendAddPeer(s.buf[:0], p)); err != nil {
				return err
			}
			if err := s.send(p, scene.TransferModeReliable, 0, scene.AppendAddPeer(s.buf[:0], q)); err != nil {
				return err
			}
		}
	}
	s.peers[p] = &scene.PeerPaths{}
	s.order = append(s.order, p)
	return nil
}

// PeerDisconnected removes p and, with relay, sends DEL_PEER p to the others.
func (s *Session) PeerDisconnected(p int32) error {
	if _, ok := s.peers[p]; !ok {
		return nil
	}
	delete(s.peers, p)
	for i, q := range s.order {
		if q == p {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	var errs []error
	if s.relay {
		for _, q := range s.order {
			errs = append(errs, s.send(q, scene.TransferModeReliable, 0, scene.AppendDelPeer(s.buf[:0], p)))
		}
	}
	return errors.Join(errs...)
}

func (s *Session) send(to int32, mode scene.TransferMode, ch int, p []byte) error {
	s.buf = p[:0]
	return s.out.Send(to, mode, ch, p)
}

// Receive handles one packet from peer from that arrived with mode and
// channel. Messages Godot would drop are counted in Stats and dropped;
// only a failure to send is returned.
func (s *Session) Receive(from int32, mode scene.TransferMode, ch int, p []byte) error {
	if _, ok := s.peers[from]; !ok {
		s.Stats.UnknownPeer++
		return nil
	}
	c, err := scene.PacketCommand(p)
	if err != nil {
		s.Stats.Malformed++
		return nil
	}
	if c != scene.CommandSys {
		return s.dispatch(from, c, p)
	}
	m, err := scene.ParseSys(p)
	if err != nil {
		s.Stats.Malformed++
		return nil
	}
	switch m.Command {
	case scene.SysAuth:
		if len(m.Data) > 0 {
			s.Stats.Malformed++ // authentication is not implemented: as Godot without auth_callback
		}
		return nil
	case scene.SysRelay:
		return s.relayFrom(from, mode, ch, m)
	}
	s.Stats.Malformed++ // ADD/DEL_PEER from a client: a Godot server rejects them
	return nil
}

// relayFrom applies the server relay table (spec §4.2).
func (s *Session) relayFrom(from int32, mode scene.TransferMode, ch int, m scene.Sys) error {
	if !s.relay {
		s.Stats.Malformed++
		return nil
	}
	fwd, err := scene.AppendRelay(nil, from, m.Data)
	if err != nil {
		s.Stats.Malformed++
		return nil
	}
	d := m.Peer
	if d > 0 {
		if _, ok := s.peers[d]; !ok {
			s.Stats.UnknownPeer++
			return nil
		}
		return s.out.Send(d, mode, ch, fwd)
	}
	var errs []error
	for _, q := range s.order {
		if q != from && q != -d {
			errs = append(errs, s.out.Send(q, mode, ch, fwd))
		}
	}
	if d != -1 {
		c, err := scene.PacketCommand(m.Data)
		if err == nil && c != scene.CommandSys {
			errs = append(errs, s.dispatch(from, c, m.Data))
		} else {
			s.Stats.Malformed++
		}
	}
	return errors.Join(errs...)
}

func (s *Session) dispatch(from int32, c scene.Command, p []byte) error {
	switch c {
	case scene.CommandRaw:
		data, err := scene.ParseRaw(p)
		if err != nil {
			s.Stats.Malformed++
		} else if s.OnPacket != nil {
			s.OnPacket(from, data)
		}
	case scene.CommandSimplifyPath:
		m, err := scene.ParseSimplifyPath(p)
		if err != nil {
			s.Stats.Malformed++
			return nil
		}
		n := s.nodes[m.Path]
		if n == nil {
			s.Stats.UnknownNode++ // Godot: no reply; the client keeps full paths
			return nil
		}
		if err := s.peers[from].Add(m.ID, m.Path); err != nil {
			s.Stats.Malformed++
			return nil
		}
		reply := scene.AppendConfirmPath(s.buf[:0], scene.ConfirmPath{Valid: m.Checksum == n.Methods.Checksum(), ID: m.ID})
		return s.send(from, scene.TransferModeReliable, 0, reply)
	case scene.CommandConfirmPath:
		m, err := scene.ParseConfirmPath(p)
		if err != nil {
			s.Stats.Malformed++
			return nil
		}
		if _, ok := s.ids.Path(m.ID); !ok {
			return nil // node gone: ignored, as in Godot
		}
		if s.peers[from].Confirm(m.ID) != nil {
			s.Stats.Malformed++
		}
	case scene.CommandRemoteCall:
		s.remoteCall(from, p)
	default:
		s.Stats.Malformed++ // replication is not implemented yet; SYS nested in RELAY
	}
	return nil
}

func (s *Session) remoteCall(from int32, p []byte) {
	rc, err := scene.ParseRemoteCall(p)
	if err != nil {
		s.Stats.Malformed++
		return
	}
	path := rc.Path
	if path == "" {
		var ok bool
		if path, ok = s.peers[from].Path(rc.Node); !ok {
			s.Stats.UnknownNode++
			return
		}
	}
	n := s.nodes[path]
	if n == nil {
		s.Stats.UnknownNode++
		return
	}
	m, ok := n.Methods.Method(rc.Method)
	if !ok {
		s.Stats.UnknownRPC++
		return
	}
	if m.Mode == scene.RPCModeDisabled || m.Mode == scene.RPCModeAuthority && from != n.authority() {
		s.Stats.Unauthorized++
		return
	}
	args, err := rc.DecodeArgs(make([]any, 0, rc.Argc), s.opts)
	if err != nil {
		s.Stats.BadArgs++
		for len(args) < rc.Argc {
			args = append(args, nil) // Godot calls with nulls
		}
	}
	if n.Call != nil {
		n.Call(from, m, args)
	}
}

// RPC calls method on the node at path on peer to (0 = every connected
// peer, -id = all but id), as Godot's rpc()/rpc_id() on the server: a
// SIMPLIFY_PATH to each peer that lacks one, then the call with the 8/16-bit
// id if every target confirmed the path, else per target the plain 32-bit id
// or the full path. call_local is the caller's business.
func (s *Session) RPC(to int32, path, method string, args ...any) error {
	n := s.nodes[path]
	if n == nil {
		return &scene.Error{Command: scene.CommandRemoteCall, Offset: -1, Reason: "no node " + strconv.Quote(path), Err: peer.ErrInvalidParameter}
	}
	mid, ok := n.Methods.ID(method)
	if !ok {
		return &scene.Error{Command: scene.CommandRemoteCall, Offset: -1, Reason: "no RPC " + strconv.Quote(method) + " on " + path, Err: peer.ErrInvalidParameter}
	}
	m, _ := n.Methods.Method(mid)
	var targets []int32
	if to > 0 {
		if _, ok := s.peers[to]; !ok {
			return &scene.Error{Command: scene.CommandRemoteCall, Offset: -1, Reason: "unknown peer " + strconv.Itoa(int(to)), Err: peer.ErrInvalidParameter}
		}
		targets = []int32{to}
	} else {
		for _, q := range s.order {
			if q != -to {
				targets = append(targets, q)
			}
		}
	}
	id, haveID := s.ids.ID(path)
	all := haveID
	for _, q := range targets {
		pp := s.peers[q]
		simplify, confirmed := pp.Reference(id)
		if !haveID {
			continue
		}
		all = all && confirmed
		if simplify {
			sp, err := scene.AppendSimplifyPath(s.buf[:0], scene.SimplifyPath{Checksum: n.Methods.Checksum(), ID: id, Path: path})
			if err != nil {
				return err
			}
			if err := s.send(q, scene.TransferModeReliable, 0, sp); err != nil {
				return err
			}
		}
	}
	var errs []error
	opts := variant.EncodeOptions{}
	if all {
		pkt, err := scene.AppendRemoteCall(nil, scene.RemoteCall{Node: id, Method: mid}, opts, args...)
		if err != nil {
			return err
		}
		for _, q := range targets {
			errs = append(errs, s.out.Send(q, m.TransferMode, m.Channel, pkt))
		}
		return errors.Join(errs...)
	}
	for _, q := range targets {
		c := scene.RemoteCall{Path: path, Method: mid}
		if haveID && s.peers[q].Confirmed(id) {
			c = scene.RemoteCall{Node: id, Wide: true, Method: mid}
		}
		pkt, err := scene.AppendRemoteCall(nil, c, opts, args...)
		if err != nil {
			return err
		}
		errs = append(errs, s.out.Send(q, m.TransferMode, m.Channel, pkt))
	}
	return errors.Join(errs...)
}

// SendBytes sends a RAW message to peer to (0 = all, -id = all but id).
func (s *Session) SendBytes(to int32, mode scene.TransferMode, ch int, data []byte) error {
	pkt, err := scene.AppendRaw(nil, data)
	if err != nil {
		return err
	}
	var errs []error
	for _, q := range s.order {
		if to > 0 && q == to || to == 0 || to < 0 && q != -to {
			errs = append(errs, s.out.Send(q, mode, ch, pkt))
		}
	}
	return errors.Join(errs...)
}
