// Command gdsync reads a Godot game's scene files (.tscn), finds their
// MultiplayerSpawner and MultiplayerSynchronizer nodes and writes the
// matching Go declarations for package scene/replication, so that a
// replication config changed in the game breaks the Go build (or a -check in
// CI) instead of the game. It is the replication counterpart of gdrpc.
//
// Usage:
//
//	gdsync [-pkg name] [-o file] [-check] path...
//
// Each path is a .tscn file or a directory searched for .tscn files (hidden
// directories such as .godot are skipped). For each scene gdsync writes,
// named after the scene file and the node's path in it,
//
//	func PlayerSync(position any) *replication.Synchronizer // per synchronizer
//	func MainSpawner() *replication.Spawner                 // per spawner
//
// A synchronizer's function takes the Values of its properties in the
// config's order (each a pointer to the Go variable that holds it) and
// returns the synchronizer with the scene's property paths, spawn flags,
// modes and intervals; its Path is the node's path inside the scene, as an
// Object's synchronizers need it. A spawner's Path and SpawnPath are given
// from the multiplayer root, taking the scene's root node as a child of it
// (Godot's main scene), and its Scenes and SpawnLimit are the scene's.
// Visibility, authority and filters are left to the Go code.
//
// -pkg defaults to $GOPACKAGE, set by go generate. With -check nothing is
// written: gdsync exits with status 1 if -o differs from what it would
// write. A typical use:
//
//	//go:generate go run github.com/packetpeer/packetpeer/cmd/gdsync -o replication_gen.go ../game
//
// A scene gdsync cannot read is an error naming the file and line
// (replication.SceneError).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"go/token"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/packetpeer/packetpeer/internal/codegen"
	"github.com/packetpeer/packetpeer/scene/replication"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errDrift is returned by -check when the output file is out of date.
var errDrift = codegen.ErrDrift

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("gdsync", flag.ContinueOnError)
	fl.SetOutput(stderr)
	pkg := fl.String("pkg", os.Getenv("GOPACKAGE"), "Go package name of the output (default $GOPACKAGE, else main)")
	out := fl.String("o", "", "output file (default standard output)")
	check := fl.Bool("check", false, "write nothing; exit 1 if -o is not what gdsync would write")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 || (*check && *out == "") {
		fmt.Fprintln(stderr, "usage: gdsync [-pkg name] [-o file] [-check] path...  (-check needs -o)")
		return 2
	}
	if *pkg == "" {
		*pkg = "main"
	}
	err := gen(fl.Args(), *pkg, *out, *check, stdout)
	switch {
	case errors.Is(err, errDrift):
		fmt.Fprintf(stderr, "gdsync: %s is out of date with the scene files; run gdsync (or go generate) again\n", *out)
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "gdsync:", err)
		return 1
	}
	return 0
}

func gen(paths []string, pkg, out string, check bool, stdout io.Writer) error {
	files, err := codegen.Files(paths, ".tscn")
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no .tscn files found")
	}
	scenes := make([]*replication.Scene, len(files))
	for i, f := range files {
		if scenes[i], err = replication.ReadScene(f); err != nil {
			return err
		}
	}
	code, err := generate(pkg, files, scenes)
	if err != nil {
		return err
	}
	return codegen.Emit(code, out, check, stdout)
}

// generate writes one function per synchronizer and spawner of the scenes.
func generate(pkg string, files []string, scenes []*replication.Scene) ([]byte, error) {
	var body bytes.Buffer
	names := map[string]string{}
	usesTime := false
	declare := func(name, file, node string) error {
		if prev, ok := names[name]; ok {
			return fmt.Errorf("%s: node %q and %s both generate %s", file, node, prev, name)
		}
		names[name] = fmt.Sprintf("%s node %q", file, node)
		return nil
	}
	for i, sc := range scenes {
		file := files[i]
		prefix := goName(strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
		for _, sp := range sc.Spawners {
			name := prefix + goName(nodeName(sp.Path))
			if err := declare(name, file, sp.Path); err != nil {
				return nil, err
			}
			if sp.SpawnPath == "" {
				return nil, fmt.Errorf("%s: spawner %q has no spawn_path", file, sp.Path)
			}
			at := sc.Root
			if sp.Path != "." {
				at += "/" + sp.Path
			}
			fmt.Fprintf(&body, "\n// %s returns the %s MultiplayerSpawner of %s, with paths from the\n// multiplayer root.\n", name, nodeName(sp.Path), filepath.Base(file))
			fmt.Fprintf(&body, "func %s() *replication.Spawner {\n\treturn &replication.Spawner{\n", name)
			fmt.Fprintf(&body, "\t\tPath: %q,\n\t\tSpawnPath: %q,\n\t\tScenes: %#v,\n", at, path.Join(at, sp.SpawnPath), sp.Scenes)
			if sp.SpawnLimit != 0 {
				fmt.Fprintf(&body, "\t\tSpawnLimit: %d,\n", sp.SpawnLimit)
			}
			body.WriteString("\t}\n}\n")
		}
		for _, sy := range sc.Synchronizers {
			name := prefix + goName(nodeName(sy.Path))
			if err := declare(name, file, sy.Path); err != nil {
				return nil, err
			}
			params := make([]string, len(sy.Properties))
			used := map[string]bool{"replication": true, "time": true}
			for j, p := range sy.Properties {
				v := paramName(p.Path)
				for base, n := v, 2; used[v]; n++ {
					v = fmt.Sprintf("%s%d", base, n)
				}
				used[v] = true
				params[j] = v
			}
			fmt.Fprintf(&body, "\n// %s returns the %s MultiplayerSynchronizer of %s; the arguments\n// are the Values of its properties, in the config's order.\n", name, nodeName(sy.Path), filepath.Base(file))
			sig := ""
			if len(params) > 0 {
				sig = strings.Join(params, ", ") + " any"
			}
			fmt.Fprintf(&body, "func %s(%s) *replication.Synchronizer {\n\treturn &replication.Synchronizer{\n\t\tPath: %q,\n", name, sig, sy.Path)
			body.WriteString("\t\tProperties: []replication.Property{\n")
			for j, p := range sy.Properties {
				fmt.Fprintf(&body, "\t\t\t{Path: %q, Spawn: %v, Mode: replication.%s, Value: %s},\n", p.Path, p.Spawn, modeName(p.Mode), params[j])
			}
			body.WriteString("\t\t},\n")
			for _, d := range []struct {
				field string
				v     time.Duration
			}{{"ReplicationInterval", sy.ReplicationInterval}, {"DeltaInterval", sy.DeltaInterval}} {
				if d.v != 0 {
					usesTime = true
					fmt.Fprintf(&body, "\t\t%s: %s,\n", d.field, durationExpr(d.v))
				}
			}
			body.WriteString("\t}\n}\n")
		}
	}
	var b bytes.Buffer
	b.WriteString("// Code generated by gdsync from Godot scene files; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package %s\n\nimport (\n", pkg)
	if usesTime {
		b.WriteString("\t\"time\"\n\n")
	}
	b.WriteString("\t\"github.com/packetpeer/packetpeer/scene/replication\"\n)\n")
	b.Write(body.Bytes())
	return format.Source(b.Bytes())
}

// nodeName is the last element of a node path; the scene root is "Root".
func nodeName(p string) string {
	if p == "." {
		return "Root"
	}
	return p
}

func modeName(m replication.ReplicationMode) string {
	switch m {
	case replication.ReplicationModeNever:
		return "ReplicationModeNever"
	case replication.ReplicationModeOnChange:
		return "ReplicationModeOnChange"
	}
	return "ReplicationModeAlways"
}

// durationExpr writes d as Go source: 100 * time.Millisecond.
func durationExpr(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}} {
		if d%u.d == 0 {
			return fmt.Sprintf("%d * time.%s", d/u.d, u.name)
		}
	}
	return fmt.Sprintf("%d", int64(d))
}

// paramName turns a property path into a Go parameter name:
// ".:position" → position, "Body:modulate" → bodyModulate.
func paramName(p string) string {
	p = strings.TrimPrefix(p, ".:")
	n := []rune(goName(p))
	if len(n) == 0 {
		return "value"
	}
	n[0] = unicode.ToLower(n[0])
	s := string(n)
	if token.IsKeyword(s) || s == "any" {
		s += "Value"
	}
	return s
}

// goName turns snake_case, a node path or a file name into an exported Go
// identifier: player_input → PlayerInput, Body/Sync → BodySync.
func goName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if up {
				r = unicode.ToUpper(r)
			}
			up = false
			if b.Len() == 0 && unicode.IsDigit(r) {
				b.WriteByte('X')
			}
			b.WriteRune(r)
		default:
			up = true
		}
	}
	return b.String()
}
