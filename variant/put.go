package variant

import (
	"encoding/binary"
	"math"
	"slices"
	"unsafe"
)

// Fast writers for the common small values: each grows the buffer once and
// stores fixed-size fields in place, instead of one append per field.

// extend returns b lengthened by n bytes and those n bytes.
func extend(b []byte, n int) ([]byte, []byte) {
	l := len(b)
	if cap(b)-l < n {
		b = slices.Grow(b, n)
	}
	b = b[:l+n]
	return b, b[l:]
}

var le = binary.LittleEndian

// appendTaggedStr appends a String or StringName (header hdr) holding s.
func appendTaggedStr(b []byte, hdr uint32, s string) ([]byte, error) {
	n := len(s)
	if n > 64 || !plainASCII(s) {
		return appendStr(appendU32(b, hdr), s)
	}
	size := 8 + (n+3)&^3
	b, o := extend(b, size)
	le.PutUint32(o, hdr)
	le.PutUint32(o[size-4:], 0) // padding; the copy overwrites it when there is none
	le.PutUint32(o[4:], uint32(n))
	copy(o[8:], s)
	return b, nil
}

// plainASCII reports whether s is ASCII without NUL (so valid for Godot as
// is). It may report false for some such strings; callers then check fully.
func plainASCII(s string) bool {
	return plainASCIIBytes(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// plainASCIIBytes is plainASCII for bytes, checking a word at a time.
func plainASCIIBytes(s []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const lo32, hi32 = 0x01010101, 0x80808080
	n := len(s)
	if n < 8 {
		if n < 4 {
			for i := 0; i < n; i++ {
				if s[i]-1 >= 0x7f {
					return false
				}
			}
			return true
		}
		// Two overlapping 4-byte words cover 4..7 bytes.
		a, b := le.Uint32(s), le.Uint32(s[n-4:])
		return ((a-lo32)|a|(b-lo32)|b)&hi32 == 0
	}
	for i := 0; i+8 < n; i += 8 {
		if w := le.Uint64(s[i:]); ((w-lo)|w)&hi != 0 {
			return false
		}
	}
	w := le.Uint64(s[n-8:])
	return ((w-lo)|w)&hi == 0
}

// appendIntValue appends an INT Variant (32-bit payload when it fits).
func appendIntValue(b []byte, i int64) []byte {
	if i > math.MaxInt32 || i < math.MinInt32 {
		b, o := extend(b, 12)
		le.PutUint32(o, uint32(TypeInt)|flag64)
		le.PutUint64(o[4:], uint64(i))
		return b
	}
	b, o := extend(b, 8)
	le.PutUint32(o, uint32(TypeInt))
	le.PutUint32(o[4:], uint32(int32(i)))
	return b
}

func appendBoolValue(b []byte, v bool) []byte {
	b, o := extend(b, 8)
	le.PutUint32(o, uint32(TypeBool))
	le.PutUint32(o[4:], uint32(boolInt(v)))
	return b
}

// vector2 appends a Vector2 Variant.
func (e *encoder) vector2(b []byte, x *Vector2) []byte {
	if e.double {
		return e.reals(e.header(b, TypeVector2, true), x.X, x.Y)
	}
	b, o := extend(b, 12)
	le.PutUint32(o, uint32(TypeVector2))
	le.PutUint32(o[4:], math.Float32bits(float32(x.X)))
	le.PutUint32(o[8:], math.Float32bits(float32(x.Y)))
	return b
}

// vector3 appends a Vector3 Variant.
func (e *encoder) vector3(b []byte, x *Vector3) []byte {
	if e.double {
		return e.reals(e.header(b, TypeVector3, true), x.X, x.Y, x.Z)
	}
	b, o := extend(b, 16)
	le.PutUint32(o, uint32(TypeVector3))
	le.PutUint32(o[4:], math.Float32bits(float32(x.X)))
	le.PutUint32(o[8:], math.Float32bits(float32(x.Y)))
	le.PutUint32(o[12:], math.Float32bits(float32(x.Z)))
	return b
}

// appendKey appends an encoded String key; the usual 12- and 16-byte keys
// are copied as words.
func appendKey(b, k []byte) []byte {
	switch len(k) {
	case 12:
		b, o := extend(b, 12)
		le.PutUint64(o, le.Uint64(k))
		le.PutUint32(o[8:], le.Uint32(k[8:]))
		return b
	case 16:
		b, o := extend(b, 16)
		le.PutUint64(o, le.Uint64(k))
		le.PutUint64(o[8:], le.Uint64(k[8:]))
		return b
	}
	return append(b, k...)
}
