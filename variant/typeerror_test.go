package variant_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

type typeErrPlayer struct {
	Pos variant.Vector2 `godot:"pos"`
	HP  uint8           `godot:"hp"`
}

type typeErrRoom struct {
	Players []typeErrPlayer `godot:"players"`
}

// TestUnmarshalTypeError: a valid value that does not fit its destination
// is an *UnmarshalTypeError naming the field path and both types, matching
// ErrInvalidData of both packages; malformed input stays an *Error with an
// offset.
func TestUnmarshalTypeError(t *testing.T) {
	player := func(pos any, hp any) *variant.Dictionary {
		return variant.NewDictionary("pos", pos, "hp", hp)
	}
	for _, c := range []struct {
		name string
		msg  any
		dst  any
		want variant.UnmarshalTypeError
	}{
		{"nested field", variant.NewDictionary("players", []any{player(variant.Vector2{}, 1), player("up", 1)}),
			new(typeErrRoom), variant.UnmarshalTypeError{Field: "players[1].pos", Value: "String", Type: reflect.TypeFor[variant.Vector2]()}},
		{"overflow", player(variant.Vector2{}, 300),
			new(typeErrPlayer), variant.UnmarshalTypeError{Field: "hp", Value: "int", Type: reflect.TypeFor[uint8](), Reason: "value 300 overflows uint8"}},
		{"top level", []any{1}, new(int),
			variant.UnmarshalTypeError{Value: "Array", Type: reflect.TypeFor[int]()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := variant.Marshal(c.msg)
			require.NoError(t, err)
			err = variant.Unmarshal(data, c.dst)
			var te *variant.UnmarshalTypeError
			require.ErrorAs(t, err, &te)
			require.Equal(t, c.want, *te)
			require.ErrorIs(t, err, variant.ErrInvalidData)
			require.ErrorIs(t, err, peer.ErrInvalidData)
			require.NotErrorIs(t, err, peer.ErrFileEOF)
			require.Same(t, variant.ErrInvalidData, te.Unwrap())
		})
	}
	// Garbage: an Error with the offset of the bad byte, not a type error.
	err := variant.Unmarshal([]byte{0x04, 0, 0, 0, 9, 0, 0, 0}, new(typeErrPlayer))
	var te *variant.UnmarshalTypeError
	require.False(t, errors.As(err, &te), "%v", err)
	var ve *variant.Error
	require.ErrorAs(t, err, &ve)
	require.Equal(t, 4, ve.Offset)
}

func ExampleUnmarshalTypeError() {
	type Player struct {
		Pos variant.Vector2 `godot:"pos"`
	}
	data, _ := variant.Marshal(variant.NewDictionary("pos", "up"))
	var p Player
	err := variant.Unmarshal(data, &p)
	var te *variant.UnmarshalTypeError
	if errors.As(err, &te) {
		fmt.Printf("field %q: got a %s, want a Go %s\n", te.Field, te.Value, te.Type)
	}
	fmt.Println(errors.Is(err, variant.ErrInvalidData))
	// Output:
	// field "pos": got a String, want a Go variant.Vector2
	// true
}

// The mapping surprises the package documentation lists: which Godot type
// a Go slice or map becomes.
func ExampleMarshal_mapping() {
	show := func(v any) {
		b, err := variant.Marshal(v)
		if err != nil {
			panic(err)
		}
		d, _, _ := variant.Decode(b)
		fmt.Printf("%-22T -> %s %s\n", v, variant.Type(b[0]), variant.Format(d))
	}
	show([]variant.Vector2{{X: 1, Y: 2}})
	show([]any{variant.Vector2{X: 1, Y: 2}})
	show([]int64{1, 2})
	show([]int{1, 2})
	show(map[string]int{"b": 2, "a": 1, "c": 3})
	show(variant.NewDictionary("b", 2, "a", 1, "c", 3))
	// Output:
	// []variant.Vector2      -> PackedVector2Array PackedVector2Array(1, 2)
	// []interface {}         -> Array [Vector2(1, 2)]
	// []int64                -> PackedInt64Array PackedInt64Array(1, 2)
	// []int                  -> Array [1, 2]
	// map[string]int         -> Dictionary {"a": 1, "b": 2, "c": 3}
	// *variant.Dictionary    -> Dictionary {"b": 2, "a": 1, "c": 3}
}
