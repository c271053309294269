package enet

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
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

// BenchmarkEchoVsLibenet: the same workload, b.N reliable packets sent at
// once and echoed back, run by a libenet 1.3.17 client and server pair (C,
// built by the test) and by a Go pair. Compare the pkts/s of the two.
func BenchmarkEchoVsLibenet(b *testing.B) {
	for _, size := range []int{64, 1200} {
		b.Run(fmt.Sprintf("libenet/%d", size), func(b *testing.B) {
			bin := enetPeerBench(b)
			srv := exec.Command(bin, "server", "--peers", "1", "--channels", "1")
			out, err := srv.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := srv.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() { srv.Process.Kill(); srv.Wait() }()
			sc := bufio.NewScanner(out)
			sc.Scan()
			port := strings.TrimPrefix(sc.Text(), "PORT ")
			go func() {
				for sc.Scan() {
				}
			}()
			b.ResetTimer()
			res, err := exec.Command(bin, "bench", port, fmt.Sprint(b.N), fmt.Sprint(size)).Output()
			b.StopTimer()
			if err != nil {
				b.Fatalf("libenet bench: %v (%s)", err, res)
			}
			var ns float64
			fmt.Sscanf(strings.TrimSpace(string(res)), "BENCH ns=%g", &ns)
			b.ReportMetric(float64(b.N)/(ns/1e9), "pkts/s")
		})
		b.Run(fmt.Sprintf("go/%d", size), func(b *testing.B) {
			cli, srv := benchPair(b)
			go func() {
				for {
					p, err := srv.ReadPacket(context.Background())
					if err != nil {
						return
					}
					srv.Send(0, p, FlagReliable)
				}
			}()
			data := make([]byte, size)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if err := cli.Send(0, data, FlagReliable); err != nil {
					b.Fatal(err)
				}
			}
			for range b.N {
				if _, err := cli.ReadPacket(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pkts/s")
		})
	}
}

// enetPeerBench builds the C peer for a benchmark, or skips.
func enetPeerBench(b *testing.B) string {
	enetPeerOnce.Do(func() {})
	if enetPeerPath == "" {
		dir := b.TempDir()
		path := filepath.Join(dir, "enetpeer")
		if out, err := exec.Command("gcc", "-O2", "-o", path, "testdata/enetpeer.c", "-lenet").CombinedOutput(); err != nil {
			b.Skipf("cannot build the libenet peer: %v %s", err, out)
		}
		return path
	}
	return enetPeerPath
}
