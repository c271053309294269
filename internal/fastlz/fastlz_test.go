package fastlz

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := [][]byte{
		{1},
		bytes.Repeat([]byte{0}, 16),
		bytes.Repeat([]byte("abc"), 500),
		bytes.Repeat([]byte{7}, 20000), // matches longer than 264 and runs of them
	}
	for range 200 {
		b := make([]byte, 1+r.IntN(5000))
		for i := range b {
			b[i] = byte(r.IntN(1 + r.IntN(256))) // from very to barely compressible
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		c := Compress(nil, in)
		out, err := Decompress([]byte("prefix"), c, len(in))
		if err != nil || !bytes.Equal(out[6:], in) {
			t.Fatalf("round trip of %d bytes failed: %v", len(in), err)
		}
		if _, err := Decompress(nil, c, len(in)-1); err != ErrTooLarge {
			t.Fatalf("limit %d: %v, want ErrTooLarge", len(in)-1, err)
		}
	}
	if c := Compress(nil, bytes.Repeat([]byte("abc"), 500)); len(c) > 40 {
		t.Fatalf("1500 repetitive bytes compressed to %d", len(c))
	}
}

// TestKnownBlock decodes a level-1 block written by hand from the format:
// literal "abc", then a match of 6 at distance 3.
func TestKnownBlock(t *testing.T) {
	blk := []byte{2, 'a', 'b', 'c', 4 << 5, 2}
	out, err := Decompress(nil, blk, 100)
	if err != nil || string(out) != "abcabcabc" {
		t.Fatalf("got %q, %v", out, err)
	}
	for _, bad := range [][]byte{{}, {0x40}, {2, 'a'}, {0, 'a', 0x20, 5}, {0, 'a', 0xE0}} {
		if _, err := Decompress(nil, bad, 100); err == nil {
			t.Fatalf("% x decoded", bad)
		}
	}
}

// FuzzDecompress: never panics, never writes past the limit; what Compress
// writes comes back.
func FuzzDecompress(f *testing.F) {
	f.Add([]byte{2, 'a', 'b', 'c', 4 << 5, 2}, 100)
	f.Add(Compress(nil, bytes.Repeat([]byte("xyz"), 100)), 300)
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		limit = limit & 0xFFFF
		out, err := Decompress(nil, b, limit)
		if len(out) > limit {
			t.Fatalf("%d bytes out, limit %d (err %v)", len(out), limit, err)
		}
		if len(b) > 0 {
			back, err := Decompress(nil, Compress(nil, b), len(b))
			if err != nil || !bytes.Equal(back, b) {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}
