package scene

import (
	"strconv"

	"github.com/packetpeer/packetpeer/peer"
)

// NodeIDs assigns this side's path-cache ids (§8.1 of the spec): one counter
// per session starting at 1, one id per node, the same id toward every peer,
// never reused while the session lives. Nodes are named by their path
// relative to the multiplayer root; a node freed and created again at the
// same path is a new node: call Forget when it goes. The zero value is ready
// to use. NodeIDs is not safe for concurrent use.
type NodeIDs struct {
	last   uint32
	byPath map[string]uint32
	byID   map[uint32]string
}

// MaxNodeID is the largest cache id: REMOTE_CALL reads a 32-bit node field
// with bit 31 set as a path offset, so larger ids could not be used.
const MaxNodeID = 0x7fffffff

// ID returns the cache id of the node at path, assigning the next one the
// first time. It returns 0 and false once MaxNodeID ids have been used,
// which means the caller should name the node by its path.
func (n *NodeIDs) ID(path string) (uint32, bool) {
	if id, ok := n.byPath[path]; ok {
		return id, true
	}
	if n.last >= MaxNodeID {
		return 0, false
	}
	if n.byPath == nil {
		n.byPath, n.byID = make(map[string]uint32), make(map[uint32]string)
	}
	n.last++
	n.byPath[path], n.byID[n.last] = n.last, path
	return n.last, true
}

// Path returns the path of the node that has id.
func (n *NodeIDs) Path(id uint32) (string, bool) {
	p, ok := n.byID[id]
	return p, ok
}

// Forget drops the node at path (it left the tree) and returns its id, so
// that the caller can drop it from every PeerPaths too. A later ID for the
// same path assigns a new id, as Godot does for a new node object.
func (n *NodeIDs) Forget(path string) (uint32, bool) {
	id, ok := n.byPath[path]
	if ok {
		delete(n.byPath, path)
		delete(n.byID, id)
	}
	return id, ok
}

// Len returns the number of nodes that have an id.
func (n *NodeIDs) Len() int { return len(n.byPath) }

// Bounds of one PeerPaths. Every entry costs at most its path plus about 100
// bytes of map space, so one peer's path cache holds at most
// MaxPeerPaths entries each way and MaxPeerPathBytes of received paths,
// under 1.25 MiB in all (TestPeerPathsBound checks the figure).
const (
	MaxPeerPaths     = 4096      // node ids per peer, in each direction
	MaxPeerPathBytes = 256 << 10 // bytes of paths received from one peer
)

// PeerPaths is the path-cache state between this side and one peer, both
// ways (§8 of the spec), as pure data: the caller sends and receives the
// messages.
//
// Toward the peer (this side's ids, from NodeIDs): Reference says whether a
// SIMPLIFY_PATH must go first and whether the peer confirmed the id;
// Confirm records a CONFIRM_PATH. From the peer (the peer's ids): Add records
// a SIMPLIFY_PATH, Path resolves an id of a REMOTE_CALL.
//
// Unlike Godot, both directions are bounded (MaxPeerPaths,
// MaxPeerPathBytes). Past the bound nothing breaks: Reference answers
// "use the full path", and Add refuses the entry, so the caller sends no
// CONFIRM_PATH and the peer keeps naming the node by its path, which Godot
// does for an unconfirmed node anyway.
//
// The zero value is ready to use. PeerPaths is not safe for concurrent use.
type PeerPaths struct {
	sent      map[uint32]bool   // this side's id → confirmed by the peer
	recv      map[uint32]string // the peer's id → path
	recvBytes int
}

// Reference is called when this side names its node id toward the peer (an
// RPC, a spawn, a synchronizer). simplify reports that a SIMPLIFY_PATH for
// the id must be sent before the message that uses it: true exactly once per
// id, as Godot sends it once and never again. confirmed reports that the peer
// confirmed the id, so an RPC may use it instead of the full path. At the
// bound both are false for a new id: name the node by its full path.
func (p *PeerPaths) Reference(id uint32) (simplify, confirmed bool) {
	c, ok := p.sent[id]
	if ok {
		return false, c
	}
	if len(p.sent) >= MaxPeerPaths {
		return false, false
	}
	if p.sent == nil {
		p.sent = make(map[uint32]bool)
	}
	p.sent[id] = false
	return true, false
}

// Confirmed reports whether the peer confirmed this side's id.
func (p *PeerPaths) Confirmed(id uint32) bool { return p.sent[id] }

// Confirm records the peer's CONFIRM_PATH for this side's id. Godot marks the
// id confirmed whatever the valid flag says (a checksum mismatch is only
// logged); so does Confirm. An id that was never sent to the peer is an error
// matching peer.ErrInvalidData. (An id NodeIDs no longer knows should be
// ignored silently before calling Confirm, as Godot does.)
func (p *PeerPaths) Confirm(id uint32) error {
	if _, ok := p.sent[id]; !ok {
		return &Error{Command: CommandConfirmPath, Offset: -1, Reason: "id " + strconv.FormatUint(uint64(id), 10) + " was not sent to this peer", Err: peer.ErrInvalidData}
	}
	p.sent[id] = true
	return nil
}

// Forget drops this side's id (the node left), so that it no longer counts
// toward the bound.
func (p *PeerPaths) Forget(id uint32) { delete(p.sent, id) }

// Add records the peer's SIMPLIFY_PATH: from now on the peer's id names the
// node at path. An id the peer already registered is an error matching
// peer.ErrAlreadyExists (Godot logs it and does not reply); past the bounds
// the error matches peer.ErrOutOfMemory. In both cases send no CONFIRM_PATH.
func (p *PeerPaths) Add(id uint32, path string) error {
	if _, ok := p.recv[id]; ok {
		return &Error{Command: CommandSimplifyPath, Offset: -1, Reason: "id " + strconv.FormatUint(uint64(id), 10) + " already registered by this peer", Err: peer.ErrAlreadyExists}
	}
	if len(p.recv) >= MaxPeerPaths || p.recvBytes+len(path) > MaxPeerPathBytes {
		return &Error{Command: CommandSimplifyPath, Offset: -1, Reason: "path cache of this peer is full (" + strconv.Itoa(len(p.recv)) + " paths, " + strconv.Itoa(p.recvBytes) + " bytes)", Err: peer.ErrOutOfMemory}
	}
	if p.recv == nil {
		p.recv = make(map[uint32]string)
	}
	p.recv[id] = path
	p.recvBytes += len(path)
	return nil
}

// Path returns the node path the peer registered as id.
func (p *PeerPaths) Path(id uint32) (string, bool) {
	s, ok := p.recv[id]
	return s, ok
}

// Len returns the number of this side's ids referenced toward the peer and
// of the peer's ids registered here.
func (p *PeerPaths) Len() (sent, received int) { return len(p.sent), len(p.recv) }
