package udp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// The benchmarks run the same work through this package and through raw
// net.UDPConn on 127.0.0.1 in one run, so their ratio is meaningful:
//
//	go test -run XXX -bench . -benchmem ./transport/udp/
//
// Throughput: the benchmark goroutine sends a burst of datagrams, then
// receives them, until b.N have gone through (bursts keep the socket
// buffers from overflowing without any timing heuristics; this package's
// reader goroutine drains the socket while the burst is still being sent).
// Lost datagrams (rare on loopback) are reported as a "lost" metric.
// Latency: ping-pong, one datagram each way per op. Besides wall time, each
// reports the process's CPU time per packet (cpu-ns/pkt, cpu-ns/op), which
// is steadier than wall time on a machine shared with other work.

const burst = 32

// endpoint is one side of a benchmark pair: send one datagram, receive one
// (blocking; an error ends the run), and make a blocked receive return.
type endpoint struct {
	send func(p []byte) error
	recv func() ([]byte, error)
	stop func()
}

// sdkEndpoints are Dial peers as they come (direct reads).
func sdkEndpoints(b *testing.B) (tx, rx endpoint) { return sdkPair(b, false) }

// sdkBackgroundEndpoints are Dial peers with Config.BackgroundRead (a reader
// goroutine fills the ring).
func sdkBackgroundEndpoints(b *testing.B) (tx, rx endpoint) { return sdkPair(b, true) }

// sdkPair reads with context.Background, as a game loop would, and stops a
// blocked read by closing the peers (as raw stops with a read deadline).
func sdkPair(b *testing.B, background bool) (tx, rx endpoint) {
	a, c := dialPair(b, &Config{SocketBuffer: 1 << 21, ReceiveQueueBytes: 1 << 20, BackgroundRead: background})
	stop := func() { a.Close(); c.Close() }
	b.Cleanup(stop)
	ctx := context.Background()
	tx = endpoint{send: a.PutPacket, recv: func() ([]byte, error) { return a.ReadPacket(ctx) }, stop: stop}
	rx = endpoint{send: c.PutPacket, recv: func() ([]byte, error) { return c.ReadPacket(ctx) }, stop: stop}
	return tx, rx
}

// listenerEndpoints are a raw socket (tx) talking to a Listener's peer
// (rx): the Listener's demultiplexing receive path and its shared-socket
// send path.
func listenerEndpoints(b *testing.B) (tx, rx endpoint) {
	l, err := Listen("127.0.0.1:0", &Config{SocketBuffer: 1 << 21, ReceiveQueueBytes: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	to := l.Addr().(*net.UDPAddr).AddrPort()
	c, tx := rawPeer(b, to, func() { l.Close() })
	if _, err := c.WriteToUDPAddrPort([]byte("hello"), to); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := l.Accept(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.ReadPacket(ctx); err != nil {
		b.Fatal(err)
	}
	rx = endpoint{send: p.PutPacket, recv: func() ([]byte, error) { return p.ReadPacket(ctx) }, stop: tx.stop}
	return tx, rx
}

// rawPeer is a raw socket with 2 MiB buffers sending to to: the tx side of
// a benchmark against one of this package's peers; its stop also runs
// closeOther.
func rawPeer(b *testing.B, to netip.AddrPort, closeOther func()) (*net.UDPConn, endpoint) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	c.SetReadBuffer(1 << 21)
	c.SetWriteBuffer(1 << 21)
	b.Cleanup(func() { c.Close() })
	buf := make([]byte, 65536)
	return c, endpoint{
		send: func(m []byte) error { _, err := c.WriteToUDPAddrPort(m, to); return err },
		recv: func() ([]byte, error) {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			return buf[:n], err
		},
		stop: func() { c.SetReadDeadline(time.Now()); closeOther() },
	}
}

// bindEndpoints are a raw socket (tx) talking to a Bind peer (rx): a
// reader goroutine reads the peer's socket, many datagrams per system call
// when many wait.
func bindEndpoints(b *testing.B) (tx, rx endpoint) {
	p, err := Bind("127.0.0.1:0", &Config{SocketBuffer: 1 << 21, ReceiveQueueBytes: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	c, tx := rawPeer(b, p.LocalAddr().(*net.UDPAddr).AddrPort(), func() { p.Close() })
	if err := p.SetDestAddrPort(c.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	rx = endpoint{send: p.PutPacket, recv: func() ([]byte, error) { return p.ReadPacket(ctx) }, stop: tx.stop}
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
	// A lost datagram (rare on loopback) would block a receive: a watchdog
	// ends the run, and the loss is reported.
	watchdog := time.AfterFunc(time.Minute, rx.stop)
	defer watchdog.Stop()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	got := 0
run:
	for sent := 0; sent < b.N; {
		k := min(burst, b.N-sent)
		for range k {
			if err := tx.send(msg); err != nil {
				b.Fatal(err)
			}
		}
		sent += k
		for range k {
			p, err := rx.recv()
			if err != nil {
				var ne net.Error
				if errors.Is(err, net.ErrClosed) || (errors.As(err, &ne) && ne.Timeout()) {
					break run
				}
				b.Fatal(err)
			}
			if len(p) != size {
				b.Fatalf("got %d bytes", len(p))
			}
			got++
		}
	}
	b.StopTimer()
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(max(got, 1)), "cpu-ns/pkt")
	b.ReportMetric(float64(b.N-got), "lost")
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
		}{{"raw", rawEndpoints}, {"sdk", sdkEndpoints}, {"sdk-bg", sdkBackgroundEndpoints}, {"bind", bindEndpoints}, {"listener", listenerEndpoints}} {
			b.Run(strconv.Itoa(size)+"B/"+impl.name, func(b *testing.B) { benchThroughput(b, impl.mk, size) })
		}
	}
}

func BenchmarkPingPong(b *testing.B) {
	b.Run("raw", func(b *testing.B) { benchPingPong(b, rawEndpoints) })
	b.Run("sdk", func(b *testing.B) { benchPingPong(b, sdkEndpoints) })
	b.Run("sdk-bg", func(b *testing.B) { benchPingPong(b, sdkBackgroundEndpoints) })
	b.Run("bind", func(b *testing.B) { benchPingPong(b, bindEndpoints) })
	b.Run("listener", func(b *testing.B) { benchPingPong(b, listenerEndpoints) })
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
