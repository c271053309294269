package udp

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks run the same work through this package and through raw
// net.UDPConn on 127.0.0.1 in one run, so their ratio is meaningful:
//
//	go test -run XXX -bench . -benchmem ./transport/udp/
//
// Throughput: one goroutine sends b.N datagrams, kept at most `window`
// ahead of the receiver (so the kernel's socket buffer does not overflow);
// the benchmark goroutine receives them. Lost datagrams (rare on loopback)
// are reported as a "lost" metric and end the run after a quiet spell.
// Latency: ping-pong, one datagram each way per op. Besides wall time, each
// reports the process's CPU time per packet (cpu-ns/pkt, cpu-ns/op), which
// is steadier than wall time on a machine shared with other work.

const window = 64

// endpoint is one side of a benchmark pair: send one datagram, receive one
// (blocking; an error ends the run), and make a blocked receive return.
type endpoint struct {
	send func(p []byte) error
	recv func() ([]byte, error)
	stop func()
}

func sdkEndpoints(b *testing.B) (tx, rx endpoint) {
	a, c := dialPair(b, &Config{SocketBuffer: 1 << 21, RecvBufSize: 1 << 20})
	b.Cleanup(func() { a.Close(); c.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	tx = endpoint{send: a.PutPacket, recv: func() ([]byte, error) { return a.ReadPacket(ctx) }, stop: cancel}
	rx = endpoint{send: c.PutPacket, recv: func() ([]byte, error) { return c.ReadPacket(ctx) }, stop: cancel}
	return tx, rx
}

func rawEndpoints(b *testing.B) (tx, rx endpoint) {
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	a, err := net.ListenUDP("udp4", lo)
	if err != nil {
		b.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", lo)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close(); c.Close() })
	for _, conn := range []*net.UDPConn{a, c} {
		conn.SetReadBuffer(1 << 21)
		conn.SetWriteBuffer(1 << 21)
	}
	aAddr, cAddr := a.LocalAddr().(*net.UDPAddr).AddrPort(), c.LocalAddr().(*net.UDPAddr).AddrPort()
	mk := func(conn *net.UDPConn, peerAddr any) endpoint {
		to := aAddr
		if peerAddr == "c" {
			to = cAddr
		}
		buf := make([]byte, 65536)
		return endpoint{
			send: func(p []byte) error { _, err := conn.WriteToUDPAddrPort(p, to); return err },
			recv: func() ([]byte, error) {
				n, _, err := conn.ReadFromUDPAddrPort(buf)
				return buf[:n], err
			},
			stop: func() { a.SetReadDeadline(time.Now()); c.SetReadDeadline(time.Now()) },
		}
	}
	return mk(a, "c"), mk(c, "a")
}

func benchThroughput(b *testing.B, mk func(*testing.B) (endpoint, endpoint), size int) {
	tx, rx := mk(b)
	msg := make([]byte, size)
	var received atomic.Int64
	done := make(chan struct{})
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	go func() {
		defer close(done)
		for i := 0; i < b.N; i++ {
			// Stay within `window` of the receiver; give up waiting on a
			// packet that was lost after a millisecond.
			if int64(i)-received.Load() > window {
				start := time.Now()
				for spins := 0; int64(i)-received.Load() > window; spins++ {
					runtime.Gosched()
					if spins%64 == 63 && time.Since(start) > time.Millisecond {
						break
					}
				}
			}
			if err := tx.send(msg); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	quiet := time.AfterFunc(time.Hour, tx.stop)
	defer quiet.Stop()
	var got int64
	go func() {
		<-done
		quiet.Reset(100 * time.Millisecond) // end the run if packets were lost
	}()
	for got < int64(b.N) {
		p, err := rx.recv()
		if err != nil {
			var ne net.Error
			if errors.Is(err, context.Canceled) || (errors.As(err, &ne) && ne.Timeout()) {
				break
			}
			b.Fatal(err)
		}
		if len(p) != size {
			b.Fatalf("got %d bytes", len(p))
		}
		got++
		received.Store(got)
	}
	b.StopTimer()
	<-done
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(max(got, 1)), "cpu-ns/pkt")
	b.ReportMetric(float64(int64(b.N)-got), "lost")
}

func benchPingPong(b *testing.B, mk func(*testing.B) (endpoint, endpoint)) {
	a, c := mk(b)
	msg := make([]byte, 64)
	errc := make(chan error, 1)
	go func() {
		for {
			p, err := c.recv()
			if err != nil {
				errc <- nil
				return
			}
			if err := c.send(p); err != nil {
				errc <- err
				return
			}
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if err := a.send(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := a.recv(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	a.stop()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}

func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{64, 1200} {
		for _, impl := range []struct {
			name string
			mk   func(*testing.B) (endpoint, endpoint)
		}{{"raw", rawEndpoints}, {"sdk", sdkEndpoints}} {
			b.Run(strconv.Itoa(size)+"B/"+impl.name, func(b *testing.B) { benchThroughput(b, impl.mk, size) })
		}
	}
}

func BenchmarkPingPong(b *testing.B) {
	b.Run("raw", func(b *testing.B) { benchPingPong(b, rawEndpoints) })
	b.Run("sdk", func(b *testing.B) { benchPingPong(b, sdkEndpoints) })
}

func BenchmarkPutPacket(b *testing.B) {
	a, c := dialPair(b, nil)
	defer a.Close()
	defer c.Close()
	msg := make([]byte, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := a.PutPacket(msg); err != nil {
			b.Fatal(err)
		}
		if i%256 == 255 {
			for c.AvailablePacketCount() > 0 {
				c.GetPacket()
			}
		}
	}
}
