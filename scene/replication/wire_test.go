package replication

import (
	"bytes"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

func h(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compressed(t testing.TB, vs ...any) []byte {
	t.Helper()
	var b []byte
	for _, v := range vs {
		var err error
		if b, err = scene.AppendCompressed(b, v, variant.EncodeOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// spawnVectors are the SPAWN packets of spec §12 (e) (worked) and §15.6
// (sent to a real Godot 4.6 client, which accepted them as described).
var spawnVectors = []struct {
	name string
	hex  string
	want Spawn
	args []any // the compressed values of Arg
	st   []any // the compressed values of State
}{
	{"§12e scene spawn",
		"04 00 01 00 00 00 01 00 00 00 01 00 00 00 03 00 00 00 02 00 00 00 34 32 00 05 00 00 00 00 00 c8 42 00 00 48 42",
		Spawn{Scene: 0, Spawner: 1, NetID: 1, Syncs: []uint32{2}, Name: "42"}, nil, []any{variant.Vector2{X: 100, Y: 50}}},
	{"§12e custom spawn",
		"04 ff 01 00 00 00 03 00 00 00 01 00 00 00 02 00 00 00 04 00 00 00 37 00 0c 00 00 00 05 00 00 00 00 00 20 41 00 00 a0 41 05 00 00 00 00 00 20 41 00 00 a0 41",
		Spawn{Scene: CustomSpawn, Spawner: 1, NetID: 3, Syncs: []uint32{4}, Name: "7"}, []any{variant.Vector2{X: 10, Y: 20}}, []any{variant.Vector2{X: 10, Y: 20}}},
	{"§15.6 scene spawn with health",
		"04 00 0a 00 00 00 01 00 00 00 01 00 00 00 03 00 00 00 02 00 00 00 34 32 00 05 00 00 00 00 00 c8 42 00 00 48 42 02 07",
		Spawn{Scene: 0, Spawner: 10, NetID: 1, Syncs: []uint32{2}, Name: "42"}, nil, []any{variant.Vector2{X: 100, Y: 50}, 7}},
	{"§15.6 custom spawn with health",
		"04 ff 0a 00 00 00 03 00 00 00 01 00 00 00 02 00 00 00 04 00 00 00 37 00 0c 00 00 00 05 00 00 00 00 00 20 41 00 00 a0 41 05 00 00 00 00 00 20 41 00 00 a0 41 02 08",
		Spawn{Scene: CustomSpawn, Spawner: 10, NetID: 3, Syncs: []uint32{4}, Name: "7"}, []any{variant.Vector2{X: 10, Y: 20}}, []any{variant.Vector2{X: 10, Y: 20}, 8}},
	{"§15.6 two synchronizers",
		"04 01 0a 00 00 00 05 00 00 00 02 00 00 00 03 00 00 00 06 00 00 00 07 00 00 00 70 32 00 05 00 00 00 00 00 40 40 00 00 80 40 03 00 00 00 00 00 00 3f",
		Spawn{Scene: 1, Spawner: 10, NetID: 5, Syncs: []uint32{6, 7}, Name: "p2"}, nil, []any{variant.Vector2{X: 3, Y: 4}, 0.5}},
}

func TestSpawnGolden(t *testing.T) {
	for _, v := range spawnVectors {
		t.Run(v.name, func(t *testing.T) {
			p := h(t, v.hex)
			want := v.want
			if v.args != nil {
				want.Arg = compressed(t, v.args...)
			}
			want.State = compressed(t, v.st...)
			got, err := ParseSpawn(p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Scene != want.Scene || got.Spawner != want.Spawner || got.NetID != want.NetID || got.Name != want.Name ||
				!slices.Equal(got.Syncs, want.Syncs) || !bytes.Equal(got.Arg, want.Arg) || !bytes.Equal(got.State, want.State) {
				t.Errorf("parsed %+v\nwant   %+v", got, want)
			}
			b, err := AppendSpawn(nil, &want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, p) {
				t.Errorf("AppendSpawn\n got % x\nwant % x", b, p)
			}
		})
	}
}

func TestDespawnGolden(t *testing.T) {
	for _, id := range []uint32{1, 3, 5} {
		p := []byte{0x05, byte(id), 0, 0, 0}
		if b := AppendDespawn(nil, id); !bytes.Equal(b, p) {
			t.Errorf("AppendDespawn(%d) = % x, want % x", id, b, p)
		}
		if got, err := ParseDespawn(append(p, 0xff)); err != nil || got != id {
			t.Errorf("ParseDespawn = %d, %v", got, err)
		}
	}
}

// TestSyncGolden checks the SYNC and DELTA packets of spec §12 (f) and
// §15.6 both ways.
func TestSyncGolden(t *testing.T) {
	type entry struct {
		id   uint32
		mask uint64
		st   []any
	}
	for _, v := range []struct {
		name    string
		hex     string
		delta   bool
		time    uint16
		entries []entry
	}{
		{"§12f SYNC", "06 01 00 02 00 00 00 0c 00 00 00 05 00 00 00 00 00 ca 42 00 00 48 42", false, 1,
			[]entry{{2, 0, []any{variant.Vector2{X: 101, Y: 50}}}}},
		{"§15.6 SYNC of two entries", "06 01 00 07 00 00 00 08 00 00 00 03 00 00 00 00 00 a0 3f 06 00 00 00 0c 00 00 00 05 00 00 00 00 00 f0 41 00 00 20 42", false, 1,
			[]entry{{7, 0, []any{1.25}}, {6, 0, []any{variant.Vector2{X: 30, Y: 40}}}}},
		{"§15.6 SYNC of position and label", "06 01 00 02 00 00 00 18 00 00 00 05 00 00 00 00 00 ca 42 00 00 48 42 04 00 00 00 02 00 00 00 68 69 00 00", false, 1,
			[]entry{{2, 0, []any{variant.Vector2{X: 101, Y: 50}, "hi"}}}},
		{"§12f/§15.6 DELTA", "16 02 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 5a", true, 0,
			[]entry{{2, 1, []any{90}}}},
	} {
		t.Run(v.name, func(t *testing.T) {
			p := h(t, v.hex)
			r, err := ParseSync(p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Delta() != v.delta || r.Time() != v.time {
				t.Errorf("delta %v time %d, want %v %d", r.Delta(), r.Time(), v.delta, v.time)
			}
			var b []byte
			if v.delta {
				b = AppendDeltaHeader(nil)
			} else {
				b = AppendSyncHeader(nil, v.time)
			}
			i := 0
			for r.Next() {
				e := r.Entry()
				if i >= len(v.entries) {
					t.Fatalf("extra entry %+v", e)
				}
				w := v.entries[i]
				st := compressed(t, w.st...)
				if e.ID != w.id || e.Mask != w.mask || !bytes.Equal(e.State, st) {
					t.Errorf("entry %d = %d %x % x, want %d %x % x", i, e.ID, e.Mask, e.State, w.id, w.mask, st)
				}
				if v.delta {
					b = AppendDeltaEntry(b, w.id, w.mask, st)
				} else {
					b = AppendSyncEntry(b, w.id, st)
				}
				i++
			}
			if r.Err() != nil || i != len(v.entries) {
				t.Fatalf("%d entries, err %v", i, r.Err())
			}
			if !bytes.Equal(b, p) {
				t.Errorf("re-encoded\n got % x\nwant % x", b, p)
			}
		})
	}
	// Path-based synchronizer, §12 (f): 06 07 00 03 00 00 80 ...
	b := AppendSyncEntry(AppendSyncHeader(nil, 7), PathSyncFlag|3, compressed(t, variant.Vector2{X: 1, Y: 2}))
	if !bytes.HasPrefix(b, h(t, "06 07 00 03 00 00 80 0c 00 00 00")) {
		t.Errorf("path-based SYNC % x", b)
	}
}

// TestParseErrors feeds the receiver checks of §10.3-§10.7 one by one.
func TestParseErrors(t *testing.T) {
	good := h(t, spawnVectors[0].hex)
	custom := h(t, spawnVectors[1].hex)
	set := func(p []byte, off int, b ...byte) []byte {
		q := bytes.Clone(p)
		copy(q[off:], b)
		return q
	}
	for _, c := range []struct {
		name string
		p    []byte
		want string
	}{
		{"short", good[:17], "need at least 18"},
		{"K too big", set(good, 10, 0xff, 0xff, 0xff, 0xff), "do not fit"},
		{"L too big", set(good, 14, 0xff, 0, 0, 0), "do not fit"},
		{"L zero", set(good, 14, 0, 0, 0, 0), "empty node name"},
		{"name with @", set(good, 22, '@'), "contains one of"},
		{"name with /", set(good, 23, '/'), "contains one of"},
		{"name NUL first", set(good, 22, 0), "empty node name"},
		{"name not UTF-8", set(good, 22, 0xff), "UTF-8"},
		{"custom without size", custom[:24], "without argument size"},
		{"custom arg too long", set(custom, 24, 0xff, 0xff), "does not fit"},
	} {
		_, err := ParseSpawn(c.p)
		if !errors.Is(err, peer.ErrInvalidData) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrInvalidData with %q", c.name, err, c.want)
		}
	}
	// A name without NUL but within L is accepted, as Godot parses up to L.
	if m, err := ParseSpawn(set(good, 24, 'x')); err != nil || m.Name != "42x" {
		t.Errorf("name without NUL: %+v %v", m, err)
	}
	if _, err := ParseDespawn([]byte{5, 1, 0, 0}); !errors.Is(err, peer.ErrInvalidData) {
		t.Errorf("short DESPAWN: %v", err)
	}
	if _, err := ParseSync(h(t, "06 01 00 02 00 00 00 0c 00 00")); !errors.Is(err, peer.ErrInvalidData) {
		t.Errorf("short SYNC: %v", err)
	}
	// An entry that overruns stops the reader after the good ones.
	p := AppendSyncEntry(AppendSyncHeader(nil, 1), 2, []byte{2, 1})
	p = append(AppendSyncEntry(p, 3, []byte{2, 1}), 4, 0, 0, 0, 9, 0, 0, 0, 1)
	r, _ := ParseSync(p)
	n := 0
	for r.Next() {
		n++
	}
	if n != 2 || !errors.Is(r.Err(), peer.ErrInvalidData) {
		t.Errorf("%d entries before the overrun, err %v", n, r.Err())
	}
	// 8 trailing bytes are not an entry (Godot reads while ofs + 8 < len).
	r, _ = ParseSync(append(AppendSyncEntry(AppendSyncHeader(nil, 1), 2, []byte{2, 1}), 0, 0, 0, 0, 0, 0, 0, 0))
	n = 0
	for r.Next() {
		n++
	}
	if n != 1 || r.Err() != nil {
		t.Errorf("trailing 8 bytes: %d entries, %v", n, r.Err())
	}
	for _, m := range []Spawn{
		{Name: "@x"}, {Name: ""}, {Name: "a\x00b"}, {Name: "ok", Scene: CustomSpawn}, {Name: "ok", Arg: []byte{0}},
	} {
		if _, err := AppendSpawn(nil, &m); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("AppendSpawn(%+v): %v", m, err)
		}
	}
}

func TestDecodeState(t *testing.T) {
	st := compressed(t, variant.Vector2{X: 1, Y: 2}, 7, "hi", true)
	vs, n, err := DecodeState(nil, append(st, 0xff), 4)
	if err != nil || n != len(st) || len(vs) != 4 || vs[1] != int64(7) || vs[2] != "hi" || vs[3] != true {
		t.Fatalf("%v %d %v", vs, n, err)
	}
	vs, n, err = DecodeState(nil, st[:len(st)-1], 4)
	if !errors.Is(err, peer.ErrInvalidData) || len(vs) != 3 || n != len(st)-1 || !strings.Contains(err.Error(), "value 3") {
		t.Fatalf("truncated: %v %d %v", vs, n, err)
	}
	if _, _, err := DecodeState(nil, compressed(t, "x")[:6], 1); !errors.Is(err, peer.ErrInvalidData) || strings.Count(err.Error(), "scene:") != 1 {
		t.Fatalf("truncated string: %v", err)
	}
}
