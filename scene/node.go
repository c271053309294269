package scene

import (
	"bytes"
	"strconv"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
)

// Node is a node of the game's scene tree that has RPCs, as the Go side of
// a Multiplayer knows it: its path relative to the multiplayer root (Godot's
// /root, so "Main" for /root/Main), its RPC methods, its multiplayer
// authority and a Handler per method the Go side answers.
type Node struct {
	m         *Multiplayer
	path      string
	methods   *Methods
	handlers  []Handler // by index in methods.byID; guarded by m.mu
	authority atomic.Int32
}

// AddNode declares the node at path (relative to the multiplayer root, as
// Godot's node paths in SIMPLIFY_PATH: "Main", "Main/Player") with the
// RPC methods Godot's script and rpc_config give it (NewMethods; cmd/gdrpc
// writes the script half). Its authority is 1, Godot's default. A path
// declared twice, or an invalid one (empty, absolute as "/root/Main", or
// ending with "/"), is an error matching peer.ErrInvalidParameter.
func (m *Multiplayer) AddNode(path string, methods *Methods) (*Node, error) {
	if err := checkNodePath(CommandRemoteCall, path); err != nil {
		return nil, err
	}
	if methods == nil {
		return nil, sessionErr(CommandRemoteCall, "node "+strconv.Quote(path)+" without methods", peer.ErrInvalidParameter)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nodes[path] != nil {
		return nil, sessionErr(CommandRemoteCall, "node "+strconv.Quote(path)+" added twice", peer.ErrInvalidParameter)
	}
	n := &Node{m: m, path: path, methods: methods, handlers: make([]Handler, methods.Len())}
	n.authority.Store(multiplayer.TargetPeerServer)
	m.nodes[path] = n
	return n, nil
}

// RemoveNode forgets the node at path, as Godot does when it leaves the
// tree: calls naming it are dropped, and a node added again at the path is
// a new node with a new cache id.
func (m *Multiplayer) RemoveNode(path string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nodes[path] == nil {
		return
	}
	delete(m.nodes, path)
	if id, ok := m.ids.Forget(path); ok {
		for _, pp := range m.peers {
			pp.Forget(id)
		}
	}
}

// Node returns the node added at path, nil if none.
func (m *Multiplayer) Node(path string) *Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nodes[path]
}

// Path returns the node's path relative to the multiplayer root.
func (n *Node) Path() string { return n.path }

// Methods returns the node's RPC method table.
func (n *Node) Methods() *Methods { return n.methods }

// Authority returns the node's multiplayer authority (Godot's
// get_multiplayer_authority), 1 unless set.
func (n *Node) Authority() int32 { return n.authority.Load() }

// SetAuthority sets the node's multiplayer authority (Godot's
// set_multiplayer_authority): the one peer whose calls of "authority" RPCs
// the node accepts. It must match what the game sets.
func (n *Node) SetAuthority(id int32) { n.authority.Store(id) }

// Handle sets the Handler that runs when a peer calls method on the node
// (nil removes it; calls of a method without a handler are dropped and
// counted in Stats.Unhandled). A method the node's table does not have is
// an error matching peer.ErrInvalidParameter.
func (n *Node) Handle(method string, h Handler) error {
	id, ok := n.methods.ID(method)
	if !ok {
		return sessionErr(CommandRemoteCall, "no RPC "+strconv.Quote(method)+" on node "+n.path, peer.ErrInvalidParameter)
	}
	i, _ := n.methods.index(id)
	n.m.mu.Lock()
	n.handlers[i] = h
	n.m.mu.Unlock()
	return nil
}

// RPC calls method on every peer, as Godot's node.rpc(method, args...):
// RPCID with target 0.
func (n *Node) RPC(method string, args ...any) error { return n.RPCID(0, method, args...) }

// RPCID calls method on peer to, as Godot's node.rpc_id(to, method,
// args...): to is an admitted peer id, 0 for every peer, -id for every peer
// but id. The call goes with the method's transfer mode and channel, after a
// SIMPLIFY_PATH to each peer that has not had one for the node; it names the
// node by its cache id where every target confirmed that id, else per target
// by the 32-bit id or the full path, byte for byte as Godot does. A
// call_local method also runs the node's handler here, with this side's id
// as sender, after the sends.
//
// Arguments are encoded as AppendCompressed does (at most 255). An unknown
// method or peer is an error matching peer.ErrInvalidParameter, and so is a
// call of a method without call_local on this side's own id.
func (n *Node) RPCID(to int32, method string, args ...any) error {
	mid, ok := n.methods.ID(method)
	if !ok {
		return sessionErr(CommandRemoteCall, "no RPC "+strconv.Quote(method)+" on node "+n.path, peer.ErrInvalidParameter)
	}
	i, _ := n.methods.index(mid)
	meth := &n.methods.byID[i]
	m := n.m
	self := m.p.UniqueID()
	local := meth.CallLocal && (to <= 0 && to != -self || to == self)
	if to == self && !meth.CallLocal {
		return sessionErr(CommandRemoteCall, "RPC "+strconv.Quote(method)+" on this side's own id without call_local", peer.ErrInvalidParameter)
	}
	m.mu.Lock()
	if m.nodes[n.path] != n {
		m.mu.Unlock()
		return sessionErr(CommandRemoteCall, "node "+strconv.Quote(n.path)+" was removed", peer.ErrInvalidParameter)
	}
	var err error
	if to != self {
		err = m.rpcLocked(n, meth, mid, to, args)
	}
	var a action
	if local && err == nil {
		a, err = m.localCallLocked(n, meth, mid, self, args)
	}
	m.mu.Unlock()
	a.run(m)
	return err
}

// rpcLocked sends a REMOTE_CALL to the targets of to (spec §9.3).
func (m *Multiplayer) rpcLocked(n *Node, meth *Method, mid uint16, to int32, args []any) error {
	if len(args) > maxArgs {
		return badParam(CommandRemoteCall, strconv.Itoa(len(args))+" arguments, at most 255")
	}
	targets, err := m.targetsLocked(to, CommandRemoteCall)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		return nil
	}
	id, haveID := m.ids.ID(n.path)
	all := haveID
	for _, q := range targets {
		simplify, confirmed := m.peers[q].Reference(id)
		if !haveID {
			continue
		}
		all = all && confirmed
		if simplify {
			sp, err := AppendSimplifyPath(m.buf[:0], SimplifyPath{Checksum: n.methods.Checksum(), ID: id, Path: n.path})
			if err != nil {
				return err
			}
			m.buf = sp
			if err := m.sendLocked(q, TransferModeReliable, 0, sp); err != nil {
				return err
			}
		}
	}
	if all {
		pkt, err := AppendRemoteCall(m.buf[:0], RemoteCall{Node: id, Method: mid}, m.eopts, args...)
		if err != nil {
			return err
		}
		m.buf = pkt
		for _, q := range targets {
			if err := m.sendLocked(q, meth.TransferMode, meth.Channel, pkt); err != nil {
				return err
			}
		}
		return nil
	}
	// Some target has not confirmed: per target, the plain 32-bit id (buf)
	// or the full path (alt), each encoded once.
	var wide, full []byte
	for _, q := range targets {
		var pkt []byte
		if haveID && m.peers[q].Confirmed(id) {
			if wide == nil {
				if wide, err = AppendRemoteCall(m.buf[:0], RemoteCall{Node: id, Wide: true, Method: mid}, m.eopts, args...); err != nil {
					return err
				}
				m.buf = wide
			}
			pkt = wide
		} else {
			if full == nil {
				if full, err = AppendRemoteCall(m.alt[:0], RemoteCall{Path: n.path, Method: mid}, m.eopts, args...); err != nil {
					return err
				}
				m.alt = full
			}
			pkt = full
		}
		if err := m.sendLocked(q, meth.TransferMode, meth.Channel, pkt); err != nil {
			return err
		}
	}
	return nil
}

// localCallLocked prepares a call_local run of the node's handler.
func (m *Multiplayer) localCallLocked(n *Node, meth *Method, mid uint16, self int32, args []any) (action, error) {
	i, _ := n.methods.index(mid)
	h := n.handlers[i]
	if h == nil {
		return action{}, nil
	}
	pkt, err := AppendRemoteCall(nil, RemoteCall{Node: 1, Method: mid}, m.eopts, args...)
	if err != nil {
		return action{}, err
	}
	rc, err := ParseRemoteCall(bytes.Clone(pkt))
	if err != nil {
		return action{}, err
	}
	return action{kind: actRPC, handler: h, call: Call{Multiplayer: m, Node: n, Method: *meth, Sender: self}, args: rc.Arguments(m.dopts)}, nil
}

// index returns the position in byID of method id.
func (m *Methods) index(id uint16) (int, bool) {
	if id&nodeMethodFlag != 0 {
		i := m.nScript + int(id&^nodeMethodFlag)
		return i, i < len(m.byID)
	}
	return int(id), int(id) < m.nScript
}
