package fastlz_test

import (
	"bytes"
	"fmt"

	"github.com/packetpeer/packetpeer/internal/fastlz"
)

// Godot 4.6 compresses these 300 bytes (PackedByteArray.compress with
// COMPRESSION_FASTLZ) to the same 13 bytes: two literals, a match of 262
// bytes at distance 2 (level 1's longest, e0 fd), one of 33, and the last
// three bytes as literals.
func Example() {
	src := bytes.Repeat([]byte{'x'}, 300)
	blk := fastlz.Compress(nil, src)
	fmt.Printf("% x\n", blk)
	out, err := fastlz.Decompress(nil, blk, 4096)
	fmt.Println(len(out), bytes.Equal(out, src), err)
	// Output:
	// 01 78 78 e0 fd 01 e0 18 01 02 78 78 78
	// 300 true <nil>
}
