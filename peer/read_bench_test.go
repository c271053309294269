package peer

import (
	"context"
	"testing"
)

// BenchmarkReadPacketQueued reads packets that are already queued: the
// read path without any waiting.
func BenchmarkReadPacketQueued(b *testing.B) {
	a, c := Pipe(nil)
	defer a.Close()
	defer c.Close()
	p := make([]byte, 64)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := a.PutPacket(p); err != nil {
			b.Fatal(err)
		}
		if _, err := c.ReadPacket(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadPacketPingPong bounces a packet between two goroutines
// over a Pipe: each read waits for the other side's put.
func BenchmarkReadPacketPingPong(b *testing.B) {
	a, c := Pipe(nil)
	defer a.Close()
	ctx := context.Background()
	echoed := make(chan struct{})
	go func() {
		defer close(echoed)
		for {
			p, err := c.ReadPacket(ctx)
			if err == nil {
				err = c.PutPacket(p)
			}
			if err != nil {
				return
			}
		}
	}()
	p := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if err := a.PutPacket(p); err != nil {
			b.Fatal(err)
		}
		if _, err := a.ReadPacket(ctx); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	<-echoed
}
