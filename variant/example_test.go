package variant_test

import (
	"encoding/hex"
	"fmt"

	"github.com/packetpeer/packetpeer/variant"
)

func ExampleMarshal() {
	b, err := variant.Marshal([]any{1, "x"})
	if err != nil {
		panic(err)
	}
	fmt.Println(hex.EncodeToString(b))
	// Output: 1c000000020000000200000001000000040000000100000078000000
}

func ExampleDecode() {
	// var_to_bytes(Vector2(1.5, -2)) followed by unrelated bytes.
	data, _ := hex.DecodeString("050000000000c03f000000c0ffff")
	v, n, err := variant.Decode(data)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%T %v, %d bytes\n", v, v, n)

	_, _, err = variant.Decode([]byte{0x04, 0, 0, 0, 9, 0, 0, 0})
	fmt.Println(err)
	// Output:
	// variant.Vector2 Vector2(1.5, -2), 12 bytes
	// variant: ERR_FILE_EOF: String length 9 (+3 padding) exceeds the 0 bytes left (at byte 4)
}

func ExampleUnmarshal() {
	type Player struct {
		Name string          `godot:"name"`
		Pos  variant.Vector2 `godot:"pos"`
		HP   uint8           `godot:"hp"`
	}
	// A Dictionary as GDScript sends it: {"name": "bob", "pos": Vector2(3, 4), "hp": 90}
	msg := variant.NewDictionary("name", "bob", "pos", variant.Vector2{X: 3, Y: 4}, "hp", 90)
	data, _ := variant.Marshal(msg)

	var p Player
	if err := variant.Unmarshal(data, &p); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", p)

	bad, _ := variant.Marshal(variant.NewDictionary("hp", 300))
	fmt.Println(variant.Unmarshal(bad, &p))
	// Output:
	// {Name:bob Pos:Vector2(3, 4) HP:90}
	// variant: ERR_INVALID_DATA: hp: cannot store int in Go uint8: value 300 overflows uint8
}

func ExampleDictionary() {
	d := variant.NewDictionary("id", 7, "pos", variant.Vector2{X: 1, Y: 2})
	d.Set(variant.StringName("tag"), "red") // any Variant can be a key
	d.Set("id", 8)                          // replaces in place
	fmt.Println(d, d.Len())

	data, _ := variant.Marshal(d)
	v, _, _ := variant.Decode(data)
	back := v.(*variant.Dictionary)
	id, _ := back.Get("id")
	fmt.Printf("%T %v\n", id, id)
	// Output:
	// {"id": 8, "pos": Vector2(1, 2), &"tag": "red"} 3
	// int64 8
}
