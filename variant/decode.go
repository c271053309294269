package variant

import (
	"bytes"
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"
)

type decoder struct {
	data         []byte
	allowObjects bool
	reserved     int32 // bytes containers reserved so far (see reserve)
	maxDepth     int
	sl           slabs
	kh           keyHasher
	top          *unmarshalHint // Unmarshal's destination type, else nil
}

// Memory bound. A container's count is a claim that is only proven wrong
// when its elements run out, so pre-sizing every container from its count,
// even capped by the bytes left, lets each of up to MaxDepth nested
// containers reserve room for the whole rest of the input (thousands of
// times its size). Instead, all the room reserved up front by one decode
// comes from one budget of reserveBytesPerByte × len(input) bytes, and a
// container grows by doubling past what it reserved.
//
// The budget never limits the containers of an honest input decoded into
// any: every value starts with its own 4-byte header and is an element (or
// key) of at most one container, and every string of a NodePath or
// PackedStringArray and every Object property name its own 4-byte length,
// so all of them together take at most len/4 slots of 16 bytes, which is
// the budget. Honest inputs thus keep allocating their containers once, at
// their exact size; only the hash index of a large Dictionary, also charged
// to the budget, may start short and grow.
//
// Per input byte, one decode therefore allocates at most about:
//
//   - 4 for all reserved room (the budget), whether used or not;
//   - 16 for growth past a reservation: doubling allocates at most twice
//     the final capacity, itself at most twice the elements decoded, and
//     each 16-byte slot holds an element of at least 4 input bytes;
//   - 18 for the values themselves, the largest being a Dictionary (144
//     bytes for an 8-byte empty one); boxed scalars, strings and packed
//     arrays take at most 2, the slabs and arenas at most twice what they
//     hand out;
//   - for large Dictionaries, their hash index and the hashes of container
//     keys, a few dozen bytes per entry of at least 12 bytes.
//
// These do not all add up on one input (bytes spent on a Dictionary are not
// spent on Nils): the worst the tests find is about 30 (empty Dictionaries in
// Arrays that claim too much, alloc_test.go), under the documented
// decodeAllocPerByte × len + decodeAllocConst (the constant covers the first
// chunks of the slabs and arenas). Unmarshal reserves from the same budget
// at the Go size of its slice elements and map entries.

// reserveBytesPerByte is the per-decode budget of reserved room, in bytes
// per input byte: one 16-byte slot per 4-byte word. (The budget stops at
// 2 GiB, which only inputs over 512 MiB reach.)
const reserveBytesPerByte = 4

// reserve returns how many of c claimed elements (each encoded in at least
// minIn bytes from off, each taking size bytes of memory) a container may
// allocate room for up front, and charges them to the decode's budget.
func (d *decoder) reserve(c, off, minIn, size int) int {
	budget := min(reserveBytesPerByte*len(d.data), math.MaxInt32)
	n := min(c, d.rem(off)/minIn, (budget-int(d.reserved))/size)
	if n <= 0 {
		return 0
	}
	d.reserved += int32(n * size)
	return n
}

// grow returns s with room for one more element, doubling its capacity (the
// memory bound relies on doubling, see reserve).
func grow[T any](s []T) []T {
	if len(s) < cap(s) {
		return s
	}
	return growFull(s)
}

// growFull is grow's slow path, kept out of the decoding loops.
//
//go:noinline
func growFull[T any](s []T) []T {
	n := make([]T, len(s), 2*len(s)+4)
	copy(n, s)
	return n
}

// rem returns the bytes left at off; it is negative when a previous
// PackedByteArray claimed padding past the end (as Godot's r_len does).
func (d *decoder) rem(off int) int { return len(d.data) - off }

func (d *decoder) invalid(off int, reason string) error {
	return newError(ErrInvalidData, off, reason)
}

func (d *decoder) short(off, need int, what string) error {
	have := max(d.rem(off), 0)
	return newError(ErrInvalidData, off, what+" needs "+itoa(int64(need))+" bytes, "+itoa(int64(have))+" left")
}

// u32 reads a uint32 at off or fails with ERR_INVALID_DATA.
func (d *decoder) u32(off int, what string) (uint32, error) {
	if d.rem(off) < 4 {
		return 0, d.short(off, 4, what)
	}
	return getU32(d.data[off:]), nil
}

// str decodes the str primitive at off with Godot's checks and order.
func (d *decoder) str(off int, what string) (string, int, error) {
	raw, end, err := d.strBytes(off, what)
	if err != nil {
		return "", 0, err
	}
	return d.sl.string(raw), end, nil
}

// strBytes checks the str primitive at off like str and returns its bytes
// (BOM and everything from the first NUL removed) without copying them.
func (d *decoder) strBytes(off int, what string) ([]byte, int, error) {
	if d.rem(off) < 4 {
		return nil, 0, d.short(off, 4, what+" length")
	}
	l := int64(int32(getU32(d.data[off:])))
	if l < 0 {
		return nil, 0, newError(ErrFileEOF, off, what+" has negative length "+itoa(l))
	}
	p := (4 - l%4) % 4
	if l+p > int64(d.rem(off+4)) {
		return nil, 0, newError(ErrFileEOF, off, what+" length "+itoa(l)+" (+"+itoa(p)+" padding) exceeds the "+itoa(int64(max(d.rem(off+4), 0)))+" bytes left")
	}
	raw := d.data[off+4 : off+4+int(l)]
	// Short ASCII strings without NUL (most keys and names; never a BOM)
	// need one pass.
	if len(raw) <= 64 && plainASCIIBytes(raw) {
		return raw, off + 4 + int(l+p), nil
	}
	if len(raw) >= 3 && raw[0] == 0xef && raw[1] == 0xbb && raw[2] == 0xbf {
		raw = raw[3:]
	}
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		raw = raw[:i]
	}
	if !utf8.Valid(raw) {
		return nil, 0, newError(ErrInvalidData, off+4, what+" is not valid UTF-8")
	}
	return raw, off + 4 + int(l+p), nil
}

// reals reads n reals (binary32, or binary64 when wide) at off into out.
func (d *decoder) reals(off int, wide bool, out []float64, what string) (int, error) {
	w := 4
	if wide {
		w = 8
	}
	need := len(out) * w
	if d.rem(off) < need {
		return 0, d.short(off, need, what)
	}
	b := d.data[off : off+need]
	if wide {
		for i := range out {
			out[i] = getF64(b[i*8:])
		}
	} else {
		for i := range out {
			out[i] = float64(getF32(b[i*4:]))
		}
	}
	return off + need, nil
}

func (d *decoder) i32s(off int, out []int32, what string) (int, error) {
	need := len(out) * 4
	if d.rem(off) < need {
		return 0, d.short(off, need, what)
	}
	for i := range out {
		out[i] = int32(getU32(d.data[off+i*4:]))
	}
	return off + need, nil
}

func (d *decoder) value(off, depth int) (any, int, error) {
	if depth > d.maxDepth {
		return nil, 0, newError(ErrOutOfMemory, off, "nesting deeper than "+itoa(int64(d.maxDepth))+" levels")
	}
	if d.rem(off) < 4 {
		return nil, 0, d.short(off, 4, "Variant header")
	}
	hdr := getU32(d.data[off:])
	t := Type(hdr & 0xff)
	if t >= TypeMax {
		return nil, 0, d.invalid(off, "unknown Variant type id "+itoa(int64(t)))
	}
	wide := hdr&flag64 != 0
	p := off + 4
	var f [16]float64
	var n [4]int32
	var err error
	switch t {
	case TypeNil:
		return nil, p, nil
	case TypeBool:
		if d.rem(p) < 4 {
			return nil, 0, d.short(p, 4, "bool")
		}
		return getU32(d.data[p:]) != 0, p + 4, nil
	case TypeInt:
		if wide {
			if d.rem(p) < 8 {
				return nil, 0, d.short(p, 8, "int64")
			}
			return d.int(int64(getU64(d.data[p:]))), p + 8, nil
		}
		if d.rem(p) < 4 {
			return nil, 0, d.short(p, 4, "int32")
		}
		return d.int(int64(int32(getU32(d.data[p:])))), p + 4, nil
	case TypeFloat:
		if wide {
			if d.rem(p) < 8 {
				return nil, 0, d.short(p, 8, "float64")
			}
			return boxScalar(&d.sl, typeFloat64, getF64(d.data[p:])), p + 8, nil
		}
		if d.rem(p) < 4 {
			return nil, 0, d.short(p, 4, "float32")
		}
		return boxScalar(&d.sl, typeFloat64, float64(getF32(d.data[p:]))), p + 4, nil
	case TypeString:
		s, end, err := d.str(p, "String")
		if err != nil {
			return nil, 0, err
		}
		return box(&d.sl.str, typeString, s, d.sl.firstStr), end, nil
	case TypeStringName:
		s, end, err := d.str(p, "StringName")
		if err != nil {
			return nil, 0, err
		}
		return StringName(s), end, nil
	case TypeVector2:
		if p, err = d.reals(p, wide, f[:2], "Vector2"); err != nil {
			return nil, 0, err
		}
		return boxScalar(&d.sl, typeVec2, Vector2{f[0], f[1]}), p, nil
	case TypeVector2i:
		if p, err = d.i32s(p, n[:2], "Vector2i"); err != nil {
			return nil, 0, err
		}
		return Vector2i{n[0], n[1]}, p, nil
	case TypeRect2:
		if p, err = d.reals(p, wide, f[:4], "Rect2"); err != nil {
			return nil, 0, err
		}
		return Rect2{Vector2{f[0], f[1]}, Vector2{f[2], f[3]}}, p, nil
	case TypeRect2i:
		if p, err = d.i32s(p, n[:4], "Rect2i"); err != nil {
			return nil, 0, err
		}
		return Rect2i{Vector2i{n[0], n[1]}, Vector2i{n[2], n[3]}}, p, nil
	case TypeVector3:
		if p, err = d.reals(p, wide, f[:3], "Vector3"); err != nil {
			return nil, 0, err
		}
		return boxScalar(&d.sl, typeVec3, Vector3{f[0], f[1], f[2]}), p, nil
	case TypeVector3i:
		if p, err = d.i32s(p, n[:3], "Vector3i"); err != nil {
			return nil, 0, err
		}
		return Vector3i{n[0], n[1], n[2]}, p, nil
	case TypeTransform2D:
		if p, err = d.reals(p, wide, f[:6], "Transform2D"); err != nil {
			return nil, 0, err
		}
		return Transform2D{Vector2{f[0], f[1]}, Vector2{f[2], f[3]}, Vector2{f[4], f[5]}}, p, nil
	case TypeVector4:
		if p, err = d.reals(p, wide, f[:4], "Vector4"); err != nil {
			return nil, 0, err
		}
		return Vector4{f[0], f[1], f[2], f[3]}, p, nil
	case TypeVector4i:
		if p, err = d.i32s(p, n[:4], "Vector4i"); err != nil {
			return nil, 0, err
		}
		return Vector4i{n[0], n[1], n[2], n[3]}, p, nil
	case TypePlane:
		if p, err = d.reals(p, wide, f[:4], "Plane"); err != nil {
			return nil, 0, err
		}
		return Plane{Vector3{f[0], f[1], f[2]}, f[3]}, p, nil
	case TypeQuaternion:
		if p, err = d.reals(p, wide, f[:4], "Quaternion"); err != nil {
			return nil, 0, err
		}
		return Quaternion{f[0], f[1], f[2], f[3]}, p, nil
	case TypeAABB:
		if p, err = d.reals(p, wide, f[:6], "AABB"); err != nil {
			return nil, 0, err
		}
		return AABB{Vector3{f[0], f[1], f[2]}, Vector3{f[3], f[4], f[5]}}, p, nil
	case TypeBasis:
		if p, err = d.reals(p, wide, f[:9], "Basis"); err != nil {
			return nil, 0, err
		}
		return basisFrom(f[:9]), p, nil
	case TypeTransform3D:
		if p, err = d.reals(p, wide, f[:12], "Transform3D"); err != nil {
			return nil, 0, err
		}
		return Transform3D{basisFrom(f[:9]), Vector3{f[9], f[10], f[11]}}, p, nil
	case TypeProjection:
		if p, err = d.reals(p, wide, f[:16], "Projection"); err != nil {
			return nil, 0, err
		}
		var pr Projection
		for i := range pr.Columns {
			pr.Columns[i] = Vector4{f[i*4], f[i*4+1], f[i*4+2], f[i*4+3]}
		}
		return pr, p, nil
	case TypeColor:
		if d.rem(p) < 16 {
			return nil, 0, d.short(p, 16, "Color")
		}
		b := d.data[p:]
		return Color{getF32(b), getF32(b[4:]), getF32(b[8:]), getF32(b[12:])}, p + 16, nil
	case TypeNodePath:
		return d.nodePath(p)
	case TypeRID:
		if d.rem(p) < 8 {
			return nil, 0, d.short(p, 8, "RID")
		}
		return RID(getU64(d.data[p:])), p + 8, nil
	case TypeObject:
		return d.object(off, p, wide, depth)
	case TypeCallable:
		return Callable{}, p, nil
	case TypeSignal:
		name, p, err := d.str(p, "Signal name")
		if err != nil {
			return nil, 0, err
		}
		if d.rem(p) < 8 {
			return nil, 0, d.short(p, 8, "Signal object id")
		}
		return Signal{Name: name, Object: ObjectID(getU64(d.data[p:]))}, p + 8, nil
	case TypeDictionary:
		return d.dictionary(hdr, p, depth)
	case TypeArray:
		return d.array(hdr, p, depth)
	case TypePackedByteArray:
		cnt, err := d.u32(p, "PackedByteArray count")
		if err != nil {
			return nil, 0, err
		}
		c := int(int32(cnt))
		if c < 0 || c > d.rem(p+4) {
			return nil, 0, d.invalid(p, "PackedByteArray count "+itoa(int64(c))+" exceeds the "+itoa(int64(max(d.rem(p+4), 0)))+" bytes left")
		}
		src := d.data[p+4 : p+4+c]
		out := make([]byte, len(src))
		copy(out, src)
		return out, p + 4 + c + (4-c%4)%4, nil
	case TypePackedInt32Array:
		return packedDecode[int32](d, p, t, 4)
	case TypePackedInt64Array:
		return packedDecode[int64](d, p, t, 8)
	case TypePackedFloat32Array:
		return packedDecode[float32](d, p, t, 4)
	case TypePackedFloat64Array:
		return packedDecode[float64](d, p, t, 8)
	case TypePackedStringArray:
		return d.packedStrings(p)
	case TypePackedVector2Array, TypePackedVector3Array, TypePackedVector4Array:
		return d.packedVectors(p, t, wide)
	case TypePackedColorArray:
		c, p, err := d.packedCount(p, t, 16)
		if err != nil {
			return nil, 0, err
		}
		out := make([]Color, c)
		b := d.data[p:]
		for i := range out {
			e := b[i*16:]
			out[i] = Color{getF32(e), getF32(e[4:]), getF32(e[8:]), getF32(e[12:])}
		}
		return out, p + c*16, nil
	}
	return nil, 0, d.invalid(off, "unhandled type "+t.String()) // unreachable
}

// int boxes an INT; small values need no allocation at all.
func (d *decoder) int(i int64) any {
	if i >= 0 && i < 256 {
		return i
	}
	return boxScalar(&d.sl, typeInt64, i)
}

// quickHash is a cheap, unseeded key hash for the first entries of a
// decoded Dictionary: String keys (the usual case) use bytesHash, marked by
// quickString, other keys the seeded hash.
func (d *decoder) quickHash(k any) uint64 {
	if s, ok := k.(string); ok {
		return bytesHash(unsafe.Slice(unsafe.StringData(s), len(s))) | quickString
	}
	return d.kh.hash(k, 0)
}

const quickString = 1 << 63

const (
	anySize = int(unsafe.Sizeof(any(nil)))
	// indexEntryCost is what a map[uint64][]int sized for n entries
	// allocates per entry, at most (its 32-byte slots, a load factor and a
	// power-of-two table).
	indexEntryCost = 3*(8+24) + 8
)

func basisFrom(f []float64) Basis {
	return Basis{Rows: [3]Vector3{{f[0], f[1], f[2]}, {f[3], f[4], f[5]}, {f[6], f[7], f[8]}}}
}

// packedCount reads and checks the element count of a fixed-size packed
// array before anything is allocated.
func (d *decoder) packedCount(p int, t Type, size int) (int, int, error) {
	cnt, err := d.u32(p, t.String()+" count")
	if err != nil {
		return 0, 0, err
	}
	c := int64(int32(cnt))
	if c < 0 {
		return 0, 0, d.invalid(p, t.String()+" has negative count "+itoa(c))
	}
	if c*int64(size) > math.MaxInt32 {
		return 0, 0, d.invalid(p, t.String()+" count "+itoa(c)+" × "+itoa(int64(size))+" bytes overflows int32")
	}
	if c*int64(size) > int64(d.rem(p+4)) {
		return 0, 0, d.invalid(p, t.String()+" count "+itoa(c)+" needs "+itoa(c*int64(size))+" bytes, "+itoa(int64(max(d.rem(p+4), 0)))+" left")
	}
	return int(c), p + 4, nil
}

func packedDecode[T int32 | int64 | float32 | float64](d *decoder, p int, t Type, size int) (any, int, error) {
	c, p, err := d.packedCount(p, t, size)
	if err != nil {
		return nil, 0, err
	}
	src := d.data[p : p+c*size]
	if hostLE {
		// make+copy of the same length skips zeroing; the bytes are then
		// viewed as []T (same noscan memory, aligned by the allocator).
		buf := make([]byte, len(src))
		copy(buf, src)
		if c == 0 {
			return []T{}, p, nil
		}
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf))), c), p + c*size, nil
	}
	out := make([]T, c)
	{
		for i := range out {
			switch o := any(&out[i]).(type) {
			case *int32:
				*o = int32(getU32(src[i*4:]))
			case *int64:
				*o = int64(getU64(src[i*8:]))
			case *float32:
				*o = getF32(src[i*4:])
			case *float64:
				*o = getF64(src[i*8:])
			}
		}
	}
	return out, p + c*size, nil
}

func (d *decoder) packedVectors(p int, t Type, wide bool) (any, int, error) {
	comps := 2
	switch t {
	case TypePackedVector3Array:
		comps = 3
	case TypePackedVector4Array:
		comps = 4
	}
	w := 4
	if wide {
		w = 8
	}
	c, p, err := d.packedCount(p, t, comps*w)
	if err != nil {
		return nil, 0, err
	}
	b := d.data[p : p+c*comps*w]
	get := func(i int) float64 {
		if wide {
			return getF64(b[i*8:])
		}
		return float64(getF32(b[i*4:]))
	}
	var out any
	switch t {
	case TypePackedVector2Array:
		s := make([]Vector2, c)
		for i := range s {
			s[i] = Vector2{get(2 * i), get(2*i + 1)}
		}
		out = s
	case TypePackedVector3Array:
		s := make([]Vector3, c)
		for i := range s {
			s[i] = Vector3{get(3 * i), get(3*i + 1), get(3*i + 2)}
		}
		out = s
	default:
		s := make([]Vector4, c)
		for i := range s {
			s[i] = Vector4{get(4 * i), get(4*i + 1), get(4*i + 2), get(4*i + 3)}
		}
		out = s
	}
	return out, p + len(b), nil
}

func (d *decoder) packedStrings(p int) (any, int, error) {
	cnt, err := d.u32(p, "PackedStringArray count")
	if err != nil {
		return nil, 0, err
	}
	p += 4
	c := int(int32(cnt)) // negative: empty, as in Godot
	out := make([]string, 0, d.reserve(c, p, 4, 16))
	for i := 0; i < c; i++ {
		var s string
		if s, p, err = d.str(p, "PackedStringArray element"); err != nil {
			return nil, 0, err
		}
		out = append(grow(out), s)
	}
	return out, p, nil
}

func (d *decoder) nodePath(p int) (any, int, error) {
	w0, err := d.u32(p, "NodePath")
	if err != nil {
		return nil, 0, err
	}
	if w0&0x80000000 == 0 {
		return nil, 0, d.invalid(p, "NodePath in the obsolete pre-3.0 format")
	}
	if d.rem(p) < 12 {
		return nil, 0, d.short(p, 12, "NodePath header")
	}
	names := uint64(w0 & 0x7fffffff)
	subs := uint64(getU32(d.data[p+4:]))
	flags := getU32(d.data[p+8:])
	if flags&2 != 0 {
		subs++ // obsolete "property" flag: the last string is a subname
	}
	p += 12
	np := NodePath{Absolute: flags&1 != 0}
	if names > 0 {
		np.Names = make([]string, 0, d.reserve(int(min(names, math.MaxInt32)), p, 4, 16))
	}
	if subs > 0 {
		np.Subnames = make([]string, 0, d.reserve(int(min(subs, math.MaxInt32)), p, 4, 16))
	}
	for i := uint64(0); i < names+subs; i++ {
		var s string
		if s, p, err = d.str(p, "NodePath component"); err != nil {
			return nil, 0, err
		}
		if i < names {
			np.Names = append(grow(np.Names), s)
		} else {
			np.Subnames = append(grow(np.Subnames), s)
		}
	}
	return np, p, nil
}

func (d *decoder) object(off, p int, asID bool, depth int) (any, int, error) {
	if asID {
		if d.rem(p) < 8 {
			return nil, 0, d.short(p, 8, "Object id")
		}
		return ObjectID(getU64(d.data[p:])), p + 8, nil
	}
	if !d.allowObjects {
		return nil, 0, newError(ErrUnauthorized, off, "full Object refused: decoding objects is not allowed")
	}
	class, p, err := d.str(p, "Object class name")
	if err != nil {
		return nil, 0, err
	}
	if class == "" {
		return ObjectID(0), p, nil // null Object
	}
	cnt, err := d.u32(p, "Object property count")
	if err != nil {
		return nil, 0, err
	}
	p += 4
	c := int(int32(cnt)) // negative: no properties
	o := &Object{Class: class}
	if c > 0 {
		o.Properties = make([]Property, 0, d.reserve(c, p, 8, int(unsafe.Sizeof(Property{}))))
	}
	for i := 0; i < c; i++ {
		var name string
		var v any
		if name, p, err = d.str(p, "Object property name"); err != nil {
			return nil, 0, err
		}
		at := p
		if v, p, err = d.value(p, depth+1); err != nil {
			return nil, 0, err
		}
		if name == "script" && v != nil {
			if s, ok := v.(string); !ok || !strings.HasPrefix(s, "res://") {
				return nil, 0, d.invalid(at, "Object script property is not a res:// path")
			}
		}
		o.Properties = append(grow(o.Properties), Property{Name: name, Value: v})
	}
	return o, p, nil
}

// containerType reads a typed-container descriptor of the given kind.
func (d *decoder) containerType(kind uint32, p int) (ContainerType, int, error) {
	switch kind {
	case 1:
		id, err := d.u32(p, "container element type")
		if err != nil {
			return ContainerType{}, 0, err
		}
		if int32(id) < 0 || id >= uint32(TypeMax) {
			return ContainerType{}, 0, d.invalid(p, "container element type id "+itoa(int64(int32(id)))+" out of range")
		}
		t := ContainerType{Builtin: Type(id)}
		if t.Builtin == TypeObject && !d.allowObjects {
			t.ClassName = encodedAsID
		}
		return t, p + 4, nil
	case 2:
		name, p, err := d.str(p, "container class name")
		if err != nil {
			return ContainerType{}, 0, err
		}
		if !d.allowObjects {
			name = encodedAsID
		}
		return ContainerType{Builtin: TypeObject, ClassName: name}, p, nil
	case 3:
		path, np, err := d.str(p, "container script path")
		if err != nil {
			return ContainerType{}, 0, err
		}
		if !d.allowObjects {
			return ContainerType{Builtin: TypeObject, ClassName: encodedAsID}, np, nil
		}
		if !strings.HasPrefix(path, "res://") {
			return ContainerType{}, 0, d.invalid(p, "container script "+quote(path)+" is not a res:// path")
		}
		return ContainerType{Builtin: TypeObject, Script: path}, np, nil
	}
	return ContainerType{}, p, nil
}

func (d *decoder) array(hdr uint32, p, depth int) (any, int, error) {
	t, p, err := d.containerType((hdr>>16)&3, p)
	if err != nil {
		return nil, 0, err
	}
	cnt, err := d.u32(p, "Array count")
	if err != nil {
		return nil, 0, err
	}
	p += 4
	c := int(cnt & 0x7fffffff)
	vs := d.sl.anySlice(d.reserve(c, p, 4, anySize))
	for i := 0; i < c; i++ {
		var v any
		if v, p, err = d.value(p, depth+1); err != nil {
			return nil, 0, err
		}
		if len(vs) == cap(vs) {
			vs = growFull(vs)
		}
		vs = append(vs, v)
	}
	if t.IsTyped() {
		return TypedArray{Type: t, Values: vs}, p, nil
	}
	return box(&d.sl.lists, typeAnySlice, vs, d.sl.firstLists), p, nil
}

// key decodes a Dictionary key: short String keys come from the intern
// table (see intern.go), anything else from value. For String keys it also
// returns quickHash of the key (0 for other keys).
func (d *decoder) key(off, depth int) (any, uint64, int, error) {
	if depth <= d.maxDepth && d.rem(off) >= 8 && getU32(d.data[off:]) == uint32(TypeString) {
		l := getU32(d.data[off+4:])
		end := off + 8 + int((l+3)&^3)
		if l <= internMaxLen && end <= len(d.data) {
			raw := d.data[off+8 : off+8+int(l)]
			h := bytesHash(raw)
			if v, ok := internLookup(raw, h); ok {
				return v, h | quickString, end, nil
			}
			plain, end, err := d.strBytes(off+4, "String")
			if err != nil {
				return nil, 0, 0, err
			}
			if len(plain) != len(raw) || len(raw) == 0 {
				// BOM or NUL trimmed (or empty): not stored.
				v := d.sl.boxString(plain)
				return v, d.quickHash(v), end, nil
			}
			return internStore(raw, h), h | quickString, end, nil
		}
	}
	v, end, err := d.value(off, depth)
	return v, 0, end, err
}

func (d *decoder) dictionary(hdr uint32, p, depth int) (any, int, error) {
	kt, p, err := d.containerType((hdr>>16)&3, p)
	if err != nil {
		return nil, 0, err
	}
	vt, p, err := d.containerType((hdr>>18)&3, p)
	if err != nil {
		return nil, 0, err
	}
	cnt, err := d.u32(p, "Dictionary count")
	if err != nil {
		return nil, 0, err
	}
	p += 4
	c := int(cnt & 0x7fffffff)
	pre := d.reserve(c, p, 8, 2*anySize)
	kv := d.sl.anySlice(2 * pre)[:2*pre]
	dict := &Dictionary{KeyType: kt, ValueType: vt, keys: kv[:0:pre], values: kv[pre : pre : 2*pre]}
	// Duplicate keys are found by hash. Container keys are hashed once per
	// container (memoized), so nested keys cost the size of the input.
	// Below dictIndexMin entries a cheap hash does (a collision costs one
	// keyEqual); the index, once built, uses the seeded hash.
	var hashes [dictIndexMin]uint64
	for i := 0; i < c; i++ {
		var k, v any
		var h uint64
		if k, h, p, err = d.key(p, depth+1); err != nil {
			return nil, 0, err
		}
		if v, p, err = d.value(p, depth+1); err != nil {
			return nil, 0, err
		}
		if dict.index != nil || len(dict.keys)+1 >= dictIndexMin {
			h = d.kh.hash(k, 0)
		} else if h == 0 {
			h = d.quickHash(k)
		}
		found := -1
		if dict.index != nil {
			for _, j := range dict.index[h] {
				if keyEqual(dict.keys[j], k) {
					found = j
					break
				}
			}
		} else {
			for j := range dict.keys {
				if hashes[j] == h && keyEqual(dict.keys[j], k) {
					found = j
					break
				}
			}
		}
		if found >= 0 {
			dict.values[found] = v
			continue
		}
		n := len(dict.keys)
		if n == cap(dict.keys) {
			dict.keys, dict.values = growFull(dict.keys), growFull(dict.values)
		}
		dict.keys = append(dict.keys, k)
		dict.values = append(dict.values, v)
		switch {
		case dict.index != nil:
			dict.index[h] = append(dict.index[h], n)
		case n+1 < dictIndexMin:
			hashes[n] = h
		default:
			dict.index = make(map[uint64][]int, n+1+d.reserve(c-n-1, p, 8, indexEntryCost))
			for j := range n {
				hj := d.kh.hash(dict.keys[j], 0)
				dict.index[hj] = append(dict.index[hj], j)
			}
			dict.index[h] = append(dict.index[h], n)
		}
	}
	return dict, p, nil
}

// The memory bound of one Decode stated in the package documentation:
// bytes allocated per input byte, plus a constant (see reserve).
const (
	decodeAllocPerByte = 40
	decodeAllocConst   = 16 << 10
)
