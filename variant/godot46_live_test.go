package variant

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestGodot46Live decodes and re-encodes what a real Godot 4.6 printed for
// var_to_bytes and var_to_bytes_with_objects of every Variant type
// (testdata/godot46-live.txt, written by godottest's TestVariantParityLive,
// which also checks the live engine against this codec in both directions).
func TestGodot46Live(t *testing.T) {
	f, err := os.Open("testdata/godot46-live.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			t.Fatalf("bad line %q", line)
		}
		for i, objects := range []bool{false, true} {
			godot, err := hex.DecodeString(fields[1+i])
			if err != nil {
				t.Fatalf("%s: %v", fields[0], err)
			}
			v, used, err := DecodeOptions{AllowObjects: objects}.Decode(godot)
			if err != nil || used != len(godot) {
				t.Errorf("%s (objects %v): decoded %d of %d bytes: %v", fields[0], objects, used, len(godot), err)
				continue
			}
			again, err := EncodeOptions{FullObjects: objects}.Marshal(v)
			if err != nil {
				t.Errorf("%s (objects %v): %v", fields[0], objects, err)
				continue
			}
			if !bytes.Equal(godot, again) && !(hasNodePath(v) && samePadded(godot, again)) {
				t.Errorf("%s (objects %v):\nGodot % x\nGo    % x", fields[0], objects, godot, again)
			}
		}
		n++
	}
	if n < 90 {
		t.Fatalf("only %d values in testdata/godot46-live.txt", n)
	}
}

func hasNodePath(v any) bool {
	switch x := v.(type) {
	case NodePath:
		return true
	case []any:
		for _, e := range x {
			if hasNodePath(e) {
				return true
			}
		}
	case TypedArray:
		return hasNodePath(x.Values)
	case *Dictionary:
		return hasNodePath(x.Keys()) || hasNodePath(x.Values())
	case *Object:
		for _, p := range x.Properties {
			if hasNodePath(p.Value) {
				return true
			}
		}
	}
	return false
}

// samePadded reports whether godot and goBytes differ only in bytes that
// Go wrote as zero padding up to a 4-byte boundary: Godot leaves the
// padding of NodePath names uninitialised.
func samePadded(godot, goBytes []byte) bool {
	if len(godot) != len(goBytes) {
		return false
	}
	for i := range godot {
		if godot[i] == goBytes[i] {
			continue
		}
		if i%4 == 0 {
			return false
		}
		for j := i; j < (i+4)&^3; j++ {
			if goBytes[j] != 0 {
				return false
			}
		}
	}
	return true
}
