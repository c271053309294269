package replication

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// TestGodotLiveAttach runs the Godot 4.6 client of TestGodotLive against
// a Replicator inside a scene.Multiplayer server (Attach) instead of a
// hand-driven session: Godot gets its player's SPAWN with the spawn state
// and the SYNCs, and the server applies the path-based SYNC Godot sends for
// the Input synchronizer it owns (the session accepts and confirms Godot's
// SIMPLIFY_PATH of that node, which has no RPCs). The server then tells
// the client to quit.
func TestGodotLiveAttach(t *testing.T) {
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
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	var r *Replicator
	var spawner *Spawner
	var dir variant.Vector2
	pl := map[int32]*player{}
	m := scene.NewMultiplayer(srv, &scene.Config{
		OnPeerConnected: func(m *scene.Multiplayer, id int32) {
			p := newPlayer(id)
			p.Pos = variant.Vector2{X: 100, Y: 50}
			p.Health = 7
			p.input.OnUpdate = func(bool) {
				if dir != p.Dir {
					dir = p.Dir
					m.SendBytes([]byte("quit"), id, scene.TransferModeReliable, 0)
				}
			}
			pl[id] = p
			if _, err := spawner.Spawn(strconv.Itoa(int(id)), 0, p.sync, p.input); err != nil {
				t.Errorf("Spawn: %v", err)
			}
		},
	})
	r = Attach(m, nil)
	spawner = &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	if err := r.AddSpawner(spawner); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	res := godottest.RunTest(t, string(mainGD), &godottest.Options{Files: files, Args: []string{"ws://" + srv.Addr().String()}})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) && !errors.Is(err, peer.ErrClosed) {
		t.Errorf("Run = %v", err)
	}
	srv.Close()
	if dir != (variant.Vector2{X: 1, Y: 2}) {
		t.Errorf("client-owned direction %v, want (1, 2)", dir)
	}
	if !slices.ContainsFunc(res.Lines, func(l string) bool {
		return strings.HasPrefix(l, "spawned player ") && strings.HasSuffix(l, " position (100.0, 50.0) health 7 label init")
	}) {
		t.Errorf("Godot did not print its player's spawn")
	}
	if s := m.Stats(); s.Replicated == 0 || s.UnknownNode != 0 || s.Unsupported != 0 {
		t.Errorf("session stats %+v", s)
	}
	if s := r.Stats(); s.Applied == 0 || s.NotOwner != 0 || s.Unknown != 0 || s.Invalid != 0 {
		t.Errorf("replicator stats %+v", s)
	}
	for _, e := range res.Errors {
		if strings.Contains(e, "slot >= slot_max") || strings.HasPrefix(e, "godottest: JavaScript error") {
			continue
		}
		t.Errorf("Godot error: %s", e)
	}
}
