package variant

import (
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPortableFallback runs the packed-array paths used on big-endian hosts.
func TestPortableFallback(t *testing.T) {
	saved := hostLE
	hostLE = false
	defer func() { hostLE = saved }()
	for _, v := range []any{[]int32{1, -2}, []int64{1 << 40, -1}, []float32{1.5, float32(math.Inf(-1))}, []float64{0.1, -2}} {
		b, err := Marshal(v)
		require.NoError(t, err)
		hostLE = saved
		want, _ := Marshal(v)
		hostLE = false
		require.Equal(t, want, b)
		got, _, err := Decode(b)
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
}

type (
	myF32  float32
	myF64  float64
	myI64  int64
	myStr  string
	myVecs []Vector2
)

func TestReflectSlicesAndKeys(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{[]myF32{1.5}, "PackedFloat32Array(1.5)"},
		{[]myF64{0.1}, "PackedFloat64Array(0.1)"},
		{[]myI64{-1}, "PackedInt64Array(-1)"},
		{[]myStr{"a"}, `PackedStringArray("a")`},
		{myVecs{{1, 2}}, "PackedVector2Array(1, 2)"},
		{[]Vector3{{1, 2, 3}}, "PackedVector3Array(1, 2, 3)"},
		{[]uint8{7}, "PackedByteArray(7)"},
		{[]int{1, 2}, "[1, 2]"},
		{map[uint]int{2: 1, 1: 2}, "{1: 2, 2: 1}"},
		{map[float64]int{2.5: 1, -1: 2}, "{-1.0: 2, 2.5: 1}"},
		{map[bool]int{true: 1, false: 0}, "{false: 0, true: 1}"},
		{map[Vector2i]int{{2, 0}: 1, {1, 0}: 2}, "{Vector2i(1, 0): 2, Vector2i(2, 0): 1}"},
		{map[any]int{"b": 1, int64(1): 2}, `{1: 2, "b": 1}`},
		{&[]any{int64(1)}, "[1]"},
		{myStr("s"), `"s"`},
		{uintptr(3), "3"},
	} {
		b, err := Marshal(c.in)
		require.NoError(t, err, "%T", c.in)
		v, _, err := Decode(b)
		require.NoError(t, err)
		require.Equal(t, c.want, Format(v), "%T", c.in)
	}
}

func TestStringMethodsAndEqual(t *testing.T) {
	for _, v := range oneOfEach() {
		if _, isPath := v.(NodePath); isPath {
			continue // NodePath.String is the bare path, as Godot's str() gives
		}
		if s, ok := v.(interface{ String() string }); ok {
			require.Equal(t, Format(v), s.String())
		}
	}
	a := NewDictionary("k", []any{math.NaN()})
	b := NewDictionary("k", []any{math.NaN()})
	require.True(t, a.Equal(b))
	require.True(t, Equal(a, b))
	b.Set("x", 1)
	require.False(t, a.Equal(b))
	require.True(t, (*Dictionary)(nil).Equal(&Dictionary{}))
	require.False(t, (&Dictionary{KeyType: ContainerType{Builtin: TypeInt}}).Equal(&Dictionary{}))
	require.False(t, Equal(int64(1), 1))
	require.True(t, Equal(map[string]any{"a": 1.0}, map[string]any{"a": 1.0}))
	require.False(t, Equal(map[string]any{"a": 1.0}, map[string]any{"b": 1.0}))
	require.False(t, Equal(0.0, math.Copysign(0, -1)))
	require.True(t, Equal([]any(nil), []any{}))
}

func TestDoublePrecisionDecodeAll(t *testing.T) {
	// Every real-valued type decodes its FLAG_64 form losslessly.
	for _, v := range []any{
		Vector2{0.1, 0.2}, Rect2{Vector2{0.1, 0}, Vector2{0, 0.3}}, Vector3{0.1, 0, 0}, Transform2D{X: Vector2{0.1, 0}},
		Vector4{0, 0, 0, 0.1}, Plane{Vector3{0, 0.1, 0}, 0.7}, Quaternion{0.1, 0, 0, 0.9}, AABB{Size: Vector3{0.1, 0.1, 0.1}},
		Basis{[3]Vector3{{0.1, 0, 0}, {}, {0, 0, 0.3}}}, Transform3D{Origin: Vector3{0.1, 0.2, 0.3}},
		Projection{[4]Vector4{{0.1, 0, 0, 0}}}, []Vector2{{0.1, 0.2}}, []Vector3{{0.1, 0.2, 0.3}}, []Vector4{{0.1, 0, 0, 0.4}},
	} {
		b, err := EncodeOptions{DoublePrecision: true}.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, byte(1), b[2], "FLAG_64 for %T", v)
		got, _, err := Decode(b)
		require.NoError(t, err)
		require.Equal(t, v, got)
		// Single precision rounds to binary32.
		b, err = Marshal(v)
		require.NoError(t, err)
		require.Equal(t, byte(0), b[2])
	}
	// Color and integer vectors never use FLAG_64.
	b, _ := EncodeOptions{DoublePrecision: true}.Marshal([]any{Color{1, 1, 1, 1}, Vector2i{1, 2}, []Color{{}}})
	require.NotContains(t, string(b), "\x14\x00\x01\x00")
}

func TestFormatCyclicIsBounded(t *testing.T) {
	s := []any{nil, nil}
	s[0], s[1] = s, s
	out := Format(s)
	require.LessOrEqual(t, len(out), maxFormat+64*1024)
	d := NewDictionary()
	d.Set(s, 1) // unencodable key: identified by its text
	require.Equal(t, 1, d.Len())
}

func TestDecodeDoesNotAliasInput(t *testing.T) {
	in := []any{"text", StringName("sn"), []byte{1, 2, 3}, []int32{4}, []float32{5}, []string{"s"},
		ParseNodePath("/a:b"), NewDictionary("k", "v"), Signal{"sig", 1}}
	b, err := Marshal(in)
	require.NoError(t, err)
	v, _, err := Decode(b)
	require.NoError(t, err)
	want := Format(v)
	for i := range b {
		b[i] = 0xAA
	}
	require.Equal(t, want, Format(v))
}

// TestDecodedValuesSurviveGC checks that values boxed into the decoder's
// shared chunks stay valid across collections.
func TestDecodedValuesSurviveGC(t *testing.T) {
	b, err := Marshal([]any{gameMessage(), "tail string", int64(1) << 50, 2.5, Vector3{1, 2, 3}})
	require.NoError(t, err)
	want := make([]string, 0, 200)
	got := make([]any, 0, 200)
	for i := 0; i < 200; i++ {
		v, _, err := Decode(b)
		require.NoError(t, err)
		got = append(got, v)
		want = append(want, Format(v))
	}
	var junk [][]byte
	for round := 0; round < 5; round++ {
		for i := 0; i < 1000; i++ {
			junk = append(junk, make([]byte, 64))
		}
		runtime.KeepAlive(junk)
		junk = nil
		runtime.GC()
	}
	for i, v := range got {
		require.Equal(t, want[i], Format(v))
	}
	_ = junk
}

func TestMarshalMapNaNKeys(t *testing.T) {
	m := map[float64]int{math.NaN(): 1, math.NaN(): 2, 1: 3}
	b, err := Marshal(m)
	require.NoError(t, err)
	v, _, err := Decode(b)
	require.NoError(t, err)
	// Go keeps two NaN keys; as Variants they encode identically, so the
	// decoded Dictionary merges them (the later value wins).
	require.Equal(t, byte(3), b[4])
	require.Equal(t, 2, v.(*Dictionary).Len())
}

// nestedKeyDicts is depth Dictionaries, each with 12 int keys (so that it is
// indexed) and a 13th key that is the next Dictionary.
func nestedKeyDicts(depth int) []byte {
	if depth == 0 {
		return appendU32(nil, 0)
	}
	b := appendU32(appendU32(nil, 0x1b), 13)
	for i := range 12 {
		b = appendU32(appendU32(appendU32(b, 2), uint32(i)), 0)
	}
	b = append(b, nestedKeyDicts(depth-1)...)
	return appendU32(b, 0)
}

// TestNestedDictionaryKeysLinear: Dictionaries nested as keys cost memory in
// proportion to the input (keys are hashed once per container).
func TestNestedDictionaryKeysLinear(t *testing.T) {
	for _, depth := range []int{400, 1000} {
		in := nestedKeyDicts(depth)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		v, _, err := Decode(in)
		runtime.ReadMemStats(&m1)
		require.NoError(t, err)
		alloc := m1.TotalAlloc - m0.TotalAlloc
		require.Less(t, alloc, uint64(64*len(in)), "%d bytes in, %d allocated", len(in), alloc)
		// Lookups in the decoded value still work, and duplicates merge.
		d := v.(*Dictionary)
		got, ok := d.Get(int64(5))
		require.True(t, ok)
		require.Nil(t, got)
		k, _ := d.At(12)
		_, ok = d.Get(k)
		require.True(t, ok)
	}
	// Duplicate container keys are merged at any size.
	inner := NewDictionary("x", []any{int64(1), NewDictionary(2, 3)})
	big := NewDictionary()
	for i := range 20 {
		big.Set(i, i)
	}
	b, err := Marshal([]any{big, inner})
	require.NoError(t, err)
	raw := appendU32(appendU32(nil, 0x1b), 22)
	for i := range 20 {
		raw = appendU32(appendU32(appendU32(appendU32(raw, 2), uint32(i)), 2), uint32(i))
	}
	ib, _ := Marshal(inner)
	raw = append(append(raw, ib...), appendU32(appendU32(nil, 2), 1)...)
	raw = append(append(raw, ib...), appendU32(appendU32(nil, 2), 2)...)
	v, _, err := Decode(raw)
	require.NoError(t, err)
	d := v.(*Dictionary)
	require.Equal(t, 21, d.Len())
	got, ok := d.Get(inner)
	require.True(t, ok)
	require.Equal(t, int64(2), got)
	_ = b
}

func TestDictionaryKeyKinds(t *testing.T) {
	type pt struct{ X, Y int }
	keys := []any{nil, true, int64(-1), 2.5, math.NaN(), "s", StringName("s"), Vector2{1, 2}, Vector2i{1, 2},
		Rect2{}, Rect2i{}, Vector3{}, Vector3i{}, Transform2D{}, Vector4{}, Vector4i{}, Plane{}, Quaternion{}, AABB{},
		Basis{}, Transform3D{}, Projection{}, Color{}, ParseNodePath("/a:b"), RID(1), ObjectID(1),
		&Object{Class: "C"}, (*Object)(nil), Callable{}, Signal{"x", 1}, NewDictionary(1, 2), (*Dictionary)(nil),
		[]any{int64(1)}, TypedArray{Type: ContainerType{Builtin: TypeInt}, Values: []any{int64(1)}},
		[]byte{1}, []int32{1}, []int64{1}, []float32{1}, []float64{1}, []string{"a"}, []Vector2{{}}, []Vector3{{}},
		[]Vector4{{}}, []Color{{}}, pt{1, 2}, make(chan int),
	}
	d := NewDictionary()
	for i, k := range keys {
		d.Set(k, i)
	}
	require.Equal(t, len(keys), d.Len())
	for i, k := range keys {
		v, ok := d.Get(k)
		require.True(t, ok, "%T", k)
		require.Equal(t, i, v, "%T", k)
	}
	// Normalized forms find the same entries.
	for k, want := range map[any]int{int(-1): 2, float32(2.5): 3, uint8(0): -1} {
		v, ok := d.Get(k)
		if want < 0 {
			require.False(t, ok)
			continue
		}
		require.True(t, ok)
		require.Equal(t, want, v)
	}
	v, ok := d.Get([]any{1})
	require.True(t, ok)
	require.Equal(t, 32, v)
	v, ok = d.Get(NewDictionary(int64(1), int64(2)))
	require.True(t, ok)
	require.Equal(t, 30, v)
	v, ok = d.Get(map[string]int{"X": 1, "Y": 2}) // same Dictionary as pt{1, 2}
	require.True(t, ok)
	require.Equal(t, 44, v)

	// Cyclic keys do not hang.
	s := []any{nil, nil}
	s[0], s[1] = s, s
	d.Set(s, "cycle")
	v, ok = d.Get(s)
	require.True(t, ok)
	require.Equal(t, "cycle", v)
}
