package pck

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"testing"
)

type entry struct {
	path   string
	offset uint64
	data   []byte
	sum    [16]byte
	flags  uint32
}

// parse reads a pack as Godot's PackedSourcePCK does, checking every field
// the writer sets.
func parse(t *testing.T, b []byte) (Version, []entry) {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < headerSize {
		t.Fatalf("pack of %d bytes is shorter than the header", len(b))
	}
	if le.Uint32(b) != Magic || le.Uint32(b[4:]) != FormatVersion || le.Uint32(b[20:]) != FlagRelFileBase {
		t.Fatalf("bad header % x", b[:24])
	}
	v := Version{le.Uint32(b[8:]), le.Uint32(b[12:]), le.Uint32(b[16:])}
	fileBase, dir := le.Uint64(b[24:]), le.Uint64(b[32:])
	if fileBase != 112 {
		t.Fatalf("file base %d, want 112", fileBase)
	}
	for i := 40; i < headerSize; i++ {
		if b[i] != 0 {
			t.Fatalf("reserved byte %d is %d", i, b[i])
		}
	}
	p := int(dir)
	n := int(le.Uint32(b[p:]))
	p += 4
	var out []entry
	for range n {
		sl := int(le.Uint32(b[p:]))
		if sl%4 != 0 {
			t.Fatalf("path length %d not a multiple of 4", sl)
		}
		name := string(bytes.TrimRight(b[p+4:p+4+sl], "\x00"))
		if sl-len(name) > 3 {
			t.Fatalf("path %q padded with %d NULs", name, sl-len(name))
		}
		p += 4 + sl
		e := entry{path: name, offset: le.Uint64(b[p:])}
		size := le.Uint64(b[p+8:])
		copy(e.sum[:], b[p+16:p+32])
		e.flags = le.Uint32(b[p+32:])
		p += 36
		start := fileBase + e.offset
		if start%16 != 0 {
			t.Fatalf("%s starts at %d, not 16-byte aligned", name, start)
		}
		e.data = b[start : start+size]
		out = append(out, e)
	}
	if p != len(b) {
		t.Fatalf("%d bytes after the directory", len(b)-p)
	}
	return v, out
}

func TestBuild(t *testing.T) {
	files := map[string][]byte{
		"res://project.godot":                  []byte("config_version=5\n"),
		"main.gd":                              []byte("extends Node\n"),
		".godot/global_script_class_cache.cfg": []byte("list=[]\n"), // 36 bytes: no padding
		"dir/x.tscn":                           {},
		"a.bin":                                bytes.Repeat([]byte{7}, 33),
	}
	b, err := Build(Version{4, 6, 0}, files)
	if err != nil {
		t.Fatal(err)
	}
	v, entries := parse(t, b)
	if v != (Version{4, 6, 0}) {
		t.Fatalf("version %v", v)
	}
	want := []string{".godot/global_script_class_cache.cfg", "a.bin", "dir/x.tscn", "main.gd", "project.godot"}
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(entries), len(want))
	}
	for i, e := range entries {
		if e.path != want[i] {
			t.Fatalf("entry %d is %q, want %q", i, e.path, want[i])
		}
		src := files[e.path]
		if src == nil {
			src = files["res://"+e.path]
		}
		if !bytes.Equal(e.data, src) || e.sum != md5.Sum(src) || e.flags != 0 {
			t.Fatalf("%s: data %q sum %x flags %d", e.path, e.data, e.sum, e.flags)
		}
	}
	again, _ := Build(Version{4, 6, 0}, files)
	if !bytes.Equal(b, again) {
		t.Fatal("two builds of the same files differ")
	}
}

func TestBuildEmpty(t *testing.T) {
	b, err := Build(Version{4, 6, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, e := parse(t, b); len(e) != 0 {
		t.Fatalf("%d entries", len(e))
	}
}

func TestBuildBadPaths(t *testing.T) {
	for _, p := range []string{"", "res://", "/abs.gd", "../up.gd", "a/../b.gd", "a//b", "./a", "a\\b", "nul\x00", "dir/"} {
		_, err := Build(Version{4, 6, 0}, map[string][]byte{p: nil})
		if !errors.Is(err, ErrPath) {
			t.Errorf("path %q: err %v, want ErrPath", p, err)
		}
	}
	_, err := Build(Version{4, 6, 0}, map[string][]byte{"a.gd": nil, "res://a.gd": nil})
	if !errors.Is(err, ErrPath) {
		t.Errorf("duplicate path: err %v, want ErrPath", err)
	}
}
