package enet

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/internal/fastlz"
)

// compressorsScript runs Godot 4.6's own Compression codecs, the functions
// ENetConnection's compressor hook calls for COMPRESS_FASTLZ, COMPRESS_ZLIB
// (MODE_DEFLATE) and COMPRESS_ZSTD: PackedByteArray.compress and decompress
// reach them unchanged. "P i b64" asks for payload i compressed in each
// mode ("C i mode b64"), "F i b64" in FASTLZ alone ("C i 0 b64");
// "D i mode size b64" for Go's compressed bytes decompressed ("D i b64", or
// "D i error").
const compressorsScript = `extends Node

func _ready() -> void:
	var modes := [FileAccess.COMPRESSION_FASTLZ, FileAccess.COMPRESSION_DEFLATE, FileAccess.COMPRESSION_ZSTD]
	for a in OS.get_cmdline_user_args():
		var f := a.split(" ")
		if f[0] == "P":
			var src := Marshalls.base64_to_raw(f[2])
			for m in modes:
				print("C ", f[1], " ", m, " ", Marshalls.raw_to_base64(src.compress(m)))
		elif f[0] == "F":
			var big := Marshalls.base64_to_raw(f[2])
			print("C ", f[1], " 0 ", Marshalls.raw_to_base64(big.compress(FileAccess.COMPRESSION_FASTLZ)))
		elif f[0] == "D":
			var out := Marshalls.base64_to_raw(f[4]).decompress(int(f[3]), int(f[2]))
			if out.size() == 0:
				print("D ", f[1], " error")
			else:
				print("D ", f[1], " ", Marshalls.raw_to_base64(out))
	get_tree().quit()
`

// compressorPayloads are datagram bodies as ENet compresses them: tiny
// (FastLZ pads under 16 bytes), 13..20 bytes around that padding, an ENet
// command, text, noise, a mix, one near the 4 KiB datagram limit, long
// runs (FastLZ 0.5.0 level 1 splits matches at 264 bytes) and matches at
// the level-1 distance limit (8191 reaches, 8192 does not).
func compressorPayloads() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	command := []byte{0x86, 0x00, 0x00, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'}
	ps := [][]byte{
		[]byte("x"),
		noise(15),
		make([]byte, 16),
		bytes.Repeat(command, 6),
		bytes.Repeat([]byte("godot enet "), 20),
		noise(1000),
		append(bytes.Repeat([]byte{0, 1, 2, 3}, 175), noise(700)...),
		bytes.Repeat([]byte("\x1c\x00\x00\x00\x03\x00\x00\x00position"), 250)[:4000],
	}
	for n := 13; n <= 20; n++ {
		ps = append(ps, noise(n), append([]byte("x"), make([]byte, n-1)...), bytes.Repeat([]byte("ab"), n)[:n])
	}
	near := noise(8191)
	ps = append(ps,
		make([]byte, 1000),
		append(append(noise(10), bytes.Repeat([]byte{0x55}, 3000)...), noise(10)...),
		bytes.Repeat([]byte("ab"), 700),
		bytes.Repeat([]byte("0123456789"), 300),
		append(append(near, near[:40]...), noise(40)...),               // distance 8191
		append(append(near, 7), append(near[:40:40], noise(40)...)...), // distance 8192
	)
	return ps
}

// bigFastLZPayloads are 64 KiB and more, where FastLZ switches to level 2
// (runs found without the hash, 16-bit far distances up to 73724 that need
// 5 matching bytes): Godot compresses them with PackedByteArray.compress,
// Go with internal/fastlz directly (ENet's datagrams are smaller).
func bigFastLZPayloads() [][]byte {
	r := rand.New(rand.NewPCG(5, 6))
	noise := func(n, symbols int) []byte { // 16 symbols: many short matches, near and far
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(symbols))
		}
		return b
	}
	head := noise(12000, 256)
	var a bytes.Buffer
	a.Write(head)
	a.Write(bytes.Repeat([]byte("godot enet packet peer "), 1300)) // 29900 B
	a.Write(head[:9000])                                           // distance 41900
	a.Write(make([]byte, 8000))
	a.Write(noise(10000, 4))
	a.Write(head[20:26]) // a 6-byte far match: long enough for level 2
	a.Write(head[40:44]) // a 4-byte one: too short
	a.Write(noise(4000, 16))
	var b bytes.Buffer
	b.Write(head[:4000])
	b.Write(make([]byte, 72000))
	b.Write(head[:4000]) // distance 76000: beyond level 2's reach
	b.Write(noise(100, 256))
	state := func(n int) []byte { // game state: a record repeated, a few bytes changed
		b := bytes.Repeat([]byte("\x1c\x00\x00\x00\x03\x00\x00\x00position"), n/16+1)[:n]
		for i := 0; i < n; i += 1 + r.IntN(40) {
			b[i] = byte(r.IntN(16))
		}
		return b
	}
	return [][]byte{a.Bytes(), b.Bytes(), state(65535), state(65536), append(noise(8000, 16), state(70000)...)}
}

// TestGodotCompressorsLive checks the FASTLZ, ZLIB and ZSTD modes against
// Godot 4.6's codecs (the web engine in headless Chromium: browsers have no
// UDP, so the codecs are checked directly rather than through a socket).
// FastLZ must produce Godot's bytes exactly, at level 1 (datagrams) and
// level 2 (64 KiB and more); for zlib and zstd, whose encoders may choose
// other matches, each side must decode the other's output to the payload.
//
// With PACKETPEER_FASTLZ_VECTORS=dir it writes Godot's FastLZ outputs, one
// base64 block a line, to dir/godot-fastlz.txt.gz: the golden vectors of
// internal/fastlz (each block decompresses to its input).
func TestGodotCompressorsLive(t *testing.T) {
	payloads := compressorPayloads()
	big := bigFastLZPayloads()
	zs, err := newZstd()
	if err != nil {
		t.Fatal(err)
	}
	defer zs.close()
	codecs := map[int]compressor{0: fastLZ{}, 1: &zlibCodec{}, 2: zs} // FileAccess.COMPRESSION_*
	var args []string
	type sent struct {
		payload []byte
		mode    int
	}
	var ours []sent
	for i, p := range payloads {
		args = append(args, fmt.Sprintf("P %d %s", i, base64.StdEncoding.EncodeToString(p)))
		for mode := range 3 {
			c, ok := codecs[mode].Compress(nil, p)
			if !ok {
				continue // ENet sends this datagram uncompressed
			}
			args = append(args, fmt.Sprintf("D %d %d %d %s", len(ours), mode, len(p), base64.StdEncoding.EncodeToString(c)))
			ours = append(ours, sent{p, mode})
		}
	}
	for i, p := range big {
		args = append(args, fmt.Sprintf("F %d %s", len(payloads)+i, base64.StdEncoding.EncodeToString(p)))
		args = append(args, fmt.Sprintf("D %d 0 %d %s", len(ours), len(p), base64.StdEncoding.EncodeToString(fastlz.Compress(nil, p))))
		ours = append(ours, sent{p, 0})
	}
	res := godottest.RunTest(t, compressorsScript, &godottest.Options{Args: args})
	lines := map[string]string{}
	for _, l := range res.Lines {
		f := strings.Fields(l)
		switch {
		case len(f) == 4 && f[0] == "C":
			lines["C "+f[1]+" "+f[2]] = f[3]
		case len(f) == 3 && f[0] == "D":
			lines["D "+f[1]] = f[2]
		}
	}
	godotBytes := func(i, mode int) []byte {
		b64, ok := lines[fmt.Sprintf("C %d %d", i, mode)]
		if !ok {
			return nil
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	names := []string{"fastlz", "zlib", "zstd"}
	var vectors bytes.Buffer
	for i, p := range payloads {
		for mode := range 3 {
			godot := godotBytes(i, mode)
			if godot == nil {
				t.Errorf("payload %d (%d B) %s: Godot printed no compressed bytes", i, len(p), names[mode])
				continue
			}
			if mode == 0 {
				fmt.Fprintf(&vectors, "%s\n", base64.StdEncoding.EncodeToString(godot))
				if ours, _ := codecs[0].Compress(nil, p); !bytes.Equal(ours, godot) {
					t.Errorf("payload %d (%d B) fastlz: Go's bytes differ from Godot's\n go    %x\n godot %x", i, len(p), ours, godot)
				}
			}
			got, err := codecs[mode].Decompress(nil, godot, max(len(p), 16))
			if mode == 0 {
				got = got[:min(len(got), len(p))] // a padded input decompresses to 16 bytes
			}
			if err != nil || !bytes.Equal(got, p) {
				t.Errorf("payload %d (%d B) %s: Go decodes Godot's %d bytes to %d bytes (%v)", i, len(p), names[mode], len(godot), len(got), err)
			}
		}
	}
	for i, p := range big {
		godot := godotBytes(len(payloads)+i, 0)
		if godot == nil {
			t.Errorf("big payload %d (%d B): Godot printed no FastLZ bytes", i, len(p))
			continue
		}
		fmt.Fprintf(&vectors, "%s\n", base64.StdEncoding.EncodeToString(godot))
		if ours := fastlz.Compress(nil, p); !bytes.Equal(ours, godot) {
			n := 0
			for n < min(len(ours), len(godot)) && ours[n] == godot[n] {
				n++
			}
			t.Errorf("big payload %d (%d B): Go's FastLZ bytes (%d, level %d) differ from Godot's (%d, level %d) from byte %d",
				i, len(p), len(ours), ours[0]>>5+1, len(godot), godot[0]>>5+1, n)
		}
		if got, err := fastlz.Decompress(nil, godot, len(p)); err != nil || !bytes.Equal(got, p) {
			t.Errorf("big payload %d (%d B): Go decodes Godot's %d bytes to %d bytes (%v)", i, len(p), len(godot), len(got), err)
		}
	}
	for j, s := range ours {
		b64 := lines[fmt.Sprintf("D %d", j)]
		got, err := base64.StdEncoding.DecodeString(b64)
		if b64 == "" || b64 == "error" || err != nil || !bytes.Equal(got, s.payload) {
			t.Errorf("%d B %s: Godot decodes Go's bytes to %.40q", len(s.payload), names[s.mode], b64)
		}
	}
	if t.Failed() {
		t.Logf("Godot's errors:\n%s", strings.Join(res.Errors, "\n"))
	} else if dir := os.Getenv("PACKETPEER_FASTLZ_VECTORS"); dir != "" {
		writeGzip(t, filepath.Join(dir, "godot-fastlz.txt.gz"), vectors.Bytes())
	}
}

func writeGzip(t *testing.T, name string, b []byte) {
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
