package variant

import "unsafe"

// Decoding boxes many small values (strings, int64s, vectors) into
// interfaces. Instead of one heap allocation per value, the decoder stores
// them in typed slabs and builds interfaces pointing into the slab, exactly
// as the runtime lays out an interface holding a non-pointer value. Slab
// elements are written once and never modified afterwards. String bytes are
// likewise copied into shared chunks.

// eface is the runtime layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(x any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&x)).typ }

var (
	typeString     = typeWord("")
	typeStringName = typeWord(StringName(""))
	typeInt64      = typeWord(int64(0))
	typeFloat64    = typeWord(float64(0))
	typeVec2       = typeWord(Vector2{})
	typeVec3       = typeWord(Vector3{})
	typeAnySlice   = typeWord([]any(nil))
)

const maxSlab = 128

// slabs holds the decoder's boxing slabs.
type slabs struct {
	str   []string
	i64   []int64
	f64   []float64
	vec2  []Vector2
	vec3  []Vector3
	lists [][]any
	bytes []byte // string bytes
}

func box[T any](slab *[]T, typ unsafe.Pointer, v T) any {
	s := *slab
	if len(s) == cap(s) {
		s = make([]T, 0, min(max(2*cap(s), 128/int(unsafe.Sizeof(v))), maxSlab))
	}
	s = append(s, v)
	*slab = s
	var x any
	e := (*eface)(unsafe.Pointer(&x))
	e.typ = typ
	e.data = unsafe.Pointer(&s[len(s)-1])
	return x
}

// string returns raw as a string whose bytes live in a shared chunk.
func (s *slabs) string(raw []byte, hint int) string {
	if len(raw) == 0 {
		return ""
	}
	if len(raw) > cap(s.bytes)-len(s.bytes) {
		if len(raw) > 1024 {
			return string(raw)
		}
		s.bytes = make([]byte, 0, min(max(2*cap(s.bytes), hint, len(raw), 64), 4096))
	}
	start := len(s.bytes)
	s.bytes = append(s.bytes, raw...)
	return unsafe.String(&s.bytes[start], len(raw))
}
