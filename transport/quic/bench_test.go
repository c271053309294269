package quic

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// The benchmarks compare this package with quic-go used directly for the
// same work, in one run:
//
//	go test -run '^$' -bench . -benchmem ./transport/quic
//
// Reliable: packets framed with a 4-byte length on one stream (raw: the same
// framing written by hand), at most reliableWindow unread, after a warm-up. Datagram: unreliable packets (raw:
// SendDatagram/ReceiveDatagram). RoundTrip: one packet there and back.

var benchSizes = []int{64, 1200}

// rawPair is a quic-go connection pair with one stream and datagrams.
type rawPair struct {
	client, server       *quicgo.Conn
	clientStr, serverStr *quicgo.Stream
	ln                   *quicgo.Listener
}

func newRawPair(b testing.TB) *rawPair {
	b.Helper()
	ctx := testCtx(b, 10*time.Second)
	qcfg := &quicgo.Config{EnableDatagrams: true, MaxIdleTimeout: DefaultIdleTimeout}
	ln, err := quicgo.ListenAddr("127.0.0.1:0",
		&tls.Config{Certificates: []tls.Certificate{testCert(b).TLS}, NextProtos: []string{"raw"}}, qcfg)
	if err != nil {
		b.Fatal(err)
	}
	r := &rawPair{ln: ln}
	r.client, err = quicgo.DialAddr(ctx, ln.Addr().String(),
		&tls.Config{RootCAs: testCert(b).Pool, NextProtos: []string{"raw"}}, qcfg)
	if err != nil {
		b.Fatal(err)
	}
	if r.clientStr, err = r.client.OpenStreamSync(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := r.clientStr.Write([]byte{0, 0, 0, 0}); err != nil {
		b.Fatal(err)
	}
	if r.server, err = ln.Accept(ctx); err != nil {
		b.Fatal(err)
	}
	if r.serverStr, err = r.server.AcceptStream(ctx); err != nil {
		b.Fatal(err)
	}
	var m [4]byte
	if _, err := io.ReadFull(r.serverStr, m[:]); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		r.client.CloseWithError(0, "")
		r.server.CloseWithError(0, "")
		ln.Close()
	})
	return r
}

// rawFramer is hand-written framing over a quic-go stream, the baseline.
type rawFramer struct {
	w    *quicgo.Stream
	wbuf []byte
	r    *bufio.Reader
	hdr  [4]byte
	rbuf []byte
}

func newRawFramer(s *quicgo.Stream) *rawFramer {
	return &rawFramer{w: s, r: bufio.NewReaderSize(s, 16<<10)}
}

func (f *rawFramer) put(p []byte) error {
	f.wbuf = binary.LittleEndian.AppendUint32(f.wbuf[:0], uint32(len(p)))
	f.wbuf = append(f.wbuf, p...)
	_, err := f.w.Write(f.wbuf)
	return err
}

func (f *rawFramer) get() ([]byte, error) {
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(f.hdr[:]))
	if cap(f.rbuf) < n {
		f.rbuf = make([]byte, n)
	}
	f.rbuf = f.rbuf[:n]
	_, err := io.ReadFull(f.r, f.rbuf)
	return f.rbuf, err
}

// benchStart is when a timed loop started, in wall and process CPU time.
type benchStart struct {
	wall time.Time
	cpu  time.Duration
}

func startClock() benchStart { return benchStart{time.Now(), processCPU()} }

// reportRate reports packets per second and the process's CPU time per
// packet (both ends, all goroutines), which a machine shared with other
// work disturbs much less than wall time.
func reportRate(b *testing.B, start benchStart, n int) {
	b.ReportMetric(float64(n)/time.Since(start.wall).Seconds(), "pkts/s")
	b.ReportMetric(float64((processCPU()-start.cpu).Nanoseconds())/float64(n), "cpu-ns/pkt")
}

// reliableWindow bounds the bytes a Reliable sender has written and the
// receiver has not yet read, and reliableWarmup is how many windows go
// through each connection before the timer starts. Unbounded, the sender
// wrote as far as flow control allowed (megabytes) while the receiver, on a
// loaded machine, fell behind: the UDP receive buffer overflowed, quic-go's
// congestion controller backed off, and a short run measured slow start and
// loss recovery (1200 B ratios 0.5–1.1 run to run) instead of the steady
// rate.
//
// The window is also at most reliableMaxPackets packets: quic-go drops what
// arrives while 256 packets wait for a connection's goroutine, and with 64 B
// packets a 256 KiB window was up to 4 096 small QUIC packets in flight (a
// loaded run lost up to 500).
const (
	reliableWindow     = 256 << 10
	reliableMaxPackets = 128
	reliableWarmup     = 4
)

// windowed moves packets from put to get, keeping at most reliableWindow
// bytes in flight.
type windowed struct {
	put    func([]byte) error
	get    func() error
	p      []byte
	window int64 // packets
	lost   func() uint64
	sent   int64
	got    atomic.Int64
	more   chan struct{}
}

// newWindowed sends on the connection whose sender's statistics are in
// stats.
func newWindowed(size int, stats func() quicgo.ConnectionStats, put func([]byte) error, get func() error) *windowed {
	return &windowed{
		put: put, get: get, p: make([]byte, size), window: min(reliableMaxPackets, max(4, int64(reliableWindow/size))), more: make(chan struct{}, 1),
		lost: func() uint64 { return stats().PacketsLost },
	}
}

// run sends n packets and returns once the receiver has read them all.
func (w *windowed) run(b *testing.B, n int) {
	done := make(chan error, 1)
	go func() {
		for range n {
			if err := w.get(); err != nil {
				done <- err
				return
			}
			if w.got.Add(1)%(w.window/4) == 0 {
				select {
				case w.more <- struct{}{}:
				default:
				}
			}
		}
		done <- nil
	}()
	for range n {
		for w.sent-w.got.Load() >= w.window {
			<-w.more
		}
		if err := w.put(w.p); err != nil {
			b.Fatal(err)
		}
		w.sent++
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// runReliable times b.N packets through w after a warm-up, and reports the
// QUIC packets the sender declared lost while timed (steady state: 0).
func runReliable(b *testing.B, size int, w *windowed) {
	w.run(b, reliableWarmup*int(w.window))
	b.SetBytes(int64(size))
	b.ReportAllocs()
	lost := w.lost()
	b.ResetTimer()
	start := startClock()
	w.run(b, b.N)
	reportRate(b, start, b.N)
	b.ReportMetric(float64(w.lost()-lost), "lost")
}

func BenchmarkReliable(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("sdk/%d", size), func(b *testing.B) {
			c, s, _ := pair(b, nil, nil)
			ctx := testCtx(b, time.Minute)
			runReliable(b, size, newWindowed(size, c.c.qc.ConnectionStats, c.PutPacket, func() error {
				_, err := s.ReadPacket(ctx)
				return err
			}))
		})
		b.Run(fmt.Sprintf("raw/%d", size), func(b *testing.B) {
			r := newRawPair(b)
			w, rd := newRawFramer(r.clientStr), newRawFramer(r.serverStr)
			runReliable(b, size, newWindowed(size, r.client.ConnectionStats, w.put, func() error {
				_, err := rd.get()
				return err
			}))
		})
	}
}

// BenchmarkDatagram measures the send rate of unreliable packets (sending
// waits while quic-go's datagram queue is full, so it is the rate the
// connection carries them) and reports the share that arrived.
func BenchmarkDatagram(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("sdk/%d", size), func(b *testing.B) {
			c, s, _ := pair(b, nil, nil)
			if size > c.MaxDatagramSize() {
				b.Skipf("datagram limit %d", c.MaxDatagramSize())
			}
			ctx, cancel := context.WithCancel(context.Background())
			var got atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, err := s.ReadPacket(ctx); err != nil {
						return
					}
					got.Add(1)
				}
			}()
			p := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			start := startClock()
			for range b.N {
				if err := c.PutPacketMode(p, TransferModeUnreliable); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, start, b.N)
			b.StopTimer()
			drain(&got, b.N)
			cancel()
			<-done
			b.ReportMetric(100*float64(got.Load())/float64(b.N), "delivered%")
		})
		b.Run(fmt.Sprintf("raw/%d", size), func(b *testing.B) {
			r := newRawPair(b)
			ctx, cancel := context.WithCancel(context.Background())
			var got atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, err := r.server.ReceiveDatagram(ctx); err != nil {
						return
					}
					got.Add(1)
				}
			}()
			p := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			start := startClock()
			for range b.N {
				if err := r.client.SendDatagram(p); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, start, b.N)
			b.StopTimer()
			drain(&got, b.N)
			cancel()
			<-done
			b.ReportMetric(100*float64(got.Load())/float64(b.N), "delivered%")
		})
	}
}

// drain waits briefly for in-flight datagrams to be counted.
func drain(got *atomic.Int64, n int) {
	deadline := time.Now().Add(200 * time.Millisecond)
	for got.Load() < int64(n) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // measuring, not synchronising: loss is allowed
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	const size = 64
	b.Run("sdk/reliable", func(b *testing.B) {
		c, s, _ := pair(b, nil, nil)
		ctx := testCtx(b, time.Minute)
		go func() {
			for {
				p, err := s.ReadPacket(ctx)
				if err != nil || s.PutPacket(p) != nil {
					return
				}
			}
		}()
		p := make([]byte, size)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := c.PutPacket(p); err != nil {
				b.Fatal(err)
			}
			if _, err := c.ReadPacket(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw/reliable", func(b *testing.B) {
		r := newRawPair(b)
		cf, sf := newRawFramer(r.clientStr), newRawFramer(r.serverStr)
		go func() {
			for {
				p, err := sf.get()
				if err != nil || sf.put(p) != nil {
					return
				}
			}
		}()
		p := make([]byte, size)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := cf.put(p); err != nil {
				b.Fatal(err)
			}
			if _, err := cf.get(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRoundTripDatagram sends one unreliable packet and waits for the
// echo (resending after 100 ms without one; loopback rarely loses any).
func BenchmarkRoundTripDatagram(b *testing.B) {
	const size = 64
	b.Run("sdk/unreliable", func(b *testing.B) {
		c, s, _ := pair(b, nil, nil)
		ctx := testCtx(b, time.Minute)
		go func() {
			for {
				p, err := s.ReadPacket(ctx)
				if err != nil || s.PutPacketMode(p, TransferModeUnreliable) != nil {
					return
				}
			}
		}()
		p := make([]byte, size)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			for {
				if err := c.PutPacketMode(p, TransferModeUnreliable); err != nil {
					b.Fatal(err)
				}
				rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				_, err := c.ReadPacket(rctx)
				cancel()
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("raw/datagram", func(b *testing.B) {
		r := newRawPair(b)
		ctx := testCtx(b, time.Minute)
		go func() {
			for {
				p, err := r.server.ReceiveDatagram(ctx)
				if err != nil || r.server.SendDatagram(p) != nil {
					return
				}
			}
		}()
		p := make([]byte, size)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			for {
				if err := r.client.SendDatagram(p); err != nil {
					b.Fatal(err)
				}
				rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				_, err := r.client.ReceiveDatagram(rctx)
				cancel()
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
