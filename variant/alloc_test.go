package variant

import (
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"testing"
)

// Memory bound of one decode (see the package documentation): these tests
// measure the bytes one Decode or Unmarshal allocates on inputs built to make
// it allocate as much as possible, and compare them with the documented
// bound.

// words is the little-endian encoding of w.
func words(w ...uint32) []byte {
	b := make([]byte, 0, 4*len(w))
	for _, x := range w {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

// fill pads b with zero words (Nil values, empty strings, zero counts) up
// to n bytes.
func fill(b []byte, n int) []byte {
	for len(b) < n {
		b = append(b, 0, 0, 0, 0)
	}
	return b
}

// repeatTo appends unit to b until one more would pass n bytes, then fills.
func repeatTo(b, unit []byte, n int) []byte {
	for len(b)+len(unit) <= n {
		b = append(b, unit...)
	}
	return fill(b, n)
}

const huge = 0x7fffffff

// nest repeats level up to depth times (each level holding the next) while
// a quarter of n stays free, then appends tail and fills with zero words up
// to n bytes.
func nest(level []byte, depth int, tail []byte, n int) []byte {
	var b []byte
	for range min(depth, max(n-n/4-len(tail), 800)/len(level)) {
		b = append(b, level...)
	}
	return fill(append(b, tail...), n)
}

// objectLevel is a full Object of class "A" claiming huge properties, the
// first named "p" (its value follows).
var objectLevel = append(append(words(uint32(TypeObject), 1), 'A', 0, 0, 0), append(words(huge, 1), 'p', 0, 0, 0)...)

// indexedLevel is a Dictionary claiming huge entries whose first 12 are
// distinct int keys with Nil values (enough to build its hash index) and
// whose 13th key is an int: the next level is its value.
func indexedLevel() []byte {
	b := words(uint32(TypeDictionary), huge)
	for i := range dictIndexMin + 1 {
		b = append(b, words(uint32(TypeInt), uint32(1000+i))...)
		if i < dictIndexMin {
			b = append(b, words(0)...)
		}
	}
	return b
}

type allocShape struct {
	name  string
	build func(n int) []byte
	allow bool // AllowObjects
}

// allocShapes are inputs of n bytes built to make one decode allocate as
// much as possible: containers nested as deep as allowed, each claiming
// 2^31-1 elements, with the rest of the input made of the smallest
// elements (Nil), so that the innermost level decodes for as long as the
// input lasts; and honest inputs made of the values whose decoded form is
// largest for their size.
var allocShapes = []allocShape{
	{"arrays nested, huge counts", func(n int) []byte {
		return nest(words(uint32(TypeArray), huge), 1000, nil, n)
	}, false},
	{"arrays nested, huge counts, 16 deep", func(n int) []byte {
		return nest(words(uint32(TypeArray), huge), 16, nil, n)
	}, false},
	{"dictionaries nested as values", func(n int) []byte {
		return nest(words(uint32(TypeDictionary), huge, 0), 1000, nil, n)
	}, false},
	{"dictionaries nested as keys", func(n int) []byte {
		return nest(words(uint32(TypeDictionary), huge), 1000, nil, n)
	}, false},
	{"dictionaries with index nested", func(n int) []byte {
		return nest(indexedLevel(), 1000, nil, n)
	}, false},
	{"typed arrays nested", func(n int) []byte {
		return nest(words(uint32(TypeArray)|1<<16, uint32(TypeArray), huge), 1000, nil, n)
	}, false},
	{"typed dictionaries nested", func(n int) []byte {
		return nest(words(uint32(TypeDictionary)|1<<16|1<<18, uint32(TypeInt), uint32(TypeDictionary), huge, 0), 1000, nil, n)
	}, false},
	{"objects nested", func(n int) []byte {
		return nest(objectLevel, 1000, nil, n)
	}, true},
	{"mixed containers nested", func(n int) []byte {
		var lv []byte
		lv = append(lv, words(uint32(TypeArray), huge)...)
		lv = append(lv, words(uint32(TypeDictionary), huge, 0)...)
		lv = append(lv, words(uint32(TypeArray)|1<<16, uint32(TypeDictionary), huge)...)
		lv = append(lv, indexedLevel()...)
		lv = append(lv, objectLevel...)
		return nest(lv, 200, nil, n)
	}, true},
	{"packed strings in nested arrays", func(n int) []byte {
		return nest(words(uint32(TypeArray), huge), 1000, words(uint32(TypePackedStringArray), huge), n)
	}, false},
	{"node path in nested arrays", func(n int) []byte {
		return nest(words(uint32(TypeArray), huge), 1000, words(uint32(TypeNodePath), 0xffffffff, huge, 0), n)
	}, false},
	{"packed arrays with huge counts in nested arrays", func(n int) []byte {
		var tail []byte
		for _, t := range []Type{TypePackedByteArray, TypePackedInt32Array, TypePackedInt64Array, TypePackedFloat32Array,
			TypePackedFloat64Array, TypePackedVector2Array, TypePackedVector3Array, TypePackedColorArray, TypePackedVector4Array} {
			tail = append(tail, words(uint32(t), huge)...)
		}
		return nest(words(uint32(TypeArray), huge), 1000, tail, n)
	}, false},
	{"packed vectors filling the input", func(n int) []byte {
		return fill(words(uint32(TypePackedVector4Array), uint32((n-8)/16)), n)
	}, false},
	{"string claiming huge length in nested arrays", func(n int) []byte {
		return nest(words(uint32(TypeArray), huge), 1000, words(uint32(TypeString), huge), n)
	}, false},
	{"array of empty strings", func(n int) []byte {
		return repeatTo(words(uint32(TypeArray), huge), words(uint32(TypeString), 0), n)
	}, false},
	{"array of empty dictionaries", func(n int) []byte {
		return repeatTo(words(uint32(TypeArray), huge), words(uint32(TypeDictionary), 0), n)
	}, false},
	{"empty dictionaries in a lying array in a lying array", func(n int) []byte {
		return repeatTo(words(uint32(TypeArray), huge, uint32(TypeArray), huge), words(uint32(TypeDictionary), 0), n)
	}, false},
	{"empty dictionaries at the bottom of nested lying arrays", func(n int) []byte {
		return repeatTo(nest(words(uint32(TypeArray), huge), 100, nil, 0), words(uint32(TypeDictionary), 0), n)
	}, false},
	{"array of empty typed arrays", func(n int) []byte {
		return repeatTo(words(uint32(TypeArray), huge), words(uint32(TypeArray)|1<<16, uint32(TypeInt), 0), n)
	}, false},
	{"array of empty node paths", func(n int) []byte {
		return repeatTo(words(uint32(TypeArray), huge), words(uint32(TypeNodePath), 0x80000000, 0, 0), n)
	}, false},
	{"array of projections", func(n int) []byte {
		return repeatTo(words(uint32(TypeArray), huge), append(words(uint32(TypeProjection)), make([]byte, 64)...), n)
	}, false},
	{"array of one-element arrays", func(n int) []byte {
		return repeatTo(words(uint32(TypeArray), huge), words(uint32(TypeArray), 1, 0), n)
	}, false},
	{"dictionary of distinct int keys", func(n int) []byte {
		b := words(uint32(TypeDictionary), huge)
		for i := uint32(0); len(b)+12 <= n; i++ {
			b = append(b, words(uint32(TypeInt), i, 0)...)
		}
		return fill(b, n)
	}, false},
	{"dictionary of distinct int keys in a lying array", func(n int) []byte {
		b := words(uint32(TypeArray), huge, uint32(TypeDictionary), huge)
		for i := uint32(0); len(b)+12 <= n; i++ {
			b = append(b, words(uint32(TypeInt), i, 0)...)
		}
		return fill(b, n)
	}, false},
	{"dictionary of int keys to empty dictionaries in a lying array", func(n int) []byte {
		b := words(uint32(TypeArray), huge, uint32(TypeDictionary), huge)
		for i := uint32(0); len(b)+16 <= n; i++ {
			b = append(b, words(uint32(TypeInt), i, uint32(TypeDictionary), 0)...)
		}
		return fill(b, n)
	}, false},
	{"dictionary of array keys in a lying array", func(n int) []byte {
		b := words(uint32(TypeArray), huge, uint32(TypeDictionary), huge)
		for i := uint32(0); len(b)+20 <= n; i++ {
			b = append(b, words(uint32(TypeArray), 1, uint32(TypeInt), i, 0)...)
		}
		return fill(b, n)
	}, false},
	{"dictionary of array keys", func(n int) []byte {
		b := words(uint32(TypeDictionary), huge)
		for i := uint32(0); len(b)+20 <= n; i++ {
			b = append(b, words(uint32(TypeArray), 1, uint32(TypeInt), i, 0)...)
		}
		return fill(b, n)
	}, false},
}

// allocBound is the documented bound on the bytes one decode of n input
// bytes allocates.
func allocBound(n int) uint64 { return uint64(decodeAllocPerByte*n + decodeAllocConst) }

// allocated returns the bytes f allocates (the least of a few runs, as
// other goroutines of the test binary may allocate meanwhile).
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

// Unmarshal destinations for the shapes above.
type (
	bigElem   [64]int64
	allocDest struct {
		A  [][][]int
		M  map[string][]int
		S  []string
		B  []bigElem
		Ns []allocNested
	}
	allocNested struct {
		X  int
		In []allocNested
	}
)

// key is the encoding of the String key k (up to 4 bytes).
func key(k string) []byte {
	b := words(uint32(TypeString), uint32(len(k)))
	return append(b, (k + "\x00\x00\x00\x00")[:4]...)
}

// unmarshalShapes are adversarial inputs aimed at Unmarshal's own
// pre-sizing: struct fields, slices of large elements, maps and recursive
// structs, each claiming huge counts.
var unmarshalShapes = []allocShape{
	{"struct field of nested lying arrays", func(n int) []byte {
		b := append(words(uint32(TypeDictionary), 1), key("A")...)
		return append(b, nest(words(uint32(TypeArray), huge), 1000, nil, n-len(b))...) // A's levels past 3 fail to assign
	}, false},
	{"struct field of big elements, lying count", func(n int) []byte {
		b := append(words(uint32(TypeDictionary), 1), key("B")...)
		return fill(append(b, words(uint32(TypeArray), huge)...), n)
	}, false},
	{"struct field of strings, lying count", func(n int) []byte {
		b := append(words(uint32(TypeDictionary), 1), key("S")...)
		return repeatTo(append(b, words(uint32(TypeArray), uint32(n/8))...), words(uint32(TypeString), 0), n)
	}, false},
	{"struct field map, lying counts", func(n int) []byte {
		b := append(words(uint32(TypeDictionary), 1), key("M")...)
		b = append(append(b, words(uint32(TypeDictionary), huge)...), key("k")...)
		return fill(append(b, words(uint32(TypeArray), huge)...), n)
	}, false},
	{"map of lying arrays", func(n int) []byte {
		b := words(uint32(TypeDictionary), huge)
		for i := uint32(0); len(b)+24 <= n/2; i++ {
			b = append(b, key(string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676%26)))...)
			b = append(b, words(uint32(TypeArray), 1, 0)...)
		}
		return fill(append(b, append(key("zzzz"), words(uint32(TypeArray), huge)...)...), n)
	}, false},
	{"recursive struct, lying counts at every level", func(n int) []byte {
		lv := append(words(uint32(TypeDictionary), huge), key("In")...)
		lv = append(lv, words(uint32(TypeArray), huge)...)
		return nest(lv, 1000, nil, n)
	}, false},
	{"array of lying struct dictionaries", func(n int) []byte {
		lv := append(words(uint32(TypeArray), huge, uint32(TypeDictionary), huge), key("In")...)
		return nest(lv, 1000, nil, n)
	}, false},
}

// unmarshalDests are Unmarshal destinations, each with the largest Go
// size of a slice element, map entry or pointed-to value it can hold.
var unmarshalDests = []struct {
	name string
	new  func() any
	elem int
}{
	{"any", func() any { return new(any) }, 16},
	{"[]any", func() any { return new([]any) }, 16},
	{"[][][][]int", func() any { return new([][][][]int) }, 24},
	{"[]string", func() any { return new([]string) }, 16},
	{"[][64]int64", func() any { return new([]bigElem) }, 512},
	{"map[string][]int", func() any { return new(map[string][]int) }, 40},
	{"map[string]any", func() any { return new(map[string]any) }, 32},
	{"struct", func() any { return new(allocDest) }, 512},
	{"recursive struct", func() any { return new(allocNested) }, 32},
	{"[]recursive struct", func() any { return new([]allocNested) }, 32},
	{"*Dictionary", func() any { return new(*Dictionary) }, 16},
}

func TestDecodeMemoryBound(t *testing.T) {
	worst := 0.0
	for _, n := range []int{64, 1024, 40000, 64 << 10, 100000} {
		for _, s := range allocShapes {
			data := s.build(n)
			opts := DecodeOptions{AllowObjects: s.allow}
			got := allocated(func() { opts.Decode(data) })
			worst = max(worst, float64(got)/float64(len(data)))
			if n >= 40000 {
				t.Logf("%-50s %6.1f bytes per input byte", s.name, float64(got)/float64(len(data)))
			}
			if got > allocBound(len(data)) {
				t.Errorf("%s, %d bytes: Decode allocated %d bytes (%.1f per input byte), bound %d", s.name, len(data), got, float64(got)/float64(len(data)), allocBound(len(data)))
			}
		}
	}
	t.Logf("Decode: worst %.1f bytes allocated per input byte", worst)
}

func TestUnmarshalMemoryBound(t *testing.T) {
	worst, worstAll := 0.0, 0.0
	for _, n := range []int{64, 1024, 64 << 10} {
		for _, s := range append(allocShapes[:len(allocShapes):len(allocShapes)], unmarshalShapes...) {
			data := s.build(n)
			opts := DecodeOptions{AllowObjects: s.allow}
			for _, d := range unmarshalDests {
				got := allocated(func() { opts.Unmarshal(data, d.new()) })
				// Unmarshal may decode twice (direct, then Decode+Assign)
				// and stores Go values: see the package documentation.
				bound := 2*allocBound(len(data)) + uint64(d.elem*len(data))
				r := float64(got) / float64(len(data))
				if d.elem <= 32 {
					worst = max(worst, r)
				}
				worstAll = max(worstAll, r)
				if got > bound {
					t.Errorf("%s into %s, %d bytes: Unmarshal allocated %d bytes (%.1f per input byte), bound %d", s.name, d.name, len(data), got, r, bound)
				}
			}
		}
	}
	t.Logf("Unmarshal: worst %.1f bytes allocated per input byte (elements up to 32 bytes), %.1f (any destination)", worst, worstAll)
}

// FuzzDecodeMemory: one Decode of any input allocates at most the
// documented bound, and so does Unmarshal into a few destinations (plus
// the Go values it stores).
func FuzzDecodeMemory(f *testing.F) {
	for _, vec := range loadVectors(f) {
		if b, err := hex.DecodeString(vec.Hex); err == nil {
			f.Add(b, vec.Options.AllowObjects, uint8(0))
		}
	}
	for _, n := range []int{64, 512} {
		for i, s := range append(allocShapes[:len(allocShapes):len(allocShapes)], unmarshalShapes...) {
			f.Add(s.build(n), s.allow, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, allow bool, dest uint8) {
		opts := DecodeOptions{AllowObjects: allow}
		if got, bound := allocated(func() { opts.Decode(data) }), allocBound(len(data)); got > bound {
			t.Fatalf("Decode of %d bytes allocated %d bytes, bound %d", len(data), got, bound)
		}
		d := unmarshalDests[int(dest)%len(unmarshalDests)]
		bound := 2*allocBound(len(data)) + uint64(d.elem*len(data))
		if got := allocated(func() { opts.Unmarshal(data, d.new()) }); got > bound {
			t.Fatalf("Unmarshal of %d bytes into %s allocated %d bytes, bound %d", len(data), d.name, got, bound)
		}
	})
}
