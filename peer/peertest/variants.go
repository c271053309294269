package peertest

import (
	"math"

	"github.com/packetpeer/packetpeer/variant"
)

// sampleVariants returns one representative value of each of the 39 Godot 4
// Variant type ids (in id order, plus a few extra edge values), each of which
// survives variant.Decode(variant.Marshal(v)) under the default options.
// Real components are chosen to be exact in binary32.
func sampleVariants() []any {
	return []any{
		nil,                            // 0 NIL
		true,                           // 1 BOOL
		int64(-42),                     // 2 INT (32-bit form)
		1.5,                            // 3 FLOAT (32-bit form)
		"héllo",                        // 4 STRING
		variant.Vector2{X: 1.5, Y: -2}, // 5 VECTOR2
		variant.Vector2i{X: 1, Y: -1},  // 6 VECTOR2I
		variant.Rect2{Position: variant.Vector2{X: 1, Y: 2}, Size: variant.Vector2{X: 3, Y: 4}},       // 7 RECT2
		variant.Rect2i{Position: variant.Vector2i{X: -1, Y: 2}, Size: variant.Vector2i{X: 30, Y: 40}}, // 8 RECT2I
		variant.Vector3{X: 1, Y: 2, Z: 3},   // 9 VECTOR3
		variant.Vector3i{X: 1, Y: 2, Z: -3}, // 10 VECTOR3I
		variant.Transform2D{X: variant.Vector2{X: 1}, Y: variant.Vector2{Y: 1}, Origin: variant.Vector2{X: 5, Y: 6}}, // 11
		variant.Vector4{X: 1, Y: 2, Z: 3, W: 4},            // 12 VECTOR4
		variant.Vector4i{X: 1, Y: 2, Z: 3, W: -4},          // 13 VECTOR4I
		variant.Plane{Normal: variant.Vector3{Y: 1}, D: 5}, // 14 PLANE
		variant.Quaternion{W: 1},                           // 15 QUATERNION
		variant.AABB{Position: variant.Vector3{X: 1, Y: 2, Z: 3}, Size: variant.Vector3{X: 4, Y: 5, Z: 6}},                                                                   // 16 AABB
		variant.BasisFromAxes(variant.Vector3{X: 1, Y: 2, Z: 3}, variant.Vector3{X: 4, Y: 5, Z: 6}, variant.Vector3{X: 7, Y: 8, Z: 9}),                                       // 17 BASIS
		variant.Transform3D{Basis: variant.BasisFromAxes(variant.Vector3{X: 1}, variant.Vector3{Y: 1}, variant.Vector3{Z: 1}), Origin: variant.Vector3{X: 10, Y: 11, Z: 12}}, // 18
		variant.Projection{Columns: [4]variant.Vector4{{X: 1}, {Y: 1}, {Z: 1}, {W: 1}}},                                                                                      // 19 PROJECTION
		variant.Color{R: 1, G: 0.5, B: 0.25, A: 1}, // 20 COLOR
		variant.StringName("pressed"),              // 21 STRING_NAME
		variant.NodePath{Names: []string{"root", "Node"}, Subnames: []string{"position", "x"}, Absolute: true}, // 22
		variant.RID(0x0000000500000001),                                 // 23 RID
		variant.ObjectID(12345),                                         // 24 OBJECT (as instance id)
		variant.Callable{},                                              // 25 CALLABLE
		variant.Signal{Name: "pressed", Object: 12345},                  // 26 SIGNAL
		variant.NewDictionary("a", int64(1), int64(2), []any{"x", 2.5}), // 27 DICTIONARY
		[]any{int64(1), "x", []any{true}},                               // 28 ARRAY
		[]byte{1, 2, 3},                                                 // 29 PACKED_BYTE_ARRAY
		[]int32{1, -2},                                                  // 30 PACKED_INT32_ARRAY
		[]int64{1 << 40},                                                // 31 PACKED_INT64_ARRAY
		[]float32{1.5},                                                  // 32 PACKED_FLOAT32_ARRAY
		[]float64{0.1},                                                  // 33 PACKED_FLOAT64_ARRAY
		[]string{"a", "bc"},                                             // 34 PACKED_STRING_ARRAY
		[]variant.Vector2{{X: 1, Y: 2}},                                 // 35 PACKED_VECTOR2_ARRAY
		[]variant.Vector3{{X: 1, Y: 2, Z: 3}},                           // 36 PACKED_VECTOR3_ARRAY
		[]variant.Color{{R: 1, A: 1}},                                   // 37 PACKED_COLOR_ARRAY
		[]variant.Vector4{{X: 1, Y: 2, Z: 3, W: 4}},                     // 38 PACKED_VECTOR4_ARRAY
		// Extra edge values.
		int64(1) << 40, // INT, 64-bit form
		0.1,            // FLOAT, 64-bit form
		math.Inf(-1),
		variant.TypedArray{Type: variant.ContainerType{Builtin: variant.TypeInt}, Values: []any{int64(7)}},
	}
}

// variantsEqual compares a value sent with PutVar with the value GetVar
// returned. It uses variant.Equal because *Dictionary values are pointers
// (reflect.DeepEqual would work but not for NaN) and nil/empty slices are
// the same Variant.
func variantsEqual(a, b any) bool { return variant.Equal(a, b) }
