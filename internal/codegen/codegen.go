// Package codegen is what cmd/gdrpc and cmd/gdsync share: both read files of
// a Godot project (.gd scripts, .tscn scenes) and write, or check, a Go file
// of declarations made from them.
package codegen

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrDrift is returned by Emit in check mode when the Go file is missing or
// differs from what the project's files give.
var ErrDrift = errors.New("out of date")

// Files expands paths (files or directories, walked without their hidden
// subdirectories) into a sorted list of the files ending in ext; a path
// named directly is kept whatever its ending.
func Files(paths []string, ext string) ([]string, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if path == p || strings.HasSuffix(path, ext) {
				files = append(files, filepath.Clean(path))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// Emit delivers generated code: with check, it compares it with the file
// out and returns ErrDrift when they differ; otherwise it writes it to out,
// or to stdout when out is empty.
func Emit(code []byte, out string, check bool, stdout io.Writer) error {
	switch {
	case check:
		old, err := os.ReadFile(out)
		if err != nil || !bytes.Equal(old, code) {
			return ErrDrift
		}
		return nil
	case out == "":
		_, err := stdout.Write(code)
		return err
	}
	return os.WriteFile(out, code, 0o644)
}
