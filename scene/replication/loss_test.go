package replication

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// refusingPeer is a multiplayer peer whose SendTo refuses the packets that
// refuse picks, as a real peer refuses a send when its outbound queue is
// full (an error matching peer.ErrOutOfMemory); the others go out.
type refusingPeer struct {
	multiplayer.MultiplayerPeer
	mu      sync.Mutex
	refuse  func(to int32, p []byte) bool
	refused int
}

var errQueueFull = &peer.OpError{Op: "put packet", Transport: "test", Code: peer.ErrOutOfMemory, Detail: "refused by the test"}

func (r *refusingPeer) SendTo(to int32, mode multiplayer.TransferMode, channel int, p []byte) error {
	r.mu.Lock()
	no := r.refuse != nil && r.refuse(to, p)
	if no {
		r.refused++
	}
	r.mu.Unlock()
	if no {
		return errQueueFull
	}
	return r.MultiplayerPeer.SendTo(to, mode, channel, p)
}

func (r *refusingPeer) setRefuse(f func(to int32, p []byte) bool) {
	r.mu.Lock()
	r.refuse = f
	r.refused = 0
	r.mu.Unlock()
}

func (r *refusingPeer) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// refuseFirst refuses the first packet of command c to each peer.
func refuseFirst(c scene.Command) func(int32, []byte) bool {
	done := map[int32]bool{}
	return func(to int32, p []byte) bool {
		if len(p) == 0 || scene.Command(p[0]&scene.CommandMask) != c || done[to] {
			return false
		}
		done[to] = true
		return true
	}
}

// TestAttachSimplifyPathRefused: the server's first SIMPLIFY_PATH to each
// client (the spawner's) is refused by its multiplayer peer, as a full
// queue refuses it. The session must send it again before the SPAWN that
// uses the id, or a Godot client drops that SPAWN (unknown spawner) and
// never sees the player: the viewers here refuse such a SPAWN as Godot
// does. Before the fix the session marked the id as sent anyway and the
// retried SPAWN named an id the client never got.
func TestAttachSimplifyPathRefused(t *testing.T) {
	noLeaks(t)
	ws, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := &refusingPeer{MultiplayerPeer: ws}
	srv.setRefuse(refuseFirst(scene.CommandSimplifyPath))
	var a *arena
	m := scene.NewMultiplayer(srv, &scene.Config{
		TickRate:        100,
		OnPeerConnected: func(m *scene.Multiplayer, id int32) { a.join(m, id) },
	})
	a = newArena(m)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait(); ws.Close() }()
	wg.Add(1)
	go func() { defer wg.Done(); m.Run(ctx) }()
	var viewers []*viewer
	for range 2 {
		p, err := websocket.DialClient(t.Context(), "ws://"+ws.Addr().String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		v := newViewer()
		c := scene.NewMultiplayer(p, &scene.Config{TickRate: 100})
		v.m = c
		c.SetReplication(v)
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(ctx) }()
		viewers = append(viewers, v)
	}
	for _, v := range viewers {
		v.wait(t, "both players", func(pos map[string]variant.Vector2) bool { return len(pos) == 2 })
	}
	if n := srv.count(); n != 2 {
		t.Errorf("%d SIMPLIFY_PATH refused, want one per client", n)
	}
	if s := m.Stats(); s.SendFailed != 2 {
		t.Errorf("session stats %+v: want the 2 refused sends counted", s)
	}
}

// expectNext reads c's next packet and fails unless it is want; a marker
// sent by the test after the Replicator's packets shows that nothing came.
func expectNext(t *testing.T, ctx context.Context, c *websocket.MultiplayerPeer, want []byte, what string) {
	t.Helper()
	if got := read(t, ctx, c); !bytes.Equal(got, want) {
		t.Fatalf("%s: got % x, want % x", what, got, want)
	}
}

// TestSendRefused: a SPAWN or DESPAWN that the peer refuses (full queue) is
// sent at the next Tick: a SPAWN of an object without synchronizers (so no
// visibility work would otherwise run), a SPAWN when a peer joins, and a
// DESPAWN when an object becomes hidden, and the DESPAWN of a despawned
// object. Before the fix all but the second were lost for good: Spawn did
// not ask Tick to try again, and a refused DESPAWN marked the object as gone
// from the peer (which kept a ghost).
func TestSendRefused(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ws := testServer(t)
	srv := &refusingPeer{MultiplayerPeer: ws}
	sess := newSession(srv)
	r := New(sess, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Items", Scenes: []string{"res://item.tscn"}}
	if err := r.AddSpawner(sp); err != nil {
		t.Fatal(err)
	}
	c, cid := join(t, ctx, ws)
	r.AddPeer(cid)
	now := time.Unix(0, 0)
	r.Tick(now)
	marker := []byte{byte(scene.CommandRaw), 0xee}
	mark := func() {
		if err := ws.SendTo(cid, scene.TransferModeReliable, 0, marker); err != nil {
			t.Fatal(err)
		}
	}

	// An object without synchronizers, its SPAWN refused.
	srv.setRefuse(refuseFirst(scene.CommandSpawn))
	item, err := sp.Spawn("item", 0)
	if err != nil {
		t.Fatal(err)
	}
	if srv.count() != 1 {
		t.Fatalf("%d sends refused, want the SPAWN", srv.count())
	}
	now = now.Add(10 * time.Millisecond)
	r.Tick(now)
	mark()
	expectNext(t, ctx, c, simplifyOf(t, 1, "Main/Spawner"), "first packet")
	spawn, err := AppendSpawn(nil, &Spawn{Spawner: 1, NetID: item.NetID(), Name: "item"})
	if err != nil {
		t.Fatal(err)
	}
	expectNext(t, ctx, c, spawn, "SPAWN refused once, after the next Tick")
	expectNext(t, ctx, c, marker, "after the SPAWN")

	// A joining peer's SPAWN refused.
	d, did := join(t, ctx, ws)
	srv.setRefuse(refuseFirst(scene.CommandSpawn))
	r.AddPeer(did)
	now = now.Add(10 * time.Millisecond)
	r.Tick(now)
	if err := ws.SendTo(did, scene.TransferModeReliable, 0, marker); err != nil {
		t.Fatal(err)
	}
	expectNext(t, ctx, d, simplifyOf(t, 1, "Main/Spawner"), "joiner's first packet")
	expectNext(t, ctx, d, spawn, "joiner's SPAWN refused once, after the next Tick")
	expectNext(t, ctx, d, marker, "joiner, after the SPAWN")

	// An object hidden from c, its DESPAWN refused.
	hidden := false
	pos := variant.Vector2{X: 1, Y: 2}
	sync := &Synchronizer{Path: "Sync", Filter: func(p int32) bool { return !hidden || p != cid },
		Properties: []Property{{Path: ".:position", Mode: ReplicationModeNever, Spawn: true, Value: &pos}}}
	srv.setRefuse(nil)
	ghost, err := sp.Spawn("ghost", 0, sync)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Millisecond)
	r.Tick(now)
	mark()
	if m, err := ParseSpawn(read(t, ctx, c)); err != nil || m.Name != "ghost" {
		t.Fatalf("SPAWN of ghost: %+v, %v", m, err)
	}
	expectNext(t, ctx, c, marker, "after the ghost's SPAWN")
	hidden = true
	srv.setRefuse(refuseFirst(scene.CommandDespawn))
	now = now.Add(10 * time.Millisecond)
	r.Tick(now)
	if srv.count() != 1 {
		t.Fatalf("%d sends refused, want the DESPAWN", srv.count())
	}
	now = now.Add(10 * time.Millisecond)
	r.Tick(now)
	mark()
	expectNext(t, ctx, c, AppendDespawn(nil, ghost.NetID()), "DESPAWN refused once, after the next Tick")
	expectNext(t, ctx, c, marker, "after the DESPAWN")

	// A despawned object, its DESPAWN refused by both peers.
	srv.setRefuse(refuseFirst(scene.CommandDespawn))
	item.Despawn()
	if srv.count() != 2 {
		t.Fatalf("%d sends refused, want both DESPAWNs", srv.count())
	}
	now = now.Add(10 * time.Millisecond)
	r.Tick(now)
	for _, x := range []struct {
		c  *websocket.MultiplayerPeer
		id int32
	}{{c, cid}, {d, did}} {
		if err := ws.SendTo(x.id, scene.TransferModeReliable, 0, marker); err != nil {
			t.Fatal(err)
		}
		if x.c == d {
			// d has the ghost's SPAWN first (it was never hidden from d).
			if m, err := ParseSpawn(read(t, ctx, d)); err != nil || m.Name != "ghost" {
				t.Fatalf("d: SPAWN of ghost: %+v, %v", m, err)
			}
		}
		expectNext(t, ctx, x.c, AppendDespawn(nil, item.NetID()), "DESPAWN of a despawned object refused once, after the next Tick")
		expectNext(t, ctx, x.c, marker, "after that DESPAWN")
	}
	if len(r.despawns) != 0 {
		t.Fatalf("%d DESPAWNs still pending", len(r.despawns))
	}
}

// TestSessionNodeIDRetry checks the Session contract on package scene's
// session directly: a refused SIMPLIFY_PATH is an error, and the next
// NodeID for the same node sends it again with the same id.
func TestSessionNodeIDRetry(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ws := testServer(t)
	srv := &refusingPeer{MultiplayerPeer: ws}
	joined := make(chan int32, 1)
	m := scene.NewMultiplayer(srv, &scene.Config{OnPeerConnected: func(_ *scene.Multiplayer, id int32) { joined <- id }})
	c, err := websocket.DialClient(ctx, "ws://"+ws.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var cid int32
	for cid == 0 {
		if err := m.Poll(); err != nil {
			t.Fatal(err)
		}
		select {
		case cid = <-joined:
		case <-ctx.Done():
			t.Fatal("the client never joined")
		default:
			if err := ws.WaitEvent(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv.setRefuse(refuseFirst(scene.CommandSimplifyPath))
	if _, _, err := m.NodeID(cid, "Main/Spawner"); !errors.Is(err, peer.ErrOutOfMemory) {
		t.Fatalf("NodeID with the SIMPLIFY_PATH refused: %v, want the send's error", err)
	}
	id, confirmed, err := m.NodeID(cid, "Main/Spawner")
	if err != nil || confirmed {
		t.Fatalf("second NodeID: %d, %v, %v", id, confirmed, err)
	}
	marker := []byte{byte(scene.CommandRaw), 0xee}
	mark := func() {
		if err := ws.SendTo(cid, scene.TransferModeReliable, 0, marker); err != nil {
			t.Fatal(err)
		}
	}
	mark()
	expectNext(t, ctx, c, simplifyOf(t, id, "Main/Spawner"), "the SIMPLIFY_PATH, sent again")
	expectNext(t, ctx, c, marker, "after the SIMPLIFY_PATH")
	if again, _, err := m.NodeID(cid, "Main/Spawner"); err != nil || again != id {
		t.Fatalf("third NodeID: %d, %v; want %d", again, err, id)
	}
	mark()
	expectNext(t, ctx, c, marker, "after the third NodeID (nothing sent)")
}
