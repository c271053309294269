package replication

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// liveRun is what the Go server of TestGodotLive saw.
type liveRun struct {
	id       int32
	dir      variant.Vector2 // the client-owned Input's direction
	stats    Stats           // the Replicator's counters before the client spawned
	recorded [][]byte        // packets the client sent once it was told to spawn
	mine     map[string]*p2  // what the client's own spawner spawned here
	gone     []string        // and despawned (the client left)
	final    Stats           // the Replicator's counters at the end
	trace    []string        // the packets counted Unknown, with their phase
	early    int             // how many of them came before the player's despawn
}

// TestGodotLive runs a real Godot 4.6 client (testdata/godot: a Spawner,
// player.tscn with a server-owned Sync and a client-owned Input) against a
// Replicator on a Go WebSocket server, in both directions:
//
//   - Godot receives what the Replicator sends: the custom spawn of a flag
//     that existed before it joined (spawn_function gets the argument), its
//     player's SPAWN with the spawn state applied before spawned(), SYNCs
//     (position, label) and a DELTA (health), a DESPAWN when the player
//     becomes invisible to it, a new SPAWN when it is visible again, and a
//     final DESPAWN;
//   - the Replicator receives what Godot sends for a synchronizer the client
//     owns (SIMPLIFY_PATH, then path-based SYNC): the Go variable is set;
//   - a spawner nested in the player (BulletSpawner) spawns a bullet: Godot
//     gets it after the player, again when the player is shown again
//     after being hidden, and its DESPAWN before the player's;
//   - Godot as spawner authority (ClientSpawner, player2.tscn with SyncB and
//     SyncA): its SPAWN, SYNC and DELTA are recorded and decoded here with
//     ParseSpawn and ParseSync, checking Godot's sender side, and the
//     Replicator, where ClientSpawner's Authority is the client, takes the
//     spawn: the Go p2 gets the spawn state and the client's SYNC and
//     DELTA, and goes when the client leaves.
func TestGodotLive(t *testing.T) {
	noLeaks(t)
	files := map[string][]byte{}
	for _, n := range []string{"main.tscn", "player.tscn", "player.gd", "flag.tscn", "player2.tscn", "player2.gd"} {
		b, err := os.ReadFile(filepath.Join("testdata", "godot", n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	mainGD, err := os.ReadFile("testdata/godot/main.gd")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var run liveRun
	done := make(chan error, 1)
	go func() {
		err := serveGodot(ctx, srv, &run)
		if err != nil {
			srv.Close()
		}
		done <- err
	}()
	res := godottest.RunTest(t, string(mainGD), &godottest.Options{Files: files, Args: []string{"ws://" + srv.Addr().String()}})
	if err := <-done; err != nil {
		t.Fatalf("Go server: %v\nGodot printed:\n%s\nerrors:\n%s", err, strings.Join(res.Lines, "\n"), strings.Join(res.Errors, "\n"))
	}
	id := strconv.Itoa(int(run.id))
	for _, w := range []string{
		"spawn_function (10.0, 20.0)",
		"spawned flag flag position (10.0, 20.0)",
		"spawned player " + id + " position (100.0, 50.0) health 7 label init",
		"delta health 90",
		"despawned " + id,
		// Hidden, then visible again: the same node comes back with the
		// current spawn state (label is not a spawn property).
		"spawned player " + id + " position (115.0, 50.0) health 90 label init",
		// The bullet of the nested spawner: despawned once, by the
		// player's final despawn (hidden, it went with the player).
		"despawned bullet b1",
	} {
		if !slices.Contains(res.Lines, w) {
			t.Errorf("Godot did not print %q", w)
		}
	}
	if n := count(res.Lines, "spawned bullet b1 in "+id+" position (5.0, 6.0)"); n != 2 {
		t.Errorf("Godot spawned the nested bullet %d times, want 2 (first, and with the player shown again)", n)
	}
	if n := count(res.Lines, "despawned bullet b1"); n != 1 {
		t.Errorf("Godot despawned the nested bullet %d times, want 1", n)
	}
	if !slices.ContainsFunc(res.Lines, func(l string) bool {
		return strings.HasPrefix(l, "synchronized position (11") && strings.HasSuffix(l, ", 50.0) label hi")
	}) {
		t.Errorf("Godot printed no synchronized position past 110 with label hi")
	}
	if run.dir != (variant.Vector2{X: 1, Y: 2}) {
		t.Errorf("client-owned direction %v, want (1, 2)", run.dir)
	}
	if run.stats.Applied == 0 || run.stats.NotOwner != 0 || run.stats.Invalid != 0 || run.stats.Unknown != 0 {
		t.Errorf("stats %+v", run.stats)
	}
	checkGodotSender(t, run.recorded)
	if p := run.mine["p2"]; p == nil || p.Rotation != 0.5 || p.Health != 9 || p.Pos != (variant.Vector2{X: 3, Y: 4}) {
		t.Errorf("the client's p2 here: %+v, want position (3, 4), health 9, rotation 0.5", p)
	}
	// Unknown entries: none before the Go server despawned the player
	// (phase 5). After it, a SYNC of the player's client-owned Input that
	// Godot sent before the DESPAWN reached it names a synchronizer gone
	// here, and is skipped and counted, as Godot's own receiver skips it.
	if s := run.final; s.Spawned != 1 || s.Refused != 0 || s.Invalid != 0 || run.early != 0 || s.NotOwner != 0 || s.BadValues != 0 || !slices.Equal(run.gone, []string{"p2"}) {
		t.Errorf("final stats %+v, despawned %q; want one spawn, none refused, p2 gone with the client", s, run.gone)
		t.Logf("packets counted Unknown: %q", run.trace)
		for i, p := range run.recorded {
			t.Logf("recorded %d: % x", i, p[:min(len(p), 24)])
		}
	}
	// Godot logs every packet it rejects; there must be none. (The web
	// build's known noise, spec §15.7 and package godottest, is ignored.)
	for _, e := range res.Errors {
		if strings.Contains(e, "slot >= slot_max") || strings.HasPrefix(e, "godottest: JavaScript error") {
			continue
		}
		t.Errorf("Godot error: %s", e)
	}
	if t.Failed() {
		t.Logf("Godot printed:\n%s", strings.Join(res.Lines, "\n"))
	}
}

// checkGodotSender checks the packets Godot sent as the authority of
// ClientSpawner and of p2's synchronizers.
func checkGodotSender(t *testing.T, rec [][]byte) {
	var spawnerID uint32
	var sp *Spawn
	var syncs, deltas int
	var healths []string
	for _, p := range rec {
		switch scene.Command(p[0] & scene.CommandMask) {
		case scene.CommandSimplifyPath:
			m, err := scene.ParseSimplifyPath(p)
			if err != nil {
				t.Fatal(err)
			}
			if m.Path == "Main/ClientSpawner" {
				spawnerID = m.ID
			}
		case scene.CommandSpawn:
			m, err := ParseSpawn(p)
			if err != nil {
				t.Fatalf("Godot's SPAWN % x: %v", p, err)
			}
			t.Logf("Godot's SPAWN: % x", p)
			sp = &m
		case scene.CommandSync:
			r, err := ParseSync(p)
			if err != nil {
				t.Fatalf("Godot's SYNC % x: %v", p, err)
			}
			for r.Next() {
				e := r.Entry()
				if e.ID&PathSyncFlag != 0 {
					continue // the Input synchronizer of the player
				}
				if sp == nil {
					t.Fatalf("SYNC entry %+v before the SPAWN", e)
				}
				if r.Delta() {
					deltas++
					if e.ID != sp.Syncs[0] || e.Mask != 1 {
						t.Errorf("DELTA entry %+v, want SyncB (%d) mask 1", e, sp.Syncs[0])
					}
					healths = append(healths, fmt.Sprintf("% x", e.State))
					continue
				}
				syncs++
				// SyncA is not public: only SyncB's position goes.
				if e.ID != sp.Syncs[0] || !bytes.Equal(e.State, compressed(t, variant.Vector2{X: 3, Y: 4})) {
					t.Errorf("SYNC entry %+v, want SyncB (%d) with position (3, 4)", e, sp.Syncs[0])
				}
			}
			if r.Err() != nil {
				t.Errorf("Godot's SYNC % x: %v", p, r.Err())
			}
		}
	}
	if sp == nil {
		t.Fatal("Godot sent no SPAWN")
	}
	// SyncB then SyncA, tree order; each synchronizer's spawn list in turn.
	want := Spawn{Scene: 0, Spawner: spawnerID, NetID: sp.NetID, Syncs: []uint32{sp.NetID + 1, sp.NetID + 2}, Name: "p2",
		State: compressed(t, variant.Vector2{X: 3, Y: 4}, 7, 0.5)}
	if sp.Scene != want.Scene || sp.Spawner != want.Spawner || sp.Name != want.Name || !slices.Equal(sp.Syncs, want.Syncs) || !bytes.Equal(sp.State, want.State) || sp.Arg != nil {
		t.Errorf("Godot's SPAWN %+v\nwant           %+v", *sp, want)
	}
	if b, err := AppendSpawn(nil, sp); err != nil || !bytes.Equal(b, rec[slices.IndexFunc(rec, func(p []byte) bool { return p[0] == 4 })]) {
		t.Errorf("AppendSpawn of Godot's SPAWN differs: % x, %v", b, err)
	}
	if syncs == 0 || !slices.Equal(healths, []string{"02 07", "02 09"}) {
		t.Errorf("%d SYNC entries, DELTA states %q; want some SYNC and DELTAs [02 07, 02 09]", syncs, healths)
	}
}

// serveGodot is the Go server of TestGodotLive.
func serveGodot(ctx context.Context, srv *websocket.MultiplayerPeer, run *liveRun) error {
	for run.id == 0 {
		ev, err := srv.ReadEvent(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the client: %w", err)
		}
		if ev.Type == multiplayer.PeerConnected {
			run.id = ev.ID
		}
	}
	sess := newSession(srv)
	r := New(sess, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	if err := r.AddSpawner(sp); err != nil {
		return err
	}
	flag := variant.Vector2{X: 10, Y: 20}
	fsync := &Synchronizer{Path: "Sync", ReplicationInterval: time.Second, Properties: []Property{
		{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &flag},
	}}
	if _, err := sp.SpawnCustom("flag", flag, fsync); err != nil {
		return err
	}
	run.mine = map[string]*p2{}
	if err := r.AddSpawner(clientSpawner(run.id, run.mine, &run.gone)); err != nil {
		return err
	}
	r.AddPeer(run.id)
	pl := newPlayer(run.id)
	pl.Pos = variant.Vector2{X: 100, Y: 50}
	pl.Health = 7
	obj, err := sp.Spawn(strconv.Itoa(int(run.id)), 0, pl.sync, pl.input)
	if err != nil {
		return err
	}
	id := strconv.Itoa(int(run.id))
	// A bullet (flag.tscn) from the spawner nested in the player.
	guns := &Spawner{Path: "Main/Players/" + id + "/BulletSpawner", SpawnPath: "Main/Players/" + id + "/Bullets", Scenes: []string{"res://flag.tscn"}}
	if err := r.AddSpawner(guns); err != nil {
		return err
	}
	bpos := variant.Vector2{X: 5, Y: 6}
	if _, err := guns.Spawn("b1", 0, &Synchronizer{Path: "Sync", ReplicationInterval: time.Second, Properties: []Property{
		{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &bpos},
	}}); err != nil {
		return err
	}
	command := func(s string) error {
		b, _ := scene.AppendRaw(nil, []byte(s))
		return srv.SendTo(run.id, scene.TransferModeReliable, 0, b)
	}
	acks := map[string]int{}
	phase := 0
	frame := time.NewTicker(20 * time.Millisecond)
	defer frame.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return fmt.Errorf("phase %d, acks %v, direction %v: %w", phase, acks, pl.Dir, ctx.Err())
		case <-frame.C:
		}
		for {
			if ev, ok := srv.PollEvent(); ok && ev.Type == multiplayer.PeerDisconnected {
				if phase < 6 {
					return fmt.Errorf("client left in phase %d", phase)
				}
				run.dir = pl.Dir
				r.RemovePeer(run.id)
				run.final = r.Stats()
				return nil
			}
			p, info, err := srv.GetPacketFrom()
			if errors.Is(err, peer.ErrUnavailable) {
				break
			}
			if err != nil {
				return err
			}
			if raw := rawPayload(p); raw != nil {
				acks[strings.TrimPrefix(string(raw), "ack ")]++
				continue
			}
			if phase >= 1 {
				run.recorded = append(run.recorded, bytes.Clone(p))
			}
			unknown := r.Stats().Unknown
			if err := sess.handle(r, info.From, p); err != nil && phase == 0 {
				return fmt.Errorf("packet % x: %w", p, err)
			}
			if r.Stats().Unknown > unknown {
				run.trace = append(run.trace, fmt.Sprintf("phase %d, after %d packets recorded: % x", phase, len(run.recorded), p))
				if phase < 5 {
					run.early++
				}
			}
		}
		if pl.Pos.X < 115 {
			pl.Pos.X++
		}
		if pl.Pos.X > 105 {
			pl.Label = "hi"
		}
		if n == 10 {
			pl.Health = 90
		}
		switch {
		case phase == 0 && acks["health 90"] > 0 && pl.Dir == (variant.Vector2{X: 1, Y: 2}) && hasPrefix(acks, "position 11"):
			phase = 1
			run.stats = r.Stats()
			err = command("spawn")
		case phase == 1 && len(deltaStates(run.recorded)) > 0:
			phase = 2
			err = command("hurt")
		case phase == 2 && slices.Contains(deltaStates(run.recorded), "02 09"):
			// Hide the player from its client: DESPAWN.
			phase = 3
			pl.sync.Filter = func(int32) bool { return false }
		case phase == 3 && acks["despawned "+id] == 1:
			// Visible again: a new SPAWN with the current spawn state.
			phase = 4
			pl.sync.Filter = nil
		case phase == 4 && acks["spawned "+id] == 2 && acks["bullet b1"] == 2:
			phase = 5
			obj.Despawn()
		case phase == 5 && acks["despawned "+id] == 2:
			phase = 6
			err = command("quit")
		}
		if err != nil {
			return err
		}
		r.Tick(time.Now())
	}
}

func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}

func hasPrefix(m map[string]int, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// rawPayload returns the payload of a RAW packet, direct or relayed.
func rawPayload(p []byte) []byte {
	if m, err := scene.ParseSys(p); err == nil && m.Command == scene.SysRelay {
		p = m.Data
	}
	if len(p) > 1 && p[0] == byte(scene.CommandRaw) {
		return p[1:]
	}
	return nil
}

// deltaStates returns the states of the DELTA entries in rec, as hex.
func deltaStates(rec [][]byte) []string {
	var s []string
	for _, p := range rec {
		if !IsDelta(p) || p[0]&scene.CommandMask != byte(scene.CommandSync) {
			continue
		}
		r, err := ParseSync(p)
		if err != nil {
			continue
		}
		for r.Next() {
			s = append(s, fmt.Sprintf("% x", r.Entry().State))
		}
	}
	return s
}
