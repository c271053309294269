package scene

import (
	"errors"
	"reflect"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

func parseCall(t *testing.T, s string) (RemoteCall, []any) {
	t.Helper()
	p := h(t, s)
	if c, err := PacketCommand(p); err != nil || c != CommandRemoteCall {
		t.Fatalf("command of %s: %v %v", s, c, err)
	}
	c, err := ParseRemoteCall(p)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	args, err := c.DecodeArgs(nil, variant.DecodeOptions{})
	if err != nil {
		t.Fatalf("args of %s: %v", s, err)
	}
	return c, args
}

// Every REMOTE_CALL of the §15 capture, both directions, decoded.
func TestGoldenDecodeRemoteCall(t *testing.T) {
	for _, c := range []struct {
		hex  string
		want RemoteCall // Args not compared
		args []any
	}{
		{"20 15 00 00 80 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00", RemoteCall{Path: "Main", Method: 3, Argc: 2}, []any{"x", int64(5)}},
		{"20 15 00 00 80 00 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00", RemoteCall{Path: "Main", Method: 0, Argc: 2}, []any{"x", int64(5)}},
		{"00 01 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05", RemoteCall{Node: 1, Method: 3, Argc: 2}, []any{"x", int64(5)}},
		{"00 01 03 02 81 42 2c 01", RemoteCall{Node: 1, Method: 3, Argc: 2}, []any{true, int64(300)}},
		{"80 01 04", RemoteCall{Node: 1, Method: 4, Raw: true}, nil},
		{"80 01 00", RemoteCall{Node: 1, Method: 0, Raw: true}, nil},
		{"80 01 05 ca fe", RemoteCall{Node: 1, Method: 5, Raw: true, Argc: 1}, []any{[]byte{0xca, 0xfe}}},
		{"80 01 05", RemoteCall{Node: 1, Method: 5, Raw: true}, nil},
		{"00 01 01 01 02 01", RemoteCall{Node: 1, Method: 1, Argc: 1}, []any{int64(1)}},
		{"00 01 06 01 02 fe", RemoteCall{Node: 1, Method: 6, Argc: 1}, []any{int64(-2)}},
		{"00 01 02 02 03 00 00 00 00 00 c0 3f 05 00 00 00 00 00 80 3f 00 00 00 40", RemoteCall{Node: 1, Method: 2, Argc: 2}, []any{1.5, variant.Vector2{X: 1, Y: 2}}},
		{"40 01 00 80 01 02 07", RemoteCall{Node: 1, Method: 0x8000, Argc: 1}, []any{int64(7)}},
		{"20 01 00 00 00 01 01 02 03", RemoteCall{Node: 1, Wide: true, Method: 1, Argc: 1}, []any{int64(3)}},
		{"20 09 00 00 80 01 01 02 03 4d 61 69 6e 00", RemoteCall{Path: "Main", Method: 1, Argc: 1}, []any{int64(3)}},
		{"20 0a 00 00 80 02 02 81 02 05 4d 61 69 6e 00", RemoteCall{Path: "Main", Method: 2, Argc: 2}, []any{true, int64(5)}},
		{"00 07 02 02 01 42 2c 01", RemoteCall{Node: 7, Method: 2, Argc: 2}, []any{false, int64(300)}},
		{"00 07 02 02 82 70 11 01 00 c2 00 00 00 00 00 01 00 00", RemoteCall{Node: 7, Method: 2, Argc: 2}, []any{int64(70000), int64(1) << 40}},
		{"00 07 02 02 42 7f ff 03 00 00 00 00 00 c0 3f", RemoteCall{Node: 7, Method: 2, Argc: 2}, []any{int64(-129), 1.5}},
		{"00 07 02 02 03 00 01 00 9a 99 99 99 99 99 b9 3f 04 00 00 00 06 00 00 00 68 c3 a9 6c 6c 6f 00 00", RemoteCall{Node: 7, Method: 2, Argc: 2}, []any{0.1, "héllo"}},
		{"00 07 02 02 05 00 00 00 00 00 80 3f 00 00 00 40 1c 00 00 00 02 00 00 00 02 00 00 00 01 00 00 00 04 00 00 00 01 00 00 00 61 00 00 00", RemoteCall{Node: 7, Method: 2, Argc: 2}, []any{variant.Vector2{X: 1, Y: 2}, []any{int64(1), "a"}}},
		// Over-wide ints and trailing bytes are accepted (§15.3).
		{"00 07 02 02 c2 05 00 00 00 00 00 00 00 42 07 00", RemoteCall{Node: 7, Method: 2, Argc: 2}, []any{int64(5), int64(7)}},
		{"00 07 02 02 02 05 02 06 ff ff", RemoteCall{Node: 7, Method: 2, Argc: 2}, []any{int64(5), int64(6)}},
		{"80 07 04", RemoteCall{Node: 7, Method: 4, Raw: true}, nil},
		{"80 07 05 ca fe", RemoteCall{Node: 7, Method: 5, Raw: true, Argc: 1}, []any{[]byte{0xca, 0xfe}}},
		{"00 07 03 01 04 00 00 00 08 00 00 00 6f 6e 6c 79 2d 6f 6e 65", RemoteCall{Node: 7, Method: 3, Argc: 1}, []any{"only-one"}},
		{"40 07 00 80 01 02 08", RemoteCall{Node: 7, Method: 0x8000, Argc: 1}, []any{int64(8)}},
		{"00 63 02 02 02 01 02 02", RemoteCall{Node: 99, Method: 2, Argc: 2}, []any{int64(1), int64(2)}},
		// Node ids Godot never writes this way, which its receiver accepts.
		{"10 07 00 02 01 02 05", RemoteCall{Node: 7, Method: 2, Argc: 1}, []any{int64(5)}},
		{"50 2c 01 02 00 00", RemoteCall{Node: 300, Method: 2, Argc: 0}, nil},
	} {
		got, args := parseCall(t, c.hex)
		got.Args = nil
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.hex, got, c.want)
		}
		if !reflect.DeepEqual(args, c.args) {
			t.Errorf("%s: args %#v, want %#v", c.hex, args, c.args)
		}
	}
}

func TestGoldenDecodeMessages(t *testing.T) {
	for _, c := range []struct {
		hex  string
		want Sys
	}{
		{"07 01 2a 00 00 00", Sys{Command: SysAddPeer, Peer: 42}},
		{"07 02 63 00 00 00", Sys{Command: SysDelPeer, Peer: 99}},
		{"07 01 4e 61 bc 00 ff", Sys{Command: SysAddPeer, Peer: 12345678}}, // extra bytes ignored
		{"07 03 2a 00 00 00 03 ca fe", Sys{Command: SysRelay, Peer: 42, Data: []byte{3, 0xca, 0xfe}}},
		{"07 03 d6 ff ff ff 03 02", Sys{Command: SysRelay, Peer: -42, Data: []byte{3, 2}}},
		{"07 00 73 65 63 72 65 74", Sys{Command: SysAuth, Data: []byte("secret")}},
		{"07 00", Sys{Command: SysAuth, Data: []byte{}}},
		{"0f 01 2a 00 00 00", Sys{Command: SysAddPeer, Peer: 42}}, // bit 3 unused
	} {
		got, err := ParseSys(h(t, c.hex))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseSys(%s) = %+v, %v; want %+v", c.hex, got, err, c.want)
		}
	}
	raw, err := ParseRaw(h(t, "03 de ad be ef"))
	if err != nil || string(raw) != "\xde\xad\xbe\xef" {
		t.Errorf("ParseRaw = % x, %v", raw, err)
	}
	sp, err := ParseSimplifyPath(h(t, "01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00"))
	if err != nil || sp != (SimplifyPath{Checksum: mainMethods.Checksum(), ID: 1, Path: "Main"}) {
		t.Errorf("ParseSimplifyPath = %+v, %v", sp, err)
	}
	// No NUL and no check of the checksum's NUL (§8.3).
	sp, err = ParseSimplifyPath(h(t, "01 6134636231313163653063396363646230646566333766316161343632353861 ff 0a 00 00 00 4d 61 69 6e 2f 53"))
	if err != nil || sp.Path != "Main/S" || sp.ID != 10 {
		t.Errorf("ParseSimplifyPath without NULs = %+v, %v", sp, err)
	}
	for _, c := range []struct {
		hex  string
		want ConfirmPath
	}{{"02 01 01 00 00 00", ConfirmPath{true, 1}}, {"02 00 08 00 00 00", ConfirmPath{false, 8}}, {"02 07 07 00 00 00", ConfirmPath{true, 7}}} {
		got, err := ParseConfirmPath(h(t, c.hex))
		if err != nil || got != c.want {
			t.Errorf("ParseConfirmPath(%s) = %+v, %v", c.hex, got, err)
		}
	}
}

// Malformed messages are errors matching peer.ErrInvalidData.
func TestDecodeErrors(t *testing.T) {
	sys := []string{"07", "07 01 2a 00 00", "07 03 2a 00 00 00", "07 09 01 00 00 00", "07 04 00 00 00 00"}
	for _, s := range sys {
		if _, err := ParseSys(h(t, s)); !errors.Is(err, peer.ErrInvalidData) {
			t.Errorf("ParseSys(%s) err = %v", s, err)
		}
	}
	if _, err := ParseRaw(h(t, "03")); !errors.Is(err, peer.ErrInvalidData) {
		t.Errorf("ParseRaw(03) err = %v", err)
	}
	if _, err := PacketCommand(nil); !errors.Is(err, peer.ErrInvalidData) {
		t.Errorf("PacketCommand(nil) err = %v", err)
	}
	for _, s := range []string{"01 00", "01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00", "01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 ff fe"} {
		if _, err := ParseSimplifyPath(h(t, s)); !errors.Is(err, peer.ErrInvalidData) {
			t.Errorf("ParseSimplifyPath(%s) err = %v", s, err)
		}
	}
	for _, s := range []string{"02 01 01 00 00", "02 01 01 00 00 00 00"} {
		if _, err := ParseConfirmPath(h(t, s)); !errors.Is(err, peer.ErrInvalidData) {
			t.Errorf("ParseConfirmPath(%s) err = %v", s, err)
		}
	}
	for _, s := range []string{
		"",
		"30 01 00 00 00 00 00 00",       // node width 3 (§15.3)
		"00 01",                         // no method id
		"40 01 00",                      // 16-bit method id truncated
		"00 01 03",                      // no argc
		"20 05 00 00 80 00 01",          // path offset at the end
		"20 03 00 00 80 00 01 02 4d 00", // path offset inside the header
		"20 06 00 00 80 00 ff fe",       // path not UTF-8
	} {
		if _, err := ParseRemoteCall(h(t, s)); !errors.Is(err, peer.ErrInvalidData) {
			t.Errorf("ParseRemoteCall(%s) err = %v", s, err)
		}
	}
	// Argument errors: truncated int, unknown type, fewer values than argc,
	// a full Object without AllowObjects (the null-Object quirk of §7).
	for _, s := range []string{"00 01 00 01 42 01", "00 01 00 01 3f", "00 01 00 02 02 01", "00 01 00 01 18 00 00 00"} {
		c, err := ParseRemoteCall(h(t, s))
		if err != nil {
			t.Fatalf("ParseRemoteCall(%s): %v", s, err)
		}
		args, err := c.DecodeArgs(nil, variant.DecodeOptions{})
		if err == nil {
			t.Errorf("DecodeArgs(%s) = %v, want an error", s, args)
		}
		var se *Error
		if !errors.As(err, &se) || se.Command != CommandRemoteCall {
			t.Errorf("DecodeArgs(%s) err = %v, want a *scene.Error", s, err)
		}
	}
	// A PackedByteArray that ends the packet without its padding: Godot (and
	// package variant) count the missing padding; the count is capped.
	if v, n, err := DecodeCompressed(h(t, "1d 00 00 00 01 00 00 00 30"), variant.DecodeOptions{}); err != nil || n != 9 || string(v.([]byte)) != "0" {
		t.Errorf("unpadded PackedByteArray: %v, %d, %v", v, n, err)
	}
	// Bits 6-7 on a full-encoded type are not ignored: Godot passes the
	// header unchanged to decode_variant, which reads type 0x44 and fails.
	if _, _, err := DecodeCompressed(h(t, "44 00 00 00 01 00 00 00 78 00 00 00"), variant.DecodeOptions{}); !errors.Is(err, peer.ErrInvalidData) {
		t.Errorf("String header with bit 6 set: %v, want ErrInvalidData", err)
	}
	if _, _, err := DecodeCompressed(h(t, "18 00 00 00"), variant.DecodeOptions{}); !errors.Is(err, peer.ErrUnauthorized) {
		t.Errorf("null Object without AllowObjects: %v, want ErrUnauthorized", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	var o variant.EncodeOptions
	if _, err := AppendRaw(nil, nil); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("AppendRaw(nil) err = %v", err)
	}
	if _, err := AppendRelay(nil, 1, nil); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("AppendRelay(empty) err = %v", err)
	}
	for _, p := range []string{"", "a\x00b", "\xff"} {
		if _, err := AppendSimplifyPath(nil, SimplifyPath{Path: p}); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("AppendSimplifyPath(%q) err = %v", p, err)
		}
		if p != "" {
			if _, err := AppendRemoteCall(nil, RemoteCall{Path: p}, o); !errors.Is(err, peer.ErrInvalidParameter) {
				t.Errorf("AppendRemoteCall(path %q) err = %v", p, err)
			}
		}
	}
	dst := []byte{9}
	out, err := AppendRemoteCall(dst, RemoteCall{Node: 1}, o, make([]any, 256)...)
	if !errors.Is(err, peer.ErrInvalidParameter) || len(out) != 1 {
		t.Errorf("256 args: %v, % x", err, out)
	}
	out, err = AppendRemoteCall(dst, RemoteCall{Node: 1}, o, 1, "bad\xff")
	if !errors.Is(err, peer.ErrInvalidParameter) || len(out) != 1 {
		t.Errorf("invalid string arg: %v, % x", err, out)
	}
	out, err = AppendRemoteCall(dst, RemoteCall{Node: MaxNodeID + 1}, o)
	if !errors.Is(err, peer.ErrInvalidParameter) || len(out) != 1 {
		t.Errorf("node id with bit 31: %v, % x", err, out)
	}
	out, err = AppendRemoteCall(dst, RemoteCall{Node: 1}, o, uint64(1)<<63)
	if err == nil || len(out) != 1 {
		t.Errorf("uint64 > MaxInt64: %v, % x", err, out)
	}
}

// Compressed ints at every width boundary, and named types through the
// full codec, encode as Godot does and decode back.
func TestCompressedInts(t *testing.T) {
	type myInt int
	type myBool bool
	for _, c := range []struct {
		v    any
		want string
		back any
	}{
		{127, "02 7f", int64(127)},
		{-128, "02 80", int64(-128)},
		{128, "42 80 00", int64(128)},
		{-129, "42 7f ff", int64(-129)},
		{32767, "42 ff 7f", int64(32767)},
		{32768, "82 00 80 00 00", int64(32768)},
		{-32769, "82 ff 7f ff ff", int64(-32769)},
		{int64(2147483647), "82 ff ff ff 7f", int64(2147483647)},
		{int64(2147483648), "c2 00 00 00 80 00 00 00 00", int64(2147483648)},
		{int64(-2147483649), "c2 ff ff ff 7f ff ff ff ff", int64(-2147483649)},
		{uint(70000), "82 70 11 01 00", int64(70000)},
		{uint64(1) << 40, "c2 00 00 00 00 00 01 00 00", int64(1) << 40},
		{myInt(-2), "02 fe", int64(-2)},
		{myBool(true), "81", true},
		{uint32(4294967295), "c2 ff ff ff ff 00 00 00 00", int64(4294967295)},
		{nil, "00 00 00 00", nil},
		{"x", "04 00 00 00 01 00 00 00 78 00 00 00", "x"},
		{variant.Vector2{X: 100, Y: 50}, "05 00 00 00 00 00 c8 42 00 00 48 42", variant.Vector2{X: 100, Y: 50}},
	} {
		b, err := AppendCompressed(nil, c.v, variant.EncodeOptions{})
		check(t, "AppendCompressed", b, err, c.want)
		v, n, err := DecodeCompressed(b, variant.DecodeOptions{})
		if err != nil || n != len(b) || !reflect.DeepEqual(v, c.back) {
			t.Errorf("DecodeCompressed(% x) = %#v, %d, %v; want %#v", b, v, n, err, c.back)
		}
	}
}

// A single argument of a named byte-slice type is a PackedByteArray too, so
// it goes raw like []byte (Godot's test is on the Variant type).
func TestRawNamedBytes(t *testing.T) {
	type blob []byte
	b, err := AppendRemoteCall(nil, RemoteCall{Node: 1}, variant.EncodeOptions{}, blob{1, 2, 3})
	check(t, "named []byte", b, err, "80 01 00 01 02 03")
	b, err = AppendRemoteCall([]byte{9}, RemoteCall{Node: 1}, variant.EncodeOptions{}, "a\xff")
	if err == nil || len(b) != 1 {
		t.Errorf("bad single argument: % x, %v", b, err)
	}
	b, err = AppendRemoteCall(nil, RemoteCall{Node: 1}, variant.EncodeOptions{}, variant.Vector2{X: 1, Y: 2})
	check(t, "single Vector2", b, err, "00 01 00 01 05 00 00 00 00 00 80 3f 00 00 00 40")
	if s := RPCModeDisabled.String() + SysDelPeer.String() + Command(9).String() + SysCommand(9).String(); s != "disabledDEL_PEERCommand(9)SysCommand(9)" {
		t.Errorf("names: %s", s)
	}
}
