package replication_test

import (
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/replication"
	"github.com/packetpeer/packetpeer/variant"
)

// printSession is a Session that prints what it would send. A real one
// sends on a multiplayer peer and keeps the path caches (package scene's
// NodeIDs and PeerPaths), sending SIMPLIFY_PATH the first time.
type printSession struct{}

func (printSession) Send(to int32, mode scene.TransferMode, ch int, p []byte) error {
	fmt.Printf("to %d: % x\n", to, p)
	return nil
}

func (printSession) NodeID(to int32, path string) (uint32, bool, error) {
	return 1, true, nil // the spawner's cache id, already confirmed
}

func (printSession) PeerNode(from int32, id uint32) (string, bool) {
	return "Main/Players/42/Input", id == 5 && from == 42
}

// A player scene with a server-owned synchronizer (position always synced,
// health on change) and an Input synchronizer owned by the client.
func Example() {
	r := replication.New(printSession{}, nil)
	spawner := &replication.Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	r.AddSpawner(spawner)

	var pos, dir variant.Vector2
	health := 100
	sync := &replication.Synchronizer{Path: "Sync", Properties: []replication.Property{
		{Path: ".:position", Spawn: true, Mode: replication.ReplicationModeAlways, Value: &pos},
		{Path: ".:health", Spawn: true, Mode: replication.ReplicationModeOnChange, Value: &health},
	}}
	input := &replication.Synchronizer{Path: "Input", Authority: 42, Properties: []replication.Property{
		{Path: ".:direction", Spawn: false, Mode: replication.ReplicationModeAlways, Value: &dir},
	}}

	r.AddPeer(42) // client 42 joined
	player, _ := spawner.Spawn("42", 0, sync, input)

	pos = variant.Vector2{X: 100, Y: 50}
	r.Tick(time.Now()) // SYNC (unreliable) and the first DELTA

	// Client 42 sends its input with the path-based id of Input.
	update := replication.AppendSyncEntry(replication.AppendSyncHeader(nil, 1), replication.PathSyncFlag|5,
		[]byte{5, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0})
	err := r.Receive(42, update)
	fmt.Println("direction", dir, err)

	player.Despawn()
	// Output:
	// to 42: 04 00 01 00 00 00 01 00 00 00 01 00 00 00 03 00 00 00 02 00 00 00 34 32 00 05 00 00 00 00 00 00 00 00 00 00 00 02 64
	// to 42: 06 01 00 02 00 00 00 0c 00 00 00 05 00 00 00 00 00 c8 42 00 00 48 42
	// to 42: 16 02 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 64
	// direction Vector2(1, 0) <nil>
	// to 42: 05 01 00 00 00
}

// ParseSpawn reads a SPAWN as a Godot client does; the state is the
// compressed values of the spawn list.
func ExampleParseSpawn() {
	p := []byte{0x04, 0x00, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, '4', '2', 0,
		5, 0, 0, 0, 0, 0, 0xc8, 0x42, 0, 0, 0x48, 0x42}
	m, err := replication.ParseSpawn(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _, _ := scene.DecodeCompressed(m.State, variant.DecodeOptions{})
	fmt.Println(m.Scene, m.Spawner, m.NetID, m.Syncs, m.Name, v)
	// Output: 0 1 1 [2] 42 Vector2(100, 50)
}

// CheckScene compares the Go declaration of a scene's synchronizers with
// the scene file the game uses.
func ExampleCheckScene() {
	sc, err := replication.ReadScene("testdata/godot/player2.tscn")
	if err != nil {
		fmt.Println(err)
		return
	}
	var pos variant.Vector2
	var health int
	var rot float64
	syncB := &replication.Synchronizer{Path: "SyncB", Properties: []replication.Property{
		{Path: ".:position", Spawn: true, Mode: replication.ReplicationModeAlways, Value: &pos},
		{Path: ".:health", Spawn: true, Mode: replication.ReplicationModeAlways, Value: &health},
	}}
	syncA := &replication.Synchronizer{Path: "SyncA", DeltaInterval: 500 * time.Millisecond, Properties: []replication.Property{
		{Path: ".:rotation", Spawn: true, Mode: replication.ReplicationModeAlways, Value: &rot},
	}}
	fmt.Println(replication.CheckScene(sc, syncB, syncA))
	// Output: replication: node "SyncB": property ".:health": replication mode is on change in the scene, always in Go
}

// An area-of-interest filter evaluated only when the game says its answers
// changed: quiet frames cost each peer only what it sees.
func ExampleSynchronizer_UpdateVisibility() {
	r := replication.New(printSession{}, nil)
	spawner := &replication.Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	r.AddSpawner(spawner)

	var pos variant.Vector2
	near := map[int32]bool{42: true} // the peers close enough to see it
	sync := &replication.Synchronizer{Path: "Sync", Properties: []replication.Property{
		{Path: ".:position", Spawn: true, Mode: replication.ReplicationModeAlways, Value: &pos},
	}}
	sync.Filter = func(peer int32) bool { return near[peer] }
	sync.VisibilityUpdateMode = replication.VisibilityProcessNone
	r.AddPeer(42)
	spawner.Spawn("7", 0, sync) // SPAWN to 42

	now := time.Unix(0, 0)
	r.Tick(now) // SYNC to 42
	near[42] = false
	r.Tick(now.Add(50 * time.Millisecond)) // not evaluated yet: SYNC to 42
	sync.UpdateVisibility(0)
	r.Tick(now.Add(100 * time.Millisecond)) // DESPAWN to 42
	// Output:
	// to 42: 04 00 01 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 02 00 00 00 37 00 05 00 00 00 00 00 00 00 00 00 00 00
	// to 42: 06 01 00 02 00 00 00 0c 00 00 00 05 00 00 00 00 00 00 00 00 00 00 00
	// to 42: 06 02 00 02 00 00 00 0c 00 00 00 05 00 00 00 00 00 00 00 00 00 00 00
	// to 42: 05 01 00 00 00
}

// clientSession is printSession where client 42 registered its cache id 2
// for its spawner, Main/ClientSpawner.
type clientSession struct{ printSession }

func (clientSession) PeerNode(from int32, id uint32) (string, bool) {
	return "Main/ClientSpawner", id == 2 && from == 42
}

// A spawner the client owns (its scene sets the spawner's multiplayer
// authority to the client): the server takes the client's SPAWN, creates
// the Go side of the node in OnSpawned, and gets its spawn state and SYNC.
func ExampleSpawner_clientOwned() {
	r := replication.New(clientSession{}, nil)
	var pos variant.Vector2
	spawner := &replication.Spawner{Path: "Main/ClientSpawner", SpawnPath: "Main/Mine", Scenes: []string{"res://pet.tscn"}, Authority: 42,
		OnSpawned: func(o *replication.Object, arg any) ([]*replication.Synchronizer, error) {
			fmt.Println("spawned", o.Name)
			return []*replication.Synchronizer{{Path: "Sync", Authority: 42, Properties: []replication.Property{
				{Path: ".:position", Spawn: true, Mode: replication.ReplicationModeAlways, Value: &pos},
			}}}, nil
		},
		OnDespawned: func(o *replication.Object) { fmt.Println("despawned", o.Name) },
	}
	r.AddSpawner(spawner)
	r.AddPeer(42)

	state, _ := scene.AppendCompressed(nil, variant.Vector2{X: 3, Y: 4}, variant.EncodeOptions{})
	spawn, _ := replication.AppendSpawn(nil, &replication.Spawn{Spawner: 2, NetID: 1, Syncs: []uint32{2}, Name: "pet", State: state})
	fmt.Println(r.Receive(42, spawn), pos)

	state, _ = scene.AppendCompressed(nil, variant.Vector2{X: 5, Y: 6}, variant.EncodeOptions{})
	fmt.Println(r.Receive(42, replication.AppendSyncEntry(replication.AppendSyncHeader(nil, 1), 2, state)), pos)

	fmt.Println(r.Receive(42, replication.AppendDespawn(nil, 1)))
	// Output:
	// spawned pet
	// <nil> Vector2(3, 4)
	// <nil> Vector2(5, 6)
	// despawned pet
	// <nil>
}
