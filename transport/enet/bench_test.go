package enet

import (
	"context"
	"testing"
	"time"
)

// benchPair is a connected Dial/Listen pair for benchmarks.
func benchPair(b *testing.B) (cli, srv *Peer) {
	l, err := Listen("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err = Dial(ctx, l.Addr().String(), &Config{Channels: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cli.Close() })
	srv, err = l.Accept(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return cli, srv
}

// benchStream sends b.N packets of size n with flags and waits until the
// receiver has them all (unreliable ones: until the last one or a pause).
func benchStream(b *testing.B, n int, flags PacketFlags) {
	cli, srv := benchPair(b)
	data := make([]byte, n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	done := make(chan int)
	go func() {
		got := 0
		for got < b.N {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err := srv.ReadPacket(ctx)
			cancel()
			if err != nil {
				break
			}
			got++
		}
		done <- got
	}()
	for range b.N {
		if err := cli.Send(0, data, flags); err != nil {
			b.Fatal(err)
		}
	}
	got := <-done
	b.StopTimer()
	if flags&FlagReliable != 0 && got != b.N {
		b.Fatalf("received %d of %d reliable packets", got, b.N)
	}
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "pkts/s")
}

func BenchmarkReliable64(b *testing.B)    { benchStream(b, 64, FlagReliable) }
func BenchmarkReliable1200(b *testing.B)  { benchStream(b, 1200, FlagReliable) }
func BenchmarkUnreliable64(b *testing.B)  { benchStream(b, 64, 0) }
func BenchmarkReliable64KiB(b *testing.B) { benchStream(b, 64<<10, FlagReliable) }

// BenchmarkRoundTrip: one reliable 64-byte packet there and back per op.
func BenchmarkRoundTrip(b *testing.B) {
	cli, srv := benchPair(b)
	ctx := context.Background()
	data := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := cli.Send(0, data, FlagReliable); err != nil {
			b.Fatal(err)
		}
		p, err := srv.ReadPacket(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Send(0, p, FlagReliable); err != nil {
			b.Fatal(err)
		}
		if _, err := cli.ReadPacket(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
