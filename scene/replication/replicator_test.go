package replication

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// player is the Go side of player.tscn in testdata: a Node2D with a
// server-owned Sync (position: spawn + always, health: spawn + on change,
// label: always) and an Input synchronizer owned by the client it belongs to.
type player struct {
	Pos    variant.Vector2
	Health int64
	Label  string
	Dir    variant.Vector2 // written by the owning client

	sync, input *Synchronizer
}

func newPlayer(owner int32) *player {
	p := &player{Health: 100, Label: "init"}
	p.sync = &Synchronizer{Path: "Sync", Properties: []Property{
		{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &p.Pos},
		{Path: ".:health", Spawn: true, Mode: ReplicationModeOnChange, Value: &p.Health},
		{Path: ".:label", Spawn: false, Mode: ReplicationModeAlways, Value: &p.Label},
	}}
	p.input = &Synchronizer{Path: "Input", Authority: owner, Properties: []Property{
		{Path: ".:direction", Spawn: false, Mode: ReplicationModeAlways, Value: &p.Dir},
	}}
	return p
}

func expect(t *testing.T, got []byte, want string) {
	t.Helper()
	if w := h(t, want); !bytes.Equal(got, w) {
		t.Fatalf("got  % x\nwant % x", got, w)
	}
}

// simplifyOf returns the SIMPLIFY_PATH the server sends for path as id.
func simplifyOf(t *testing.T, id uint32, path string) []byte {
	b, err := scene.AppendSimplifyPath(nil, scene.SimplifyPath{Checksum: emptyChecksum, ID: id, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplicatorWire runs a Replicator on a WebSocket multiplayer server
// with Go clients on 127.0.0.1 and checks every packet a client receives,
// byte for byte, against the layouts of spec §10 (the same bytes a real
// Godot 4.6 client accepted in §15.6): the late joiner's SIMPLIFY_PATH and
// SPAWNs in creation order, SYNC with an advancing time, a full DELTA first
// and then only changes, intervals, and DESPAWN.
func TestReplicatorWire(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	srv := testServer(t)
	sess := newSession(srv)
	r := New(sess, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	if err := r.AddSpawner(sp); err != nil {
		t.Fatal(err)
	}
	// An object that exists before anyone joins: a custom spawn.
	flag := variant.Vector2{X: 10, Y: 20}
	fsync := &Synchronizer{Path: "Sync", ReplicationInterval: time.Second, Properties: []Property{
		{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &flag},
	}}
	if _, err := sp.SpawnCustom("flag", variant.Vector2{X: 10, Y: 20}, fsync); err != nil {
		t.Fatal(err)
	}

	a, aid := join(t, ctx, srv)
	r.AddPeer(aid)
	if got := read(t, ctx, a); !bytes.Equal(got, simplifyOf(t, 1, "Main/Spawner")) {
		t.Fatalf("first packet % x, want SIMPLIFY_PATH of Main/Spawner", got)
	}
	// net id 1 (flag), sync 2; arg and state Vector2(10, 20).
	expect(t, read(t, ctx, a), "04 ff 01 00 00 00 01 00 00 00 01 00 00 00 05 00 00 00 02 00 00 00 66 6c 61 67 00"+
		"0c 00 00 00 05 00 00 00 00 00 20 41 00 00 a0 41 05 00 00 00 00 00 20 41 00 00 a0 41")

	pl := newPlayer(aid)
	pl.Pos = variant.Vector2{X: 100, Y: 50}
	pl.Health = 7
	obj, err := sp.Spawn("42", 0, pl.sync, pl.input)
	if err != nil {
		t.Fatal(err)
	}
	// Spec §15.6's SPAWN with the spawner id 1 and net ids 3, 4: the Input
	// synchronizer is the client's, so it is not in the id list.
	expect(t, read(t, ctx, a), "04 00 01 00 00 00 03 00 00 00 01 00 00 00 03 00 00 00 04 00 00 00 34 32 00 05 00 00 00 00 00 c8 42 00 00 48 42 02 07")

	t0 := time.Unix(1000, 0)
	r.Tick(t0)
	// SYNC time 1: the flag's position, the player's position and label.
	expect(t, read(t, ctx, a), "06 01 00 02 00 00 00 0c 00 00 00 05 00 00 00 00 00 20 41 00 00 a0 41"+
		"04 00 00 00 18 00 00 00 05 00 00 00 00 00 c8 42 00 00 48 42 04 00 00 00 04 00 00 00 69 6e 69 74")
	// The first DELTA has every watched property.
	expect(t, read(t, ctx, a), "16 04 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 07")

	pl.Pos.X = 101
	pl.Label = "hi"
	r.Tick(t0.Add(100 * time.Millisecond))
	// Time 2; the flag waits for its 1 s interval; health did not change.
	expect(t, read(t, ctx, a), "06 02 00 04 00 00 00 18 00 00 00 05 00 00 00 00 00 ca 42 00 00 48 42 04 00 00 00 02 00 00 00 68 69 00 00")

	pl.Health = 90
	r.Tick(t0.Add(time.Second))
	expect(t, read(t, ctx, a), "06 03 00 02 00 00 00 0c 00 00 00 05 00 00 00 00 00 20 41 00 00 a0 41"+
		"04 00 00 00 18 00 00 00 05 00 00 00 00 00 ca 42 00 00 48 42 04 00 00 00 02 00 00 00 68 69 00 00")
	expect(t, read(t, ctx, a), "16 04 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 5a")

	// A second client joins late: both spawns, and at the next tick a full
	// DELTA (health 90) while the first client gets none.
	b, bid := join(t, ctx, srv)
	r.AddPeer(bid)
	if got := read(t, ctx, b); !bytes.Equal(got, simplifyOf(t, 1, "Main/Spawner")) {
		t.Fatalf("B's first packet % x", got)
	}
	if m, err := ParseSpawn(read(t, ctx, b)); err != nil || m.Name != "flag" {
		t.Fatalf("B's first SPAWN %+v %v", m, err)
	}
	if m, err := ParseSpawn(read(t, ctx, b)); err != nil || m.Name != "42" || m.NetID != 3 || !bytes.Equal(m.State, h(t, "05 00 00 00 00 00 ca 42 00 00 48 42 02 5a")) {
		t.Fatalf("B's second SPAWN %+v %v", m, err)
	}
	r.Tick(t0.Add(1100 * time.Millisecond))
	expect(t, read(t, ctx, b), "06 01 00 04 00 00 00 18 00 00 00 05 00 00 00 00 00 ca 42 00 00 48 42 04 00 00 00 02 00 00 00 68 69 00 00")
	expect(t, read(t, ctx, b), "16 04 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 5a")
	expect(t, read(t, ctx, a), "06 04 00 04 00 00 00 18 00 00 00 05 00 00 00 00 00 ca 42 00 00 48 42 04 00 00 00 02 00 00 00 68 69 00 00")

	obj.Despawn()
	expect(t, read(t, ctx, a), "05 03 00 00 00")
	expect(t, read(t, ctx, b), "05 03 00 00 00")
	// Nothing else was sent: the next packet is this marker.
	for _, c := range []int32{aid, bid} {
		srv.SendTo(c, scene.TransferModeReliable, 0, []byte{3, 0xee})
	}
	expect(t, read(t, ctx, a), "03 ee")
	expect(t, read(t, ctx, b), "03 ee")
}

// TestClientAuthority has clients send the SYNC of a synchronizer as a
// Godot client that owns it does (SIMPLIFY_PATH of the synchronizer, then
// path-based ids): the owner's updates reach the Go variables; another
// client's updates for the same synchronizer, updates for a server-owned
// synchronizer, unknown ids, stale times, SPAWNs and DESPAWNs are dropped
// and counted.
func TestClientAuthority(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	srv := testServer(t)
	sess := newSession(srv)
	r := New(sess, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	r.AddSpawner(sp)
	a, aid := join(t, ctx, srv)
	b, bid := join(t, ctx, srv)
	r.AddPeer(aid)
	r.AddPeer(bid)
	pl := newPlayer(aid)
	updates := 0
	pl.input.OnUpdate = func(delta bool) { updates++ }
	if _, err := sp.Spawn("42", 0, pl.sync, pl.input); err != nil {
		t.Fatal(err)
	}

	send := func(c interface {
		SendTo(int32, scene.TransferMode, int, []byte) error
	}, p []byte) {
		if err := c.SendTo(1, scene.TransferModeReliable, 0, p); err != nil {
			t.Fatal(err)
		}
	}
	// Both clients name the Input synchronizer (A's) and the server-owned
	// Sync by path, with their own cache ids.
	for _, c := range []*struct {
		p interface {
			SendTo(int32, scene.TransferMode, int, []byte) error
		}
		off uint32
	}{{a, 0}, {b, 10}} {
		send(c.p, simplifyOf(t, 5+c.off, "Main/Players/42/Input"))
		send(c.p, simplifyOf(t, 6+c.off, "Main/Players/42/Sync"))
	}
	sess.pump(t, ctx, r, 4)

	syncOf := func(time uint16, id uint32, v variant.Vector2) []byte {
		return AppendSyncEntry(AppendSyncHeader(nil, time), id, compressed(t, v))
	}
	send(a, syncOf(1, PathSyncFlag|5, variant.Vector2{X: 1, Y: 0}))                  // applied
	send(b, syncOf(2, PathSyncFlag|15, variant.Vector2{X: -1, Y: 0}))                // B is not the owner
	send(a, syncOf(1, PathSyncFlag|5, variant.Vector2{X: 9, Y: 9}))                  // stale
	send(a, syncOf(3, PathSyncFlag|6, variant.Vector2{X: 0, Y: 0}))                  // server-owned Sync
	send(b, syncOf(3, 4, variant.Vector2{}))                                         // a spawn id: B spawned nothing
	send(a, syncOf(4, PathSyncFlag|99, variant.Vector2{}))                           // unknown path id
	send(b, h(t, spawnVectors[0].hex))                                               // SPAWN from a client
	send(b, AppendDespawn(nil, 3))                                                   // DESPAWN from a client
	send(a, AppendSyncEntry(AppendSyncHeader(nil, 5), PathSyncFlag|5, []byte{2, 7})) // an int for a Vector2
	sess.pump(t, ctx, r, 9)
	if pl.Dir != (variant.Vector2{X: 1, Y: 0}) {
		t.Errorf("direction %v after an update of the wrong type", pl.Dir)
	}
	send(a, syncOf(6, PathSyncFlag|5, variant.Vector2{X: 0, Y: 1})) // applied
	sess.pump(t, ctx, r, 1)

	if pl.Dir != (variant.Vector2{X: 0, Y: 1}) || updates != 3 {
		t.Errorf("direction %v after %d updates, want (0, 1) after 3", pl.Dir, updates)
	}
	want := Stats{Applied: 3, NotOwner: 2, Unknown: 2, Stale: 1, Refused: 2, BadValues: 1}
	if got := r.Stats(); got != want {
		t.Errorf("stats %+v\nwant  %+v", got, want)
	}
	if pl.Pos != (variant.Vector2{}) {
		t.Errorf("server-owned position changed to %v", pl.Pos)
	}
	if err := r.Receive(bid, h(t, spawnVectors[0].hex)); !errors.Is(err, peer.ErrUnauthorized) {
		t.Errorf("SPAWN from a client: %v", err)
	}
}

// TestVisibility checks public and per-peer visibility and a filter: an
// object is spawned only for peers that may see it, spawned when it becomes
// visible (with current state and a full DELTA) and despawned when it no
// longer is.
func TestVisibility(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	srv := testServer(t)
	r := New(newSession(srv), nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	r.AddSpawner(sp)
	a, aid := join(t, ctx, srv)
	b, bid := join(t, ctx, srv)
	r.AddPeer(aid)
	r.AddPeer(bid)

	pl := newPlayer(aid)
	pl.sync.SetVisibilityPublic(false)
	pl.sync.SetVisibilityFor(aid, true)
	if _, err := sp.Spawn("42", 0, pl.sync, pl.input); err != nil {
		t.Fatal(err)
	}
	read(t, ctx, a) // SIMPLIFY_PATH
	if m, err := ParseSpawn(read(t, ctx, a)); err != nil || m.Name != "42" {
		t.Fatalf("A: %+v %v", m, err)
	}
	now := time.Unix(0, 0)
	r.Tick(now)
	if p := read(t, ctx, a); p[0] != 0x06 {
		t.Fatalf("A: % x, want SYNC", p)
	}
	read(t, ctx, a) // DELTA

	// B may now see it: SIMPLIFY_PATH, SPAWN, SYNC with B's own time 1.
	pl.sync.SetVisibilityFor(bid, true)
	pl.Health = 50
	r.Tick(now.Add(time.Millisecond))
	read(t, ctx, b)
	if m, err := ParseSpawn(read(t, ctx, b)); err != nil || m.Name != "42" || !bytes.HasSuffix(m.State, []byte{2, 50}) {
		t.Fatalf("B: %+v %v", m, err)
	}
	if p := read(t, ctx, b); !bytes.HasPrefix(p, []byte{6, 1, 0}) {
		t.Fatalf("B: % x, want SYNC at time 1", p)
	}
	expect(t, read(t, ctx, b), "16 02 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 32")
	if p := read(t, ctx, a); !bytes.HasPrefix(p, []byte{6, 2, 0}) {
		t.Fatalf("A: % x, want SYNC at time 2", p)
	}
	expect(t, read(t, ctx, a), "16 02 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 32")

	// A filter hides it from A: DESPAWN to A only; B keeps getting SYNC.
	pl.sync.Filter = func(p int32) bool { return p != aid }
	r.Tick(now.Add(2 * time.Millisecond))
	expect(t, read(t, ctx, a), "05 01 00 00 00")
	if p := read(t, ctx, b); !bytes.HasPrefix(p, []byte{6, 2, 0}) {
		t.Fatalf("B: % x, want SYNC at time 2", p)
	}
	// Visible again: a new SPAWN (same net id) and a full DELTA.
	pl.sync.Filter = nil
	r.Tick(now.Add(3 * time.Millisecond))
	if m, err := ParseSpawn(read(t, ctx, a)); err != nil || m.NetID != 1 {
		t.Fatalf("A: %+v %v", m, err)
	}
	if p := read(t, ctx, a); !bytes.HasPrefix(p, []byte{6, 3, 0}) {
		t.Fatalf("A: % x, want SYNC at time 3 (no SYNC while nothing was visible)", p)
	}
	expect(t, read(t, ctx, a), "16 02 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 32")
}

// TestSyncPacketSplit checks that SYNC packets are cut at
// MaxSyncPacketSize as Godot cuts them, and that a state bigger than the
// limit is not sent.
func TestSyncPacketSplit(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	srv := testServer(t)
	r := New(newSession(srv), &Config{MaxSyncPacketSize: 128})
	sp := &Spawner{Path: "S", SpawnPath: "P", Scenes: []string{"res://x.tscn"}}
	r.AddSpawner(sp)
	a, aid := join(t, ctx, srv)
	r.AddPeer(aid)
	names := []string{"a", "b", "c", "big", "d", "e", "f", "g"}
	for i, n := range names {
		v := variant.Vector2{X: 1, Y: 2}
		s := &Synchronizer{Path: "Sync", Properties: []Property{{Path: ".:position", Spawn: false, Mode: ReplicationModeAlways, Value: &v}}}
		if n == "big" {
			big := strings.Repeat("x", 200)
			s.Properties = append(s.Properties, Property{Path: ".:text", Mode: ReplicationModeAlways, Value: &big})
		}
		if _, err := sp.Spawn(n, 0, s); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			read(t, ctx, a) // SIMPLIFY_PATH of the spawner
		}
		read(t, ctx, a)
	}
	r.Tick(time.Unix(0, 0))
	// Entries are 20 bytes: 3 + 6 × 20 = 123 ≤ 128 holds six, the seventh
	// starts a new packet, and the 220-byte state is not sent at all.
	for _, n := range []int{123, 23} {
		p := read(t, ctx, a)
		if len(p) != n || !bytes.HasPrefix(p, []byte{6, 1, 0}) {
			t.Fatalf("SYNC of %d bytes, want %d: % x", len(p), n, p)
		}
	}
	srv.SendTo(aid, scene.TransferModeReliable, 0, []byte{3, 0xee})
	expect(t, read(t, ctx, a), "03 ee")
}

// TestLevelSynchronizer checks a synchronizer that is part of the level
// rather than a spawn: it is named by 0x80000000 | its path-cache id, so the
// first tick only sends SIMPLIFY_PATH (the sync time advances anyway) and
// SYNC starts once the client confirmed the path.
func TestLevelSynchronizer(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	srv := testServer(t)
	sess := newSession(srv)
	r := New(sess, nil)
	score := int64(3)
	level := &Synchronizer{Path: "Main/Level/Sync", Properties: []Property{
		{Path: ".:score", Spawn: true, Mode: ReplicationModeAlways, Value: &score},
	}}
	if err := r.AddSynchronizer(level); err != nil {
		t.Fatal(err)
	}
	if err := r.AddSynchronizer(&Synchronizer{Path: "Main/Level/Sync"}); err == nil {
		t.Error("the same path added twice")
	}
	a, aid := join(t, ctx, srv)
	r.AddPeer(aid)
	now := time.Unix(0, 0)
	r.Tick(now)
	if got := read(t, ctx, a); !bytes.Equal(got, simplifyOf(t, 1, "Main/Level/Sync")) {
		t.Fatalf("% x, want SIMPLIFY_PATH of the synchronizer", got)
	}
	if err := a.SendTo(1, scene.TransferModeReliable, 0, scene.AppendConfirmPath(nil, scene.ConfirmPath{Valid: true, ID: 1})); err != nil {
		t.Fatal(err)
	}
	sess.pump(t, ctx, r, 1)
	r.Tick(now.Add(time.Millisecond))
	expect(t, read(t, ctx, a), "06 02 00 01 00 00 80 02 00 00 00 02 03")
}

// recSession records what a Replicator sends, per peer.
type recSession struct {
	memSession
	got map[int32][][]byte
}

func (s *recSession) Send(to int32, _ scene.TransferMode, _ int, p []byte) error {
	if s.got == nil {
		s.got = map[int32][][]byte{}
	}
	s.got[to] = append(s.got[to], bytes.Clone(p))
	return nil
}

// TestPeerLeavesAndJoins checks that a peer joining after another left
// (and taking its place in the Replicator's tables) starts from nothing:
// SPAWN of everything, then a full DELTA.
func TestPeerLeavesAndJoins(t *testing.T) {
	s := &recSession{}
	r := New(s, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	r.AddSpawner(sp)
	r.AddPeer(7)
	pl := newPlayer(7)
	sp.Spawn("7", 0, pl.sync, pl.input)
	secret := newPlayer(0)
	secret.sync.SetVisibilityPublic(false)
	secret.sync.SetVisibilityFor(7, true)
	sp.Spawn("secret", 0, secret.sync)
	r.Tick(time0)
	if n := len(s.got[7]); n != 4 {
		t.Fatalf("peer 7 got %d packets, want 2 SPAWN, SYNC, DELTA", n)
	}
	r.RemovePeer(7)
	r.AddPeer(9)
	r.Tick(time0.Add(time.Millisecond))
	got := s.got[9]
	if len(got) != 3 || got[0][0] != 0x04 || got[1][0] != 0x06 || !bytes.Equal(got[2], h(t, "16 02 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 64")) {
		t.Fatalf("peer 9 got % x, want SPAWN of 7 only, SYNC, DELTA", got)
	}
	if len(s.got[7]) != 4 {
		t.Errorf("peer 7 got packets after it left")
	}
}

func TestSpawnErrors(t *testing.T) {
	r := New(&memSession{}, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	if _, err := sp.Spawn("x", 0); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("spawner not added: %v", err)
	}
	if err := r.AddSpawner(sp); err != nil {
		t.Fatal(err)
	}
	if err := r.AddSpawner(sp); err == nil {
		t.Error("spawner added twice")
	}
	ch := make(chan int)
	v := 1
	for name, c := range map[string]struct {
		name  string
		scene int
		props []Property
	}{
		"bad name":      {"@a", 0, nil},
		"no scene":      {"a", 1, nil},
		"no value":      {"a", 0, []Property{{Path: ".:x", Mode: ReplicationModeAlways}}},
		"not a pointer": {"a", 0, []Property{{Path: ".:x", Mode: ReplicationModeAlways, Value: v}}},
		"unencodable":   {"a", 0, []Property{{Path: ".:x", Mode: ReplicationModeAlways, Value: &ch}}},
		"no colon":      {"a", 0, []Property{{Path: "x", Mode: ReplicationModeAlways, Value: &v}}},
		"twice":         {"a", 0, []Property{{Path: ".:x", Mode: ReplicationModeAlways, Value: &v}, {Path: ".:x", Value: &v}}},
		"bad mode":      {"a", 0, []Property{{Path: ".:x", Mode: 3, Value: &v}}},
	} {
		if _, err := sp.Spawn(c.name, c.scene, &Synchronizer{Path: "Sync", Properties: c.props}); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("%s: %v", name, err)
		}
	}
	many := &Synchronizer{Path: "Sync"}
	for i := range MaxWatched + 1 {
		many.Properties = append(many.Properties, Property{Path: ".:p" + strconv.Itoa(i), Mode: ReplicationModeOnChange, Value: &v})
	}
	if _, err := sp.Spawn("a", 0, many); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("65 watched properties: %v", err)
	}
	if _, err := sp.Spawn("a", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Spawn("a", 0); !errors.Is(err, peer.ErrAlreadyExists) {
		t.Errorf("same name twice: %v", err)
	}
	sp.SpawnLimit = 2
	b, err := sp.Spawn("b", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Spawn("c", 0); !errors.Is(err, peer.ErrOutOfMemory) {
		t.Errorf("past the spawn limit: %v", err)
	}
	b.Despawn()
	if _, err := sp.Spawn("c", 0); err != nil {
		t.Errorf("after a despawn: %v", err)
	}
	if _, err := sp.SpawnCustom("d", ch); err == nil {
		t.Errorf("unencodable custom argument accepted")
	}
}

// TestVisibilityProcessNone checks that synchronizers with
// VisibilityProcessNone are evaluated only after a change or an
// UpdateVisibility call (no Filter call in a quiet frame, where
// VisibilityProcessIdle calls it for every peer and object), and that
// updates keep flowing in between.
func TestVisibilityProcessNone(t *testing.T) {
	for _, mode := range []VisibilityUpdateMode{VisibilityProcessIdle, VisibilityProcessNone} {
		s := &recSession{}
		r := New(s, nil)
		sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
		r.AddSpawner(sp)
		r.AddPeer(7)
		r.AddPeer(9)
		calls := 0
		hide9 := false
		for i := range 3 {
			pl := newPlayer(0)
			pl.sync.VisibilityUpdateMode = mode
			pl.sync.Filter = func(p int32) bool { calls++; return !(hide9 && p == 9) }
			if _, err := sp.Spawn("p"+strconv.Itoa(i), 0, pl.sync); err != nil {
				t.Fatal(err)
			}
		}
		r.Tick(time0)
		calls = 0
		clear(s.got)
		r.Tick(time0.Add(time.Millisecond))
		wantCalls := 0
		if mode == VisibilityProcessIdle {
			wantCalls = 2 * 3 * 2 // peers × objects × (spawn pass + sync list)
		}
		if calls != wantCalls {
			t.Fatalf("mode %d: %d Filter calls in a quiet frame, want %d", mode, calls, wantCalls)
		}
		if len(s.got[7]) != 1 || s.got[7][0][0] != 0x06 || len(s.got[9]) != 1 {
			t.Fatalf("mode %d: quiet frame sent %d/%d packets, want one SYNC each", mode, len(s.got[7]), len(s.got[9]))
		}

		hide9 = true
		clear(s.got)
		r.Tick(time0.Add(2 * time.Millisecond))
		if mode == VisibilityProcessNone {
			if len(s.got[9]) != 1 || s.got[9][0][0] != 0x06 {
				t.Fatalf("before UpdateVisibility peer 9 got % x, want its SYNC", s.got[9])
			}
			r.objects[0].Syncs[0].UpdateVisibility(0)
			clear(s.got)
			r.Tick(time0.Add(3 * time.Millisecond))
		}
		if n := len(s.got[9]); n != 3 || s.got[9][0][0] != 0x05 {
			t.Fatalf("mode %d: peer 9 got % x, want 3 DESPAWN", mode, s.got[9])
		}
		if len(s.got[7]) != 1 || s.got[7][0][0] != 0x06 {
			t.Fatalf("mode %d: peer 7 got % x, want its SYNC only", mode, s.got[7])
		}
	}
}

// Spawner and synchronizer paths are relative to the multiplayer root, as
// the path cache carries them: Godot's absolute form ("/root/Main/Spawner")
// would name nothing a client has, so it is refused.
func TestAbsolutePathsRefused(t *testing.T) {
	r := New(&recSession{}, nil)
	for _, sp := range []*Spawner{
		{Path: "/root/Main/Spawner", SpawnPath: "Main/Players"},
		{Path: "Main/Spawner", SpawnPath: "/root/Main/Players"},
		{Path: "Main/Spawner/", SpawnPath: "Main/Players"},
	} {
		if err := r.AddSpawner(sp); !errors.Is(err, peer.ErrInvalidParameter) || !strings.Contains(err.Error(), strconv.Quote(sp.Path)) && !strings.Contains(err.Error(), strconv.Quote(sp.SpawnPath)) {
			t.Errorf("AddSpawner(%q, %q) = %v, want ERR_INVALID_PARAMETER naming the path", sp.Path, sp.SpawnPath, err)
		}
	}
	var pos variant.Vector2
	s := &Synchronizer{Path: "/root/Main/World/Sync", Properties: []Property{{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &pos}}}
	if err := r.AddSynchronizer(s); !errors.Is(err, peer.ErrInvalidParameter) || !strings.Contains(err.Error(), `"Main/World/Sync"`) {
		t.Errorf("AddSynchronizer(%q) = %v, want ERR_INVALID_PARAMETER suggesting \"Main/World/Sync\"", s.Path, err)
	}
	if err := r.AddSpawner(&Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players"}); err != nil {
		t.Errorf("AddSpawner of relative paths = %v", err)
	}
}

// A nil synchronizer, or one listed twice, in Spawn or in what OnSpawned
// returns is an error naming it, not a panic or a node with a synchronizer
// twice.
func TestSpawnBadSynchronizers(t *testing.T) {
	r := New(&recSession{}, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	if err := r.AddSpawner(sp); err != nil {
		t.Fatal(err)
	}
	r.AddPeer(7)
	var pos variant.Vector2
	s := &Synchronizer{Path: "Sync", Properties: []Property{{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &pos}}}
	for _, syncs := range [][]*Synchronizer{{nil}, {s, nil}, {s, s}} {
		o, err := sp.Spawn("p", 0, syncs...)
		if !errors.Is(err, peer.ErrInvalidParameter) || o != nil {
			t.Errorf("Spawn with synchronizers %v = %v, %v; want an error matching ERR_INVALID_PARAMETER", syncs, o, err)
		}
	}
	if o, err := sp.Spawn("p", 0, s); err != nil || len(o.Syncs) != 1 {
		t.Fatalf("Spawn after the refusals = %v, %v", o, err)
	}

	for _, twice := range []bool{false, true} {
		mine := &Synchronizer{Path: "Sync", Authority: 7, Properties: []Property{{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &pos}}}
		ret := []*Synchronizer{nil}
		if twice {
			ret = []*Synchronizer{mine, mine}
		}
		r := New(&memSession{}, nil) // peer 7's path id 4 is Main/ClientSpawner
		psp := &Spawner{Path: "Main/ClientSpawner", SpawnPath: "Main/Mine", Scenes: []string{"res://pet.tscn"}, Authority: 7,
			OnSpawned: func(o *Object, arg any) ([]*Synchronizer, error) { return ret, nil }}
		if err := r.AddSpawner(psp); err != nil {
			t.Fatal(err)
		}
		r.AddPeer(7)
		state, _ := scene.AppendCompressed(nil, variant.Vector2{X: 1}, variant.EncodeOptions{})
		spawn, _ := AppendSpawn(nil, &Spawn{Spawner: 4, NetID: 1, Syncs: []uint32{2, 3}, Name: "pet", State: append(state, state...)})
		if err := r.Receive(7, spawn); err == nil || r.Stats().Spawned != 0 {
			t.Errorf("OnSpawned returning %v: Receive = %v, stats %+v; want the SPAWN refused", ret, err, r.Stats())
		}
	}
}
