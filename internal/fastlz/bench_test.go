package fastlz

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// benchPayloads are a datagram of mixed game state (the ENet case), a
// text-like block and incompressible noise.
func benchPayloads() map[string][]byte {
	r := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 1200)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	state := bytes.Repeat([]byte("\x1c\x00\x00\x00\x03\x00\x00\x00position"), 100)[:1200]
	for i := 0; i < len(state); i += 7 {
		state[i] = byte(r.IntN(4))
	}
	return map[string][]byte{
		"state1200": state,
		"text1200":  bytes.Repeat([]byte("godot enet packet peer "), 60)[:1200],
		"noise1200": noise,
	}
}

func BenchmarkCompress(b *testing.B) {
	for name, p := range benchPayloads() {
		b.Run(name, func(b *testing.B) {
			dst := make([]byte, 0, 2*len(p))
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				dst = Compress(dst[:0], p)
			}
		})
	}
}

func BenchmarkDecompress(b *testing.B) {
	for name, p := range benchPayloads() {
		b.Run(name, func(b *testing.B) {
			c := Compress(nil, p)
			dst := make([]byte, 0, len(p))
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = Decompress(dst[:0], c, len(p)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
