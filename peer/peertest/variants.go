package peertest

import "reflect"

// sampleVariants returns one value of each Variant type the codec supports,
// for the PutVar/GetVar round trip. (Extended by the variant package's work.)
func sampleVariants() []any {
	return []any{
		nil,
		true,
		int64(-42),
		int64(1) << 40,
		1.5,
		0.1,
		"héllo",
		[]byte{1, 2, 3},
		[]int32{1, -2},
		[]int64{1 << 40},
		[]float32{1.5},
		[]float64{0.1},
		[]string{"a", "bc"},
	}
}

// variantsEqual compares a value sent with PutVar with the value GetVar returned.
func variantsEqual(a, b any) bool { return reflect.DeepEqual(a, b) }
