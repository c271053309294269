package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/scene"
)

const generated = "internal/gamerpc/rpc_gen.go"

func gdrpc(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// The committed output is what gdrpc writes today, and -check agrees.
func TestGeneratedUpToDate(t *testing.T) {
	code, out, errs := gdrpc(t, "-pkg", "gamerpc", "testdata/game")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Fatalf("output differs from %s; run go generate ./cmd/gdrpc/...\n%s", generated, out)
	}
	if code, _, errs := gdrpc(t, "-pkg", "gamerpc", "-check", "-o", generated, "testdata/game"); code != 0 {
		t.Fatalf("-check on the committed file: exit %d: %s", code, errs)
	}
}

// copyGame copies the sample game into a temporary directory.
func copyGame(t *testing.T) string {
	dir := t.TempDir()
	err := filepath.WalkDir("testdata/game", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, strings.TrimPrefix(p, "testdata/game"))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// A renamed RPC, a changed transfer mode or a new RPC in the game makes
// -check fail; regenerating fixes it.
func TestCheckDetectsDrift(t *testing.T) {
	for _, c := range []struct{ name, old, new string }{
		{"rename", "func zeta(v)", "func zeta2(v)"},
		{"transfer mode", `@rpc("any_peer") func hello`, `@rpc("any_peer", "unreliable") func hello`},
		{"added", "func not_an_rpc()", "@rpc\nfunc not_an_rpc()"},
		{"channel", "@rpc(\"authority\")\nfunc from_server", "@rpc(\"authority\", \"call_remote\", \"reliable\", 4)\nfunc from_server"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyGame(t)
			out := filepath.Join(t.TempDir(), "rpc_gen.go")
			if code, _, errs := gdrpc(t, "-pkg", "gamerpc", "-o", out, dir); code != 0 {
				t.Fatal(errs)
			}
			if code, _, errs := gdrpc(t, "-pkg", "gamerpc", "-check", "-o", out, dir); code != 0 {
				t.Fatalf("fresh output fails -check: %s", errs)
			}
			main := filepath.Join(dir, "main.gd")
			src, _ := os.ReadFile(main)
			if !bytes.Contains(src, []byte(c.old)) {
				t.Fatalf("%q not in main.gd", c.old)
			}
			os.WriteFile(main, bytes.Replace(src, []byte(c.old), []byte(c.new), 1), 0o644)
			code, _, errs := gdrpc(t, "-pkg", "gamerpc", "-check", "-o", out, dir)
			if code != 1 || !strings.Contains(errs, "out of date") {
				t.Fatalf("-check after the change: exit %d, %q", code, errs)
			}
			if code, _, errs := gdrpc(t, "-pkg", "gamerpc", "-o", out, dir); code != 0 {
				t.Fatal(errs)
			}
			if code, _, _ := gdrpc(t, "-pkg", "gamerpc", "-check", "-o", out, dir); code != 0 {
				t.Fatal("-check fails after regenerating")
			}
		})
	}
}

// Every @rpc argument form, parsed from source.
func TestParseForms(t *testing.T) {
	any := scene.RPCModeAnyPeer
	auth := scene.RPCModeAuthority
	rel, unrel, ord := scene.TransferModeReliable, scene.TransferModeUnreliable, scene.TransferModeUnreliableOrdered
	for _, c := range []struct {
		src  string
		want scene.RPCConfig
	}{
		{"@rpc\nfunc f(): pass", scene.RPCConfig{Mode: auth, TransferMode: rel}},
		{"@rpc()\nfunc f(): pass", scene.RPCConfig{Mode: auth, TransferMode: rel}},
		{`@rpc("any_peer") func f(): pass`, scene.RPCConfig{Mode: any, TransferMode: rel}},
		{`@rpc("call_local", "any_peer")` + "\nfunc f():\n\tpass", scene.RPCConfig{Mode: any, TransferMode: rel, CallLocal: true}},
		{`@rpc("unreliable", "call_remote", "authority", 7)` + "\n\n# comment\nfunc f(): pass", scene.RPCConfig{Mode: auth, TransferMode: unrel, Channel: 7}},
		{`@rpc("unreliable_ordered")` + " # why\nfunc f(): pass", scene.RPCConfig{Mode: auth, TransferMode: ord}},
		{"@rpc(\n  'any_peer',\n  \"reliable\",\n)\nfunc f(): pass", scene.RPCConfig{Mode: any, TransferMode: rel}},
		{`@rpc("authority", "call_remote", "reliable", 3)` + "\nfunc f(): pass", scene.RPCConfig{Mode: auth, TransferMode: rel, Channel: 3}},
		{`@rpc("any_peer") @warning_ignore("x") func f(): pass`, scene.RPCConfig{Mode: any, TransferMode: rel}},
		{`@rpc ("call_local", "any_peer", "unreliable")` + "\nfunc f(data): \n\trpc(\"g\", data)", scene.RPCConfig{Mode: any, TransferMode: unrel, CallLocal: true}},
		{"@rpc(\"any_peer\", \\\n \"call_local\")\nfunc f(): pass", scene.RPCConfig{Mode: any, TransferMode: rel, CallLocal: true}},
	} {
		s, err := parseScript("t.gd", c.src)
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		if len(s.rpcs) != 1 || s.rpcs[0].Name != "f" || s.rpcs[0].RPCConfig != c.want {
			t.Errorf("%q: %+v, want f %+v", c.src, s.rpcs, c.want)
		}
	}
}

// Malformed annotations are errors naming the file and line.
func TestErrors(t *testing.T) {
	for file, want := range map[string]string{
		"const_arg.gd":     "const_arg.gd:2:",
		"unknown.gd":       `unknown.gd:1: unknown @rpc argument "anypeer"`,
		"twice.gd":         `twice.gd:1: @rpc argument "unreliable" repeats`,
		"channel_first.gd": "channel_first.gd:1: @rpc argument 1 should be a String but is the int 1",
		"channel_third.gd": "channel_third.gd:1: @rpc argument 3 should be a String but is the int 2",
		"string_fourth.gd": `string_fourth.gd:1: @rpc argument 4 (the channel) should be an int but is "reliable"`,
		"var.gd":           "var.gd:1: @rpc is not followed by a func",
		"five.gd":          "five.gd:1: @rpc takes at most 4 arguments",
	} {
		code, _, errs := gdrpc(t, filepath.Join("testdata/bad", file))
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, %q; want %q", file, code, errs, want)
		}
	}
	if code, _, _ := gdrpc(t); code != 2 {
		t.Error("no arguments: want usage, exit 2")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.gd"), []byte(`extends "res://missing.gd"`+"\n@rpc\nfunc f(): pass\n"), 0o644)
	if code, _, errs := gdrpc(t, "-root", dir, dir); code != 1 || !strings.Contains(errs, "not among the input files") {
		t.Errorf("missing base: exit %d %q", code, errs)
	}
}
