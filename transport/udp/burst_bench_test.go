package udp

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/packetpeer/packetpeer/peer"
)

// BenchmarkBurst: a sender puts burstLen 64-byte datagrams on the socket
// with one sendmmsg (fewer for the last burst of a run), then the receiver reads them all; an op is one
// datagram. Datagrams pile up in the receiving socket, which is where
// batched reads pay: a raw ReadFrom loop reads one per system call; a Bind
// peer's reader goroutine and a polled Dial peer read many per recvmmsg
// (4 with the default MaxPacketSize, whose read buffers are bounded; 64
// with MaxPacketSize 1472).
func BenchmarkBurst(b *testing.B) {
	for _, impl := range []struct {
		name string
		mk   func(*testing.B) burstPair
	}{
		{"raw", rawBurst},
		{"bind", func(b *testing.B) burstPair { return bindBurst(b, nil) }},
		{"bind-1472", func(b *testing.B) burstPair { return bindBurst(b, &Config{MaxPacketSize: 1472}) }},
		{"dial-polled", func(b *testing.B) burstPair { return dialBurst(b, nil) }},
		{"dial-polled-1472", func(b *testing.B) burstPair { return dialBurst(b, &Config{MaxPacketSize: 1472}) }},
	} {
		b.Run(impl.name, func(b *testing.B) { benchBurst(b, impl.mk(b)) })
	}
}

const burstLen = 64

type burstPair struct {
	out  *ipv4.PacketConn
	to   net.Addr // nil when out is connected to the receiver
	recv func() error
	stop func() // makes a blocked recv return
}

func burstSocket(b *testing.B) *net.UDPConn {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	c.SetReadBuffer(1 << 21)
	c.SetWriteBuffer(1 << 21)
	b.Cleanup(func() { c.Close() })
	return c
}

func rawBurst(b *testing.B) burstPair {
	in, out := burstSocket(b), burstSocket(b)
	buf := make([]byte, 65536)
	return burstPair{
		out: ipv4.NewPacketConn(out), to: in.LocalAddr(),
		recv: func() error { _, _, err := in.ReadFromUDPAddrPort(buf); return err },
		stop: func() { in.SetReadDeadline(time.Now()) },
	}
}

func bindBurst(b *testing.B, cfg *Config) burstPair {
	c := Config{SocketBuffer: 1 << 21, ReceiveQueueBytes: 1 << 20}
	if cfg != nil {
		c.MaxPacketSize = cfg.MaxPacketSize
	}
	p, err := Bind("127.0.0.1:0", &c)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	out := burstSocket(b)
	ctx := context.Background()
	buf := make([]byte, 0, 2048)
	return burstPair{
		out: ipv4.NewPacketConn(out), to: p.LocalAddr(),
		recv: func() error { _, err := p.AppendPacket(ctx, buf[:0]); return err },
		stop: func() { p.Close() },
	}
}

// dialBurst reads as a game loop polls: GetPacket until it has a packet,
// waiting (Wait) only when nothing is queued.
func dialBurst(b *testing.B, cfg *Config) burstPair {
	c := Config{SocketBuffer: 1 << 21, ReceiveQueueBytes: 1 << 20}
	if cfg != nil {
		c.MaxPacketSize = cfg.MaxPacketSize
	}
	a, p := dialPair(b, &c)
	b.Cleanup(func() { a.Close(); p.Close() })
	ctx := context.Background()
	return burstPair{
		out: ipv4.NewPacketConn(a.t.conn), // connected to p
		recv: func() error {
			for {
				_, err := p.GetPacket()
				if !errors.Is(err, peer.ErrUnavailable) {
					return err
				}
				if err := p.Wait(ctx); err != nil {
					return err
				}
			}
		},
		stop: func() { p.Close() },
	}
}

func benchBurst(b *testing.B, bp burstPair) {
	ms := make([]ipv4.Message, burstLen)
	for i := range ms {
		ms[i] = ipv4.Message{Buffers: [][]byte{make([]byte, 64)}, Addr: bp.to}
	}
	// A lost datagram (rare on loopback) would block a receive: a watchdog
	// ends the run, and the loss is reported.
	watchdog := time.AfterFunc(time.Minute, bp.stop)
	defer watchdog.Stop()
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	got := 0
run:
	for got < b.N {
		n := min(burstLen, b.N-got)
		for sent := 0; sent < n; {
			k, err := bp.out.WriteBatch(ms[sent:n], 0)
			if err != nil {
				b.Fatal(err)
			}
			sent += k
		}
		for range n {
			if err := bp.recv(); err != nil {
				break run
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
