package stream

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks compare the SDK with raw TCP carrying the same framing written
// by hand: one net.Conn.Write of header+payload per packet, read back with a
// bufio.Reader. Run them together:
//
//	go test -run XXX -bench . -benchmem ./transport/stream

func tcpConns(b *testing.B) (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	c2, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c1.Close(); c2.Close() })
	return c1, c2
}

func sdkPair(b *testing.B, cfg *Config) (*Peer, *Peer) {
	c1, c2 := tcpConns(b)
	p1, p2 := New(c1, cfg), New(c2, cfg)
	b.Cleanup(func() { p1.Close(); p2.Close() })
	return p1, p2
}

// rawReadFrames reads n frames from c with the same framing.
func rawReadFrames(c net.Conn, n int) error {
	r := bufio.NewReaderSize(c, readBufferSize)
	var hdr [4]byte
	buf := make([]byte, 65536)
	for range n {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return err
		}
		if _, err := io.ReadFull(r, buf[:binary.LittleEndian.Uint32(hdr[:])]); err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{64, 1200} {
		b.Run(fmt.Sprintf("size=%d/raw", size), func(b *testing.B) {
			c1, c2 := tcpConns(b)
			done := make(chan error, 1)
			go func() { done <- rawReadFrames(c2, b.N) }()
			pkt := make([]byte, 4+size)
			binary.LittleEndian.PutUint32(pkt, uint32(size))
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if _, err := c1.Write(pkt); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
		b.Run(fmt.Sprintf("size=%d/sdk", size), func(b *testing.B) { benchThroughputSDK(b, size, nil) })
		// As a Listener's peers: with the idle timeout's watchdog.
		b.Run(fmt.Sprintf("size=%d/sdk-idletimeout", size), func(b *testing.B) {
			benchThroughputSDK(b, size, &Config{IdleTimeout: DefaultIdleTimeout})
		})
		// The SDK's write path alone, read back raw: compares the writer
		// goroutine with the alternative below on equal terms.
		b.Run(fmt.Sprintf("size=%d/sdk-write", size), func(b *testing.B) {
			c1, c2 := tcpConns(b)
			p1 := New(c1, nil)
			defer p1.Close()
			done := make(chan error, 1)
			go func() { done <- rawReadFrames(c2, b.N) }()
			pkt := make([]byte, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if err := p1.PutPacket(pkt); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
		// The alternative write design: a mutex and a bufio.Writer flushed
		// when no other writer is waiting (no writer goroutine).
		b.Run(fmt.Sprintf("size=%d/alt-mutexbufio", size), func(b *testing.B) {
			c1, c2 := tcpConns(b)
			w := newMutexWriter(c1)
			done := make(chan error, 1)
			go func() { done <- rawReadFrames(c2, b.N) }()
			pkt := make([]byte, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if err := w.put(pkt); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

func benchThroughputSDK(b *testing.B, size int, cfg *Config) {
	p1, p2 := sdkPair(b, cfg)
	done := make(chan error, 1)
	go func() {
		for range b.N {
			if _, err := p2.ReadPacket(context.Background()); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	pkt := make([]byte, size)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		if err := p1.PutPacket(pkt); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkThroughputParallel has 8 goroutines putting packets at once
// (a server broadcasting to one client from several goroutines).
func BenchmarkThroughputParallel(b *testing.B) {
	const size = 64
	// newPut returns one goroutine's put function.
	run := func(b *testing.B, newPut func() func() error, read func(n int) error) {
		done := make(chan error, 1)
		b.SetBytes(size)
		b.SetParallelism(4) // 8 goroutines on 2 cores
		b.ResetTimer()
		go func() { done <- read(b.N) }()
		b.RunParallel(func(pb *testing.PB) {
			put := newPut()
			for pb.Next() {
				if err := put(); err != nil {
					panic(err)
				}
			}
		})
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
	}
	b.Run("raw", func(b *testing.B) {
		c1, c2 := tcpConns(b)
		var mu sync.Mutex
		run(b, func() func() error {
			frame := make([]byte, 4+size)
			binary.LittleEndian.PutUint32(frame, size)
			return func() error {
				mu.Lock() // frames must not interleave
				defer mu.Unlock()
				_, err := c1.Write(frame)
				return err
			}
		}, func(n int) error { return rawReadFrames(c2, n) })
	})
	b.Run("sdk", func(b *testing.B) {
		p1, p2 := sdkPair(b, nil)
		run(b, func() func() error {
			pkt := make([]byte, size)
			return func() error { return p1.PutPacket(pkt) }
		}, func(n int) error {
			for range n {
				if _, err := p2.ReadPacket(context.Background()); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("sdk-write", func(b *testing.B) {
		c1, c2 := tcpConns(b)
		p1 := New(c1, nil)
		defer p1.Close()
		run(b, func() func() error {
			pkt := make([]byte, size)
			return func() error { return p1.PutPacket(pkt) }
		}, func(n int) error { return rawReadFrames(c2, n) })
	})
	b.Run("alt-mutexbufio", func(b *testing.B) {
		c1, c2 := tcpConns(b)
		w := newMutexWriter(c1)
		run(b, func() func() error {
			pkt := make([]byte, size)
			return func() error { return w.put(pkt) }
		}, func(n int) error { return rawReadFrames(c2, n) })
	})
}

func BenchmarkPingPong(b *testing.B) {
	const size = 64
	b.Run("raw", func(b *testing.B) {
		c1, c2 := tcpConns(b)
		done := make(chan error, 1)
		go func() {
			r := bufio.NewReader(c2)
			buf := make([]byte, 4+size)
			for range b.N {
				if _, err := io.ReadFull(r, buf); err != nil {
					done <- err
					return
				}
				if _, err := c2.Write(buf); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		r := bufio.NewReader(c1)
		pkt := make([]byte, 4+size)
		binary.LittleEndian.PutUint32(pkt, size)
		in := make([]byte, 4+size)
		b.ResetTimer()
		for range b.N {
			if _, err := c1.Write(pkt); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(r, in); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	})
	b.Run("sdk", func(b *testing.B) { benchPingPongSDK(b, size, nil) })
	// As a Listener's peers: with the idle timeout's watchdog.
	b.Run("sdk-idletimeout", func(b *testing.B) { benchPingPongSDK(b, size, &Config{IdleTimeout: DefaultIdleTimeout}) })
}

func benchPingPongSDK(b *testing.B, size int, cfg *Config) {
	p1, p2 := sdkPair(b, cfg)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		for range b.N {
			p, err := p2.ReadPacket(ctx)
			if err == nil {
				err = p2.PutPacket(p)
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	pkt := make([]byte, size)
	b.ResetTimer()
	for range b.N {
		if err := p1.PutPacket(pkt); err != nil {
			b.Fatal(err)
		}
		if _, err := p1.ReadPacket(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// mutexWriter is the alternative design measured against the writer
// goroutine: frames go into a bufio.Writer under a mutex, and the last
// writer of a burst (no one else waiting) flushes.
type mutexWriter struct {
	waiting atomic.Int32
	mu      sync.Mutex
	w       *bufio.Writer
	hdr     [4]byte
}

func newMutexWriter(c net.Conn) *mutexWriter {
	return &mutexWriter{w: bufio.NewWriterSize(c, DefaultSendQueueBytes)}
}

func (m *mutexWriter) put(p []byte) error {
	m.waiting.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	binary.LittleEndian.PutUint32(m.hdr[:], uint32(len(p)))
	m.w.Write(m.hdr[:])
	m.w.Write(p)
	if m.waiting.Add(-1) == 0 {
		return m.w.Flush()
	}
	return nil
}

// BenchmarkPingPongInterleaved runs the raw and SDK ping-pongs of
// BenchmarkPingPong side by side, alternating chunks of 200 round trips,
// and reports raw time / SDK time per pair of chunks (median and
// quartiles): on a loaded machine the load changes between separate
// benchmark runs far more than between two chunks a few milliseconds
// apart. ns/op is one raw plus one SDK round trip.
func BenchmarkPingPongInterleaved(b *testing.B) {
	const size, chunk = 64, 200
	c1, c2 := tcpConns(b)
	echoed := make(chan struct{})
	go func() {
		defer close(echoed)
		r := bufio.NewReader(c2)
		buf := make([]byte, 4+size)
		for {
			if _, err := io.ReadFull(r, buf); err != nil {
				return
			}
			if _, err := c2.Write(buf); err != nil {
				return
			}
		}
	}()
	r := bufio.NewReader(c1)
	frame := make([]byte, 4+size)
	binary.LittleEndian.PutUint32(frame, size)
	in := make([]byte, 4+size)
	raw := func(n int) {
		for range n {
			if _, err := c1.Write(frame); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(r, in); err != nil {
				b.Fatal(err)
			}
		}
	}

	p1, p2 := sdkPair(b, nil)
	ctx := context.Background()
	go func() {
		for {
			p, err := p2.ReadPacket(ctx)
			if err == nil {
				err = p2.PutPacket(p)
			}
			if err != nil {
				return
			}
		}
	}()
	pkt := make([]byte, size)
	sdk := func(n int) {
		for range n {
			if err := p1.PutPacket(pkt); err != nil {
				b.Fatal(err)
			}
			if _, err := p1.ReadPacket(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}

	var ratios []float64
	b.ResetTimer()
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		var tr, ts time.Duration
		if len(ratios)%2 == 0 {
			t0 := time.Now()
			raw(n)
			t1 := time.Now()
			sdk(n)
			tr, ts = t1.Sub(t0), time.Since(t1)
		} else {
			t0 := time.Now()
			sdk(n)
			t1 := time.Now()
			raw(n)
			ts, tr = t1.Sub(t0), time.Since(t1)
		}
		ratios = append(ratios, float64(tr)/float64(ts))
	}
	b.StopTimer()
	c1.Close()
	<-echoed
	slices.Sort(ratios)
	q := func(f float64) float64 { return ratios[int(f*float64(len(ratios)-1))] }
	b.ReportMetric(q(0.5), "raw/sdk")
	b.ReportMetric(q(0.25), "raw/sdk-q1")
	b.ReportMetric(q(0.75), "raw/sdk-q3")
}
