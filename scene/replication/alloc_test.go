package replication

import (
	"encoding/binary"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/variant"
)

// The figures Receive documents.
const (
	receiveAllocPerByte = 64
	receiveAllocConst   = 16 << 10
)

func allocated(f func()) uint64 {
	var least uint64
	for i := range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		if a := after.TotalAlloc - before.TotalAlloc; i == 0 || a < least {
			least = a
		}
	}
	return least
}

func words(ws ...uint32) []byte {
	var b []byte
	for _, w := range ws {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}

// deltaFlood returns a DELTA of size bytes from peer 7 whose entries set
// the Input's list property (watch index 2) to an Array of elem values, one
// entry per 4 KiB, the shape that costs the most memory per byte.
func deltaFlood(elem []byte, size int) []byte {
	p := AppendDeltaHeader(nil)
	for len(p)+16+8+len(elem) <= size {
		n := min((size-len(p)-16-8)/len(elem), 4096/len(elem))
		v := words(28, uint32(n))
		for range n {
			v = append(v, elem...)
		}
		p = AppendDeltaEntry(p, PathSyncFlag|1, 1<<2, v)
	}
	return p
}

// TestReceiveAllocBound checks the bound Receive states, with the value
// shapes that cost the most memory per input byte.
func TestReceiveAllocBound(t *testing.T) {
	const huge = 0x7fffffff
	shapes := map[string][]byte{
		"empty Dictionaries": words(27, 0),
		"empty Strings":      words(4, 0),
		"Vector2s":           words(5, 0, 0),
		"nils":               words(0),
		"ints":               words(2, 1),
		"lying Arrays":       words(28, huge),
		"nested Arrays":      words(28, 1, 28, 1, 28, 0),
		"PackedByteArrays":   words(29, 1, 0),
	}
	r, _ := fuzzTarget()
	for name, elem := range shapes {
		for _, size := range []int{64, 1 << 10, 16 << 10, 64 << 10} {
			p := deltaFlood(elem, size)
			a := allocated(func() { r.Receive(7, p) })
			if bound := uint64(receiveAllocPerByte*len(p) + receiveAllocConst); a > bound {
				t.Errorf("%s, %d bytes: Receive allocated %d bytes, bound %d", name, len(p), a, bound)
			}
			if testing.Verbose() && size == 64<<10 {
				t.Logf("%s, %d bytes: %d allocated (%.1f per byte)", name, len(p), a, float64(a)/float64(len(p)))
			}
		}
	}
	if s := r.Stats(); s.Applied == 0 {
		t.Errorf("stats %+v: the packets were not applied", s)
	}
}

// TestReceiveFlood sends a client's worth of hostile packets (updates for
// synchronizers it does not own, unknown ids, spawns, malformed entries) and
// checks that each is dropped and counted and that the Replicator keeps no
// memory from them.
func TestReceiveFlood(t *testing.T) {
	r, pl := fuzzTarget()
	packets := [][]byte{
		AppendSyncEntry(AppendSyncHeader(nil, 1), PathSyncFlag|2, words(5, 0, 0)),  // server-owned Sync
		AppendSyncEntry(AppendSyncHeader(nil, 1), PathSyncFlag|99, words(5, 0, 0)), // unknown path id
		AppendSyncEntry(AppendSyncHeader(nil, 1), 2, words(5, 0, 0)),               // a spawn id
		h(t, spawnVectors[0].hex), // SPAWN
		AppendDespawn(nil, 1),     // DESPAWN
		AppendDeltaEntry(AppendDeltaHeader(nil), PathSyncFlag|1, 1<<40, []byte{2, 1}), // mask past the watch list
		append(AppendSyncHeader(nil, 1), 1, 0, 0, 0x80, 0xff, 0xff, 0, 0, 1),          // overrunning entry
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const rounds = 10000
	for range rounds {
		for _, p := range packets {
			r.Receive(7, p)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	want := Stats{NotOwner: rounds, Unknown: 2 * rounds, Refused: 2 * rounds, Invalid: 2 * rounds}
	if s := r.Stats(); s != want {
		t.Errorf("stats %+v\nwant  %+v", s, want)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<10 {
		t.Errorf("heap grew by %d bytes over %d hostile packets", grew, rounds*len(packets))
	}
	if pl.Pos != (variant.Vector2{}) || pl.Health != 100 {
		t.Errorf("server-owned values changed: %+v", pl)
	}
}

// world builds a Replicator with n peers and n players (each visible to
// all), as a game server does.
func world(tb testing.TB, n int) (*Replicator, []*player) {
	r := New(&memSession{}, nil)
	sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	r.AddSpawner(sp)
	var pls []*player
	for i := range n {
		id := int32(100 + i)
		r.AddPeer(id)
		pl := newPlayer(id)
		if _, err := sp.Spawn(strconv.Itoa(int(id)), 0, pl.sync, pl.input); err != nil {
			tb.Fatal(err)
		}
		pls = append(pls, pl)
	}
	return r, pls
}

// TestTickAllocs checks that a steady-state Tick (every position moved,
// one health changed) allocates nothing.
func TestTickAllocs(t *testing.T) {
	r, pls := world(t, 20)
	now := time.Unix(0, 0)
	r.Tick(now)
	n := 0
	allocs := testing.AllocsPerRun(50, func() {
		n++
		for _, p := range pls {
			p.Pos.X++
		}
		pls[n%len(pls)].Health++
		r.Tick(now.Add(time.Duration(n) * time.Millisecond))
	})
	if allocs != 0 {
		t.Errorf("Tick allocated %.1f times", allocs)
	}
}

// The per-peer state bound the package documents: bytes kept per peer for
// each object it can see, plus a constant per peer.
const (
	peerBytesPerObject = 16
	peerBytesConst     = 1 << 10
)

// TestPeerStateBound measures the memory a Replicator keeps per peer once
// it has been sent n objects and their deltas.
func TestPeerStateBound(t *testing.T) {
	const objects, peers = 200, 50
	r, _ := world(t, objects)
	r.Tick(time.Unix(0, 0))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range peers {
		r.AddPeer(int32(10000 + i))
	}
	r.Tick(time.Unix(1, 0))
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / peers
	if bound := int64(peerBytesPerObject*objects + peerBytesConst); per > bound {
		t.Errorf("%d bytes per peer seeing %d objects, bound %d", per, objects, bound)
	}
	t.Logf("%d bytes per peer seeing %d objects (%.0f per object)", per, objects, float64(per)/objects)
	runtime.KeepAlive(r)
}
