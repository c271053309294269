package variant

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type Base struct {
	ID int64 `godot:"id"`
}

type player struct {
	Base
	Name     string             `godot:"name"`
	Pos      Vector2            `godot:"pos"`
	HP       int16              `godot:"hp"`
	Tags     []string           `godot:"tags,omitempty"`
	Scores   map[string]float64 `godot:"scores"`
	Friend   *player            `godot:"friend,omitempty"`
	Secret   string             `godot:"-"`
	Inv      []item             `godot:"inv"`
	Ratio    float32
	Mask     uint8
	private  int
	Anything any `godot:"any"`
}

type item struct {
	Kind  string
	Count int
}

type celsius float64

func (c celsius) MarshalVariant() (any, error) { return NewDictionary("celsius", float64(c)), nil }

func (c *celsius) UnmarshalVariant(v any) error {
	d, ok := v.(*Dictionary)
	if !ok {
		return errors.New("celsius: not a dictionary")
	}
	x, _ := d.Get("celsius")
	f, ok := x.(float64)
	if !ok {
		return errors.New("celsius: missing value")
	}
	*c = celsius(f)
	return nil
}

func TestMarshalStruct(t *testing.T) {
	p := player{Base: Base{ID: 7}, Name: "bob", Pos: Vector2{1, 2}, HP: 100, Scores: map[string]float64{"b": 2, "a": 1},
		Secret: "x", Inv: []item{{"sword", 1}}, Ratio: 0.5, Mask: 3, private: 9}
	b, err := Marshal(&p)
	require.NoError(t, err)
	v, _, err := Decode(b)
	require.NoError(t, err)
	require.Equal(t, `{"id": 7, "name": "bob", "pos": Vector2(1, 2), "hp": 100, "scores": {"a": 1.0, "b": 2.0}, `+
		`"inv": [{"Kind": "sword", "Count": 1}], "Ratio": 0.5, "Mask": 3, "any": null}`, Format(v))

	var back player
	require.NoError(t, Unmarshal(b, &back))
	p.Secret, p.private = "", 0
	require.Equal(t, p, back)

	// Maps with non-string keys are sorted; nil maps and slices encode empty.
	b, err = Marshal(map[int]bool{3: true, -1: false, 2: true})
	require.NoError(t, err)
	v, _, _ = Decode(b)
	require.Equal(t, "{-1: false, 2: true, 3: true}", Format(v))
	b, err = Marshal(struct {
		M map[string]int
		S []any
		A [2]uint16
		P []int32Named
	}{A: [2]uint16{1, 2}, P: []int32Named{5}})
	require.NoError(t, err)
	v, _, _ = Decode(b)
	require.Equal(t, `{"M": {}, "S": [], "A": [1, 2], "P": PackedInt32Array(5)}`, Format(v))

	_, err = Marshal(make(chan int))
	require.ErrorIs(t, err, ErrInvalidParameter)
	_, err = Marshal(struct{ F func() }{})
	require.ErrorIs(t, err, ErrInvalidParameter)
}

type int32Named int32

func TestMarshaler(t *testing.T) {
	b, err := Marshal([]any{celsius(21.5)})
	require.NoError(t, err)
	v, _, _ := Decode(b)
	require.Equal(t, `[{"celsius": 21.5}]`, Format(v))
	var out []celsius
	require.NoError(t, Unmarshal(b, &out))
	require.Equal(t, []celsius{21.5}, out)
	var one celsius
	require.Error(t, Unmarshal(mustHex(t, "0200000001000000"), &one))
}

func TestUnmarshalConversions(t *testing.T) {
	enc := func(v any) []byte {
		b, err := Marshal(v)
		require.NoError(t, err)
		return b
	}
	var i8 int8
	require.NoError(t, Unmarshal(enc(-5), &i8))
	require.Equal(t, int8(-5), i8)
	err := Unmarshal(enc(300), &i8)
	require.ErrorIs(t, err, ErrInvalidData)
	require.Contains(t, err.Error(), "overflows int8")

	var u uint
	require.Error(t, Unmarshal(enc(-1), &u))
	var f32 float32
	require.NoError(t, Unmarshal(enc(3), &f32))
	require.Equal(t, float32(3), f32)
	var n int
	require.NoError(t, Unmarshal(enc(4.0), &n))
	require.Equal(t, 4, n)
	require.Error(t, Unmarshal(enc(4.5), &n))

	var s string
	require.NoError(t, Unmarshal(enc(StringName("sn")), &s))
	require.Equal(t, "sn", s)
	var sn StringName
	require.NoError(t, Unmarshal(enc("plain"), &sn))
	require.Equal(t, StringName("plain"), sn)

	var ints []int
	require.NoError(t, Unmarshal(enc([]int32{1, 2}), &ints))
	require.Equal(t, []int{1, 2}, ints)
	var f64s []float64
	require.NoError(t, Unmarshal(enc([]any{1, 2.5}), &f64s))
	require.Equal(t, []float64{1, 2.5}, f64s)
	var arr [3]int
	require.NoError(t, Unmarshal(enc([]any{1, 2}), &arr))
	require.Equal(t, [3]int{1, 2, 0}, arr)
	require.Error(t, Unmarshal(enc([]any{1, 2, 3, 4}), &arr))
	var bs []byte
	require.NoError(t, Unmarshal(enc([]byte{9}), &bs))
	require.Equal(t, []byte{9}, bs)

	var m map[int]string
	require.NoError(t, Unmarshal(enc(NewDictionary(1, "a", 2, "b")), &m))
	require.Equal(t, map[int]string{1: "a", 2: "b"}, m)
	var anyv any
	require.NoError(t, Unmarshal(enc(Vector2{1, 2}), &anyv))
	require.Equal(t, Vector2{1, 2}, anyv)
	var vp *Vector3
	require.NoError(t, Unmarshal(enc(Vector3{1, 2, 3}), &vp))
	require.Equal(t, &Vector3{1, 2, 3}, vp)
	require.NoError(t, Unmarshal(enc(nil), &vp))
	require.Nil(t, vp)
	var d *Dictionary
	require.NoError(t, Unmarshal(enc(NewDictionary("k", 1)), &d))
	require.Equal(t, 1, d.Len())

	// Errors name the field path.
	var p player
	err = Unmarshal(enc(NewDictionary("inv", []any{NewDictionary("Count", "many")})), &p)
	require.ErrorIs(t, err, ErrInvalidData)
	require.True(t, strings.Contains(err.Error(), "inv[0].Count"), err.Error())
	err = Unmarshal(enc(NewDictionary("hp", 1<<20)), &p)
	require.Contains(t, err.Error(), "hp")

	// Case-insensitive field match and unknown keys ignored.
	var it item
	require.NoError(t, Unmarshal(enc(NewDictionary("kind", "axe", "unknown", 1)), &it))
	require.Equal(t, item{Kind: "axe"}, it)

	require.ErrorIs(t, Unmarshal(enc(1), nil), ErrInvalidParameter)
	require.ErrorIs(t, Unmarshal(enc(1), it), ErrInvalidParameter)
	require.ErrorIs(t, Unmarshal([]byte{1}, &it), ErrInvalidData)
	var ch chan int
	require.Error(t, Unmarshal(enc(1), &ch))
}
