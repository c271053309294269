package peer_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/udp"
)

// An echo server on any transport: Serve runs one goroutine per peer and,
// when ctx ends, closes the listener and every peer and waits for the
// handlers.
func ExampleServe() {
	l, err := udp.Listen("127.0.0.1:0", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- peer.Serve(ctx, l, func(ctx context.Context, p *udp.Peer) {
			for {
				b, err := p.ReadPacket(ctx)
				if err != nil {
					return // ctx ended or the peer was closed
				}
				p.PutPacket(b)
			}
		})
	}()

	c, err := udp.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.PutPacket([]byte("ping"))
	b, err := c.ReadPacket(ctx)
	fmt.Println(string(b), err)

	stop()
	fmt.Println(<-served)
	// Output:
	// ping <nil>
	// <nil>
}

// A graceful stop: Shutdown ends the handlers' context and waits for them
// to finish, here with a goodbye, before it closes the listener; after its
// own context ends it closes the peers still open.
func ExampleServer_Shutdown() {
	l, err := udp.Listen("127.0.0.1:0", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := &peer.Server[*udp.Peer]{Handler: func(ctx context.Context, p *udp.Peer) {
		for {
			b, err := p.ReadPacket(ctx)
			if err != nil {
				break
			}
			p.PutPacket(b)
		}
		p.PutVar(map[string]any{"type": "bye"})
	}}
	go s.Serve(l)

	ctx := context.Background()
	c, err := udp.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.PutPacket([]byte("ping"))
	b, _ := c.ReadPacket(ctx)
	fmt.Println(string(b))

	grace, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	fmt.Println(s.Shutdown(grace))
	v, err := c.ReadVar(ctx)
	fmt.Println(v, err)
	// Output:
	// ping
	// <nil>
	// {"type": "bye"} <nil>
}
