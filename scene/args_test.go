package scene

import (
	"errors"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

func TestArgs(t *testing.T) {
	// from_server(0.1, "héllo"), (-129, 1.5), (true, 300) of §15.3.
	c, _ := ParseRemoteCall(h(t, "00 07 02 02 42 7f ff 03 00 00 00 00 00 c0 3f"))
	a := c.Arguments(variant.DecodeOptions{})
	if _, err := a.Bool(); !errors.Is(err, peer.ErrInvalidData) || a.Len() != 2 {
		t.Fatalf("Bool on an int: %v, %d left", err, a.Len())
	}
	if i, err := a.Int(); err != nil || i != -129 {
		t.Fatalf("Int = %d, %v", i, err)
	}
	if f, err := a.Float(); err != nil || f != 1.5 {
		t.Fatalf("Float = %v, %v", f, err)
	}
	if _, err := a.Int(); !errors.Is(err, peer.ErrInvalidData) {
		t.Fatalf("past the end: %v", err)
	}
	c, _ = ParseRemoteCall(h(t, "00 07 02 02 03 00 01 00 9a 99 99 99 99 99 b9 3f 04 00 00 00 06 00 00 00 68 c3 a9 6c 6c 6f 00 00"))
	a = c.Arguments(variant.DecodeOptions{})
	if f, err := a.Float(); err != nil || f != 0.1 {
		t.Fatalf("Float64 = %v, %v", f, err)
	}
	if v, err := a.Value(); err != nil || v != "héllo" {
		t.Fatalf("Value = %v, %v", v, err)
	}
	c, _ = ParseRemoteCall(h(t, "00 01 03 03 81 42 2c 01 1d 00 00 00 03 00 00 00 01 02 03 00"))
	a = c.Arguments(variant.DecodeOptions{})
	if b, err := a.Bool(); err != nil || !b {
		t.Fatalf("Bool = %v, %v", b, err)
	}
	if i, err := a.Int(); err != nil || i != 300 {
		t.Fatalf("Int = %v, %v", i, err)
	}
	if b, err := a.Bytes(); err != nil || string(b) != "\x01\x02\x03" || a.Len() != 0 {
		t.Fatalf("Bytes = % x, %v", b, err)
	}
	c, _ = ParseRemoteCall(h(t, "80 01 05 ca fe"))
	a = c.Arguments(variant.DecodeOptions{})
	if _, err := a.Int(); !errors.Is(err, peer.ErrInvalidData) {
		t.Fatalf("Int on raw: %v", err)
	}
	if b, err := a.Bytes(); err != nil || string(b) != "\xca\xfe" {
		t.Fatalf("raw Bytes = % x, %v", b, err)
	}
	for _, s := range []string{"00 01 03 01 42 01", "00 01 03 01 03 00 00 00 00", "00 01 03 01 03 00 01 00 00 00 00 00", "00 01 03 01 1d 00 00 00 09 00 00 00 01"} {
		c, _ := ParseRemoteCall(h(t, s))
		a := c.Arguments(variant.DecodeOptions{})
		_, e1 := a.Int()
		_, e2 := a.Float()
		_, e3 := a.Bytes()
		if e1 == nil && e2 == nil && e3 == nil {
			t.Errorf("%s: truncated argument accepted", s)
		}
	}
}

func BenchmarkReceiveRPCTyped(b *testing.B) {
	p := h(b, "00 01 03 02 81 42 2c 01")
	b.ReportAllocs()
	for b.Loop() {
		c, err := ParseRemoteCall(p)
		if err != nil {
			b.Fatal(err)
		}
		a := c.Arguments(variant.DecodeOptions{})
		if _, err := a.Bool(); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Int(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestArgsZeroAlloc(t *testing.T) {
	p := h(t, "00 01 03 03 81 42 2c 01 03 00 00 00 00 00 c0 3f")
	if n := testing.AllocsPerRun(100, func() {
		c, _ := ParseRemoteCall(p)
		a := c.Arguments(variant.DecodeOptions{})
		a.Bool()
		a.Int()
		a.Float()
	}); n != 0 {
		t.Errorf("typed scalar arguments: %v allocations", n)
	}
}
