package replication

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// ServerID is the peer id of the server, the default authority.
const ServerID int32 = 1

// Session is what a Replicator needs from the SceneMultiplayer session it
// runs in (package scene's session, or any other).
//
// Send sends one packet to one peer; it must not keep p after it returns.
//
// NodeID returns this side's path-cache id of the node at path (relative to
// the multiplayer root, "Main/Spawner") toward peer to. The first time for a
// node and peer it must send the SIMPLIFY_PATH (reliable, channel 0) before
// returning, so that it precedes the message that uses the id; confirmed
// reports that the peer answered with CONFIRM_PATH. If that send fails it
// must return the error and send the SIMPLIFY_PATH at the next call: a
// SPAWN naming a spawner id the peer never got is dropped by Godot for
// good. An error (also a full path cache) makes the Replicator skip the
// message and try again at the next Tick.
//
// PeerNode returns the path that peer from registered as its cache id with a
// SIMPLIFY_PATH, which is how a client names a synchronizer it owns.
type Session interface {
	Send(to int32, mode scene.TransferMode, channel int, p []byte) error
	NodeID(to int32, path string) (id uint32, confirmed bool, err error)
	PeerNode(from int32, id uint32) (path string, ok bool)
}

// Config configures a Replicator. The zero value is Godot's default.
type Config struct {
	// MaxSyncPacketSize is the largest SYNC packet (max_sync_packet_size);
	// 0 means 1350, and smaller values than MinMaxPacketSize are raised to
	// it. A synchronizer state bigger than this is not sent.
	MaxSyncPacketSize int
	// MaxDeltaPacketSize is the largest DELTA packet
	// (max_delta_packet_size); 0 means 65535, with the same minimum.
	MaxDeltaPacketSize int
}

// Stats counts what a Replicator applied of what peers sent, and what it
// dropped and why. Godot logs what it drops and drops it too; nothing is
// sent back.
type Stats struct {
	Applied   uint64 // SYNC and DELTA entries applied to a synchronizer
	NotOwner  uint64 // entries for a synchronizer whose authority is not the sender
	Unknown   uint64 // entries naming no synchronizer this side knows
	Stale     uint64 // SYNC entries older than the last one applied
	Invalid   uint64 // malformed packets or entries (a decode error, a bad mask)
	Refused   uint64 // SPAWN and DESPAWN refused: the sender is not the spawner's authority, or Godot would refuse it too
	Spawned   uint64 // SPAWN accepted from the authority of a spawner a peer owns
	Despawned uint64 // DESPAWN accepted likewise
	BadValues uint64 // entries whose values do not fit the Go variables
}

// Replicator is Godot's SceneReplicationInterface on the server (peer 1):
// it spawns and despawns objects on the peers that can see them, streams
// SYNC and DELTA at each synchronizer's intervals, sends a joining peer
// everything it may see, and applies the updates of synchronizers that
// clients own. It is driven by its session: AddPeer, RemovePeer, Receive
// and, once per frame, Tick.
//
// A Replicator is not safe for concurrent use: one goroutine calls it and
// changes the Values of its properties.
type Replicator struct {
	s     Session
	cfg   Config
	netID uint32
	tick  uint64
	now   time.Time

	objects []*Object       // in creation order
	level   []*Synchronizer // added with AddSynchronizer
	// visDirty: visibility must be evaluated at the next Tick even if
	// idle is 0, the number of server-owned synchronizers evaluated every
	// Tick (VisibilityProcessIdle).
	visDirty bool
	idle     int
	props    []int // scratch of apply
	paths    map[string]*Synchronizer
	peers    map[int32]*peerState
	order    []int32 // peer ids in join order
	// despawns are the DESPAWNs of despawned objects that a peer's send
	// refused, sent again at each Tick until they go.
	despawns []pendingDespawn
	spawners map[string]*Spawner // by Path
	names    map[nodeKey]bool    // spawned nodes, this side's and peers'
	remote   map[int32]*remoteSpawns
	free     []int // slots of peers that left
	slots    int   // slots ever used
	stats    Stats
	pkt      []byte
	vals     []any
}

type pendingDespawn struct {
	peer  int32
	netID uint32
}

// peerState is what the Replicator knows of one peer. Which objects the
// peer has and when it got its last DELTA of each synchronizer are kept in
// the objects and synchronizers, indexed by the peer's slot.
type peerState struct {
	id   int32
	slot int
	time uint16
	vis  []*Synchronizer // server-owned synchronizers it sees, as of the last evaluation
}

// New returns a Replicator on session s. cfg may be nil.
func New(s Session, cfg *Config) *Replicator {
	r := &Replicator{s: s, paths: make(map[string]*Synchronizer), peers: make(map[int32]*peerState), spawners: make(map[string]*Spawner), names: make(map[nodeKey]bool), remote: make(map[int32]*remoteSpawns)}
	if cfg != nil {
		r.cfg = *cfg
	}
	if r.cfg.MaxSyncPacketSize == 0 {
		r.cfg.MaxSyncPacketSize = DefaultMaxSyncPacketSize
	}
	if r.cfg.MaxDeltaPacketSize == 0 {
		r.cfg.MaxDeltaPacketSize = DefaultMaxDeltaPacketSize
	}
	r.cfg.MaxSyncPacketSize = max(r.cfg.MaxSyncPacketSize, MinMaxPacketSize)
	r.cfg.MaxDeltaPacketSize = max(r.cfg.MaxDeltaPacketSize, MinMaxPacketSize)
	return r
}

// Stats returns the counters of applied and dropped input.
func (r *Replicator) Stats() Stats { return r.stats }

// Spawner is a MultiplayerSpawner of the game, owned by the server unless
// Authority says otherwise. One in a spawned scene is added once the
// object is spawned, at its path inside the object's node, and is nested in
// it (the package doc says what that changes); it goes when the object is
// despawned.
type Spawner struct {
	// Path is the spawner node's path relative to the multiplayer root
	// ("Main/Spawner"), as the game's scene tree has it.
	Path string
	// SpawnPath is the path of the node the spawned nodes are added to,
	// relative to the multiplayer root ("Main/Players"): the spawner's
	// spawn_path resolved.
	SpawnPath string
	// Scenes are the spawnable scenes ("res://player.tscn") in the order of
	// the spawner's list: a scene's index is its id in SPAWN.
	Scenes []string
	// SpawnLimit is the spawner's spawn_limit: Godot clients refuse a SPAWN
	// past it, so Spawn refuses to create more live objects than this
	// (0: no limit), and so does Receive for a spawner a peer owns.
	SpawnLimit int
	// Authority is the peer that owns the spawner (its multiplayer
	// authority); 0 means the server. A peer's spawner takes that peer's
	// SPAWN and DESPAWN (Receive), with OnSpawned set; Spawn refuses to
	// create objects on it.
	Authority int32
	// OnSpawned, for a spawner a peer owns (or, in a Replicator on a Go
	// client, the server's spawner), creates the node of a SPAWN that
	// peer sent (Godot instantiating the spawnable scene, or calling
	// spawn_function with arg for a custom spawn; arg is nil for a scene
	// spawn): it returns the node's synchronizers in the order the scene
	// lists them, as for Spawn. Those whose Authority is the peer take the
	// SPAWN's synchronizer ids in that order and its spawn state, before
	// the Replicator counts the object as spawned; from then on they take
	// the peer's SYNC and DELTA. An error refuses the SPAWN (Stats.Refused).
	OnSpawned func(o *Object, arg any) ([]*Synchronizer, error)
	// OnDespawned, if set, is called when an object of a peer's spawner is
	// gone: the peer's DESPAWN, or the peer left (Godot frees its nodes).
	OnDespawned func(o *Object)

	r      *Replicator
	live   int
	parent *Object // the spawned object Path or SpawnPath lies in (a nested spawner)
}

// VisibilityUpdateMode is MultiplayerSynchronizer.VisibilityUpdateMode, with
// Godot's values.
type VisibilityUpdateMode uint8

const (
	// VisibilityProcessIdle: visibility is evaluated every Tick (Godot's
	// default).
	VisibilityProcessIdle VisibilityUpdateMode = 0
	// VisibilityProcessPhysics: as VisibilityProcessIdle; the Replicator has
	// one frame.
	VisibilityProcessPhysics VisibilityUpdateMode = 1
	// VisibilityProcessNone: visibility is evaluated only after a change
	// the Replicator sees or an UpdateVisibility call.
	VisibilityProcessNone VisibilityUpdateMode = 2
)

// UpdateVisibility makes the next Tick re-evaluate visibility
// (update_visibility), spawning and despawning objects as it finds; peer is
// Godot's for_peer and is not used: every peer is evaluated. A game whose
// synchronizers have VisibilityProcessNone calls it when their Filter's
// answers may have changed.
func (s *Synchronizer) UpdateVisibility(peer int32) {
	if s.rep != nil {
		s.rep.visDirty = true
	}
}

// checkRootPath refuses a node path that is not relative to the
// multiplayer root, as the path cache carries it: Godot's absolute form
// would name nothing a peer has.
func checkRootPath(c scene.Command, what, path string) error {
	switch {
	case strings.HasPrefix(path, "/"):
		rel := strings.TrimPrefix(strings.TrimPrefix(path, "/"), "root/")
		return badParam(c, what+" path "+strconv.Quote(path)+" is absolute: write it relative to the multiplayer root ("+strconv.Quote(rel)+" for /root/"+rel+")")
	case strings.HasSuffix(path, "/"):
		return badParam(c, what+" path "+strconv.Quote(path)+" ends with /")
	}
	return nil
}

// AddSpawner registers sp with r. Its paths are relative to the
// multiplayer root ("Main/Spawner"); an absolute one ("/root/Main/Spawner")
// is an error matching peer.ErrInvalidParameter.
func (r *Replicator) AddSpawner(sp *Spawner) error {
	if sp.r != nil {
		return badParam(scene.CommandSpawn, "spawner "+strconv.Quote(sp.Path)+" already added")
	}
	if sp.Path == "" || sp.SpawnPath == "" {
		return badParam(scene.CommandSpawn, "spawner needs Path and SpawnPath")
	}
	if err := checkRootPath(scene.CommandSpawn, "spawner", sp.Path); err != nil {
		return err
	}
	if err := checkRootPath(scene.CommandSpawn, "spawn", sp.SpawnPath); err != nil {
		return err
	}
	if _, ok := r.spawners[sp.Path]; ok {
		return badParam(scene.CommandSpawn, "a spawner at "+strconv.Quote(sp.Path)+" was already added")
	}
	if sp.authority() != ServerID && sp.OnSpawned == nil {
		return badParam(scene.CommandSpawn, "spawner "+strconv.Quote(sp.Path)+" owned by peer "+strconv.Itoa(int(sp.Authority))+" needs OnSpawned")
	}
	sp.r = r
	sp.parent = r.enclosing(sp)
	r.spawners[sp.Path] = sp
	return nil
}

// Synchronizer is a MultiplayerSynchronizer: an ordered list of properties
// of one node kept in sync by its authority.
//
// In an Object, Path is the synchronizer node's path relative to the
// spawned root ("Sync", "Body/Sync"), and the synchronizer's root_path must
// be that root (Godot's default ".." for a direct child). A synchronizer
// added with AddSynchronizer is not part of a spawn: Path is then relative to
// the multiplayer root ("Main/World/Sync").
//
// Visibility is Godot's: public unless SetVisibilityPublic(false), then
// only for peers enabled with SetVisibilityFor, and in both cases only for
// peers Filter (if set) accepts. Tick evaluates it every frame, as Godot's
// default visibility_update_mode does, unless VisibilityUpdateMode is
// VisibilityProcessNone.
type Synchronizer struct {
	Path       string
	Properties []Property
	// ReplicationInterval gates SYNC (replication_interval); 0: every Tick.
	ReplicationInterval time.Duration
	// DeltaInterval gates DELTA (delta_interval); 0: every Tick.
	DeltaInterval time.Duration
	// Authority is the peer that owns the synchronizer (its multiplayer
	// authority); 0 means the server. Updates from any other peer are
	// dropped (Stats.NotOwner).
	Authority int32
	// Filter, if set, is a visibility filter (add_visibility_filter).
	Filter func(peer int32) bool
	// VisibilityUpdateMode is when Tick re-evaluates the visibility
	// (visibility_update_mode), read when the synchronizer is spawned or
	// added. With VisibilityProcessNone it is evaluated when something
	// visibility depends on changes in the Replicator (a peer joins or
	// leaves, an object spawns or despawns, SetVisibilityPublic,
	// SetVisibilityFor) and after UpdateVisibility; the game calls that when
	// Filter's answers change. While every server-owned synchronizer has
	// VisibilityProcessNone, a frame with no such change costs each peer
	// only the synchronizers it sees.
	VisibilityUpdateMode VisibilityUpdateMode
	// OnUpdate, if set, is called after an update from the authority was
	// applied to the Values (Godot's synchronized / delta_synchronized).
	OnUpdate func(delta bool)

	l          lists
	obj        *Object
	rep        *Replicator // once spawned or added
	idle       bool        // counted in rep.idle
	fullPath   string
	netID      uint32
	private    bool
	visibleFor map[int32]bool

	lastSync    time.Time // update_outbound_sync_time
	synced      bool
	state       []byte    // this tick's sync-list encoding
	stateTick   uint64    // tick state was encoded in (0: none)
	stateOK     bool      // state is to be sent this tick
	watchedTick uint64    // tick of the last watch call
	lastWatch   time.Time // last watch pass
	watched     bool
	watchVals   [][]byte // last encoding of each watch-list property
	watchTick   []uint64 // tick each watch-list property last changed
	inStarted   bool
	inTime      uint16
	scratch     []byte
	deltaValues []byte
	sent        []uint64 // by peer slot: tick of the last DELTA sent (0: none yet)
}

func (s *Synchronizer) sentAt(slot int) uint64 {
	if slot < len(s.sent) {
		return s.sent[slot]
	}
	return 0
}

func (s *Synchronizer) setSent(slot int, tick uint64) {
	if slot >= len(s.sent) {
		if tick == 0 {
			return
		}
		s.sent = append(s.sent, make([]uint64, slot+1-len(s.sent))...)
	}
	s.sent[slot] = tick
}

func (s *Synchronizer) authority() int32 {
	if s.Authority == 0 {
		return ServerID
	}
	return s.Authority
}

func (s *Synchronizer) prepare() error {
	l, err := buildLists(s.Properties)
	if err != nil {
		return err
	}
	for _, p := range s.Properties {
		var err error
		if s.scratch, err = appendValue(s.scratch[:0], p.Value); err != nil {
			return &scene.Error{Command: scene.CommandSync, Offset: -1, Reason: "property " + strconv.Quote(p.Path) + ": " + reasonOf(err), Err: peer.ErrInvalidParameter}
		}
	}
	s.l = l
	s.watchVals = make([][]byte, len(l.watch))
	s.watchTick = make([]uint64, len(l.watch))
	return nil
}

// SetVisibilityPublic sets public_visibility (default true).
func (s *Synchronizer) SetVisibilityPublic(public bool) {
	s.private = !public
	s.UpdateVisibility(0)
}

// SetVisibilityFor enables or disables peer p (set_visibility_for), which
// matters when the synchronizer is not public.
func (s *Synchronizer) SetVisibilityFor(p int32, visible bool) {
	s.UpdateVisibility(0)
	if !visible {
		delete(s.visibleFor, p)
		return
	}
	if s.visibleFor == nil {
		s.visibleFor = make(map[int32]bool)
	}
	s.visibleFor[p] = true
}

// IsVisibleTo reports whether peer p may see the synchronizer
// (is_visible_to).
func (s *Synchronizer) IsVisibleTo(p int32) bool {
	if s.private && !s.visibleFor[p] {
		return false
	}
	return s.Filter == nil || s.Filter(p)
}

// NetID returns the synchronizer's net id (0 until spawned, or for one added
// with AddSynchronizer, which is named by its path).
func (s *Synchronizer) NetID() uint32 { return s.netID }

// AddSynchronizer registers a synchronizer that is not part of a spawn: a
// node present in the game's scene on every side, at s.Path relative to the
// multiplayer root. Server-owned ones are streamed to every peer that
// confirmed the synchronizer's path; client-owned ones accept that client's
// updates.
func (r *Replicator) AddSynchronizer(s *Synchronizer) error {
	if s.Path == "" {
		return badParam(scene.CommandSync, "synchronizer without Path")
	}
	if err := checkRootPath(scene.CommandSync, "synchronizer", s.Path); err != nil {
		return err
	}
	if _, ok := r.paths[s.Path]; ok {
		return badParam(scene.CommandSync, "synchronizer "+strconv.Quote(s.Path)+" already added")
	}
	if err := s.prepare(); err != nil {
		return err
	}
	s.fullPath = s.Path
	r.paths[s.Path] = s
	r.level = append(r.level, s)
	r.attach(s)
	return nil
}

// Object is a node spawned by a Spawner, with its synchronizers.
type Object struct {
	Name    string
	Spawner *Spawner
	Scene   int // index of the spawnable scene, or CustomSpawn
	Syncs   []*Synchronizer

	netID uint32
	arg   []byte
	gone  bool
	at    []bool // by peer slot: spawned at that peer
	from  int32  // the peer whose spawner spawned it; 0: this side

	parent *Object // the object its spawner is nested in
}

func (o *Object) isAt(slot int) bool { return slot < len(o.at) && o.at[slot] }

func (o *Object) setAt(slot int, v bool) {
	if slot >= len(o.at) {
		if !v {
			return
		}
		o.at = append(o.at, make([]bool, slot+1-len(o.at))...)
	}
	o.at[slot] = v
}

// NetID returns the object's net id: the Replicator's, or for an object a
// peer spawned, that peer's.
func (o *Object) NetID() uint32 { return o.netID }

func (sp *Spawner) authority() int32 {
	if sp.Authority == 0 {
		return ServerID
	}
	return sp.Authority
}

// Spawn creates node name from the spawnable scene of index sceneIndex, with
// its synchronizers in the order the scene file lists them (tree order),
// and spawns it on every peer that can see it. The node is visible to a peer
// when one of its server-owned synchronizers is, or always if it has none.
func (sp *Spawner) Spawn(name string, sceneIndex int, syncs ...*Synchronizer) (*Object, error) {
	if sceneIndex < 0 || sceneIndex >= len(sp.Scenes) || sceneIndex >= CustomSpawn {
		return nil, badParam(scene.CommandSpawn, "spawner "+strconv.Quote(sp.Path)+" has no scene "+strconv.Itoa(sceneIndex))
	}
	return sp.spawn(name, sceneIndex, nil, syncs)
}

// SpawnCustom creates node name the way MultiplayerSpawner.spawn(data)
// does: every peer calls the spawner's spawn_function with arg, a value
// package variant encodes (objects go as instance ids, as in Godot).
func (sp *Spawner) SpawnCustom(name string, arg any, syncs ...*Synchronizer) (*Object, error) {
	b, err := scene.AppendCompressed(nil, arg, variant.EncodeOptions{})
	if err != nil {
		return nil, &scene.Error{Command: scene.CommandSpawn, Offset: -1, Reason: "spawn argument: " + err.Error(), Err: err}
	}
	return sp.spawn(name, CustomSpawn, b, syncs)
}

func (sp *Spawner) spawn(name string, sceneIndex int, arg []byte, syncs []*Synchronizer) (*Object, error) {
	r := sp.r
	if r == nil {
		return nil, badParam(scene.CommandSpawn, "spawner "+strconv.Quote(sp.Path)+" not added to a Replicator")
	}
	if sp.authority() != ServerID {
		return nil, &scene.Error{Command: scene.CommandSpawn, Offset: -1, Reason: "spawner " + strconv.Quote(sp.Path) + " belongs to peer " + strconv.Itoa(int(sp.Authority)), Err: peer.ErrUnauthorized}
	}
	if !ValidNodeName(name) {
		return nil, badParam(scene.CommandSpawn, "node name "+strconv.Quote(name)+" is not one Godot accepts")
	}
	if sp.SpawnLimit > 0 && sp.live >= sp.SpawnLimit {
		return nil, &scene.Error{Command: scene.CommandSpawn, Offset: -1, Reason: "spawner " + strconv.Quote(sp.Path) + " reached its spawn limit of " + strconv.Itoa(sp.SpawnLimit), Err: peer.ErrOutOfMemory}
	}
	if r.nameTaken(sp.SpawnPath, name) {
		return nil, &scene.Error{Command: scene.CommandSpawn, Offset: -1, Reason: "node " + strconv.Quote(sp.SpawnPath+"/"+name) + " exists", Err: peer.ErrAlreadyExists}
	}
	o := &Object{Name: name, Spawner: sp, Scene: sceneIndex, Syncs: syncs, arg: arg, parent: sp.parent}
	for i, s := range syncs {
		if s == nil {
			return nil, badParam(scene.CommandSpawn, "synchronizer "+strconv.Itoa(i)+" of "+strconv.Quote(name)+" is nil")
		}
		if s.obj != nil || s.fullPath != "" || slices.Contains(syncs[:i], s) {
			return nil, badParam(scene.CommandSpawn, "synchronizer "+strconv.Quote(s.Path)+" is used twice")
		}
		if err := s.prepare(); err != nil {
			return nil, err
		}
	}
	r.netID++
	o.netID = r.netID
	for _, s := range syncs {
		s.obj = o
		s.fullPath = sp.SpawnPath + "/" + name + "/" + s.Path
		if s.authority() == ServerID {
			r.netID++
			s.netID = r.netID
		}
		r.paths[s.fullPath] = s
		r.attach(s)
	}
	r.objects = append(r.objects, o)
	r.names[nodeKey{sp.SpawnPath, name}] = true
	sp.live++
	for _, id := range r.order {
		p := r.peers[id]
		if r.canSee(o, p) && !r.sendSpawn(p, o) {
			r.visDirty = true // not sent: Tick tries again
		}
	}
	return o, nil
}

// Despawn removes the object from every peer that has it (DESPAWN) and from
// the Replicator. As when Godot frees a node, the objects of spawners nested
// in it go first (a DESPAWN each, the last spawned first), and those
// spawners are removed from the Replicator. An object a peer spawned is
// despawned by that peer only: Despawn does nothing to it.
func (o *Object) Despawn() {
	if o.gone || o.from != 0 {
		return
	}
	o.gone = true
	r := o.Spawner.r
	var nested []*Object
	for _, x := range r.objects {
		if x.parent == o {
			nested = append(nested, x)
		}
	}
	for i := len(nested) - 1; i >= 0; i-- {
		nested[i].Despawn()
	}
	for path, sp := range r.spawners {
		if sp.parent == o {
			delete(r.spawners, path)
			sp.r, sp.parent = nil, nil
		}
	}
	o.Spawner.live--
	for _, id := range r.order {
		p := r.peers[id]
		if o.isAt(p.slot) && !r.sendDespawn(p, o) {
			r.despawns = append(r.despawns, pendingDespawn{id, o.netID})
		}
	}
	for _, s := range o.Syncs {
		if r.paths[s.fullPath] == s {
			delete(r.paths, s.fullPath)
		}
		if s.idle {
			s.idle = false
			r.idle--
		}
	}
	r.visDirty = true
	delete(r.names, nodeKey{o.Spawner.SpawnPath, o.Name})
	for i, x := range r.objects {
		if x == o {
			r.objects = append(r.objects[:i], r.objects[i+1:]...)
			break
		}
	}
}

// attach makes s, just spawned or added, part of r's visibility.
func (r *Replicator) attach(s *Synchronizer) {
	s.rep = r
	r.visDirty = true
	if s.authority() == ServerID && s.VisibilityUpdateMode != VisibilityProcessNone {
		s.idle = true
		r.idle++
	}
}

// canSee reports whether o is to be spawned at p: visible to p, and
// nested in nothing or in an object spawned at p.
func (r *Replicator) canSee(o *Object, p *peerState) bool {
	return (o.parent == nil || o.parent.isAt(p.slot)) && r.objectVisible(o, p.id)
}

// enclosing returns the object of this side whose node holds sp's Path or
// SpawnPath, the latest spawned (so the innermost), or nil.
func (r *Replicator) enclosing(sp *Spawner) *Object {
	for i := len(r.objects) - 1; i >= 0; i-- {
		o := r.objects[i]
		node := o.Spawner.SpawnPath + "/" + o.Name + "/"
		if strings.HasPrefix(sp.Path+"/", node) || strings.HasPrefix(sp.SpawnPath+"/", node) {
			return o
		}
	}
	return nil
}

// unspawnNested marks the objects nested in o as gone from the peer of
// slot, which frees them with o (no DESPAWN of their own).
func (r *Replicator) unspawnNested(o *Object, slot int) {
	for _, x := range r.objects {
		if x.parent == o && x.isAt(slot) {
			x.setAt(slot, false)
			r.unspawnNested(x, slot)
		}
	}
}

func (r *Replicator) objectVisible(o *Object, p int32) bool {
	owned := false
	for _, s := range o.Syncs {
		if s.authority() != ServerID {
			continue
		}
		owned = true
		if s.IsVisibleTo(p) {
			return true
		}
	}
	return !owned
}

// sendSpawn sends o's SPAWN to p and reports whether it went.
func (r *Replicator) sendSpawn(p *peerState, o *Object) bool {
	id, _, err := r.s.NodeID(p.id, o.Spawner.Path)
	if err != nil {
		return false
	}
	m := Spawn{Scene: uint8(o.Scene), Spawner: id, NetID: o.netID, Name: o.Name, Arg: o.arg}
	var ids [8]uint32
	m.Syncs = ids[:0]
	state := r.pkt[:0]
	for _, s := range o.Syncs {
		if s.authority() != ServerID {
			continue
		}
		m.Syncs = append(m.Syncs, s.netID)
		for _, i := range s.l.spawn {
			if state, err = appendValue(state, s.Properties[i].Value); err != nil {
				return false
			}
		}
	}
	// The state is built in r.pkt and copied after the header.
	m.State = state
	out, err := AppendSpawn(make([]byte, 0, 64+len(state)+len(o.arg)+4*len(m.Syncs)+len(o.Name)), &m)
	r.pkt = state[:0]
	if err != nil || r.s.Send(p.id, scene.TransferModeReliable, 0, out) != nil {
		return false
	}
	o.setAt(p.slot, true)
	return true
}

// sendDespawn sends o's DESPAWN to p and reports whether it went.
func (r *Replicator) sendDespawn(p *peerState, o *Object) bool {
	var b [despawnSize]byte
	if r.s.Send(p.id, scene.TransferModeReliable, 0, AppendDespawn(b[:0], o.netID)) != nil {
		return false
	}
	o.setAt(p.slot, false)
	return true
}

// AddPeer is called when peer id joins (after its admission): it gets a
// SPAWN of every object it can see, in creation order, and from the next
// Tick the SYNC and a full DELTA of every synchronizer it can see.
func (r *Replicator) AddPeer(id int32) {
	if _, ok := r.peers[id]; ok {
		return
	}
	p := &peerState{id: id, slot: r.slots}
	if n := len(r.free); n > 0 {
		p.slot, r.free = r.free[n-1], r.free[:n-1]
	} else {
		r.slots++
	}
	r.peers[id] = p
	r.order = append(r.order, id)
	r.visDirty = true // also retries a SPAWN not sent here
	for _, o := range r.objects {
		if r.canSee(o, p) {
			r.sendSpawn(p, o)
		}
	}
}

// RemovePeer forgets peer id (it left). Objects it owns synchronizers of stay
// until the game despawns them.
func (r *Replicator) RemovePeer(id int32) {
	p, ok := r.peers[id]
	if !ok {
		return
	}
	delete(r.peers, id)
	r.visDirty = true
	for _, o := range r.objects {
		o.setAt(p.slot, false)
		for _, s := range o.Syncs {
			s.setSent(p.slot, 0)
		}
	}
	for _, s := range r.level {
		s.setSent(p.slot, 0)
	}
	r.free = append(r.free, p.slot)
	r.despawns = slices.DeleteFunc(r.despawns, func(d pendingDespawn) bool { return d.peer == id })
	for i, x := range r.order {
		if x == id {
			r.order = append(r.order[:i], r.order[i+1:]...)
			break
		}
	}
	for _, s := range r.paths {
		if s.Authority == id {
			s.inStarted = false
		}
	}
	r.forgetRemote(id)
}
