package variant

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecode: any input decodes to a value or an error, never a panic; a
// decoded value re-encodes and decodes to an equal value.
func FuzzDecode(f *testing.F) {
	for _, vec := range loadVectors(f) {
		if b, err := hex.DecodeString(vec.Hex); err == nil {
			f.Add(b, vec.Options.AllowObjects)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, allow bool) {
		dec := DecodeOptions{AllowObjects: allow}
		v, n, err := dec.Decode(data)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Reason == "" || e.Offset < 0 || e.Offset > len(data)+3 {
				t.Fatalf("bad error %#v", err)
			}
			if n != 0 || v != nil {
				t.Fatalf("error with n=%d v=%v", n, v)
			}
			return
		}
		if n < 4 || n > len(data)+3 || n%4 != 0 && n > len(data) {
			t.Fatalf("n = %d for %d bytes", n, len(data))
		}
		_ = Format(v)
		// Double precision keeps decoded binary64 reals exact.
		enc := EncodeOptions{FullObjects: allow, DoublePrecision: true}
		b, err := enc.Marshal(v)
		if err != nil {
			t.Fatalf("re-encode %s: %v", Format(v), err)
		}
		v2, n2, err := dec.Decode(b)
		if err != nil {
			t.Fatalf("decode of re-encoded %x: %v", b, err)
		}
		if n2 != len(b) {
			t.Fatalf("n2 = %d, want %d", n2, len(b))
		}
		if !Equal(v, v2) {
			t.Fatalf("round trip changed the value:\n%s\n%s", Format(v), Format(v2))
		}
	})
}

// FuzzRoundTrip: a value built from the fuzz input encodes, decodes and
// encodes again to identical bytes, in single and double precision.
func FuzzRoundTrip(f *testing.F) {
	for _, vec := range loadVectors(f) {
		if b, err := hex.DecodeString(vec.Hex); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{data: data}
		v := g.value(0)
		for _, enc := range []EncodeOptions{{}, {DoublePrecision: true, FullObjects: true}} {
			b1, err := enc.Marshal(v)
			if err != nil {
				t.Fatalf("encode %s: %v", Format(v), err)
			}
			dec := DecodeOptions{AllowObjects: enc.FullObjects}
			v2, n, err := dec.Decode(b1)
			if err != nil {
				t.Fatalf("decode %x: %v", b1, err)
			}
			if n != len(b1) {
				t.Fatalf("n = %d, want %d", n, len(b1))
			}
			b2, err := enc.Marshal(v2)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !bytes.Equal(b1, b2) {
				t.Fatalf("bytes differ for %s:\n%x\n%x", Format(v), b1, b2)
			}
		}
	})
}

// gen builds Variant values from a byte stream (zeros once exhausted).
type gen struct {
	data []byte
	pos  int
}

func (g *gen) byte() byte {
	if g.pos >= len(g.data) {
		return 0
	}
	g.pos++
	return g.data[g.pos-1]
}

func (g *gen) u32() uint32 {
	return uint32(g.byte()) | uint32(g.byte())<<8 | uint32(g.byte())<<16 | uint32(g.byte())<<24
}
func (g *gen) u64() uint64 { return uint64(g.u32()) | uint64(g.u32())<<32 }
func (g *gen) i32() int32  { return int32(g.u32()) }

func (g *gen) real() float64 {
	switch g.byte() % 4 {
	case 0:
		return float64(int8(g.byte())) / 4
	case 1:
		return float64(math.Float32frombits(g.u32()))
	case 2:
		// Math components are kept exact in binary32 so that dictionary keys
		// distinct in double precision do not merge in single precision.
		return float64(float32(math.Float64frombits(g.u64())))
	}
	return 0
}

func (g *gen) str() string {
	n := int(g.byte() % 12)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(g.byte())
	}
	s := strings.ToValidUTF8(sb.String(), "?")
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.TrimPrefix(s, "\ufeff")
	if !utf8.ValidString(s) || strings.HasPrefix(s, "\ufeff") {
		return "x"
	}
	return s
}

func (g *gen) v2() Vector2 { return Vector2{g.real(), g.real()} }
func (g *gen) v3() Vector3 { return Vector3{g.real(), g.real(), g.real()} }
func (g *gen) v4() Vector4 { return Vector4{g.real(), g.real(), g.real(), g.real()} }
func (g *gen) color() Color {
	return Color{math.Float32frombits(g.u32()), float32(g.real()), float32(int8(g.byte())), 1}
}

func (g *gen) ctype() ContainerType {
	switch g.byte() % 5 {
	case 1:
		t := Type(g.byte() % uint8(TypeMax))
		if t == TypeObject {
			// Godot writes Array[Object]-like types with an empty class as
			// builtin 24, which decodes without objects as
			// EncodedObjectAsID: not byte-stable, so use a class name.
			return ContainerType{Builtin: TypeObject, ClassName: "Object"}
		}
		return ContainerType{Builtin: t}
	case 2:
		return ContainerType{Builtin: TypeObject, ClassName: "Node"}
	case 3:
		return ContainerType{Builtin: TypeObject, Script: "res://" + g.str()}
	}
	return ContainerType{}
}

func (g *gen) value(depth int) any {
	t := Type(g.byte() % uint8(TypeMax+1))
	if depth > 6 && (t == TypeArray || t == TypeDictionary || t == TypeObject || t == TypeMax) {
		t = TypeInt
	}
	switch t {
	case TypeNil:
		return nil
	case TypeBool:
		return g.byte()&1 == 1
	case TypeInt:
		if g.byte()&1 == 0 {
			return int64(g.i32())
		}
		return int64(g.u64())
	case TypeFloat:
		if g.byte()&1 == 1 {
			return math.Float64frombits(g.u64())
		}
		return g.real()
	case TypeString:
		return g.str()
	case TypeVector2:
		return g.v2()
	case TypeVector2i:
		return Vector2i{g.i32(), g.i32()}
	case TypeRect2:
		return Rect2{g.v2(), g.v2()}
	case TypeRect2i:
		return Rect2i{Vector2i{g.i32(), g.i32()}, Vector2i{g.i32(), g.i32()}}
	case TypeVector3:
		return g.v3()
	case TypeVector3i:
		return Vector3i{g.i32(), g.i32(), g.i32()}
	case TypeTransform2D:
		return Transform2D{g.v2(), g.v2(), g.v2()}
	case TypeVector4:
		return g.v4()
	case TypeVector4i:
		return Vector4i{g.i32(), g.i32(), g.i32(), g.i32()}
	case TypePlane:
		return Plane{g.v3(), g.real()}
	case TypeQuaternion:
		v := g.v4()
		return Quaternion(v)
	case TypeAABB:
		return AABB{g.v3(), g.v3()}
	case TypeBasis:
		return Basis{[3]Vector3{g.v3(), g.v3(), g.v3()}}
	case TypeTransform3D:
		return Transform3D{Basis{[3]Vector3{g.v3(), g.v3(), g.v3()}}, g.v3()}
	case TypeProjection:
		return Projection{[4]Vector4{g.v4(), g.v4(), g.v4(), g.v4()}}
	case TypeColor:
		return g.color()
	case TypeStringName:
		return StringName(g.str())
	case TypeNodePath:
		var p NodePath
		for i := g.byte() % 3; i > 0; i-- {
			p.Names = append(p.Names, g.str())
		}
		for i := g.byte() % 3; i > 0; i-- {
			p.Subnames = append(p.Subnames, g.str())
		}
		p.Absolute = g.byte()&1 == 1
		return p
	case TypeRID:
		return RID(g.u64())
	case TypeObject:
		if g.byte()&1 == 0 {
			return ObjectID(g.u64())
		}
		o := &Object{Class: "C" + g.str(), ID: ObjectID(g.u64())}
		for i := g.byte() % 3; i > 0; i-- {
			o.Properties = append(o.Properties, Property{g.str(), g.value(depth + 1)})
		}
		return o
	case TypeCallable:
		return Callable{}
	case TypeSignal:
		return Signal{g.str(), ObjectID(g.u64())}
	case TypeDictionary:
		d := &Dictionary{KeyType: g.ctype(), ValueType: g.ctype()}
		for i := g.byte() % 5; i > 0; i-- {
			k := g.value(depth + 1)
			if lossyKey(k) {
				// Without full objects, keys that differ only in object
				// content or object class names encode alike and merge on
				// decode (as in Godot), so the bytes would not be stable.
				k = g.str()
			}
			d.Set(k, g.value(depth+1))
		}
		return d
	case TypeArray:
		n := int(g.byte() % 5)
		vs := make([]any, n)
		for i := range vs {
			vs[i] = g.value(depth + 1)
		}
		if ct := g.ctype(); ct.IsTyped() {
			return TypedArray{Type: ct, Values: vs}
		}
		return vs
	case TypePackedByteArray:
		n := int(g.byte() % 9)
		out := make([]byte, n)
		for i := range out {
			out[i] = g.byte()
		}
		return out
	case TypePackedInt32Array:
		out := make([]int32, g.byte()%5)
		for i := range out {
			out[i] = g.i32()
		}
		return out
	case TypePackedInt64Array:
		out := make([]int64, g.byte()%5)
		for i := range out {
			out[i] = int64(g.u64())
		}
		return out
	case TypePackedFloat32Array:
		out := make([]float32, g.byte()%5)
		for i := range out {
			out[i] = math.Float32frombits(g.u32())
		}
		return out
	case TypePackedFloat64Array:
		out := make([]float64, g.byte()%5)
		for i := range out {
			out[i] = math.Float64frombits(g.u64())
		}
		return out
	case TypePackedStringArray:
		out := make([]string, g.byte()%5)
		for i := range out {
			out[i] = g.str()
		}
		return out
	case TypePackedVector2Array:
		out := make([]Vector2, g.byte()%4)
		for i := range out {
			out[i] = g.v2()
		}
		return out
	case TypePackedVector3Array:
		out := make([]Vector3, g.byte()%4)
		for i := range out {
			out[i] = g.v3()
		}
		return out
	case TypePackedColorArray:
		out := make([]Color, g.byte()%4)
		for i := range out {
			out[i] = g.color()
		}
		return out
	case TypePackedVector4Array:
		out := make([]Vector4, g.byte()%4)
		for i := range out {
			out[i] = g.v4()
		}
		return out
	}
	// TypeMax: a Go value taking the reflection path.
	type inner struct {
		A int16
		B []uint16 `godot:"b,omitempty"`
	}
	return struct {
		Name  string
		Pos   *Vector2
		In    inner
		M     map[string]int32
		Skip  int `godot:"-"`
		Arr   [2]float32
		Other map[int]string
	}{Name: g.str(), Pos: &Vector2{1, 2}, In: inner{A: int16(g.i32())}, M: map[string]int32{"z": 1, g.str(): g.i32()},
		Arr: [2]float32{1, 2}, Other: map[int]string{int(g.i32()): g.str(), 5: "five"}}
}

// lossyKey reports whether k holds something the default (id-only) encoding
// does not preserve: full objects or object class / script container types.
func lossyKey(k any) bool {
	objectType := func(t ContainerType) bool { return t.ClassName != "" || t.Script != "" }
	switch x := k.(type) {
	case *Object:
		return true
	case TypedArray:
		if objectType(x.Type) {
			return true
		}
		for _, v := range x.Values {
			if lossyKey(v) {
				return true
			}
		}
	case []any:
		for _, v := range x {
			if lossyKey(v) {
				return true
			}
		}
	case *Dictionary:
		if objectType(x.KeyType) || objectType(x.ValueType) {
			return true
		}
		for i := 0; i < x.Len(); i++ {
			kk, vv := x.At(i)
			if lossyKey(kk) || lossyKey(vv) {
				return true
			}
		}
	}
	return false
}
