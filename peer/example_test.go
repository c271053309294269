package peer_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/udp"
)

func ExamplePipe() {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()

	a.PutVar(map[string]any{"hp": 100})
	ctx := context.Background()
	v, err := b.ReadVar(ctx)
	fmt.Println(v, err)

	_, err = b.GetPacket() // nothing queued: Godot's ERR_UNAVAILABLE
	fmt.Println(errors.Is(err, peer.ErrUnavailable))
	// Output:
	// {"hp": 100} <nil>
	// true
}

// loopback is a user-written transport (Godot's PacketPeerExtension): the
// packets it is given come back to it. A mutex-guarded slice is enough for a
// sketch; real transports use a bounded queue filled by a reader goroutine.
type loopback struct {
	mu      sync.Mutex
	packets [][]byte
}

func (l *loopback) PutPacket(p []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.packets = append(l.packets, append([]byte(nil), p...))
	return nil
}

func (l *loopback) GetPacket() ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.packets) == 0 {
		return nil, peer.ErrUnavailable
	}
	p := l.packets[0]
	l.packets = l.packets[1:]
	return p, nil
}

func (l *loopback) AvailablePacketCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.packets)
}

func (l *loopback) MaxPacketSize() int { return 1 << 16 }
func (l *loopback) Close() error       { return nil }

func ExampleNew() {
	p := peer.New(&loopback{})
	defer p.Close()

	p.PutVar("hello") // PutVar, GetVar, ReadPacket... come from *peer.Peer
	v, _ := p.GetVar()
	fmt.Println(v)
	fmt.Println(p.EncodeBufferMaxSize())
	// Output:
	// hello
	// 8388608
}

// Several goroutines may read one peer: each packet goes to one of them, and
// the packet ReadPacket returns is the caller's to keep.
func ExamplePeer_ReadPacket_concurrentReaders() {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	const n = 100
	got := make(chan []byte, n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				p, err := b.ReadPacket(ctx)
				if err != nil {
					return // ctx cancelled below
				}
				got <- p
			}
		})
	}
	for i := range n {
		a.PutPacket([]byte{byte(i)})
	}
	sum := 0
	for range n {
		sum += int((<-got)[0])
	}
	cancel()
	wg.Wait()
	fmt.Println(sum == n*(n-1)/2)
	// Output: true
}

// AppendPacket reads into a buffer the caller reuses: no allocation per
// packet.
func ExamplePeer_AppendPacket() {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()

	buf := make([]byte, 0, 1500)
	for _, msg := range []string{"hello", "world"} {
		a.PutPacket([]byte(msg))
		var err error
		buf, err = b.AppendPacket(ctx, buf[:0])
		fmt.Println(string(buf), err)
	}
	// Output:
	// hello <nil>
	// world <nil>
}

// WritePacket bounds a send by a context: here the pipe's one-packet queue
// is full and nobody reads, so the second write gives up when ctx ends.
func ExamplePeer_WritePacket() {
	a, b := peer.Pipe(&peer.PipeConfig{ReceiveQueuePackets: 1})
	defer a.Close()
	defer b.Close()

	fmt.Println(a.WritePacket(context.Background(), []byte("queued")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := a.WritePacket(ctx, []byte("no room"))
	fmt.Println(errors.Is(err, peer.ErrTimeout), errors.Is(err, context.DeadlineExceeded))
	// Output:
	// <nil>
	// true true
}

// PeerStats counts what a peer dropped; a Pipe applies back-pressure
// instead, so its counters stay at zero.
func ExamplePeer_PeerStats() {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()
	s := b.PeerStats()
	fmt.Println(s.Dropped(), s.DroppedFull, s.DroppedOversize, s.DroppedLate)
	// Output: 0 0 0 0
}

// A server's accept loop written once for every transport: each
// transport's *Listener is a peer.Listener of its *Peer.
func ExampleListener() {
	serve := func(ctx context.Context, ln peer.Listener[*udp.Peer]) error {
		for {
			p, err := ln.Accept(ctx)
			if err != nil {
				return err
			}
			go func() {
				defer p.Close()
				if pkt, err := p.ReadPacket(ctx); err == nil {
					p.PutPacket(pkt) // echo one packet
				}
			}()
		}
	}

	ln, err := udp.Listen("127.0.0.1:0", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln) }()

	c, err := udp.Dial(ctx, ln.Addr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.PutPacket([]byte("ping"))
	pkt, err := c.ReadPacket(ctx)
	fmt.Println(string(pkt), err, ln.ListenerStats().Accepted)

	ln.Close()
	fmt.Println(errors.Is(<-done, net.ErrClosed))
	// Output:
	// ping <nil> 1
	// true
}

// Every error of a peer is an *OpError: the transport, the operation, what
// was wrong, the cause and Godot's code, each matched with errors.Is.
func ExampleOpError() {
	a, b := peer.Pipe(&peer.PipeConfig{MaxPacketSize: 100})
	defer b.Close()

	err := a.PutPacket(make([]byte, 101))
	fmt.Println(err)
	fmt.Println(errors.Is(err, peer.ErrInvalidParameter))

	a.Close()
	err = a.PutPacket([]byte("x"))
	fmt.Println(err)
	fmt.Println(errors.Is(err, net.ErrClosed))

	var oe *peer.OpError
	if errors.As(err, &oe) {
		fmt.Println(oe.Transport, oe.Op)
	}
	// Output:
	// pipe: put packet: packet of 101 bytes exceeds MaxPacketSize 100 (ERR_INVALID_PARAMETER)
	// true
	// pipe: put packet: use of closed network connection
	// true
	// pipe put packet
}
