// Command gdrpc reads a Godot game's GDScript files, finds their @rpc
// annotations and writes the matching Go declarations for package scene, so
// that an RPC renamed, added or reconfigured in the game breaks the Go build
// (or a -check in CI) instead of the game.
//
// Usage:
//
//	gdrpc [-pkg name] [-o file] [-root dir] [-check] path...
//
// Each path is a .gd file or a directory searched for .gd files (hidden
// directories such as .godot are skipped). For each script gdrpc writes
//
//	var MainRPC = []scene.Method{...}     // script methods, in method id order
//	const MainRPCHello uint16 = 3         // one method id per RPC
//
// named after the script's class_name or else its file name. Inherited @rpc
// methods are included when the base script is among the inputs (extends
// "res://base.gd" or extends BaseClassName), as Godot includes them.
//
// -root is the Godot project directory res:// refers to (default: the
// nearest directory above the first path holding project.godot, else the
// current one). -pkg defaults to $GOPACKAGE, set by go generate. With -check
// nothing is written: gdrpc exits with status 1 if -o differs from what it
// would write. A typical use:
//
//	//go:generate go run github.com/packetpeer/packetpeer/cmd/gdrpc -o rpc_gen.go ../game
//
// The arguments gdrpc understands are Godot's: "any_peer"/"authority",
// "call_local"/"call_remote", "reliable"/"unreliable"/"unreliable_ordered" in
// any order, each at most once, and a channel int as the 4th argument (Godot
// 4.6 refuses an int anywhere else, so a channel needs all three strings);
// the annotated func may follow on the same line or on a later one. Anything else
// (a constant as argument, @rpc on a var) is an error naming the file and
// line, as in Godot's editor.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/packetpeer/packetpeer/internal/codegen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errDrift is returned by -check when the output file is out of date.
var errDrift = codegen.ErrDrift

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("gdrpc", flag.ContinueOnError)
	fl.SetOutput(stderr)
	pkg := fl.String("pkg", os.Getenv("GOPACKAGE"), "Go package name of the output (default $GOPACKAGE, else main)")
	out := fl.String("o", "", "output file (default standard output)")
	root := fl.String("root", "", "Godot project directory that res:// names (default: found from project.godot)")
	check := fl.Bool("check", false, "write nothing; exit 1 if -o is not what gdrpc would write")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 || (*check && *out == "") {
		fmt.Fprintln(stderr, "usage: gdrpc [-pkg name] [-o file] [-root dir] [-check] path...  (-check needs -o)")
		return 2
	}
	if *pkg == "" {
		*pkg = "main"
	}
	err := gen(fl.Args(), *pkg, *out, *root, *check, stdout)
	switch {
	case errors.Is(err, errDrift):
		fmt.Fprintf(stderr, "gdrpc: %s is out of date with the GDScript files; run gdrpc (or go generate) again\n", *out)
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "gdrpc:", err)
		return 1
	}
	return 0
}

func gen(paths []string, pkg, out, root string, check bool, stdout io.Writer) error {
	files, err := codegen.Files(paths, ".gd")
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no .gd files found")
	}
	if root == "" {
		root = projectRoot(files[0])
	}
	var scripts []*script
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		s, err := parseScript(f, string(src))
		if err != nil {
			return err
		}
		scripts = append(scripts, s)
	}
	code, err := generate(pkg, root, scripts)
	if err != nil {
		return err
	}
	return codegen.Emit(code, out, check, stdout)
}

// projectRoot returns the nearest directory at or above file's holding
// project.godot, or the current directory.
func projectRoot(file string) string {
	dir, err := filepath.Abs(filepath.Dir(file))
	if err == nil {
		for {
			if _, err := os.Stat(filepath.Join(dir, "project.godot")); err == nil {
				return dir
			}
			up := filepath.Dir(dir)
			if up == dir {
				break
			}
			dir = up
		}
	}
	return "."
}
