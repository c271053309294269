package variant

import "unsafe"

// Decoding boxes many small values (strings, int64s, vectors) into
// interfaces. Instead of one heap allocation per value, the decoder carves
// them out of a few shared chunks and builds interfaces pointing into them,
// exactly as the runtime lays out an interface holding a non-pointer value:
//
//   - scalar values (int64, float64, Vector2, Vector3) and string bytes go
//     into a pointer-free arena of uint64 words;
//   - string headers and []any headers go into typed slabs;
//   - Array elements and Dictionary entries share one []any arena, each
//     slice capped so appends never overlap.
//
// Every element is written once, before it is boxed, and never modified
// afterwards. Chunk sizes are bounded by the input length, so a live value
// keeps at most a few times its input size alive.

// eface is the runtime layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(x any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&x)).typ }

var (
	typeString   = typeWord("")
	typeInt64    = typeWord(int64(0))
	typeFloat64  = typeWord(float64(0))
	typeVec2     = typeWord(Vector2{})
	typeVec3     = typeWord(Vector3{})
	typeAnySlice = typeWord([]any(nil))
)

const (
	maxSlab     = 128  // elements per typed slab chunk
	maxArena    = 512  // words per scalar arena chunk
	maxAnyArena = 256  // elements per []any arena chunk
	bigString   = 1024 // strings longer than this get their own allocation
)

// slabs holds the decoder's chunks. The zero value is ready to use; size
// sets the first chunks' sizes.
type slabs struct {
	words []uint64 // pointer-free arena
	str   []string
	lists [][]any
	anys  []any

	// First chunk sizes; later chunks double.
	firstWords, firstStr, firstLists, firstAnys int
}

// size sets the first chunk sizes for decoding n input bytes. Each value
// takes at least 4 input bytes and a typical message (a Dictionary of short
// String keys, whose keys are interned) needs about one element per 12
// bytes, one word per 16 and one boxed String value per 48. Chunks are
// allocated on first use and double when full, so an unusual message costs
// a few more allocations, never a large one.
func (s *slabs) size(n int) {
	s.firstWords, s.firstStr, s.firstLists, s.firstAnys = n/16, n/48, 1, n/12
}

func makeIface(typ, data unsafe.Pointer) any {
	var x any
	e := (*eface)(unsafe.Pointer(&x))
	e.typ = typ
	e.data = data
	return x
}

// box stores v in a typed slab and returns it as an interface.
// first sizes the first chunk.
func box[T any](slab *[]T, typ unsafe.Pointer, v T, first int) any {
	s := *slab
	if len(s) == cap(s) {
		s = make([]T, 0, min(max(2*cap(s), first, 1), maxSlab))
	}
	s = append(s, v)
	*slab = s
	return makeIface(typ, unsafe.Pointer(&s[len(s)-1]))
}

// alloc returns n bytes (n > 0), 8-byte aligned, from the pointer-free arena.
func (s *slabs) alloc(n int) unsafe.Pointer {
	w := (n + 7) / 8
	if w > cap(s.words)-len(s.words) {
		if w > maxArena/2 {
			return unsafe.Pointer(unsafe.SliceData(make([]uint64, w)))
		}
		s.words = make([]uint64, 0, min(max(2*cap(s.words), s.firstWords, w), maxArena))
	}
	l := len(s.words)
	s.words = s.words[:l+w]
	return unsafe.Pointer(&s.words[l])
}

// boxScalar stores a pointer-free value in the arena and returns it as an
// interface.
func boxScalar[T int64 | float64 | Vector2 | Vector3](s *slabs, typ unsafe.Pointer, v T) any {
	p := s.alloc(int(unsafe.Sizeof(v)))
	*(*T)(p) = v
	return makeIface(typ, p)
}

// string returns raw as a string whose bytes live in the arena.
func (s *slabs) string(raw []byte) string {
	n := len(raw)
	if l, w := len(s.words), (n+7)>>3; n > 0 && n <= bigString && w <= cap(s.words)-l {
		s.words = s.words[:l+w]
		p := (*byte)(unsafe.Pointer(&s.words[l]))
		copy(unsafe.Slice(p, n), raw)
		return unsafe.String(p, n)
	}
	return s.stringSlow(raw)
}

// stringSlow is string when the current chunk is full (or raw is empty or
// big).
func (s *slabs) stringSlow(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if len(raw) > bigString {
		return string(raw)
	}
	p := s.alloc(len(raw))
	copy(unsafe.Slice((*byte)(p), len(raw)), raw)
	return unsafe.String((*byte)(p), len(raw))
}

// boxString returns raw as a boxed string held in the slabs.
func (s *slabs) boxString(raw []byte) any {
	return box(&s.str, typeString, s.string(raw), s.firstStr)
}

// anySlice returns an empty slice with capacity n from the []any arena.
func (s *slabs) anySlice(n int) []any {
	if n == 0 {
		return []any{}
	}
	if n > cap(s.anys)-len(s.anys) {
		if n > maxAnyArena/2 {
			return make([]any, 0, n)
		}
		s.anys = make([]any, 0, min(max(cap(s.anys), s.firstAnys, n), maxAnyArena))
	}
	l := len(s.anys)
	s.anys = s.anys[:l+n]
	return s.anys[l : l : l+n]
}
