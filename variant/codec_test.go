package variant

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/internal/godoterr"
)

// oneOfEach returns a value of every Variant type, with FLOAT and INT in both
// widths and a few containers.
func oneOfEach() []any {
	return []any{
		nil, true, false, int64(5), int64(-1) << 40, 1.5, 0.1, math.Inf(1), "héllo", "",
		Vector2{1.5, -2}, Vector2i{1, -1}, Rect2{Vector2{1, 2}, Vector2{3, 4}}, Rect2i{Vector2i{1, 2}, Vector2i{3, 4}},
		Vector3{1, 2, 3}, Vector3i{1, 2, -3}, Transform2D{Vector2{1, 0}, Vector2{0, 1}, Vector2{5, 6}},
		Vector4{1, 2, 3, 4}, Vector4i{1, 2, 3, -4}, Plane{Vector3{0, 1, 0}, 5}, Quaternion{0, 0, 0, 1},
		AABB{Vector3{1, 2, 3}, Vector3{4, 5, 6}}, BasisFromAxes(Vector3{1, 2, 3}, Vector3{4, 5, 6}, Vector3{7, 8, 9}),
		Transform3D{BasisFromAxes(Vector3{1, 0, 0}, Vector3{0, 1, 0}, Vector3{0, 0, 1}), Vector3{1, 2, 3}},
		Projection{[4]Vector4{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}},
		Color{1, 0.5, 0.25, 1}, StringName("abc"), ParseNodePath("/root/Node:prop:sub"), ParseNodePath(""),
		RID(42), ObjectID(12345), ObjectID(0), Callable{}, Signal{"pressed", 7},
		NewDictionary("a", int64(1), int64(2), []any{"x"}, Vector2{1, 2}, nil),
		&Dictionary{KeyType: ContainerType{Builtin: TypeString}},
		[]any{int64(1), "x", []any{}, NewDictionary()},
		TypedArray{Type: ContainerType{Builtin: TypeInt}, Values: []any{int64(1), int64(2)}},
		TypedArray{Type: ContainerType{Builtin: TypeObject, ClassName: encodedAsID}, Values: []any{ObjectID(3)}},
		[]byte{1, 2, 3, 4, 5}, []int32{1, -1}, []int64{1 << 40}, []float32{1.5, -0.25}, []float64{0.1},
		[]string{"ab", "", "cde"}, []Vector2{{1, 2}}, []Vector3{{1, 2, 3}}, []Color{{1, 0, 0, 1}}, []Vector4{{1, 2, 3, 4}},
	}
}

func TestRoundTripEveryType(t *testing.T) {
	seen := map[Type]bool{}
	for _, opts := range []EncodeOptions{{}, {DoublePrecision: true}, {FullObjects: true}} {
		for _, v := range oneOfEach() {
			b1, err := opts.Marshal(v)
			require.NoError(t, err, Format(v))
			require.Zero(t, len(b1)%4, "length of %s", Format(v))
			seen[Type(b1[0])] = true
			got, n, err := DecodeOptions{AllowObjects: opts.FullObjects}.Decode(b1)
			require.NoError(t, err, Format(v))
			require.Equal(t, len(b1), n)
			require.True(t, Equal(v, got), "%s != %s", Format(v), Format(got))
			b2, err := opts.Marshal(got)
			require.NoError(t, err)
			require.Equal(t, b1, b2, Format(v))
		}
	}
	require.Len(t, seen, int(TypeMax))
}

func TestFullObjectRoundTrip(t *testing.T) {
	o := &Object{Class: "Node2D", Properties: []Property{
		{"script", "res://player.gd"}, {"position", Vector2{1, 2}}, {"child", &Object{Class: "RefCounted"}},
	}, ID: 99}
	b, err := EncodeOptions{FullObjects: true}.Marshal(o)
	require.NoError(t, err)
	_, _, err = Decode(b)
	require.ErrorIs(t, err, ErrUnauthorized)
	got, _, err := DecodeOptions{AllowObjects: true}.Decode(b)
	require.NoError(t, err)
	o.ID = 0 // ids are not part of the full form
	require.True(t, Equal(o, got), Format(got))
	v, ok := got.(*Object).Get("position")
	require.True(t, ok)
	require.Equal(t, Vector2{1, 2}, v)

	// Without full objects an *Object travels as its id.
	b, err = Marshal(&Object{Class: "Node", ID: 77})
	require.NoError(t, err)
	require.Equal(t, "180001004d00000000000000", hex.EncodeToString(b))
	b, err = Marshal((*Object)(nil))
	require.NoError(t, err)
	require.Equal(t, "00000000", hex.EncodeToString(b))

	// A bad script property is refused both ways.
	_, err = EncodeOptions{FullObjects: true}.Marshal(&Object{Class: "Node", Properties: []Property{{"script", "/tmp/x.gd"}}})
	require.ErrorIs(t, err, ErrUnavailable)
	bad := mustHex(t, "18000000"+"04000000"+hex.EncodeToString([]byte("Node"))+"01000000"+
		"06000000"+hex.EncodeToString([]byte("script"))+"0000"+"0200000001000000")
	_, _, err = DecodeOptions{AllowObjects: true}.Decode(bad)
	require.ErrorIs(t, err, ErrInvalidData)
}

func mustHex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// randomValue builds a random Variant value whose reals are exact in binary32.
func randomValue(r *rand.Rand, depth int) any {
	f := func() float64 { return float64(float32(r.NormFloat64() * 100)) }
	s := func() string {
		const letters = "abcxyz é日本😀"
		rs := []rune(letters)
		n := r.IntN(8)
		var sb strings.Builder
		for i := 0; i < n; i++ {
			sb.WriteRune(rs[r.IntN(len(rs))])
		}
		return sb.String()
	}
	max := 30
	if depth > 3 {
		max = 26
	}
	switch r.IntN(max) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 1
	case 2:
		return r.Int64() >> r.IntN(64)
	case 3:
		return r.NormFloat64()
	case 4:
		return s()
	case 5:
		return Vector2{f(), f()}
	case 6:
		return Vector3i{r.Int32(), -r.Int32(), 0}
	case 7:
		return Rect2{Vector2{f(), f()}, Vector2{f(), f()}}
	case 8:
		return Transform2D{Vector2{f(), f()}, Vector2{f(), f()}, Vector2{f(), f()}}
	case 9:
		return Quaternion{f(), f(), f(), f()}
	case 10:
		return Basis{[3]Vector3{{f(), f(), f()}, {f(), f(), f()}, {f(), f(), f()}}}
	case 11:
		return Color{float32(f()), float32(f()), float32(f()), 1}
	case 12:
		return StringName(s())
	case 13:
		return NodePath{Names: []string{s() + "n"}, Subnames: []string{s() + "s"}, Absolute: r.IntN(2) == 0}
	case 14:
		return RID(r.Uint64())
	case 15:
		return ObjectID(r.Uint64())
	case 16:
		return Signal{s(), ObjectID(r.Uint64())}
	case 17:
		b := make([]byte, r.IntN(9))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	case 18:
		return []int32{r.Int32(), -r.Int32()}
	case 19:
		return []float32{float32(f())}
	case 20:
		return []string{s(), s()}
	case 21:
		return []Vector3{{f(), f(), f()}}
	case 22:
		return Projection{[4]Vector4{{f(), f(), f(), f()}, {f(), f(), f(), f()}, {}, {}}}
	case 23:
		return []float64{r.NormFloat64()}
	case 24:
		return AABB{Vector3{f(), f(), f()}, Vector3{f(), f(), f()}}
	case 25:
		return Callable{}
	case 26, 27:
		n := r.IntN(5)
		vs := make([]any, n)
		for i := range vs {
			vs[i] = randomValue(r, depth+1)
		}
		if r.IntN(4) == 0 {
			return TypedArray{Type: ContainerType{Builtin: TypeInt}, Values: vs}
		}
		return vs
	default:
		d := &Dictionary{}
		for i := r.IntN(5); i > 0; i-- {
			d.Set(randomValue(r, depth+1), randomValue(r, depth+1))
		}
		return d
	}
}

func TestPropertyRandomValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		v := randomValue(r, 0)
		for _, opts := range []EncodeOptions{{}, {DoublePrecision: true}} {
			b, err := opts.Marshal(v)
			require.NoError(t, err)
			got, n, err := Decode(b)
			require.NoError(t, err)
			require.Equal(t, len(b), n)
			require.True(t, Equal(v, got), "%s\n%s", Format(v), Format(got))
			b2, err := opts.Marshal(got)
			require.NoError(t, err)
			require.Equal(t, b, b2)
			// Trailing bytes are ignored.
			got, n, err = Decode(append(b, 1, 2, 3))
			require.NoError(t, err)
			require.Equal(t, len(b), n)
			require.True(t, Equal(v, got))
		}
	}
}

func TestIntFloatWidths(t *testing.T) {
	for _, c := range []struct {
		v   any
		hex string
	}{
		{int8(-1), "02000000ffffffff"}, {uint8(200), "02000000c8000000"}, {uint32(math.MaxUint32), "02000100ffffffff00000000"},
		{int(math.MaxInt32), "02000000ffffff7f"}, {uint64(math.MaxInt64), "02000100ffffffffffffff7f"},
		{float32(0.1), "03000000cdcccc3d"}, {math.MaxFloat64, "03000100ffffffffffffef7f"},
		{1e-50, "030001001fb8d44a7aee8d35"}, {math.Copysign(0, -1), "0300000000000080"},
	} {
		b, err := Marshal(c.v)
		require.NoError(t, err)
		require.Equal(t, c.hex, hex.EncodeToString(b), "%T %v", c.v, c.v)
	}
	_, err := Marshal(uint64(math.MaxUint64))
	require.ErrorIs(t, err, ErrInvalidParameter)
}

func TestEncodeRejectsLossyStrings(t *testing.T) {
	for _, s := range []string{"a\x00b", "\xff", "\ufeffabc"} {
		_, err := Marshal(s)
		require.ErrorIs(t, err, ErrInvalidParameter, "%q", s)
		_, err = Marshal([]string{"ok", s})
		require.ErrorIs(t, err, ErrInvalidParameter, "%q", s)
		dst := []byte{1, 2}
		out, err := Append(dst, []any{int64(1), s})
		require.Error(t, err)
		require.Equal(t, dst, out, "dst unchanged on error")
	}
	// A BOM after the start is kept.
	b, err := Marshal("a\ufeff")
	require.NoError(t, err)
	v, _, err := Decode(b)
	require.NoError(t, err)
	require.Equal(t, "a\ufeff", v)
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		name, hex string
		want      *godoterr.Error
		offset    int
	}{
		{"short header", "0100", ErrInvalidData, 0},
		{"type 255", "ff000000", ErrInvalidData, 0},
		{"float32 truncated", "03000000", ErrInvalidData, 4},
		{"string length missing", "04000000", ErrInvalidData, 4},
		{"string too long", "0400000009000000", ErrFileEOF, 4},
		{"string overlong utf8", "0400000002000000c0af0000", ErrInvalidData, 8},
		{"string surrogate", "0400000003000000eda080" + "00", ErrInvalidData, 8},
		{"string NUL then invalid is fine", "", nil, 0},
		{"nodepath short", "16000000000000800000", ErrInvalidData, 4},
		{"nodepath bad component", "1600000001000080000000000000000009000000", ErrFileEOF, 16},
		{"rid truncated", "1700000001000000", ErrInvalidData, 4},
		{"object id truncated", "1800010001000000", ErrInvalidData, 4},
		{"full object refused", "1800000001000000", ErrUnauthorized, 0},
		{"dict count missing", "1b000000", ErrInvalidData, 4},
		{"dict value missing", "1b000000010000000000000000", ErrInvalidData, 12},
		{"typed dict bad key type", "1b000100ffffffff00000000", ErrInvalidData, 4},
		{"array huge count", "1c000000ffffff7f", ErrInvalidData, 8},
		{"packed int64 huge", "1f000000ffffff0f", ErrInvalidData, 4},
		{"packed byte negative", "1d000000ffffffff", ErrInvalidData, 4},
		{"packed vector2 double short", "23000100010000000000000000000000", ErrInvalidData, 4},
		{"packed string element short", "22000000020000000100000061000000", ErrInvalidData, 16},
		{"color short", "14000000000000000000000000000000", ErrInvalidData, 4},
		{"signal name bad", "1a000000ffffffff", ErrFileEOF, 4},
		{"vector after short byte array", "1c000000020000001d00000001000000aa", ErrInvalidData, 20},
	} {
		if c.want == nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			_, n, err := Decode(mustHex(t, c.hex))
			require.ErrorIs(t, err, c.want)
			require.Zero(t, n)
			var e *Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, c.offset, e.Offset, e.Error())
			require.NotEmpty(t, e.Reason)
			require.Contains(t, e.Error(), c.want.Name())
		})
	}
	// Bytes after a NUL inside a string are not validated (the parser stops).
	v, _, err := Decode(mustHex(t, "0400000004000000610000ff"))
	require.NoError(t, err)
	require.Equal(t, "a", v)
}

func TestTypedContainersWithoutObjects(t *testing.T) {
	// Array[Node] with full objects: class kept only when objects are allowed.
	b := mustHex(t, "1c000200040000004e6f646500000000")
	v, _, err := Decode(b)
	require.NoError(t, err)
	require.Equal(t, TypedArray{Type: ContainerType{Builtin: TypeObject, ClassName: encodedAsID}, Values: []any{}}, v)
	v, _, err = DecodeOptions{AllowObjects: true}.Decode(b)
	require.NoError(t, err)
	require.Equal(t, TypedArray{Type: ContainerType{Builtin: TypeObject, ClassName: "Node"}, Values: []any{}}, v)
	// Script paths must be res:// when objects are allowed.
	_, _, err = DecodeOptions{AllowObjects: true}.Decode(mustHex(t, "1c00030004000000782e676400000000"))
	require.ErrorIs(t, err, ErrInvalidData)
	_, err = EncodeOptions{FullObjects: true}.Marshal(TypedArray{Type: ContainerType{Builtin: TypeObject, Script: "x.gd"}})
	require.ErrorIs(t, err, ErrUnavailable)
}

func nested(n int) any {
	var v any = int64(1)
	for i := 0; i < n; i++ {
		v = []any{v}
	}
	return v
}

func TestDepthLimit(t *testing.T) {
	// 1024 arrays around an int: the int sits at depth 1024, which is allowed.
	b, err := Marshal(nested(1024))
	require.NoError(t, err)
	_, _, err = Decode(b)
	require.NoError(t, err)
	_, err = Marshal(nested(1025))
	require.ErrorIs(t, err, ErrOutOfMemory)

	// Hand-built 1025 levels: decode fails with ERR_OUT_OF_MEMORY, no stack blowup.
	deep := bytes.Repeat(mustHex(t, "1c00000001000000"), 1025)
	deep = append(deep, mustHex(t, "0200000001000000")...)
	_, _, err = Decode(deep)
	require.ErrorIs(t, err, ErrOutOfMemory)
	// Far deeper input costs nothing more.
	_, _, err = Decode(bytes.Repeat(mustHex(t, "1c00000001000000"), 1<<16))
	require.ErrorIs(t, err, ErrOutOfMemory)
	// MaxDepth option.
	_, _, err = DecodeOptions{MaxDepth: 1}.Decode(mustHex(t, "1c000000010000001c000000010000001c0000000000000000"))
	require.ErrorIs(t, err, ErrOutOfMemory)

	// Dictionaries and objects count too.
	d := NewDictionary()
	cur := d
	for i := 0; i < 1100; i++ {
		next := NewDictionary()
		cur.Set("k", next)
		cur = next
	}
	_, err = Marshal(d)
	require.ErrorIs(t, err, ErrOutOfMemory)
}

type cyc struct {
	Name string
	Next *cyc
}

type selfPtr *selfPtr

func TestEncodeCycles(t *testing.T) {
	c := &cyc{Name: "a"}
	c.Next = c
	_, err := Marshal(c)
	require.ErrorIs(t, err, ErrOutOfMemory)

	s := []any{nil}
	s[0] = s
	_, err = Marshal(s)
	require.ErrorIs(t, err, ErrOutOfMemory)

	m := map[string]any{}
	m["self"] = m
	_, err = Marshal(m)
	require.ErrorIs(t, err, ErrOutOfMemory)

	d := NewDictionary()
	d.Set("self", d)
	_, err = Marshal(d)
	require.ErrorIs(t, err, ErrOutOfMemory)

	var p selfPtr
	p = &p
	_, err = Marshal(p)
	require.ErrorIs(t, err, ErrOutOfMemory)
}

func TestHugeCountsFailBeforeAllocating(t *testing.T) {
	for _, h := range []string{
		"1c000000ffffff7f",                 // Array of 2^31-1
		"1b000000ffffff7f",                 // Dictionary of 2^31-1
		"1d000000ffffff7f00000000",         // PackedByteArray
		"1e000000ffffff1f00000000",         // PackedInt32Array (×4 fits int32)
		"22000000ffffff7f00000000",         // PackedStringArray
		"16000000ffffffffffffffff00000000", // NodePath with 2^31-1 names and 2^32-1 subnames
		"180000000100000061000000ffffff7f", // full Object with 2^31-1 properties
		"2500000000000008",                 // PackedColorArray
	} {
		data := mustHex(t, h)
		allocs := testing.AllocsPerRun(5, func() {
			_, _, err := DecodeOptions{AllowObjects: true}.Decode(data)
			require.Error(t, err, h)
		})
		require.LessOrEqual(t, allocs, 8.0, h)
	}
	var ms [2]uint64
	_ = ms
}

func TestDictionary(t *testing.T) {
	d := NewDictionary("a", 1, "b", 2)
	d.Set(int64(7), "seven")
	d.Set("a", 10) // overwrite in place
	d.Set(7, "SEVEN")
	d.Set(7.0, "float seven") // a different key
	require.Equal(t, 4, d.Len())
	require.Equal(t, []any{"a", "b", int64(7), 7.0}, d.Keys())
	require.Equal(t, []any{10, 2, "SEVEN", "float seven"}, d.Values())
	v, ok := d.Get(int32(7))
	require.True(t, ok)
	require.Equal(t, "SEVEN", v)
	require.True(t, d.Has([]any(nil)) == false)
	d.Set([]any{int64(1)}, "list key")
	v, ok = d.Get([]any{1})
	require.True(t, ok)
	require.Equal(t, "list key", v)
	require.True(t, d.Delete("b"))
	require.False(t, d.Delete("b"))
	require.Equal(t, `{"a": 10, 7: "SEVEN", 7.0: "float seven", [1]: "list key"}`, d.String())

	// Large dictionaries switch to an index and keep the same behaviour.
	big := NewDictionary()
	for i := 0; i < 100; i++ {
		big.Set(i, i)
	}
	for i := 0; i < 100; i += 3 {
		big.Set(int64(i), -i)
	}
	require.Equal(t, 100, big.Len())
	v, _ = big.Get(99)
	require.Equal(t, -99, v)
	require.True(t, big.Delete(0))
	v, _ = big.Get(3)
	require.Equal(t, -3, v)
	k, _ := big.At(0)
	require.Equal(t, 1, k)

	// Decoding duplicate keys keeps the first position with the last value.
	got, _, err := Decode(mustHex(t, "1b00000003000000"+"0200000001000000"+"0200000001000000"+
		"0200000002000000"+"0200000002000000"+"0200010001000000"+"00000000"+"0200000003000000"))
	require.NoError(t, err)
	require.Equal(t, `{1: 3, 2: 2}`, Format(got))

	var zero Dictionary
	zero.Set("x", 1)
	require.Equal(t, 1, zero.Len())
	n := 0
	d.Range(func(k, v any) bool { n++; return false })
	require.Equal(t, 1, n)
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, "null"}, {true, "true"}, {int64(-3), "-3"}, {1.0, "1.0"}, {1.5, "1.5"}, {math.Inf(-1), "-inf"},
		{"a\"b", `"a\"b"`}, {StringName("n"), `&"n"`}, {ParseNodePath("/a/b:c"), `^"/a/b:c"`},
		{Vector2{1, 2.5}, "Vector2(1, 2.5)"}, {Vector3i{1, 2, 3}, "Vector3i(1, 2, 3)"},
		{Color{1, 0.5, 0, 1}, "Color(1, 0.5, 0, 1)"}, {[]any{int64(1), "x"}, `[1, "x"]`},
		{NewDictionary("a", int64(1)), `{"a": 1}`}, {[]byte{1, 2}, "PackedByteArray(1, 2)"},
		{[]string{"a"}, `PackedStringArray("a")`}, {RID(3), "RID(3)"}, {ObjectID(4), "ObjectID(4)"},
		{Callable{}, "Callable()"}, {Signal{"s", 1}, `Signal("s", 1)`},
		{TypedArray{Type: ContainerType{Builtin: TypeInt}, Values: []any{int64(1)}}, "Array[int]([1])"},
		{&Dictionary{KeyType: ContainerType{Builtin: TypeString}}, "Dictionary[String, Variant]({})"},
		{&Object{Class: "Node", Properties: []Property{{"a", int64(1)}}}, `Object(Node, "a": 1)`},
		{BasisFromAxes(Vector3{1, 2, 3}, Vector3{4, 5, 6}, Vector3{7, 8, 9}), "Basis(1, 4, 7, 2, 5, 8, 3, 6, 9)"},
		{[]Vector2{{1, 2}}, "PackedVector2Array(1, 2)"}, {uint(7), "7"}, {struct{ A int }{1}, "{1}"},
	} {
		require.Equal(t, c.want, Format(c.v))
	}
	require.Equal(t, "Vector2(1, 2)", Vector2{1, 2}.String())
	require.Equal(t, "/root/x:y", ParseNodePath("/root/x:y").String())
	require.Equal(t, "PackedVector4Array", TypePackedVector4Array.String())
	require.Equal(t, "Type(200)", Type(200).String())
	require.Equal(t, Vector3{1, 2, 3}, BasisFromAxes(Vector3{1, 2, 3}, Vector3{}, Vector3{}).Axis(0))
}

func TestHalfFloat(t *testing.T) {
	for _, f := range []float32{0, 1, -2, 0.5, 65504, 6.1035156e-05, 5.9604645e-08, float32(math.Inf(1))} {
		require.Equal(t, f, halfToFloat(halfFromFloat(f)), "%v", f)
	}
	require.Equal(t, uint16(0x7c00), halfFromFloat(1e10))
	require.True(t, math.IsNaN(float64(halfToFloat(halfFromFloat(float32(math.NaN()))))))
}

func TestFrame(t *testing.T) {
	b, err := appendFrame(nil, "hi", EncodeOptions{})
	require.NoError(t, err)
	require.Equal(t, "0c000000"+"0400000002000000"+"68690000", hex.EncodeToString(b))
	v, n, err := decodeFrame(b, DecodeOptions{})
	require.NoError(t, err)
	require.Equal(t, "hi", v)
	require.Equal(t, len(b), n)
	_, _, err = decodeFrame(b[:8], DecodeOptions{})
	require.ErrorIs(t, err, ErrUnavailable)
}
