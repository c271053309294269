package replication

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// p2 is the Go side of testdata/godot/player2.tscn: SyncB (position: spawn
// + always, health: spawn + on change) then SyncA (rotation: spawn +
// always), both owned by the peer that spawns it.
type p2 struct {
	Pos          variant.Vector2
	Health       int64
	Rotation     float64
	syncB, syncA *Synchronizer
}

func newP2(owner int32) *p2 {
	p := &p2{Health: 100}
	p.syncB = &Synchronizer{Path: "SyncB", Authority: owner, Properties: []Property{
		{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &p.Pos},
		{Path: ".:health", Spawn: true, Mode: ReplicationModeOnChange, Value: &p.Health},
	}}
	p.syncA = &Synchronizer{Path: "SyncA", Authority: owner, Properties: []Property{
		{Path: ".:rotation", Spawn: true, Mode: ReplicationModeAlways, Value: &p.Rotation},
	}}
	return p
}

var errRefused = errors.New("the game says no")

// clientSpawner is testdata/godot/main.tscn's ClientSpawner owned by peer
// owner: each spawn is a p2, recorded in got, and despawns in gone.
func clientSpawner(owner int32, got map[string]*p2, gone *[]string) *Spawner {
	return &Spawner{Path: "Main/ClientSpawner", SpawnPath: "Main/Mine", Scenes: []string{"res://player2.tscn"}, SpawnLimit: 4, Authority: owner,
		OnSpawned: func(o *Object, arg any) ([]*Synchronizer, error) {
			if o.Name == "refused" {
				return nil, errRefused
			}
			p := newP2(owner)
			got[o.Name] = p
			return []*Synchronizer{p.syncB, p.syncA}, nil
		},
		OnDespawned: func(o *Object) { *gone = append(*gone, o.Name) },
	}
}

// TestPeerSpawner: a client that owns a spawner (as Godot's client after
// set_multiplayer_authority on its MultiplayerSpawner) sends, over a real
// WebSocket, the SIMPLIFY_PATH of the spawner and the SPAWN Godot 4.6 sent
// in TestGodotLive (p2 with SyncB and SyncA, spawn state position (3, 4),
// health 7, rotation 0.5): the Go values get the spawn state, then the
// client's SYNC and DELTA by net id, and its DESPAWN calls OnDespawned.
// Godot's receiver checks refuse a SPAWN from another client, a taken name,
// a taken net id, a scene index out of range, one past the spawn limit, too
// few synchronizer ids, a DESPAWN of what the sender did not spawn; a
// leaving client's objects are despawned.
func TestPeerSpawner(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	srv := testServer(t)
	sess := newSession(srv)
	r := New(sess, nil)
	a, aid := join(t, ctx, srv)
	b, bid := join(t, ctx, srv)
	r.AddPeer(aid)
	r.AddPeer(bid)
	got := map[string]*p2{}
	var gone []string
	sp := clientSpawner(aid, got, &gone)
	if err := r.AddSpawner(sp); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Spawn("x", 0); !errors.Is(err, peer.ErrUnauthorized) {
		t.Fatalf("Spawn on a client's spawner: %v, want ErrUnauthorized", err)
	}
	// Both clients name the spawner with their cache id 5.
	for _, c := range []*websocket.MultiplayerPeer{a, b} {
		if err := c.SendTo(1, scene.TransferModeReliable, 0, simplifyOf(t, 5, "Main/ClientSpawner")); err != nil {
			t.Fatal(err)
		}
	}
	sess.pump(t, ctx, r, 2)
	read(t, ctx, a) // CONFIRM_PATH
	read(t, ctx, b)

	state := compressed(t, variant.Vector2{X: 3, Y: 4}, 7, 0.5)
	spawn := func(name string, scene uint8, netID uint32, syncs ...uint32) []byte {
		p, err := AppendSpawn(nil, &Spawn{Scene: scene, Spawner: 5, NetID: netID, Syncs: syncs, Name: name, State: state})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	send := func(from int32, p []byte, want error) {
		t.Helper()
		c := a
		if from == bid {
			c = b
		}
		if err := c.SendTo(1, scene.TransferModeReliable, 0, p); err != nil {
			t.Fatal(err)
		}
		q, info, err := srv.ReadPacketFrom(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = sess.handle(r, info.From, q)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Fatalf("% x from %d: %v, want %v", p, from, err, want)
		}
	}

	send(aid, spawn("p2", 0, 1, 2, 3), nil)
	p := got["p2"]
	if p == nil || p.Pos != (variant.Vector2{X: 3, Y: 4}) || p.Health != 7 || p.Rotation != 0.5 {
		t.Fatalf("after the SPAWN: %+v", p)
	}
	if o := p.syncB.obj; o.NetID() != 1 || o.Scene != 0 || p.syncB.NetID() != 2 || p.syncA.NetID() != 3 {
		t.Fatalf("object net id %d scene %d, synchronizers %d %d; want 1, 0, 2, 3", o.NetID(), o.Scene, p.syncB.NetID(), p.syncA.NetID())
	}
	// SYNC of SyncB and SyncA by net id, then a DELTA of health.
	send(aid, AppendSyncEntry(AppendSyncEntry(AppendSyncHeader(nil, 1), 2, compressed(t, variant.Vector2{X: 30, Y: 40})), 3, compressed(t, 1.25)), nil)
	send(aid, AppendDeltaEntry(AppendDeltaHeader(nil), 2, 1, compressed(t, 9)), nil)
	if p.Pos != (variant.Vector2{X: 30, Y: 40}) || p.Rotation != 1.25 || p.Health != 9 {
		t.Fatalf("after SYNC and DELTA: %+v", p)
	}
	// Client b's net id 2 is none of its spawns.
	send(bid, AppendSyncEntry(AppendSyncHeader(nil, 2), 2, compressed(t, variant.Vector2{})), nil)

	before := r.Stats()
	send(bid, spawn("b", 0, 1, 2, 3), peer.ErrUnauthorized)              // not the spawner's authority
	send(aid, spawn("p2", 0, 9, 10, 11), peer.ErrAlreadyExists)          // name taken
	send(aid, spawn("c", 0, 1, 10, 11), peer.ErrAlreadyExists)           // net id taken
	send(aid, spawn("c", 1, 9, 10, 11), peer.ErrInvalidData)             // no scene 1
	send(aid, spawn("c", 0, 9, 10), peer.ErrInvalidData)                 // one id for two synchronizers
	send(aid, spawn("c", 0, 9, 2, 11), peer.ErrInvalidData)              // synchronizer id taken
	send(aid, spawn("refused", 0, 9, 10, 11), errRefused)                // OnSpawned's error
	send(bid, AppendDespawn(nil, 1), peer.ErrUnauthorized)               // b did not spawn it
	send(aid, AppendDespawn(nil, 77), peer.ErrUnauthorized)              // nothing with that id
	send(aid, AppendSyncEntry(AppendSyncHeader(nil, 3), 99, state), nil) // unknown net id
	s := r.Stats()
	if s.Refused-before.Refused != 7 || s.Invalid-before.Invalid != 2 || s.NotOwner != 0 || s.Unknown != 2 || s.Spawned != 1 {
		t.Fatalf("stats %+v, before %+v", s, before)
	}
	if !slices.Equal(gone, []string{"c", "c"}) {
		t.Fatalf("OnDespawned for %q, want the 2 objects refused after OnSpawned", gone)
	}
	gone = gone[:0]

	// The spawn limit (4): three more, then one too many.
	for i, n := range []string{"c", "d", "e"} {
		send(aid, spawn(n, 0, uint32(10+3*i), uint32(11+3*i), uint32(12+3*i)), nil)
	}
	send(aid, spawn("f", 0, 40, 41, 42), peer.ErrOutOfMemory)
	send(aid, AppendDespawn(nil, 1), nil)
	if !slices.Equal(gone, []string{"p2"}) || !p.syncB.obj.gone {
		t.Fatalf("after DESPAWN, OnDespawned for %q", gone)
	}
	send(aid, AppendSyncEntry(AppendSyncHeader(nil, 4), 2, compressed(t, variant.Vector2{})), nil)
	if r.Stats().Unknown != 3 || p.Pos != (variant.Vector2{X: 30, Y: 40}) {
		t.Fatalf("a despawned synchronizer took a SYNC: %+v", r.Stats())
	}
	send(aid, spawn("p2", 0, 43, 44, 45), nil) // room again, and the name is free

	// a leaves: what it spawned goes, in spawn order.
	gone = gone[:0]
	r.RemovePeer(aid)
	if !slices.Equal(gone, []string{"c", "d", "e", "p2"}) || sp.live != 0 || len(r.remote) != 0 {
		t.Fatalf("after a left, OnDespawned for %q, %d live", gone, sp.live)
	}
}

// TestPeerSpawnerConfig checks what AddSpawner refuses for a peer's
// spawner and the bound on what one peer may spawn.
func TestPeerSpawnerConfig(t *testing.T) {
	r := New(&memSession{}, nil)
	if err := r.AddSpawner(&Spawner{Path: "Main/S", SpawnPath: "Main/P", Authority: 7}); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("a peer's spawner without OnSpawned: %v", err)
	}
	sp := &Spawner{Path: "Main/ClientSpawner", SpawnPath: "Main/Mine", Scenes: []string{"res://x.tscn"}, Authority: 7,
		OnSpawned: func(*Object, any) ([]*Synchronizer, error) { return nil, nil }}
	if err := r.AddSpawner(sp); err != nil {
		t.Fatal(err)
	}
	if err := r.AddSpawner(&Spawner{Path: "Main/ClientSpawner", SpawnPath: "Main/Other"}); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("a second spawner at the same path: %v", err)
	}
	r.AddPeer(7)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range MaxPeerObjects + 1 {
		p, err := AppendSpawn(nil, &Spawn{Spawner: 4, NetID: uint32(i + 1), Name: "n" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		err = r.Receive(7, p)
		if i < MaxPeerObjects && err != nil || i == MaxPeerObjects && !errors.Is(err, peer.ErrOutOfMemory) {
			t.Fatalf("SPAWN %d: %v", i, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// What the Replicator keeps per object a peer spawned, beside what
	// OnSpawned returns (nothing here): the doc's figure.
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / MaxPeerObjects
	if per > peerObjectBytes {
		t.Errorf("%d bytes per object a peer spawned, bound %d", per, peerObjectBytes)
	}
	t.Logf("%d bytes per object a peer spawned (%d KiB for MaxPeerObjects)", per, per*MaxPeerObjects>>10)
	runtime.KeepAlive(r)

	// Long names: the bytes of names are bounded too.
	r = New(&memSession{}, nil)
	r.AddSpawner(&Spawner{Path: "Main/ClientSpawner", SpawnPath: "Main/Mine", Scenes: []string{"res://x.tscn"}, Authority: 7,
		OnSpawned: func(*Object, any) ([]*Synchronizer, error) { return nil, nil }})
	r.AddPeer(7)
	long := strings.Repeat("x", 60<<10)
	for i := range 5 {
		p, err := AppendSpawn(nil, &Spawn{Spawner: 4, NetID: uint32(i + 1), Name: long + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		err = r.Receive(7, p)
		if i < 4 && err != nil || i == 4 && !errors.Is(err, peer.ErrOutOfMemory) {
			t.Fatalf("SPAWN %d with a %d-byte name: %v", i, len(long), err)
		}
	}
}

// peerObjectBytes bounds what the Replicator keeps per object a peer
// spawned (package doc).
const peerObjectBytes = 512
