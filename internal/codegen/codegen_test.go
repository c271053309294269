package codegen

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.gd", "a/c.gd", "a/x.txt", ".hidden/d.gd"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	named := filepath.Join(dir, "a", "x.txt")
	got, err := Files([]string{dir, named}, ".gd")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a", "c.gd"), named, filepath.Join(dir, "b.gd")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := Files([]string{filepath.Join(dir, "missing")}, ".gd"); err == nil {
		t.Fatal("a missing path gave no error")
	}
}

func TestEmit(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gen.go")
	if err := Emit([]byte("v1"), out, true, nil); !errors.Is(err, ErrDrift) {
		t.Fatalf("check of a missing file: %v", err)
	}
	if err := Emit([]byte("v1"), out, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := Emit([]byte("v1"), out, true, nil); err != nil {
		t.Fatalf("check of an equal file: %v", err)
	}
	if err := Emit([]byte("v2"), out, true, nil); !errors.Is(err, ErrDrift) {
		t.Fatalf("check of a changed file: %v", err)
	}
	var stdout bytes.Buffer
	if err := Emit([]byte("v3"), "", false, &stdout); err != nil || stdout.String() != "v3" {
		t.Fatalf("stdout: %q, %v", stdout.String(), err)
	}
}
