package scene

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/packetpeer/packetpeer/variant"
)

// The figure DecodeArgs documents: bytes allocated per argument byte, plus a
// constant per call.
const (
	argsAllocPerByte = 64
	argsAllocConst   = 16 << 10
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

// TestDecodeArgsAllocBound fills REMOTE_CALLs of several sizes with the
// argument shapes that cost the most memory per byte and checks the bound
// DecodeArgs states.
func TestDecodeArgsAllocBound(t *testing.T) {
	const huge = 0x7fffffff
	shapes := map[string][]byte{
		"empty Dictionaries":     words(27, 0),
		"empty Strings":          words(4, 0),
		"Vector2s":               words(5, 0, 0),
		"nils":                   words(0),
		"32-bit ints":            {0x82, 0, 0, 1, 0},
		"8-bit ints":             {0x02, 1},
		"bools":                  {0x81},
		"lying Dictionaries":     words(27, huge),
		"lying Arrays":           words(28, huge),
		"nested Arrays":          words(28, 1, 28, 1, 28, 1, 28, 0),
		"PackedByteArrays":       words(29, 1, 0),
		"lying PackedByteArrays": words(29, huge),
		"Dictionary of 1 entry":  words(27, 1, 2, 1, 2, 2),
	}
	for name, elem := range shapes {
		for _, size := range []int{64, 1 << 10, 16 << 10, 64 << 10} {
			p := []byte{0x00, 1, 0, 255}
			for len(p)+len(elem) <= size {
				p = append(p, elem...)
			}
			c, err := ParseRemoteCall(p)
			if err != nil {
				t.Fatal(err)
			}
			a := allocated(func() { c.DecodeArgs(nil, variant.DecodeOptions{}) })
			if bound := uint64(argsAllocPerByte*len(c.Args) + argsAllocConst); a > bound {
				t.Errorf("%s, %d bytes: DecodeArgs allocated %d bytes, bound %d", name, len(p), a, bound)
			}
			if testing.Verbose() && size == 64<<10 {
				t.Logf("%s, %d bytes: %d allocated (%.1f per byte)", name, len(p), a, float64(a)/float64(len(c.Args)))
			}
		}
	}
}

// Receiving an RPC with scalar arguments into a typed handler, relaying,
// and sending an RPC allocate nothing, as the package documents.
func TestMultiplayerNoAllocs(t *testing.T) {
	m, f, n := benchServer(t)
	var sum float64
	n.Handle("hello", Func2(func(c Call, x bool, y float64) {
		if x {
			sum += y
		}
	}))
	call := h(t, "00 01 03 02 81 42 2c 01")
	f.connect(43)
	m.Poll()
	relay := h(t, "07 03 2b 00 00 00 00 01 03 02 81 42 2c 01")
	x, y := true, 300
	for name, fn := range map[string]func(){
		"receive":  func() { m.receive(call, info42) },
		"relay":    func() { m.receive(relay, info42) },
		"send RPC": func() { n.RPCID(42, "from_server", x, y) },
	} {
		if a := testing.AllocsPerRun(100, fn); a != 0 {
			t.Errorf("%s: %v allocations", name, a)
		}
	}
	if sum == 0 {
		t.Fatal("handler not called")
	}
}
