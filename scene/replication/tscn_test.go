package replication

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// TestReadScene reads the scenes TestGodotLive runs in a real Godot.
func TestReadScene(t *testing.T) {
	sc, err := ReadScene("testdata/godot/player2.tscn")
	if err != nil {
		t.Fatal(err)
	}
	want := &Scene{Root: "P2", Synchronizers: []SceneSynchronizer{
		{Path: "SyncB", RootPath: "..", PublicVisibility: true, Properties: []Property{
			{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways},
			{Path: ".:health", Spawn: true, Mode: ReplicationModeOnChange},
		}},
		{Path: "SyncA", RootPath: "..", DeltaInterval: 500 * time.Millisecond, PublicVisibility: false, Properties: []Property{
			{Path: ".:rotation", Spawn: true, Mode: ReplicationModeAlways},
		}},
	}}
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("player2.tscn:\n got %+v\nwant %+v", sc, want)
	}
	main, err := ReadScene("testdata/godot/main.tscn")
	if err != nil {
		t.Fatal(err)
	}
	wantSp := []SceneSpawner{
		{Path: "Spawner", SpawnPath: "../Players", Scenes: []string{"res://player.tscn"}},
		{Path: "ClientSpawner", SpawnPath: "../Mine", Scenes: []string{"res://player2.tscn"}, SpawnLimit: 4},
	}
	if !reflect.DeepEqual(main.Spawners, wantSp) || len(main.Synchronizers) != 0 {
		t.Errorf("main.tscn: %+v", main)
	}
	flag, err := ReadScene("testdata/godot/flag.tscn")
	if err != nil {
		t.Fatal(err)
	}
	if s := flag.Synchronizer("Sync"); s == nil || s.ReplicationInterval != time.Second {
		t.Errorf("flag.tscn: %+v", flag)
	}
}

// TestCheckScene checks the Go declarations of the tests against the scene
// files, and that each kind of drift is reported.
func TestCheckScene(t *testing.T) {
	sc, err := ReadScene("testdata/godot/player.tscn")
	if err != nil {
		t.Fatal(err)
	}
	pl := newPlayer(5)
	if err := CheckScene(sc, pl.sync, pl.input); err != nil {
		t.Fatal(err)
	}
	main, _ := ReadScene("testdata/godot/main.tscn")
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	if err := sp.Check(main.Spawner("Spawner")); err != nil {
		t.Fatal(err)
	}
	sp.Scenes = append(sp.Scenes, "res://other.tscn")
	if err := sp.Check(main.Spawner("Spawner")); !errors.Is(err, peer.ErrInvalidData) {
		t.Errorf("extra scene: %v", err)
	}
	cs := &Spawner{Path: "Main/ClientSpawner", SpawnPath: "Main/Mine", Scenes: []string{"res://player2.tscn"}}
	if err := cs.Check(main.Spawner("ClientSpawner")); err == nil || !strings.Contains(err.Error(), "spawn_limit is 4") {
		t.Errorf("spawn limit: %v", err)
	}

	for _, c := range []struct {
		name   string
		change func(p *player) []*Synchronizer
		want   string
	}{
		{"order", func(p *player) []*Synchronizer { return []*Synchronizer{p.input, p.sync} }, "comes before"},
		{"missing node", func(p *player) []*Synchronizer { p.sync.Path = "Sync2"; return []*Synchronizer{p.sync} }, "no MultiplayerSynchronizer"},
		{"mode", func(p *player) []*Synchronizer {
			p.sync.Properties[1].Mode = ReplicationModeAlways
			return []*Synchronizer{p.sync}
		}, `".:health": replication mode is on change in the scene, always in Go`},
		{"spawn", func(p *player) []*Synchronizer { p.sync.Properties[2].Spawn = true; return []*Synchronizer{p.sync} }, "spawn is false"},
		{"path", func(p *player) []*Synchronizer { p.sync.Properties[0].Path = ".:pos"; return []*Synchronizer{p.sync} }, `".:position" in the scene, ".:pos" in Go`},
		{"extra", func(p *player) []*Synchronizer {
			p.sync.Properties = append(p.sync.Properties, Property{Path: ".:x", Value: new(int)})
			return []*Synchronizer{p.sync}
		}, "not in the scene"},
		{"fewer", func(p *player) []*Synchronizer {
			p.sync.Properties = p.sync.Properties[:2]
			return []*Synchronizer{p.sync}
		}, "not declared in Go"},
		{"interval", func(p *player) []*Synchronizer {
			p.input.ReplicationInterval = time.Second
			return []*Synchronizer{p.input}
		}, "replication_interval"},
	} {
		err := CheckScene(sc, c.change(newPlayer(5))...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

func TestParseSceneForms(t *testing.T) {
	// Godot 4.0's sync/watch flags, a nested synchronizer, multi-line
	// values, escapes and instanced nodes.
	const text = `[gd_scene load_steps=3 format=3 uid="uid://x"]

[ext_resource type="PackedScene" uid="uid://y" path="res://gun.tscn" id="1_gun"]

[sub_resource type="SceneReplicationConfig" id="cfg"]
properties/0/path = NodePath(".:position")
properties/0/spawn = true
properties/0/sync = true
properties/0/watch = false
properties/1/path = NodePath("Sprite:modulate")
properties/1/spawn = false
properties/1/sync = false
properties/1/watch = true
properties/2/path = NodePath(".:score")

[node name="Root" type="CharacterBody2D" groups=["players", "a b"]]
metadata/notes = {
"x": "] [ \" (",
"y": [1, 2]
}

[node name="Gun" parent="." instance=ExtResource("1_gun")]

[node name="Body" type="Node2D" parent="."]

[node name="Sync" type="MultiplayerSynchronizer" parent="Body"]
root_path = NodePath("../..")
replication_interval = 0.05
replication_config = SubResource("cfg")
`
	sc, err := ParseScene(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []SceneSynchronizer{{Path: "Body/Sync", RootPath: "../..", ReplicationInterval: 50 * time.Millisecond, PublicVisibility: true, Properties: []Property{
		{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways},
		{Path: "Sprite:modulate", Spawn: false, Mode: ReplicationModeOnChange},
		{Path: ".:score", Spawn: true, Mode: ReplicationModeAlways},
	}}}
	if !reflect.DeepEqual(sc.Synchronizers, want) {
		t.Errorf("got  %+v\nwant %+v", sc.Synchronizers, want)
	}
	var x, y int
	var z float64
	s := &Synchronizer{Path: "Body/Sync", ReplicationInterval: 50 * time.Millisecond, Properties: []Property{
		{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: &x},
		{Path: "Sprite:modulate", Mode: ReplicationModeOnChange, Value: &y},
		{Path: ".:score", Spawn: true, Mode: ReplicationModeAlways, Value: &z},
	}}
	if err := CheckScene(sc, s); err != nil {
		t.Errorf("nested synchronizer with root ../..: %v", err)
	}

	for _, bad := range []string{
		"[node name=\"A\" type=\"Node\"",
		"[node name=\"A\" type=\"Node\"]\nx = [1, 2",
		"[node name=\"A\" type=\"Node\"]\njunk",
		"[node type=\"Node\"]",
		"[node name=\"A\"]\n[node name=\"B\"]",
		"[node name=\"S\" type=\"MultiplayerSynchronizer\"]\nreplication_config = SubResource(\"nope\")",
		"[node name=\"S\" type=\"MultiplayerSynchronizer\"]\nreplication_interval = fast",
		"[node name=\"S\" type=\"MultiplayerSpawner\"]\n_spawnable_scenes = PackedStringArray(\"a\" \"b\")",
		"[sub_resource type=\"SceneReplicationConfig\" id=\"c\"]\nproperties/0/path = NodePath(\".:a\")\nproperties/0/replication_mode = 7\n[node name=\"S\" type=\"MultiplayerSynchronizer\"]\nreplication_config = SubResource(\"c\")",
	} {
		if _, err := ParseScene(strings.NewReader(bad)); !errors.Is(err, peer.ErrFileCorrupt) {
			t.Errorf("%q: %v, want ErrFileCorrupt", bad, err)
		}
	}
}
