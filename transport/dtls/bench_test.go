package dtls_test

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/transport/dtls"
)

// Benchmarks: the SDK against raw pion/dtls conns doing the same work over
// loopback, same cipher suites and certificate.
//
//	Echo: the client keeps `window` packets in flight; the server echoes
//	each one; an op is one packet echoed (two records, both directions).
//	Each connection echoes `warmup` packets before the timer starts.
//	Send: PutPacket / Write alone (the hot send path; the receiver drains).

const window = 16

var benchSizes = []int{64, 1200}

type echoClient struct {
	send  func([]byte) error
	recv  func() ([]byte, error) // blocks until a packet arrives or kick
	kick  func()                 // makes a blocked recv return an error
	rearm func()                 // after a kicked recv
}

// warmup is how many echoes each connection does before it is timed. The
// first window sent right after the handshake is where loopback loses a
// packet now and then (one in a few dozen fresh connections on a loaded
// machine), which costs the watchdog's 200 ms: timed, that one stall was
// most of a short run and made the ratio swing 0.2–1.2 from run to run.
const warmup = 4 * window

// runEcho measures echoN over b.N packets, after a warm-up.
func runEcho(b *testing.B, size int, c echoClient) {
	echoN(b, size, warmup, c)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	resends := echoN(b, size, b.N, c)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pkts/s")
	b.ReportMetric(float64(resends), "resends")
}

// echoN has n packets echoed, keeping `window` in flight, and returns how
// many times the window was resent. UDP may lose packets (on a loaded
// machine, loopback does): a watchdog kicks the blocked read when no echo
// arrived for 200 ms, and the window is resent.
func echoN(b *testing.B, size, n int, c echoClient) int {
	msg := make([]byte, size)
	var progress atomic.Int64
	var kicked atomic.Bool
	stop := make(chan struct{})
	watchdogDone := make(chan struct{})
	go func() {
		defer close(watchdogDone)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		last := int64(-1)
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if p := progress.Load(); p == last {
					kicked.Store(true)
					c.kick()
				} else {
					last = p
				}
			}
		}
	}()
	defer func() { close(stop); <-watchdogDone }()

	sent, done, resends := 0, 0, 0
	for done < n {
		for sent-done < window && sent < n {
			if err := c.send(msg); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		if _, err := c.recv(); err != nil {
			if kicked.Swap(false) {
				c.rearm()
				sent = done // the window was lost: resend it
				resends++
				if resends > 1000 {
					b.Fatalf("gave up after %d resends", resends)
				}
				continue
			}
			b.Fatalf("after %d of %d echoes: %v", done, n, err)
		}
		done++
		progress.Add(1)
	}
	return resends
}

// rawPair starts a pion listener that echoes on its first connection and a
// pion client connected to it.
func rawPair(b *testing.B) (*pdtls.Conn, func()) {
	cert := newCert(b)
	ln, err := pdtls.ListenWithOptions("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)},
		pdtls.WithCertificates(cert.TLS), pdtls.WithCipherSuites(dtls.DefaultCipherSuites...),
		pdtls.WithExtendedMasterSecret(pdtls.RequestExtendedMasterSecret))
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan struct{})
	accepted := make(chan net.Conn, 1) // nil when Accept failed
	go func() {
		defer close(served)
		conn, err := ln.Accept()
		accepted <- conn
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 1<<14)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if _, err := conn.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	c, err := pdtls.DialWithOptions("udp", ln.Addr().(*net.UDPAddr),
		pdtls.WithRootCAs(cert.Pool), pdtls.WithServerName("localhost"),
		pdtls.WithCipherSuites(dtls.DefaultCipherSuites...),
		pdtls.WithExtendedMasterSecret(pdtls.RequestExtendedMasterSecret))
	if err != nil {
		b.Fatal(err)
	}
	if err := c.HandshakeContext(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c, func() {
		c.Close()
		ln.Close()
		// pion's Listener.Close leaves accepted conns open, and the
		// client's close_notify can be lost on a loaded loopback: close
		// the server's conn too, or its Read (and this stop) waits forever.
		if conn := <-accepted; conn != nil {
			conn.Close()
		}
		<-served
	}
}

// sdkPair starts a Listener that echoes on its first connection and a Dial
// client.
func sdkPair(b *testing.B) (*dtls.Peer, func()) {
	cert := newCert(b)
	l, err := dtls.Listen("127.0.0.1:0", &dtls.Config{TLS: dtls.ServerOptions(cert.TLS)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		p, err := l.Accept(ctx)
		if err != nil {
			return
		}
		defer p.Close()
		for {
			pkt, err := p.ReadPacket(ctx)
			if err != nil {
				return
			}
			if err := p.PutPacket(pkt); err != nil {
				return
			}
		}
	}()
	c, err := dtls.Dial(ctx, l.Addr().String(), &dtls.Config{TLS: dtls.ClientOptions(cert.Pool, "")})
	if err != nil {
		b.Fatal(err)
	}
	return c, func() {
		c.Close()
		cancel()
		l.Close()
		<-served
	}
}

func BenchmarkEcho(b *testing.B) {
	for _, size := range benchSizes {
		b.Run("raw/"+strconv.Itoa(size), func(b *testing.B) {
			c, stop := rawEchoClient(b)
			defer stop()
			runEcho(b, size, c)
		})
		b.Run("sdk/"+strconv.Itoa(size), func(b *testing.B) {
			c, stop := sdkEchoClient(b)
			defer stop()
			runEcho(b, size, c)
		})
	}
}

func rawEchoClient(b *testing.B) (echoClient, func()) {
	c, stop := rawPair(b)
	buf := make([]byte, 1<<14)
	return echoClient{
		send: func(p []byte) error { _, err := c.Write(p); return err },
		recv: func() ([]byte, error) {
			n, err := c.Read(buf)
			return buf[:n], err
		},
		kick:  func() { _ = c.SetReadDeadline(time.Now()) },
		rearm: func() { _ = c.SetReadDeadline(time.Time{}) },
	}, stop
}

func sdkEchoClient(b *testing.B) (echoClient, func()) {
	c, stop := sdkPair(b)
	type ctxCancel struct {
		ctx    context.Context
		cancel context.CancelFunc
	}
	var cur atomic.Pointer[ctxCancel]
	arm := func() {
		ctx, cancel := context.WithCancel(context.Background())
		cur.Store(&ctxCancel{ctx, cancel})
	}
	arm()
	return echoClient{
			send:  c.PutPacket,
			recv:  func() ([]byte, error) { return c.ReadPacket(cur.Load().ctx) },
			kick:  func() { cur.Load().cancel() },
			rearm: func() { cur.Load().cancel(); arm() },
		}, func() {
			cur.Load().cancel()
			stop()
		}
}

// BenchmarkEchoInterleaved runs raw and SDK in alternating chunks within one
// benchmark, so that load from other processes on a shared machine hits both
// alike; it reports each side's packets/s and their ratio (sdk/raw).
func BenchmarkEchoInterleaved(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			raw, stopRaw := rawEchoClient(b)
			defer stopRaw()
			sdk, stopSDK := sdkEchoClient(b)
			defer stopSDK()
			const chunk = 2000
			echoN(b, size, warmup, raw)
			echoN(b, size, warmup, sdk)
			var rawTime, sdkTime time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += chunk {
				n := min(chunk, b.N-done)
				rawTime += timeEcho(b, size, n, raw)
				sdkTime += timeEcho(b, size, n, sdk)
			}
			b.StopTimer()
			rawRate := float64(b.N) / rawTime.Seconds()
			sdkRate := float64(b.N) / sdkTime.Seconds()
			b.ReportMetric(rawRate, "raw-pkts/s")
			b.ReportMetric(sdkRate, "sdk-pkts/s")
			b.ReportMetric(sdkRate/rawRate, "sdk/raw")
		})
	}
}

// timeEcho echoes n packets through c and returns how long it took.
func timeEcho(b *testing.B, size, n int, c echoClient) time.Duration {
	start := time.Now()
	echoN(b, size, n, c)
	return time.Since(start)
}

func BenchmarkSend(b *testing.B) {
	for _, size := range benchSizes {
		msg := make([]byte, size)
		b.Run("raw/"+strconv.Itoa(size), func(b *testing.B) {
			c, stop := rawPair(b)
			defer stop()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sdk/"+strconv.Itoa(size), func(b *testing.B) {
			c, stop := sdkPair(b)
			defer stop()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.PutPacket(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
