package enet

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
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

// BenchmarkVsLibenet runs each workload alternately with a libenet 1.3.17
// client and echo server (C, built by the benchmark) and with a Go pair,
// `rounds` times per b.N, and reports the median and interquartile range of
// the ratio Go rate ÷ libenet rate (above 1: Go is faster), plus the
// medians of both rates. Workloads: N reliable packets of 64 and 1200
// bytes sent at once and echoed; N unreliable 64-byte packets echoed
// (rate = echoes received per second); 64-byte reliable round trips one
// after the other. Run with -benchtime 1x; the machine's noise is why the
// ratio is given with its spread.
func BenchmarkVsLibenet(b *testing.B) {
	const rounds = 9
	cases := []struct {
		name    string
		n, size int
		flags   PacketFlags
		rtt     bool
	}{
		{"reliable64", 4000, 64, FlagReliable, false},
		{"reliable1200", 2000, 1200, FlagReliable, false},
		{"unreliable64", 4000, 64, 0, false},
		{"roundtrip64", 300, 64, FlagReliable, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			bin := enetPeerBench(b)
			var ratios, goRates, cRates []float64
			for range b.N {
				for range rounds {
					cr := libenetRun(b, bin, c.n, c.size, c.flags, c.rtt)
					gr := goRun(b, c.n, c.size, c.flags, c.rtt)
					ratios = append(ratios, gr/cr)
					goRates = append(goRates, gr)
					cRates = append(cRates, cr)
				}
			}
			q1, med, q3 := quartiles(ratios)
			b.ReportMetric(med, "ratio-median")
			b.ReportMetric(q3-q1, "ratio-IQR")
			_, g, _ := quartiles(goRates)
			_, l, _ := quartiles(cRates)
			b.ReportMetric(g, "go-pkts/s")
			b.ReportMetric(l, "libenet-pkts/s")
		})
	}
}

func quartiles(v []float64) (q1, med, q3 float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	at := func(f float64) float64 { return s[int(f*float64(len(s)-1)+0.5)] }
	return at(0.25), at(0.5), at(0.75)
}

// libenetRun runs one workload with the C pair; it returns echoes per second.
func libenetRun(b *testing.B, bin string, n, size int, flags PacketFlags, rtt bool) float64 {
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
	args := []string{"bench", port, fmt.Sprint(n), fmt.Sprint(size)}
	if flags&FlagReliable == 0 {
		args = append(args, "--unreliable")
	}
	if rtt {
		args = append(args, "--rtt")
	}
	res, err := exec.Command(bin, args...).Output()
	if err != nil {
		b.Fatalf("libenet bench: %v (%s)", err, res)
	}
	var ns float64
	var got int
	fmt.Sscanf(strings.TrimSpace(string(res)), "BENCH ns=%g got=%d", &ns, &got)
	if ns <= 0 || got == 0 {
		b.Fatalf("libenet bench: %q", res)
	}
	return float64(got) / (ns / 1e9)
}

// goRun runs one workload with a Go pair; it returns echoes per second.
func goRun(b *testing.B, n, size int, flags PacketFlags, rtt bool) float64 {
	l, err := Listen("127.0.0.1:0", &Config{MaxPeers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := Dial(ctx, l.Addr().String(), &Config{Channels: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	srv, err := l.Accept(ctx)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for {
			p, err := srv.ReadPacket(ctx)
			if err != nil {
				return
			}
			srv.Send(0, p, srv.PacketFlags())
		}
	}()
	data := make([]byte, size)
	start := time.Now()
	var last time.Time
	got := 0
	if rtt {
		for range n {
			if err := cli.Send(0, data, flags); err != nil {
				b.Fatal(err)
			}
			if _, err := cli.ReadPacket(ctx); err != nil {
				b.Fatal(err)
			}
		}
		return float64(n) / time.Since(start).Seconds()
	}
	for range n {
		if err := cli.Send(0, data, flags); err != nil {
			b.Fatal(err)
		}
	}
	for got < n {
		wait := time.Minute // reliable: until it comes
		if flags&FlagReliable == 0 {
			wait = 300 * time.Millisecond // as the C client
		}
		rctx, rcancel := context.WithTimeout(ctx, wait)
		_, err := cli.ReadPacket(rctx)
		rcancel()
		if err != nil {
			if flags&FlagReliable != 0 {
				b.Fatalf("reliable echo %d of %d: %v", got, n, err)
			}
			break
		}
		got++
		last = time.Now()
	}
	if got == 0 {
		b.Fatal("no echo")
	}
	return float64(got) / last.Sub(start).Seconds()
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
