package udp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/packetpeer/packetpeer/internal/udpsock"
)

// BenchmarkEchoRemotes: a server echoes 64-byte datagrams for echoRemotes
// remotes, each keeping echoWindow in flight. Three servers, in one run:
//
//   - plain: one goroutine, net.UDPConn ReadFromUDPAddrPort/WriteToUDPAddrPort
//     (two system calls per datagram);
//   - batched: one goroutine, golang.org/x/net/ipv4 ReadBatch/WriteBatch
//     (recvmmsg/sendmmsg of up to 64): the limit this package aims at;
//   - listener: a Listener, one goroutine per accepted peer doing
//     AppendPacket then PutPacket, as a Go server would;
//   - polled: a Listener with Config.Polled served as Godot serves a
//     UDPServer, on one goroutine: PollContext, take new peers, then for
//     each peer GetPacket and PutPacket while it has packets.
//
// The load generator batches too (one sendmmsg per remote per round, reads
// with recvmmsg), so that its own system calls do not hide the server's. An
// op is one datagram echoed. Run it as a whole, several times, and compare
// the rows of each pass (see BENCHMARKS.md).
func BenchmarkEchoRemotes(b *testing.B) {
	for _, srv := range []struct {
		name  string
		start func(*testing.B) (netip.AddrPort, func())
	}{{"plain", startPlainEcho}, {"batched", startBatchedEcho}, {"listener", startListenerEcho}, {"polled", startPolledEcho}} {
		b.Run(srv.name, func(b *testing.B) { benchEchoRemotes(b, srv.start) })
	}
}

const (
	echoRemotes = 64
	echoWindow  = 4
	echoSize    = 64
)

func echoSocket(b *testing.B) *net.UDPConn {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	c.SetReadBuffer(1 << 22)
	c.SetWriteBuffer(1 << 22)
	return c
}

func startPlainEcho(b *testing.B) (netip.AddrPort, func()) {
	c := echoSocket(b)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, src, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			c.WriteToUDPAddrPort(buf[:n], src)
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).AddrPort(), func() { c.Close(); <-done }
}

func startBatchedEcho(b *testing.B) (netip.AddrPort, func()) {
	c := echoSocket(b)
	pc := ipv4.NewPacketConn(c)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ms := make([]ipv4.Message, 64)
		for i := range ms {
			ms[i].Buffers = [][]byte{make([]byte, 2048)}
		}
		out := make([]ipv4.Message, 64)
		for i := range out {
			out[i].Buffers = make([][]byte, 1)
		}
		for {
			n, err := pc.ReadBatch(ms, 0)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			for i := range n {
				out[i].Buffers[0] = ms[i].Buffers[0][:ms[i].N]
				out[i].Addr = ms[i].Addr
			}
			for sent := 0; sent < n; {
				k, err := pc.WriteBatch(out[sent:n], 0)
				if err != nil {
					break
				}
				sent += k
			}
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).AddrPort(), func() { c.Close(); <-done }
}

func startListenerEcho(b *testing.B) (netip.AddrPort, func()) {
	l, err := Listen("127.0.0.1:0", &Config{SocketBuffer: 1 << 22, MaxPendingConnections: echoRemotes})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			p, err := l.Accept(ctx)
			if err != nil {
				return
			}
			wg.Go(func() {
				defer p.Close()
				buf := make([]byte, 0, 2048)
				for {
					pkt, err := p.AppendPacket(ctx, buf[:0])
					if err != nil {
						return
					}
					p.PutPacket(pkt)
				}
			})
		}
	})
	return listenerAddr(l), func() { cancel(); l.Close(); wg.Wait() }
}

func startPolledEcho(b *testing.B) (netip.AddrPort, func()) {
	l, err := Listen("127.0.0.1:0", &Config{SocketBuffer: 1 << 22, MaxPendingConnections: echoRemotes, Polled: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var peers []*Peer
		for l.PollContext(ctx) == nil {
			for l.IsConnectionAvailable() {
				p, err := l.TakeConnection()
				if err != nil {
					break
				}
				peers = append(peers, p)
			}
			for _, p := range peers {
				for p.AvailablePacketCount() > 0 {
					pkt, err := p.GetPacket()
					if err != nil {
						break
					}
					p.PutPacket(pkt)
				}
			}
		}
	}()
	return listenerAddr(l), func() { cancel(); l.Close(); <-done }
}

// echoClient is one remote of the load generator.
type echoClient struct {
	conn *net.UDPConn
	out  *ipv4.PacketConn
	in   *udpsock.Conn
	ms   []ipv4.Message
}

func benchEchoRemotes(b *testing.B, start func(*testing.B) (netip.AddrPort, func())) {
	to, stop := start(b)
	defer stop()
	dst := net.UDPAddrFromAddrPort(to)
	clients := make([]*echoClient, echoRemotes)
	for i := range clients {
		c := echoSocket(b)
		in, err := udpsock.New(c, udpsock.Config{MaxPacketSize: 2048, Batch: echoWindow})
		if err != nil {
			b.Fatal(err)
		}
		defer in.Close()
		ec := &echoClient{conn: c, out: ipv4.NewPacketConn(c), in: in, ms: make([]ipv4.Message, echoWindow)}
		for j := range ec.ms {
			ec.ms[j] = ipv4.Message{Buffers: [][]byte{make([]byte, echoSize)}, Addr: dst}
		}
		clients[i] = ec
	}

	// A lost datagram (rare on loopback) would block a read: a watchdog
	// ends the round's reads once nothing arrived for 500 ms.
	var progress atomic.Int64
	watchdogDone := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(watchdogDone)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		last := int64(-1)
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				if p := progress.Load(); p == last {
					for _, c := range clients {
						c.conn.SetReadDeadline(time.Now())
					}
				} else {
					last = p
				}
			}
		}
	}()
	defer func() { close(quit); <-watchdogDone }()

	var lost int
	round := func() int {
		for _, c := range clients {
			for sent := 0; sent < echoWindow; {
				k, err := c.out.WriteBatch(c.ms[sent:], 0)
				if err != nil {
					b.Fatal(err)
				}
				sent += k
			}
		}
		got := 0
		for _, c := range clients {
			for want := echoWindow; want > 0; {
				ms, err := c.in.ReadBatch()
				if errors.Is(err, os.ErrDeadlineExceeded) {
					lost += want
					c.conn.SetReadDeadline(time.Time{})
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				want -= len(ms)
				got += len(ms)
				progress.Add(int64(len(ms)))
			}
		}
		return got
	}
	round() // every remote is known to the server
	lost = 0
	b.SetBytes(echoSize)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	echoed := 0
	for echoed+lost < b.N {
		echoed += round()
	}
	b.StopTimer()
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(echoed)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(max(echoed, 1)), "cpu-ns/pkt")
	b.ReportMetric(float64(lost), "lost")
}
