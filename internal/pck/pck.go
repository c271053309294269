// Package pck writes Godot resource packs (.pck), format version 3 as
// written by Godot 4.4 and later: a header, the files' contents each aligned
// to 16 bytes, then the directory with each file's path, offset, size and
// MD5. Files are stored uncompressed and unencrypted.
package pck

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

const (
	// Magic is "GDPC" read as a little-endian uint32.
	Magic = 0x43504447
	// FormatVersion is the pack format this package writes.
	FormatVersion = 3
	// FlagRelFileBase marks file offsets as relative to the file base.
	FlagRelFileBase = 2

	headerSize = 4 + 4 + 3*4 + 4 + 8 + 8 + 16*4 // 104
	alignment  = 16
)

// ErrPath is returned for a file path a pack cannot hold.
var ErrPath = errors.New("pck: invalid path")

// Version is the engine version recorded in a pack's header.
type Version struct{ Major, Minor, Patch uint32 }

// Build returns a pack holding files, keyed by their path under res://
// ("main.gd", "scenes/level.tscn"; a "res://" prefix is accepted and
// dropped). Files are written in path order, so the output is
// deterministic.
func Build(v Version, files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	clean := make(map[string][]byte, len(files))
	for name, data := range files {
		p, err := cleanPath(name)
		if err != nil {
			return nil, err
		}
		if _, dup := clean[p]; dup {
			return nil, fmt.Errorf("%w: %q given twice", ErrPath, p)
		}
		clean[p] = data
		names = append(names, p)
	}
	sort.Strings(names)

	fileBase := align(headerSize)
	offsets := make([]uint64, len(names))
	size := 0
	for i, name := range names {
		offsets[i] = uint64(size)
		size = align(size + len(clean[name]))
	}
	dirOffset := fileBase + size
	dirSize := 4
	for _, name := range names {
		dirSize += 4 + pad4(len(name)) + 8 + 8 + 16 + 4
	}

	out := make([]byte, dirOffset, dirOffset+dirSize)
	le := binary.LittleEndian
	le.PutUint32(out[0:], Magic)
	le.PutUint32(out[4:], FormatVersion)
	le.PutUint32(out[8:], v.Major)
	le.PutUint32(out[12:], v.Minor)
	le.PutUint32(out[16:], v.Patch)
	le.PutUint32(out[20:], FlagRelFileBase)
	le.PutUint64(out[24:], uint64(fileBase))
	le.PutUint64(out[32:], uint64(dirOffset))
	for i, name := range names {
		copy(out[fileBase+int(offsets[i]):], clean[name])
	}

	out = le.AppendUint32(out, uint32(len(names)))
	for i, name := range names {
		data := clean[name]
		n := pad4(len(name))
		out = le.AppendUint32(out, uint32(n))
		out = append(out, name...)
		out = append(out, make([]byte, n-len(name))...)
		out = le.AppendUint64(out, offsets[i])
		out = le.AppendUint64(out, uint64(len(data)))
		sum := md5.Sum(data)
		out = append(out, sum[:]...)
		out = le.AppendUint32(out, 0)
	}
	return out, nil
}

func cleanPath(name string) (string, error) {
	p := strings.TrimPrefix(name, "res://")
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") || path.Clean(p) != p || p == "." || strings.HasPrefix(p, "../") || p == ".." {
		return "", fmt.Errorf("%w: %q (want a clean relative path under res://)", ErrPath, name)
	}
	return p, nil
}

func align(n int) int { return (n + alignment - 1) &^ (alignment - 1) }

// pad4 is the stored length of a path: its bytes padded with NULs to a
// multiple of 4 (none when already aligned), as Godot writes it.
func pad4(n int) int { return (n + 3) &^ 3 }
