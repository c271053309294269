package rangecoder

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// Vectors produced by libenet 1.3.17 (spec enet.md §7.5).
var vectors = []struct{ in, out string }{
	{"68656c6c6f2068656c6c6f2068656c6c6f2068656c6c6f", "68fbe0c33d7072bdd5e06ce58e"},
	{"6161616161616161616161616161616161616161616161616161616161616161", "62026b666948ac"},
	{"86000001000568656c6c6f070100000001000575", "867a829668784b3a30aa1f3d4f7281a03fc2"},
	{"82ff00010000ffff0000057800010000000000030000000000000000000013880000000200000002d474c51611223344",
		"837b88b1fdf1df576b999b36fcbc3cfb8a54df98ab2be75348594ca93eb777958f50"},
}

func TestLibenetVectors(t *testing.T) {
	var c Coder
	for _, v := range vectors {
		in, _ := hex.DecodeString(v.in)
		want, _ := hex.DecodeString(v.out)
		got, ok := c.Compress(nil, in, len(in))
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("Compress(%s) = %x, %v; libenet gives %s", v.in, got, ok, v.out)
		}
		back, err := c.Decompress(nil, want, 4096)
		if err != nil || !bytes.Equal(back, in) {
			t.Errorf("Decompress(%s) = %x, %v; want %s", v.out, back, err, v.in)
		}
	}
}

func TestRoundTripRandom(t *testing.T) {
	var c Coder
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 40 {
		n := r.IntN(8000)
		in := make([]byte, n)
		alphabet := 1 + r.IntN(256)
		for j := range in {
			in[j] = byte(r.IntN(alphabet))
		}
		out, ok := c.Compress(nil, in, 2*n+16)
		if !ok {
			t.Fatalf("#%d: Compress of %d bytes failed with a generous limit", i, n)
		}
		back, err := c.Decompress(nil, out, n)
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("#%d: round trip of %d bytes (alphabet %d): err %v, equal %v", i, n, alphabet, err, bytes.Equal(back, in))
		}
	}
}

func TestLimits(t *testing.T) {
	var c Coder
	in := bytes.Repeat([]byte("abcdefgh"), 100)
	if _, ok := c.Compress(nil, in, 5); ok {
		t.Fatal("Compress ignored its output limit")
	}
	out, _ := c.Compress(nil, in, len(in))
	if _, err := c.Decompress(nil, out, len(in)-1); err != ErrCorrupt {
		t.Fatalf("Decompress over its limit: %v, want ErrCorrupt", err)
	}
}

// FuzzDecompress: arbitrary input never panics and never yields more than
// the limit.
func FuzzDecompress(f *testing.F) {
	for _, v := range vectors {
		b, _ := hex.DecodeString(v.out)
		f.Add(b)
	}
	var c Coder
	f.Fuzz(func(t *testing.T, b []byte) {
		out, _ := c.Decompress(nil, b, 4092)
		if len(out) > 4092 {
			t.Fatalf("%d bytes out, limit 4092", len(out))
		}
	})
}

// FuzzRoundTrip: what Compress produces, Decompress restores.
func FuzzRoundTrip(f *testing.F) {
	for _, v := range vectors {
		b, _ := hex.DecodeString(v.in)
		f.Add(b)
	}
	var c Coder
	f.Fuzz(func(t *testing.T, in []byte) {
		out, ok := c.Compress(nil, in, 2*len(in)+16)
		if !ok {
			t.Fatal("Compress failed with a generous limit")
		}
		back, err := c.Decompress(nil, out, len(in))
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
