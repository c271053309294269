package enet

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
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

// A libenet workload (BenchmarkLibenet): n packets of size bytes on
// channel 0, echoed by the server, sent burst at a time (the next burst
// once the echoes of the last are in; unreliable: or 300 ms after its last
// echo, not counted). rtt: one at a time after each echo. clients > 0:
// that many client hosts each send n packets, burst per round, to one
// server.
type libenetCase struct {
	name    string
	size    int
	burst   int
	flags   PacketFlags
	rtt     bool
	clients int
}

var libenetCases = []libenetCase{
	{name: "reliable64", size: 64, burst: 1000, flags: FlagReliable},
	{name: "reliable1200", size: 1200, burst: 200, flags: FlagReliable},
	{name: "unreliable64", size: 64, burst: 1000},
	{name: "roundtrip64", size: 64, burst: 1, flags: FlagReliable, rtt: true},
	{name: "clients64", size: 64, burst: 20, flags: FlagReliable, clients: 64},
}

// BenchmarkLibenet runs each workload with libenet 1.3.17 (<case>/raw: C
// client and echo server, built by the benchmark) and with Go (<case>/sdk),
// with b.N packets (clients64: b.N/64 per client). Workloads: reliable
// packets of 64 bytes (bursts of 1000) and 1200 bytes (bursts of 200)
// echoed; unreliable 64-byte packets (bursts of 1000) echoed, counting the
// echoes received; 64-byte reliable round trips one after the other; 64
// clients (one host each) sending reliable 64-byte packets, 20 each per
// round, to one server that echoes from its service loop. ns/op is the
// time per echo received, from each burst's first send to its last echo
// (setup and process start excluded); allocs/op count the Go side's whole
// process (client, server, echo loop) over that time.
// `make bench-report` (cmd/ppbench) pairs and interleaves raw and sdk.
func BenchmarkLibenet(b *testing.B) {
	for _, c := range libenetCases {
		b.Run(c.name+"/raw", func(b *testing.B) {
			b.StopTimer() // only the C client's run is timed
			bin := enetPeerBench(b)
			ns, got := libenetRun(b, bin, c, benchCount(b.N, c.clients))
			reportEchoes(b, ns, got)
		})
		b.Run(c.name+"/sdk", func(b *testing.B) {
			b.ReportAllocs()
			ns, got := goRun(b, c, benchCount(b.N, c.clients))
			reportEchoes(b, ns, got)
		})
	}
}

// benchCount is the packets per client for b.N packets in all.
func benchCount(n, clients int) int {
	if clients > 0 {
		return max(1, n/clients)
	}
	return n
}

func reportEchoes(b *testing.B, ns float64, got int) {
	b.ReportMetric(ns/float64(got), "ns/op")
	b.ReportMetric(float64(got)/(ns/1e9), "pkts/s")
}

// libenetRun runs one workload with the C pair; it returns the time from
// the first send to the last echo, and the echoes received.
func libenetRun(b *testing.B, bin string, c libenetCase, n int) (ns float64, got int) {
	peers := max(1, c.clients)
	srv := exec.Command(bin, "server", "--peers", fmt.Sprint(peers), "--channels", "1")
	out, err := srv.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	drained := make(chan struct{})
	defer func() { srv.Process.Kill(); <-drained; srv.Wait() }()
	sc := bufio.NewScanner(out)
	sc.Scan()
	port := strings.TrimPrefix(sc.Text(), "PORT ")
	go func() {
		defer close(drained)
		for sc.Scan() {
		}
	}()
	var args []string
	if c.clients > 0 {
		args = []string{"clients", port, fmt.Sprint(c.clients), fmt.Sprint(n), fmt.Sprint(c.size), "--burst", fmt.Sprint(c.burst)}
	} else {
		args = []string{"bench", port, fmt.Sprint(n), fmt.Sprint(c.size), "--burst", fmt.Sprint(c.burst)}
		if c.flags&FlagReliable == 0 {
			args = append(args, "--unreliable")
		}
		if c.rtt {
			args = append(args, "--rtt")
		}
	}
	cmd := exec.Command(bin, args...)
	b.StartTimer()
	res, err := cmd.Output()
	b.StopTimer()
	if err != nil {
		b.Fatalf("libenet bench: %v (%s)", err, res)
	}
	fmt.Sscanf(strings.TrimSpace(string(res)), "BENCH ns=%g got=%d", &ns, &got)
	if ns <= 0 || got == 0 {
		b.Fatalf("libenet bench: %q", res)
	}
	return ns, got
}

// goRun runs one workload with Go: Dial/Listen for one client, a Host
// serving events (as the C server does) for many.
func goRun(b *testing.B, c libenetCase, n int) (ns float64, got int) {
	if c.clients > 0 {
		return goClients(b, c, n)
	}
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
		var buf []byte
		for {
			var err error
			if buf, err = srv.AppendPacket(ctx, buf[:0]); err != nil {
				return
			}
			srv.Send(0, buf, srv.PacketFlags())
		}
	}()
	data := make([]byte, c.size)
	buf := make([]byte, 0, c.size)
	b.ResetTimer()
	defer b.StopTimer()
	var active time.Duration
	for sent := 0; sent < n; {
		k := min(c.burst, n-sent)
		sent += k
		start := time.Now()
		for range k {
			if err := cli.Send(0, data, c.flags); err != nil {
				b.Fatal(err)
			}
		}
		if c.flags&FlagReliable != 0 {
			for range k {
				if buf, err = cli.AppendPacket(ctx, buf[:0]); err != nil {
					b.Fatalf("reliable echo: %v", err)
				}
			}
			got += k
			active += time.Since(start)
			continue
		}
		// Unreliable: the burst ends with its last echo or 300 ms after
		// the last one came, as with the C client.
		var last atomic.Int64 // since start
		idle, stop := context.WithCancel(ctx)
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-idle.Done():
					return
				case <-t.C:
					if time.Since(start)-time.Duration(last.Load()) > 300*time.Millisecond {
						stop()
					}
				}
			}
		}()
		for i := 0; i < k; i++ {
			if buf, err = cli.AppendPacket(idle, buf[:0]); err != nil {
				break
			}
			got++
			last.Store(int64(time.Since(start)))
		}
		stop()
		<-watched
		active += time.Duration(last.Load())
	}
	if got == 0 {
		b.Fatal("no echo")
	}
	return float64(active.Nanoseconds()), got
}

// goClients is the many-client workload in Go: a server Host echoing from
// its Service loop, and c.clients Dial peers (a host each) that send
// c.burst reliable packets per round and read their echoes.
func goClients(b *testing.B, c libenetCase, n int) (ns float64, got int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := NewHost("127.0.0.1:0", &Config{MaxPeers: c.clients, ChannelLimit: 1})
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan struct{})
	defer func() { h.Close(); <-served }()
	go func() {
		defer close(served)
		for {
			ev, err := h.Service(ctx)
			if err != nil {
				return
			}
			if ev.Type == EventReceive {
				if p, err := ev.Peer.GetPacket(); err == nil {
					ev.Peer.Send(ev.Channel, p, ev.Peer.PacketFlags())
				}
			}
		}
	}()
	peers := make([]*Peer, c.clients)
	for i := range peers {
		p, err := Dial(ctx, h.LocalAddr().String(), &Config{Channels: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		peers[i] = p
	}
	data := make([]byte, c.size)
	bufs := make([][]byte, c.clients)
	errs := make(chan error, c.clients)
	b.ResetTimer()
	defer b.StopTimer()
	start := time.Now()
	for sent := 0; sent < n; {
		k := min(c.burst, n-sent)
		sent += k
		for i, p := range peers {
			go func() {
				for range k {
					if err := p.Send(0, data, c.flags); err != nil {
						errs <- err
						return
					}
				}
				for range k {
					var err error
					if bufs[i], err = p.AppendPacket(ctx, bufs[i][:0]); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range peers {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
	return float64(time.Since(start).Nanoseconds()), c.clients * n
}

// enetPeerBench builds the C peer once per process, or skips.
func enetPeerBench(b *testing.B) string { return enetPeer(b) }
