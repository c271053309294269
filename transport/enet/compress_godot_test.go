package enet

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/godottest"
)

// compressorsScript runs Godot 4.6's own Compression codecs, the functions
// ENetConnection's compressor hook calls for COMPRESS_FASTLZ, COMPRESS_ZLIB
// (MODE_DEFLATE) and COMPRESS_ZSTD: PackedByteArray.compress and decompress
// reach them unchanged. "P i b64" asks for payload i compressed in each
// mode ("C i mode b64"); "D i mode size b64" for Go's compressed bytes
// decompressed ("D i b64", or "D i error").
const compressorsScript = `extends Node

func _ready() -> void:
	var modes := [FileAccess.COMPRESSION_FASTLZ, FileAccess.COMPRESSION_DEFLATE, FileAccess.COMPRESSION_ZSTD]
	for a in OS.get_cmdline_user_args():
		var f := a.split(" ")
		if f[0] == "P":
			var src := Marshalls.base64_to_raw(f[2])
			for m in modes:
				print("C ", f[1], " ", m, " ", Marshalls.raw_to_base64(src.compress(m)))
		elif f[0] == "D":
			var out := Marshalls.base64_to_raw(f[4]).decompress(int(f[3]), int(f[2]))
			if out.size() == 0:
				print("D ", f[1], " error")
			else:
				print("D ", f[1], " ", Marshalls.raw_to_base64(out))
	get_tree().quit()
`

// compressorPayloads are datagram bodies as ENet compresses them: tiny
// (FastLZ pads under 16 bytes), an ENet command, text, noise, a mix, and
// one near the 4 KiB datagram limit.
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
	return [][]byte{
		[]byte("x"),
		noise(15),
		make([]byte, 16),
		bytes.Repeat(command, 6),
		bytes.Repeat([]byte("godot enet "), 20),
		noise(1000),
		append(bytes.Repeat([]byte{0, 1, 2, 3}, 175), noise(700)...),
		bytes.Repeat([]byte("\x1c\x00\x00\x00\x03\x00\x00\x00position"), 250)[:4000],
	}
}

// TestGodotCompressorsLive checks the FASTLZ, ZLIB and ZSTD modes against
// Godot 4.6's codecs (the web engine in headless Chromium: browsers have no
// UDP, so the codecs are checked directly rather than through a socket).
// FastLZ must produce Godot's bytes exactly; for zlib and zstd, whose
// encoders may choose other matches, each side must decode the other's
// output to the payload.
func TestGodotCompressorsLive(t *testing.T) {
	payloads := compressorPayloads()
	zs, err := newZstd()
	if err != nil {
		t.Fatal(err)
	}
	defer zs.close()
	codecs := map[int]compressor{0: fastLZ{}, 1: &zlibCodec{}, 2: zs} // FileAccess.COMPRESSION_*
	var args []string
	type sent struct {
		payload, mode int
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
			ours = append(ours, sent{i, mode})
		}
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
	names := []string{"fastlz", "zlib", "zstd"}
	for i, p := range payloads {
		for mode := range 3 {
			b64, ok := lines[fmt.Sprintf("C %d %d", i, mode)]
			if !ok {
				t.Errorf("payload %d (%d B) %s: Godot printed no compressed bytes", i, len(p), names[mode])
				continue
			}
			godot, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			if mode == 0 {
				if ours, _ := codecs[0].Compress(nil, p); !bytes.Equal(ours, godot) {
					t.Logf("payload %d (%d B) fastlz: Go's bytes differ from Godot's (each decodes the other's)\n go    %x\n godot %x", i, len(p), ours, godot)
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
	for j, s := range ours {
		b64 := lines[fmt.Sprintf("D %d", j)]
		got, err := base64.StdEncoding.DecodeString(b64)
		if b64 == "" || b64 == "error" || err != nil || !bytes.Equal(got, payloads[s.payload]) {
			t.Errorf("payload %d (%d B) %s: Godot decodes Go's bytes to %q", s.payload, len(payloads[s.payload]), names[s.mode], b64)
		}
	}
	if t.Failed() {
		t.Logf("Godot's errors:\n%s", strings.Join(res.Errors, "\n"))
	}
}
