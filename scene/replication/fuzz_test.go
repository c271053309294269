package replication

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// seeds are the replication packets of the spec and of Godot's own SPAWN
// captured by TestGodotLive.
var seeds = []string{
	spawnVectors[0].hex, spawnVectors[1].hex, spawnVectors[2].hex, spawnVectors[3].hex, spawnVectors[4].hex,
	"04 00 02 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 02 00 00 00 03 00 00 00 70 32 00 05 00 00 00 00 00 40 40 00 00 80 40 02 07 03 00 00 00 00 00 00 3f",
	"05 01 00 00 00",
	"06 01 00 02 00 00 00 0c 00 00 00 05 00 00 00 00 00 ca 42 00 00 48 42",
	"06 01 00 07 00 00 00 08 00 00 00 03 00 00 00 00 00 a0 3f 06 00 00 00 0c 00 00 00 05 00 00 00 00 00 f0 41 00 00 20 42",
	"06 01 00 02 00 00 00 18 00 00 00 05 00 00 00 00 00 ca 42 00 00 48 42 04 00 00 00 02 00 00 00 68 69 00 00",
	"16 02 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02 5a",
	"06 0c 00 01 00 00 80 0c 00 00 00 05 00 00 00 00 00 80 3f 00 00 00 40",
	"16 05 00 00 80 03 00 00 00 00 00 00 00 06 00 00 00 02 5a 81 04 00 00 00",
	// Godot's SPAWN naming fuzzTarget's ClientSpawner (path id 4 of peer 7).
	"04 00 04 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 02 00 00 00 03 00 00 00 70 32 00 05 00 00 00 00 00 40 40 00 00 80 40 02 07 03 00 00 00 00 00 00 3f",
}

func addSeeds(f *testing.F) {
	for _, s := range seeds {
		f.Add(h(f, s))
	}
}

func FuzzParseSpawn(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := ParseSpawn(p)
		if err != nil {
			return
		}
		if len(m.Syncs)*4 > len(p) || len(m.Name) > len(p) {
			t.Fatalf("%d ids and a %d-byte name from %d bytes", len(m.Syncs), len(m.Name), len(p))
		}
		b, err := AppendSpawn(nil, &m)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", m, err)
		}
		m2, err := ParseSpawn(b)
		if err != nil || m2.Scene != m.Scene || m2.Spawner != m.Spawner || m2.NetID != m.NetID || m2.Name != m.Name ||
			!slices.Equal(m2.Syncs, m.Syncs) || !bytes.Equal(m2.Arg, m.Arg) || !bytes.Equal(m2.State, m.State) {
			t.Fatalf("% x re-encoded as % x, parsed back as %+v, %v", p, b, m2, err)
		}
		// Godot's own form (a NUL at the end of the name) comes back as sent.
		if binary.LittleEndian.Uint32(p[14:]) == uint32(len(m.Name)+1) {
			if off := spawnHeaderSize + 4*len(m.Syncs) + len(m.Name); p[off] == 0 && !bytes.Equal(b[1:], p[1:]) {
				t.Fatalf("% x re-encoded as % x", p, b)
			}
		}
	})
}

func FuzzParseSync(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		if n, err := ParseDespawn(p); err == nil {
			if b := AppendDespawn(nil, n); !bytes.Equal(b[1:], p[1:5]) {
				t.Fatalf("DESPAWN % x re-encoded as % x", p, b)
			}
		}
		r, err := ParseSync(p)
		if err != nil {
			return
		}
		var b []byte
		if r.Delta() {
			b = AppendDeltaHeader(nil)
		} else {
			b = AppendSyncHeader(nil, r.Time())
		}
		for r.Next() {
			e := r.Entry()
			if r.Delta() {
				b = AppendDeltaEntry(b, e.ID, e.Mask, e.State)
			} else {
				b = AppendSyncEntry(b, e.ID, e.State)
			}
		}
		if !bytes.Equal(b[1:], p[1:len(b)]) {
			t.Fatalf("% x re-encoded as % x", p, b)
		}
	})
}

// memSession is a Session without a network, for fuzzing Receive: peer 7
// registered path ids 1 to 4 for "Main/Players/7/Input",
// "Main/Players/7/Sync", "Main/Players/7/Many" and "Main/ClientSpawner".
type memSession struct{ sent, bytes int }

func (s *memSession) Send(_ int32, _ scene.TransferMode, _ int, p []byte) error {
	s.sent++
	s.bytes += len(p)
	return nil
}
func (s *memSession) NodeID(int32, string) (uint32, bool, error) { return 1, true, nil }
func (s *memSession) PeerNode(from int32, id uint32) (string, bool) {
	switch {
	case from != 7:
	case id == 1:
		return "Main/Players/7/Input", true
	case id == 2:
		return "Main/Players/7/Sync", true
	case id == 3:
		return "Main/Players/7/Many", true
	case id == 4:
		return "Main/ClientSpawner", true
	}
	return "", false
}

// fuzzTarget is a Replicator with one object whose Input (owned by peer 7)
// has properties of several types, and a third synchronizer with 64
// watched ints; and ClientSpawner, owned by peer 7, which spawns p2s.
func fuzzTarget() (*Replicator, *player) {
	r := New(&memSession{}, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	r.AddSpawner(sp)
	var gone []string
	if err := r.AddSpawner(clientSpawner(7, map[string]*p2{}, &gone)); err != nil {
		panic(err)
	}
	pl := newPlayer(7)
	var s string
	var f float64
	var b bool
	var a []any
	pl.input.Properties = append(pl.input.Properties,
		Property{Path: ".:name", Mode: ReplicationModeOnChange, Value: &s},
		Property{Path: ".:speed", Mode: ReplicationModeOnChange, Value: &f},
		Property{Path: ".:jump", Mode: ReplicationModeAlways, Value: &b},
		Property{Path: ".:list", Mode: ReplicationModeOnChange, Value: &a},
	)
	many := &Synchronizer{Path: "Many", Authority: 7}
	for i := range MaxWatched {
		many.Properties = append(many.Properties, Property{Path: ".:p" + strings.Repeat("x", i), Mode: ReplicationModeOnChange, Value: new(int64)})
	}
	if _, err := sp.Spawn("7", 0, pl.sync, pl.input, many); err != nil {
		panic(err)
	}
	r.AddPeer(7)
	return r, pl
}

// FuzzReceive feeds any packet from peer 7 to a Replicator: never a panic,
// and the server-owned values never change.
func FuzzReceive(f *testing.F) {
	addSeeds(f)
	f.Add(h(f, "06 01 00 01 00 00 80 0c 00 00 00 05 00 00 00 00 00 80 3f 00 00 00 40"))
	f.Add(append(h(f, "16 01 00 00 80 1e 00 00 00 00 00 00 00 1f 00 00 00 04 00 00 00 01 00 00 00 78 00 00 00 03 00 00 00 00 00 c0 3f"), 0x1c, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0))
	f.Add(h(f, "16 03 00 00 80 ff ff ff ff ff ff ff ff 04 00 00 00 02 01 02 02"))
	f.Fuzz(func(t *testing.T, p []byte) {
		r, pl := fuzzTarget()
		r.Receive(7, p)
		r.Receive(7, p) // a SPAWN again: name and net id taken
		if pl.Pos != (variant.Vector2{}) || pl.Health != 100 || pl.Label != "init" {
			t.Fatalf("server-owned values changed: %+v", pl)
		}
		if s := r.Stats(); s.Spawned > 1 {
			t.Fatalf("one SPAWN spawned %d objects", s.Spawned)
		}
		r.Tick(time0)
	})
}

func FuzzParseScene(f *testing.F) {
	for _, n := range []string{"main.tscn", "player.tscn", "player2.tscn", "flag.tscn"} {
		b, err := readTestdata(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		sc, err := ParseScene(strings.NewReader(text))
		if err != nil {
			return
		}
		n := 0
		for _, s := range sc.Synchronizers {
			n += len(s.Properties)
		}
		if n > len(text) || len(sc.Spawners)+len(sc.Synchronizers) > len(text) {
			t.Fatalf("%d properties from %d bytes", n, len(text))
		}
	})
}

var time0 = time.Unix(0, 0)

func readTestdata(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", "godot", name))
}
