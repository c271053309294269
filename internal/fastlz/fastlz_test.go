package fastlz

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"math/rand/v2"
	"os"
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

// TestGodotVectors checks Compress against blocks Godot 4.6 wrote
// (PackedByteArray.compress(COMPRESSION_FASTLZ), recorded by transport/enet's
// TestGodotCompressorsLive with PACKETPEER_FASTLZ_VECTORS): each block
// decompresses to its input, and Compress must write the same block.
// They include inputs of 16..20 bytes (13..15 padded to 16 by Godot), long
// runs, matches at distances 8191 and 8192 (level 1's limit), inputs of
// 65535 and 65536 bytes (the switch to level 2), level-2 matches beyond
// distance 8191 and past its 73724 limit.
func TestGodotVectors(t *testing.T) {
	f, err := os.Open("testdata/godot-fastlz.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(z)
	sc.Buffer(nil, 1<<20)
	levels := map[byte]int{}
	n := 0
	for sc.Scan() {
		godot, err := base64.StdEncoding.DecodeString(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		in, err := Decompress(nil, godot, 1<<20)
		if err != nil {
			t.Fatalf("vector %d: %v", n, err)
		}
		if got := Compress(nil, in); !bytes.Equal(got, godot) {
			k := 0
			for k < min(len(got), len(godot)) && got[k] == godot[k] {
				k++
			}
			t.Errorf("vector %d (%d B): Compress writes %d bytes, Godot %d; they differ from byte %d", n, len(in), len(got), len(godot), k)
		}
		levels[godot[0]>>5+1]++
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if levels[1] < 30 || levels[2] < 4 {
		t.Fatalf("vectors per level %v: the file is incomplete", levels)
	}
}

func TestLevelSwitch(t *testing.T) {
	for n, level := range map[int]byte{1: 1, 65535: 1, 65536: 2, 200000: 2} {
		if c := Compress(nil, make([]byte, n)); c[0]>>5+1 != level {
			t.Errorf("%d bytes compressed at level %d, want %d", n, c[0]>>5+1, level)
		}
	}
}

// TestBound: Compress writes at most len(src)+len(src)/32+1 bytes (a
// literal count byte per 32 bytes; a match is never longer than what it
// replaces plus the count byte of the literals after it), and neither
// function allocates when dst has room.
func TestBound(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 3, 4, 16, 31, 32, 33, 1000, 4096, 65535, 65536, 100000} {
		for _, alpha := range []int{2, 16, 256} {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.IntN(alpha))
			}
			if c := Compress(nil, b); len(c) > n+n/32+1 {
				t.Errorf("%d bytes (%d symbols) compressed to %d", n, alpha, len(c))
			}
		}
	}
	src := bytes.Repeat([]byte("godot enet packet peer \x00\x01"), 50)
	dst := make([]byte, 0, 2*len(src))
	if a := testing.AllocsPerRun(100, func() { dst = Compress(dst[:0], src) }); a != 0 {
		t.Errorf("Compress: %v allocations", a)
	}
	blk := Compress(nil, src)
	if a := testing.AllocsPerRun(100, func() { dst, _ = Decompress(dst[:0], blk, len(src)) }); a != 0 {
		t.Errorf("Decompress: %v allocations", a)
	}
}

// FuzzDecompress: never panics, never writes past the limit, and what it
// accepts within the limit it also accepts with a larger one, identically.
func FuzzDecompress(f *testing.F) {
	f.Add([]byte{2, 'a', 'b', 'c', 4 << 5, 2}, 100)
	f.Add(Compress(nil, bytes.Repeat([]byte("xyz"), 100)), 300)
	f.Add(Compress(nil, bytes.Repeat([]byte("xyz"), 30000)), 1000)
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		limit = limit & 0xFFFF
		out, err := Decompress(nil, b, limit)
		if len(out) > limit {
			t.Fatalf("%d bytes out, limit %d (err %v)", len(out), limit, err)
		}
		if err == nil {
			again, err := Decompress(nil, b, limit+100)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("limit %d: %v", limit+100, err)
			}
		}
	})
}

// FuzzRoundTrip: Decompress(Compress(b)) is b, at both levels (short
// inputs are repeated past 64 KiB too), within the size bound.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("x"))
	f.Add(bytes.Repeat([]byte("godot "), 50))
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		ins := [][]byte{b}
		if len(b) < 4096 {
			big := bytes.Repeat(b, 65536/len(b)+1)
			for i := 0; i < len(big); i += 997 { // vary the copies: far matches, not only runs
				big[i] ^= b[i%len(b)]
			}
			ins = append(ins, big)
		}
		for _, in := range ins {
			c := Compress(nil, in)
			if len(c) > len(in)+len(in)/32+1 {
				t.Fatalf("%d bytes compressed to %d", len(in), len(c))
			}
			back, err := Decompress([]byte("prefix"), c, len(in))
			if err != nil || !bytes.Equal(back[6:], in) {
				t.Fatalf("round trip of %d bytes (level %d): %v", len(in), c[0]>>5+1, err)
			}
		}
	})
}
