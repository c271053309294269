package scene

import (
	"testing"

	"github.com/packetpeer/packetpeer/variant"
)

// RPC receive of hello(true, 300): parse + decode the two arguments, next to
// variant.Unmarshal of the same two values (as a Godot Array) into a struct,
// the reference point.
func BenchmarkReceiveRPC(b *testing.B) {
	p := h(b, "00 01 03 02 81 42 2c 01")
	args := make([]any, 0, 2)
	b.ReportAllocs()
	for b.Loop() {
		c, err := ParseRemoteCall(p)
		if err != nil {
			b.Fatal(err)
		}
		if args, err = c.DecodeArgs(args[:0], variant.DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReceiveRPCString(b *testing.B) {
	p := h(b, "00 01 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05")
	args := make([]any, 0, 2)
	b.ReportAllocs()
	for b.Loop() {
		c, _ := ParseRemoteCall(p)
		args, _ = c.DecodeArgs(args[:0], variant.DecodeOptions{})
	}
}

func BenchmarkUnmarshalTwoValues(b *testing.B) {
	type two struct {
		A bool
		B int
	}
	data, err := variant.Marshal(two{true, 300})
	if err != nil {
		b.Fatal(err)
	}
	var v two
	b.ReportAllocs()
	for b.Loop() {
		if err := variant.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSendRPC(b *testing.B) {
	buf := make([]byte, 0, 64)
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = AppendRemoteCall(buf[:0], RemoteCall{Node: 1, Method: 3}, variant.EncodeOptions{}, true, 300); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRelay(b *testing.B) {
	p := h(b, "07 03 2a 00 00 00 00 01 03 02 81 42 2c 01")
	out := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		m, err := ParseSys(p)
		if err != nil {
			b.Fatal(err)
		}
		out, _ = AppendRelay(out[:0], 12345678, m.Data)
	}
}
