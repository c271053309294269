package peer

import (
	"context"
	"strings"
	"testing"
)

func TestNextPowerOfTwo(t *testing.T) {
	for _, c := range [][2]int{{0, 1}, {1, 1}, {2, 2}, {3, 4}, {1024, 1024}, {1025, 2048}, {8 << 20, 8 << 20}} {
		if got := nextPowerOfTwo(c[0]); got != c[1] {
			t.Errorf("nextPowerOfTwo(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

func TestPutVarBufferGrowsToPowerOfTwo(t *testing.T) {
	a, b := Pipe(nil)
	defer a.Close()
	defer b.Close()
	if err := a.PutVar(strings.Repeat("x", 1000)); err != nil {
		t.Fatal(err)
	}
	if c := cap(a.encBuf); c != 1024 {
		t.Fatalf("encode buffer capacity %d after a 1008-byte encoding, want 1024", c)
	}
	if err := a.SetEncodeBufferMaxSize(4096); err != nil {
		t.Fatal(err)
	}
	if a.encBuf != nil {
		t.Fatal("SetEncodeBufferMaxSize did not free the encode buffer")
	}
}

func BenchmarkPutVarPipe(b *testing.B) {
	a, c := Pipe(nil)
	defer a.Close()
	defer c.Close()
	msg := map[string]any{"id": 7, "name": "alice"}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.PutVar(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := c.GetPacket(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutPacketPipe(b *testing.B) {
	a, c := Pipe(nil)
	defer a.Close()
	defer c.Close()
	p := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if err := a.PutPacket(p); err != nil {
			b.Fatal(err)
		}
		if _, err := c.GetPacket(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWaitingReadDoesNotAllocate(t *testing.T) {
	a, b := Pipe(nil)
	defer a.Close()
	defer b.Close()
	allocs := testing.AllocsPerRun(100, func() {
		b.GetPacket() // empty: records ErrUnavailable for PacketError
	})
	if allocs != 0 {
		t.Fatalf("an empty GetPacket allocates %.1f times, want 0", allocs)
	}
}

// TestReadAllocations: ReadPacket allocates exactly the packet it hands over;
// AppendPacket into a reused buffer allocates nothing.
func TestReadAllocations(t *testing.T) {
	a, b := Pipe(nil)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	p := make([]byte, 64)
	buf := make([]byte, 0, 64)
	appendAllocs := testing.AllocsPerRun(100, func() {
		if err := a.PutPacket(p); err != nil {
			t.Fatal(err)
		}
		got, err := b.AppendPacket(ctx, buf[:0])
		if err != nil || len(got) != len(p) {
			t.Fatalf("AppendPacket = %d bytes, %v", len(got), err)
		}
	})
	readAllocs := testing.AllocsPerRun(100, func() {
		if err := a.PutPacket(p); err != nil {
			t.Fatal(err)
		}
		if _, err := b.ReadPacket(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if appendAllocs != 0 || readAllocs != 1 {
		t.Fatalf("allocations per packet: AppendPacket %.1f (want 0), ReadPacket %.1f (want 1, the packet)", appendAllocs, readAllocs)
	}
}
