package scene

import (
	"strconv"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// DefaultTickRate is the replication frames per second of a Multiplayer
// whose Config.TickRate is 0: Godot's default physics_ticks_per_second.
const DefaultTickRate = 60

// Replication is the replication layer of a session, Godot's
// SceneReplicationInterface: package scene/replication's Replicator on a
// server, or a client's own reader of SPAWN, DESPAWN and SYNC. A Multiplayer
// given one with SetReplication calls it on the goroutine that polls, never
// concurrently:
//
//   - AddPeer when a peer is admitted (after authentication), before
//     Config.OnPeerConnected; on a client also for the server (1);
//   - RemovePeer when an admitted peer leaves, before
//     Config.OnPeerDisconnected, or on the next Poll after DisconnectPeer;
//   - Receive with every SPAWN, DESPAWN, SYNC and DELTA packet and its sender
//     (the original client for one relayed through the server);
//   - Tick at the end of a Poll once 1/Config.TickRate has passed since the
//     last Tick; Run wakes up for it.
//
// The Multiplayer is the Replication's session: it sends packets (Send),
// names this side's nodes with path-cache ids (NodeID) and resolves the
// peers' (PeerNode).
type Replication interface {
	AddPeer(id int32)
	RemovePeer(id int32)
	Receive(from int32, p []byte) error
	Tick(now time.Time)
}

// emptyChecksum is the RPC methods checksum of a node without RPCs, as a
// MultiplayerSpawner or MultiplayerSynchronizer has.
var emptyChecksum = func() Checksum {
	m, _ := NewMethods(nil, nil)
	return m.Checksum()
}()

// SetReplication hands m's replication to r (nil: none; SPAWN, DESPAWN and
// SYNC are then counted in Stats.Unsupported and dropped). Call it before
// the first Run or Poll. With r set, a SIMPLIFY_PATH naming a node not added
// with AddNode (a synchronizer a client owns) is stored and confirmed, valid
// when its checksum is that of a node without RPCs, as Godot does for any
// node of its tree.
func (m *Multiplayer) SetReplication(r Replication) {
	m.mu.Lock()
	m.repl = r
	m.mu.Unlock()
}

func (m *Multiplayer) tickPeriod() time.Duration {
	rate := m.cfg.TickRate
	if rate <= 0 {
		rate = DefaultTickRate
	}
	return time.Second / time.Duration(rate)
}

// replicate runs the replication work Poll owes: the removals DisconnectPeer
// queued, then a Tick when one is due.
func (m *Multiplayer) replicate(now time.Time) {
	m.mu.Lock()
	r := m.repl
	gone := append(m.goneBuf[:0], m.gone...)
	m.gone = m.gone[:0]
	m.goneBuf = gone
	m.mu.Unlock()
	if r == nil {
		return
	}
	for _, id := range gone {
		r.RemovePeer(id)
	}
	if now.Before(m.nextTick) {
		return
	}
	period := m.tickPeriod()
	m.nextTick = m.nextTick.Add(period)
	if m.nextTick.Before(now) {
		// Late by more than a frame: no burst of catch-up ticks.
		m.nextTick = now.Add(period)
	}
	r.Tick(now)
}

// Send sends the protocol message p to peer to as it is, with the transfer
// mode and channel given: on a client, a message to another client goes
// wrapped in a RELAY through the server. It is how a Replication sends;
// p is not kept. A failed send is counted in Stats.SendFailed and returned.
func (m *Multiplayer) Send(to int32, mode TransferMode, channel int, p []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.peers[to]; !ok {
		return sessionErr(CommandSys, "send to unknown peer "+strconv.Itoa(int(to)), peer.ErrInvalidParameter)
	}
	return m.sendLocked(to, mode, channel, p)
}

// NodeID returns this side's path-cache id of the node at path (relative to
// the multiplayer root) toward peer to, and whether to confirmed it. The
// first time for a node and peer it sends the SIMPLIFY_PATH (reliable,
// channel 0) before returning, with the checksum of the node's RPC methods
// (AddNode), or of none; if that send fails, NodeID returns the error and
// the next call for the node and peer sends the SIMPLIFY_PATH again. An
// unknown peer is an error matching peer.ErrInvalidParameter, a full path
// cache (MaxPeerPaths, MaxNodeID) one matching peer.ErrOutOfMemory.
func (m *Multiplayer) NodeID(to int32, path string) (id uint32, confirmed bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pp := m.peers[to]
	if pp == nil {
		return 0, false, sessionErr(CommandSimplifyPath, "unknown peer "+strconv.Itoa(int(to)), peer.ErrInvalidParameter)
	}
	id, ok := m.ids.ID(path)
	if !ok {
		return 0, false, sessionErr(CommandSimplifyPath, "no cache id left for "+strconv.Quote(path), peer.ErrOutOfMemory)
	}
	simplify, confirmed := pp.Reference(id)
	if _, known := pp.sent[id]; !known {
		return 0, false, sessionErr(CommandSimplifyPath, "path cache of peer "+strconv.Itoa(int(to))+" full", peer.ErrOutOfMemory)
	}
	if simplify {
		sum := emptyChecksum
		if n := m.nodes[path]; n != nil {
			sum = n.methods.Checksum()
		}
		sp, err := AppendSimplifyPath(m.buf[:0], SimplifyPath{Checksum: sum, ID: id, Path: path})
		if err == nil {
			m.buf = sp
			err = m.sendLocked(to, TransferModeReliable, 0, sp)
		}
		if err != nil {
			// The peer never got the id: the next call sends it again,
			// rather than a SPAWN naming a spawner the peer cannot find.
			pp.Forget(id)
			return 0, false, err
		}
	}
	return id, confirmed, nil
}

// PeerNode returns the path that peer from registered as its cache id with
// a SIMPLIFY_PATH.
func (m *Multiplayer) PeerNode(from int32, id uint32) (path string, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pp := m.peers[from]
	if pp == nil {
		return "", false
	}
	return pp.Path(id)
}
