package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene/replication"
)

const (
	gameDir   = "../../examples/game/godot"
	generated = "../../examples/game/replication_gen.go"
)

func gdsync(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// The example game's committed declarations are what gdsync writes from its
// Godot project today, and -check agrees.
func TestGeneratedUpToDate(t *testing.T) {
	code, out, errs := gdsync(t, "-pkg", "game", gameDir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Fatalf("output differs from %s; run go generate ./examples/game\n%s", generated, out)
	}
	if code, _, errs := gdsync(t, "-pkg", "game", "-check", "-o", generated, gameDir); code != 0 {
		t.Fatalf("-check on the committed file: exit %d: %s", code, errs)
	}
}

// copyGame copies the example's .tscn files into a temporary directory.
func copyGame(t *testing.T) string {
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(gameDir, "*.tscn"))
	if err != nil || len(files) == 0 {
		t.Fatal("no scenes", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func edit(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", file, old)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A property renamed, a mode or spawn flag changed, a property or interval
// added, or a spawnable scene changed in the Godot project makes -check
// fail against the committed Go; the regenerated Go passes CheckScene.
func TestCheckDetectsDrift(t *testing.T) {
	for _, c := range []struct{ name, file, old, new string }{
		{"property renamed", "player.tscn", `".:position"`, `".:global_position"`},
		{"mode", "player.tscn", "replication_mode = 1", "replication_mode = 2"},
		{"spawn", "player.tscn", "properties/0/spawn = true", "properties/0/spawn = false"},
		{"added", "player.tscn", "properties/0/replication_mode = 1\n", "properties/0/replication_mode = 1\nproperties/1/path = NodePath(\".:rotation\")\n"},
		{"interval", "player.tscn", `replication_config = SubResource`, "replication_interval = 0.1\nreplication_config = SubResource"},
		{"spawnable scenes", "main.tscn", `"res://player.tscn"`, `"res://player.tscn", "res://bullet.tscn"`},
		{"spawn_path", "main.tscn", `NodePath("../Players")`, `NodePath("../World")`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyGame(t)
			edit(t, filepath.Join(dir, c.file), c.old, c.new)
			code, _, errs := gdsync(t, "-pkg", "game", "-check", "-o", generated, dir)
			if code != 1 || !strings.Contains(errs, "out of date") {
				t.Fatalf("-check after the change: exit %d, %q; want 1, out of date", code, errs)
			}
			out := filepath.Join(t.TempDir(), "replication_gen.go")
			if code, _, errs := gdsync(t, "-pkg", "game", "-o", out, dir); code != 0 {
				t.Fatal(errs)
			}
			if code, _, errs := gdsync(t, "-pkg", "game", "-check", "-o", out, dir); code != 0 {
				t.Fatalf("regenerated output fails -check: %s", errs)
			}
		})
	}
}

// A malformed scene is an error naming the file and line, and exit 1.
func TestBadScene(t *testing.T) {
	dir := copyGame(t)
	edit(t, filepath.Join(dir, "player.tscn"), "[node name=\"Sync\"", "[node name=\"Sync\"\n")
	code, _, errs := gdsync(t, "-pkg", "game", dir)
	if code != 1 || !strings.Contains(errs, "player.tscn:") {
		t.Fatalf("exit %d, %q; want 1 naming player.tscn", code, errs)
	}
	_, err := replication.ReadScene(filepath.Join(dir, "player.tscn"))
	if !errors.Is(err, peer.ErrFileCorrupt) {
		t.Fatalf("ReadScene: %v, want ErrFileCorrupt", err)
	}
	if code, _, _ := gdsync(t, "-check", dir); code != 2 {
		t.Fatalf("-check without -o: exit %d, want 2", code)
	}
}
