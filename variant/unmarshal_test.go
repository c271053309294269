package variant

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

type innerMsg struct {
	A  int8
	B  string `godot:"bee"`
	V  Vector3
	Ok bool
}

type embeddedPart struct {
	Emb uint16
}

// wideMsg exercises every kind the direct path handles and some it leaves
// to Decode+Assign.
type wideMsg struct {
	embeddedPart
	ID     int64
	Id     int32 //nolint:revive // case-insensitive twin of ID
	Type   string
	Name   string
	Pos    Vector2
	Aim    Vector3
	HP     uint8
	Alive  bool
	Seq    int64
	F32    float32
	F64    float64
	Tags   []string
	Ints   []int
	List   []innerMsg
	Nested innerMsg
	Ptr    *innerMsg
	PP     **int
	M      map[string]int
	MA     map[string]any
	MI     map[int]string
	Arr    [2]int
	Any    any
	Dict   *Dictionary
	Floats []float32
	Vecs   []Vector2
	Skip   int `godot:"-"`
}

// destinations returns fresh zero destinations of many types.
func destinations() []any {
	return []any{
		new(gameMsg), new(wideMsg), new(innerMsg), new(any), new(int8), new(uint16), new(int),
		new(float32), new(float64), new(string), new(bool), new([]string), new([]int),
		new([]innerMsg), new(map[string]any), new(map[string]int), new(map[string]innerMsg),
		new(Vector2), new(Vector3), new([]Vector2), new([]float32), new(*int), new(*innerMsg),
		new([3]float64), new(StringName), new(*Dictionary),
	}
}

// sameValue is reflect.DeepEqual except that NaN equals NaN.
func sameValue(a, b reflect.Value, depth int) bool {
	if depth > 200 {
		return true
	}
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !sameValue(it.Value(), bv, depth+1) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[Dictionary]() {
			return Equal(a.Addr().Interface(), b.Addr().Interface())
		}
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i), depth+1) {
				return false
			}
		}
		return true
	}
	if a.CanInterface() {
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	return true
}

// checkDirect unmarshals data with the direct path and with Decode+Assign
// into every destination and requires identical results and errors.
func checkDirect(t testing.TB, data []byte, o DecodeOptions) {
	t.Helper()
	for _, proto := range destinations() {
		typ := reflect.TypeOf(proto).Elem()
		a, b := reflect.New(typ).Interface(), reflect.New(typ).Interface()
		errA := o.Unmarshal(data, a)
		errB := o.unmarshalViaAny(data, b)
		if fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Fatalf("%s from %x: direct error %v, Decode+Assign error %v", typ, data, errA, errB)
		}
		if errA == nil && !sameValue(reflect.ValueOf(a), reflect.ValueOf(b), 0) {
			t.Fatalf("%s from %x:\ndirect        %#v\nDecode+Assign %#v", typ, data, a, b)
		}
	}
}

func TestUnmarshalDirectGolden(t *testing.T) {
	n := 0
	for _, vec := range loadVectors(t) {
		data, err := hex.DecodeString(vec.Hex)
		if err != nil {
			continue
		}
		checkDirect(t, data, DecodeOptions{AllowObjects: vec.Options.AllowObjects})
		n++
	}
	require.Greater(t, n, 50)
}

// randomMessage builds a Dictionary with keys naming wideMsg's fields (in
// various cases, sometimes repeated) and values that sometimes fit.
func randomMessage(r *rand.Rand, depth int) *Dictionary {
	keys := []any{"id", "ID", "Id", "type", "name", "pos", "aim", "hp", "HP", "alive", "seq", "f32", "f64",
		"tags", "ints", "list", "nested", "ptr", "pp", "m", "ma", "mi", "arr", "any", "dict", "floats", "vecs",
		"emb", "Skip", "a", "bee", "v", "ok", "unknown", StringName("name"), int64(3)}
	d := NewDictionary()
	for i := r.IntN(12); i > 0; i-- {
		d.Set(keys[r.IntN(len(keys))], randomFieldValue(r, depth))
	}
	if r.IntN(8) == 0 { // duplicate keys on the wire
		for i, n := 0, len(d.keys); i < n; i++ {
			d.keys = append(d.keys, d.keys[i])
			d.values = append(d.values, randomFieldValue(r, depth))
		}
		d.index = nil
	}
	return d
}

func randomFieldValue(r *rand.Rand, depth int) any {
	switch r.IntN(16) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 1
	case 2:
		return int64(r.IntN(600) - 300)
	case 3:
		return int64(r.Uint64())
	case 4:
		return []float64{1.5, 2, math.Copysign(0, -1), math.Inf(1), math.NaN(), 1e40, 3}[r.IntN(7)]
	case 5:
		return []string{"", "move", "ÄÖ", "player_one"}[r.IntN(4)]
	case 6:
		return Vector2{r.Float64(), -1}
	case 7:
		return Vector3{1, 2, r.Float64()}
	case 8:
		return []any{"a", "b", int64(r.IntN(5))}[:r.IntN(4)]
	case 9:
		return []string{"x", "y"}
	case 10:
		if depth < 3 {
			return randomMessage(r, depth+1)
		}
		return int64(1)
	case 11:
		if depth < 3 {
			return []any{randomMessage(r, depth+1), randomMessage(r, depth+1)}
		}
		return []any{}
	case 12:
		return StringName("sn")
	case 13:
		return []float32{1, 2}
	case 14:
		return TypedArray{Type: ContainerType{Builtin: TypeInt}, Values: []any{int64(1), int64(2)}}
	}
	return Vector2i{1, 2}
}

// TestUnmarshalDirectProperty compares both paths on random messages.
func TestUnmarshalDirectProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		data, err := Marshal(randomMessage(r, 0))
		require.NoError(t, err)
		checkDirect(t, data, DecodeOptions{})
		if i%10 == 0 && len(data) > 8 { // and on truncated input
			checkDirect(t, data[:r.IntN(len(data))], DecodeOptions{})
		}
	}
	// Random generated values too.
	for i := 0; i < 2000; i++ {
		seed := make([]byte, 64)
		for j := range seed {
			seed[j] = byte(r.Uint32())
		}
		g := &gen{data: seed}
		data, err := Marshal(g.value(0))
		require.NoError(t, err)
		checkDirect(t, data, DecodeOptions{})
	}
}

func TestUnmarshalDirectGameMessage(t *testing.T) {
	data, err := Marshal(gameMessage())
	require.NoError(t, err)
	var got gameMsg
	require.NoError(t, Unmarshal(data, &got))
	require.Equal(t, gameStruct(), got)
	checkDirect(t, data, DecodeOptions{})
}

// A destination holding values keeps what the input does not set, and an
// error leaves it unchanged, as with Decode+Assign.
func TestUnmarshalDirectPrefilled(t *testing.T) {
	data, err := Marshal(NewDictionary("name", "n", "hp", int64(300)))
	require.NoError(t, err)
	w := wideMsg{Type: "keep", Name: "old", HP: 5}
	err = Unmarshal(data, &w)
	require.ErrorContains(t, err, "HP: cannot store int in Go uint8: value 300 overflows uint8")
	require.Equal(t, wideMsg{Type: "keep", Name: "n", HP: 5}, w) // as Decode+Assign: fields before the error are set
	data, err = Marshal(NewDictionary("name", "n2", "seq", int64(7)))
	require.NoError(t, err)
	require.NoError(t, Unmarshal(data, &w))
	require.Equal(t, wideMsg{Type: "keep", Name: "n2", HP: 5, Seq: 7}, w)
	// A decoding error reports the offset and leaves w as it was.
	err = Unmarshal(data[:len(data)-2], &w)
	require.Error(t, err)
	require.Equal(t, wideMsg{Type: "keep", Name: "n2", HP: 5, Seq: 7}, w)
}

func TestUnmarshalDirectZeroAllocsFields(t *testing.T) {
	data, err := Marshal(NewDictionary("id", int64(4242), "hp", int64(87), "pos", Vector2{1, 2}, "alive", true))
	require.NoError(t, err)
	var out gameMsg
	allocs := testing.AllocsPerRun(100, func() {
		out = gameMsg{}
		if err := Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	require.Equal(t, gameMsg{ID: 4242, HP: 87, Pos: Vector2{1, 2}, Alive: true}, out)
}

// FuzzUnmarshal compares the direct Unmarshal path with Decode+Assign on
// arbitrary input.
func FuzzUnmarshal(f *testing.F) {
	for _, vec := range loadVectors(f) {
		if b, err := hex.DecodeString(vec.Hex); err == nil {
			f.Add(b)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		if b, err := Marshal(randomMessage(r, 0)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDirect(t, data, DecodeOptions{})
		checkDirect(t, data, DecodeOptions{AllowObjects: true, MaxDepth: 3})
	})
}

// Repeated keys: Decode keeps the last value at the first key's position,
// and the direct path must give the same result.
func TestUnmarshalDirectDuplicateKeys(t *testing.T) {
	d := NewDictionary("nested", NewDictionary("a", int64(1)), "HP", int64(1), "hp", int64(2))
	d.keys = append(d.keys, "nested", "HP")
	d.values = append(d.values, NewDictionary("bee", "x"), int64(3))
	d.index = nil
	data, err := Marshal(d)
	require.NoError(t, err)
	var w wideMsg
	require.NoError(t, Unmarshal(data, &w))
	require.Equal(t, wideMsg{Nested: innerMsg{B: "x"}, HP: 2}, w)
	checkDirect(t, data, DecodeOptions{})
	m := NewDictionary("k", int64(1), StringName("k"), int64(2))
	m.keys = append(m.keys, "k")
	m.values = append(m.values, int64(3))
	m.index = nil
	data, err = Marshal(m)
	require.NoError(t, err)
	checkDirect(t, data, DecodeOptions{})
}

type allModes struct {
	embeddedPart
	B   bool
	I8  int8
	I16 int16
	I32 int32
	I   int
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	F32 float32
	F64 float64
	S   string
	SN  StringName
	V2  Vector2
	V3  Vector3
	SS  []string
	NS  []StringName
	O   int `godot:"o,omitempty"`
	G   []int
}

// Addressable structs encode their fields in place; the result must be the
// bytes the reflection path (a struct passed by value) produces.
func TestMarshalStructFastFields(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 500; i++ {
		v := allModes{embeddedPart{uint16(r.Uint32())}, r.IntN(2) == 0, int8(r.Uint32()), int16(r.Uint32()), int32(r.Uint32()),
			int(r.Uint64()), uint8(r.Uint32()), uint16(r.Uint32()), r.Uint32(), r.Uint64() >> uint(r.IntN(2)),
			float32(r.NormFloat64()), r.NormFloat64(), []string{"", "a", "ÄÖ", "x\x00y", "\ufeffb"}[r.IntN(5)],
			StringName([]string{"n", "\xff"}[r.IntN(2)]), Vector2{r.Float64(), 1}, Vector3{1, 2, r.Float64()},
			[]string{"a", "b"}[:r.IntN(3)], []StringName{"s"}, r.IntN(2), []int{1}}
		byPtr, errPtr := Marshal(&v)
		byVal, errVal := Marshal(v)
		require.Equal(t, fmt.Sprint(errVal), fmt.Sprint(errPtr))
		require.Equal(t, byVal, byPtr)
		if errPtr == nil {
			var back allModes
			require.NoError(t, Unmarshal(byPtr, &back))
			if !math.IsNaN(v.F64) {
				require.Equal(t, v.S, back.S)
				require.Equal(t, v.U32, back.U32)
			}
		}
	}
}

func TestAppendGameStructZeroAllocs(t *testing.T) {
	st := gameStruct()
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = Append(buf[:0], &st); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	var back gameMsg
	require.NoError(t, Unmarshal(buf, &back))
	require.Equal(t, st, back)
}

// A PackedByteArray whose padding is missing at the end of the input moves
// the read position past the end (as Godot's r_len does); the next key must
// fail cleanly.
func TestUnmarshalDirectPastEnd(t *testing.T) {
	data, err := Marshal(NewDictionary("unknown", []byte{1}))
	require.NoError(t, err)
	data = data[:len(data)-3]
	data[4] = 2 // claim a second entry
	checkDirect(t, data, DecodeOptions{})
	var w wideMsg
	require.Error(t, Unmarshal(data, &w))
}

// Encoding two struct types alternately stays allocation-free.
func TestAppendAlternatingStructsZeroAllocs(t *testing.T) {
	a, b := gameStruct(), innerMsg{A: 1, B: "b", V: Vector3{1, 2, 3}, Ok: true}
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = Append(buf[:0], &a)
		buf, _ = Append(buf[:0], &b)
	})
	require.Zero(t, allocs)
	var back innerMsg
	require.NoError(t, Unmarshal(buf, &back))
	require.Equal(t, b, back)
}
