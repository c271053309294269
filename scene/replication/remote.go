package replication

import (
	"slices"
	"strconv"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// Bounds of what one peer's spawners may have spawned here at a time:
// Receive refuses a SPAWN past them (Godot has no such bound beyond each
// spawner's spawn_limit). Besides what OnSpawned returns, the Replicator
// keeps under 512 bytes per object plus its name (TestPeerSpawnerConfig),
// so under 2.3 MiB per peer.
const (
	MaxPeerObjects   = 4096      // objects
	MaxPeerNameBytes = 256 << 10 // bytes of their names
)

// remoteSpawns is what one peer spawned here with spawners it owns: the
// objects in arrival order, and its net ids of them and of their
// synchronizers.
type remoteSpawns struct {
	list      []*Object
	objects   map[uint32]*Object
	syncs     map[uint32]*Synchronizer
	nameBytes int
}

// nameTaken reports whether a spawned node named name is under spawnPath.
func (r *Replicator) nameTaken(spawnPath, name string) bool {
	return r.names[nodeKey{spawnPath, name}]
}

// nodeKey names a spawned node: its spawn path and name.
type nodeKey struct{ parent, name string }

func refuse(c scene.Command, from int32, reason string, err error) error {
	return &scene.Error{Command: c, Offset: -1, Reason: "peer " + strconv.Itoa(int(from)) + ": " + reason, Err: err}
}

// receiveSpawn applies a SPAWN from peer from with the checks of Godot's
// receiver (spec §10.3): the spawner is one from owns, the node name is
// free under the spawn path, the scene index exists, the spawn limit and
// the net id are respected; then OnSpawned creates the node and the spawn
// state is stored in the Values of its synchronizers that from owns.
func (r *Replicator) receiveSpawn(from int32, m *Spawn) error {
	const c = scene.CommandSpawn
	path, _ := r.s.PeerNode(from, m.Spawner)
	sp := r.spawners[path]
	switch {
	case sp == nil:
		r.stats.Refused++
		return refuse(c, from, "SPAWN names spawner id "+strconv.FormatUint(uint64(m.Spawner), 10)+", which is no spawner here", peer.ErrUnauthorized)
	case sp.authority() != from:
		r.stats.Refused++
		return refuse(c, from, "not the authority of spawner "+strconv.Quote(sp.Path), peer.ErrUnauthorized)
	case r.nameTaken(sp.SpawnPath, m.Name):
		r.stats.Refused++
		return refuse(c, from, "node "+strconv.Quote(sp.SpawnPath+"/"+m.Name)+" exists", peer.ErrAlreadyExists)
	case m.Scene != CustomSpawn && int(m.Scene) >= len(sp.Scenes):
		r.stats.Refused++
		return refuse(c, from, "spawner "+strconv.Quote(sp.Path)+" has no scene "+strconv.Itoa(int(m.Scene)), peer.ErrInvalidData)
	case sp.SpawnLimit > 0 && sp.live >= sp.SpawnLimit:
		r.stats.Refused++
		return refuse(c, from, "spawner "+strconv.Quote(sp.Path)+" reached its spawn limit of "+strconv.Itoa(sp.SpawnLimit), peer.ErrOutOfMemory)
	}
	rs := r.remote[from]
	if rs == nil {
		rs = &remoteSpawns{objects: make(map[uint32]*Object), syncs: make(map[uint32]*Synchronizer)}
		r.remote[from] = rs
	}
	switch {
	case len(rs.list) >= MaxPeerObjects || rs.nameBytes+len(m.Name) > MaxPeerNameBytes:
		r.stats.Refused++
		return refuse(c, from, "has "+strconv.Itoa(len(rs.list))+" spawned objects here with "+strconv.Itoa(rs.nameBytes)+" bytes of names (MaxPeerObjects, MaxPeerNameBytes)", peer.ErrOutOfMemory)
	case rs.objects[m.NetID] != nil:
		r.stats.Refused++
		return refuse(c, from, "net id "+strconv.FormatUint(uint64(m.NetID), 10)+" exists", peer.ErrAlreadyExists)
	}
	var arg any
	if m.Scene == CustomSpawn {
		vals, _, err := DecodeState(r.vals[:0], m.Arg, 1)
		if err != nil {
			clear(vals)
			r.stats.Invalid++
			return &scene.Error{Command: c, Offset: -1, Reason: "spawn argument: " + reasonOf(err), Err: peer.ErrInvalidData}
		}
		arg = vals[0]
		clear(vals)
	}
	o := &Object{Name: m.Name, Spawner: sp, Scene: int(m.Scene), netID: m.NetID, from: from}
	syncs, err := sp.OnSpawned(o, arg)
	if err != nil {
		r.stats.Refused++
		return refuse(c, from, "OnSpawned refused "+strconv.Quote(m.Name)+": "+err.Error(), err)
	}
	o.Syncs = syncs
	if err := r.adopt(from, o, m); err != nil {
		r.stats.Invalid++
		if sp.OnDespawned != nil {
			sp.OnDespawned(o)
		}
		return err
	}
	sp.live++
	r.names[nodeKey{sp.SpawnPath, o.Name}] = true
	rs.list = append(rs.list, o)
	rs.nameBytes += len(o.Name)
	rs.objects[o.netID] = o
	for _, s := range o.Syncs {
		if s.netID != 0 {
			rs.syncs[s.netID] = s
		}
	}
	r.stats.Spawned++
	return nil
}

// adopt gives the synchronizers of o, which peer from spawned, their ids
// from m and stores the spawn state in their Values.
func (r *Replicator) adopt(from int32, o *Object, m *Spawn) error {
	const c = scene.CommandSpawn
	rs := r.remote[from]
	n, values := 0, 0
	for i, s := range o.Syncs {
		if s == nil {
			return badParam(c, "OnSpawned returned a nil synchronizer "+strconv.Itoa(i)+" for "+strconv.Quote(m.Name))
		}
		if s.obj != nil || s.fullPath != "" || slices.Contains(o.Syncs[:i], s) {
			return badParam(c, "OnSpawned returned synchronizer "+strconv.Quote(s.Path)+", which is used twice")
		}
		if err := s.prepare(); err != nil {
			return err
		}
		if s.authority() != from {
			continue
		}
		if n >= len(m.Syncs) {
			return invalid(c, -1, "SPAWN of "+strconv.Quote(m.Name)+" has "+strconv.Itoa(len(m.Syncs))+" synchronizer ids, fewer than its synchronizers peer "+strconv.Itoa(int(from))+" owns")
		}
		id := m.Syncs[n]
		if rs.syncs[id] != nil || id == m.NetID || slices.Contains(m.Syncs[:n], id) {
			return invalid(c, -1, "SPAWN of "+strconv.Quote(m.Name)+" reuses net id "+strconv.FormatUint(uint64(id), 10))
		}
		n++
		values += len(s.l.spawn)
	}
	vals, _, err := DecodeState(r.vals[:0], m.State, values)
	defer clear(vals)
	if err != nil {
		return &scene.Error{Command: c, Offset: -1, Reason: "spawn state of " + strconv.Quote(m.Name) + ": " + reasonOf(err), Err: peer.ErrInvalidData}
	}
	r.vals = vals[:0]
	n, k := 0, 0
	for _, s := range o.Syncs {
		s.obj, s.rep = o, r
		s.fullPath = o.Spawner.SpawnPath + "/" + o.Name + "/" + s.Path
		if s.authority() != from {
			continue
		}
		s.netID = m.Syncs[n]
		n++
		for _, i := range s.l.spawn {
			if variant.Assign(s.Properties[i].Value, vals[k]) != nil {
				r.stats.BadValues++
			}
			k++
		}
	}
	return nil
}

// receiveDespawn applies a DESPAWN from peer from: the net id must be one
// of the objects from spawned here (Godot answers anything else with
// ERR_UNAUTHORIZED).
func (r *Replicator) receiveDespawn(from int32, netID uint32) error {
	rs := r.remote[from]
	var o *Object
	if rs != nil {
		o = rs.objects[netID]
	}
	if o == nil || o.Spawner.authority() != from {
		r.stats.Refused++
		return refuse(scene.CommandDespawn, from, "DESPAWN of net id "+strconv.FormatUint(uint64(netID), 10)+", which it did not spawn here", peer.ErrUnauthorized)
	}
	delete(rs.objects, netID)
	rs.list = slices.DeleteFunc(rs.list, func(x *Object) bool { return x == o })
	rs.nameBytes -= len(o.Name)
	r.release(rs, o)
	r.stats.Despawned++
	return nil
}

// release forgets o, an object a peer spawned, and tells the game.
func (r *Replicator) release(rs *remoteSpawns, o *Object) {
	for _, s := range o.Syncs {
		if s.netID != 0 && rs.syncs[s.netID] == s {
			delete(rs.syncs, s.netID)
		}
	}
	o.gone = true
	o.Spawner.live--
	delete(r.names, nodeKey{o.Spawner.SpawnPath, o.Name})
	if o.Spawner.OnDespawned != nil {
		o.Spawner.OnDespawned(o)
	}
}

// forgetRemote frees what peer id spawned here (it left), in spawn order.
func (r *Replicator) forgetRemote(id int32) {
	rs := r.remote[id]
	if rs == nil {
		return
	}
	delete(r.remote, id)
	for _, o := range rs.list {
		r.release(rs, o)
	}
}
