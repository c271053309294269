package replication

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// TestNestedSpawn: a spawner inside a spawned player (BulletSpawner, with
// spawn path Bullets, in player 42) spawns bullets. Over a real WebSocket,
// each client gets, in creation order, the player's SPAWN, then the
// SIMPLIFY_PATH of the nested spawner and the bullet's SPAWN naming it, a
// late joiner too; hiding the player from a client sends its DESPAWN only
// (the client frees the bullet with it), showing it again sends both
// SPAWNs; despawning the player sends the bullet's DESPAWN first, as Godot
// frees children first, and removes the nested spawner.
func TestNestedSpawn(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	srv := testServer(t)
	r := New(newSession(srv), nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	if err := r.AddSpawner(sp); err != nil {
		t.Fatal(err)
	}
	a, aid := join(t, ctx, srv)
	r.AddPeer(aid)
	hidden := map[int32]bool{}
	pos := variant.Vector2{X: 1, Y: 2}
	sync := &Synchronizer{Path: "Sync", Filter: func(p int32) bool { return !hidden[p] },
		Properties: []Property{{Path: ".:position", Spawn: true, Mode: ReplicationModeNever, Value: &pos}}}
	player, err := sp.Spawn("42", 0, sync)
	if err != nil {
		t.Fatal(err)
	}
	guns := &Spawner{Path: "Main/Players/42/BulletSpawner", SpawnPath: "Main/Players/42/Bullets", Scenes: []string{"res://bullet.tscn"}}
	if err := r.AddSpawner(guns); err != nil {
		t.Fatal(err)
	}
	bullet, err := guns.Spawn("b1", 0)
	if err != nil {
		t.Fatal(err)
	}
	playerSpawn := "04 00 01 00 00 00 01 00 00 00 01 00 00 00 03 00 00 00 02 00 00 00 34 32 00 05 00 00 00 00 00 80 3f 00 00 00 40"
	bulletSpawn := "04 00 02 00 00 00 03 00 00 00 00 00 00 00 03 00 00 00 62 31 00"
	marker := []byte{byte(scene.CommandRaw), 0xee}
	mark := func(id int32) {
		t.Helper()
		if err := srv.SendTo(id, scene.TransferModeReliable, 0, marker); err != nil {
			t.Fatal(err)
		}
	}
	expectNext(t, ctx, a, simplifyOf(t, 1, "Main/Spawner"), "a: first packet")
	expect(t, read(t, ctx, a), playerSpawn)
	expectNext(t, ctx, a, simplifyOf(t, 2, "Main/Players/42/BulletSpawner"), "a: the nested spawner's path")
	expect(t, read(t, ctx, a), bulletSpawn)

	b, bid := join(t, ctx, srv)
	r.AddPeer(bid)
	expectNext(t, ctx, b, simplifyOf(t, 1, "Main/Spawner"), "b: first packet")
	expect(t, read(t, ctx, b), playerSpawn)
	expectNext(t, ctx, b, simplifyOf(t, 2, "Main/Players/42/BulletSpawner"), "b: the nested spawner's path")
	expect(t, read(t, ctx, b), bulletSpawn)

	now := time.Unix(0, 0)
	tick := func() { now = now.Add(10 * time.Millisecond); r.Tick(now) }
	hidden[bid] = true
	sync.UpdateVisibility(0)
	tick()
	tick()
	mark(bid)
	expect(t, read(t, ctx, b), "05 01 00 00 00")
	expectNext(t, ctx, b, marker, "b: after the player's DESPAWN (none for the bullet)")

	hidden[bid] = false
	sync.UpdateVisibility(0)
	tick()
	mark(bid)
	expect(t, read(t, ctx, b), playerSpawn)
	expect(t, read(t, ctx, b), bulletSpawn)
	expectNext(t, ctx, b, marker, "b: after the SPAWNs")

	player.Despawn()
	for _, c := range []*websocket.MultiplayerPeer{a, b} {
		expect(t, read(t, ctx, c), "05 03 00 00 00")
		expect(t, read(t, ctx, c), "05 01 00 00 00")
	}
	if !bullet.gone || guns.live != 0 {
		t.Fatalf("bullet gone %v, %d live in the nested spawner", bullet.gone, guns.live)
	}
	if _, err := guns.Spawn("b2", 0); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("Spawn on the spawner of a despawned player: %v", err)
	}
	tick()
	for _, id := range []int32{aid, bid} {
		mark(id)
	}
	expectNext(t, ctx, a, marker, "a: after the DESPAWNs")
	expectNext(t, ctx, b, marker, "b: after the DESPAWNs")
}
