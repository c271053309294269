package stream_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/packetpeer/packetpeer/transport/stream"
)

// A server and a client on loopback TCP exchanging a packet and a Godot
// Variant, framed exactly as Godot's PacketPeerStream frames them.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	ln, err := stream.Listen("127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()

	client, err := stream.Dial(ctx, ln.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()

	// What Godot's put_packet / put_var send: [u32 LE length][payload].
	client.PutPacket([]byte("hello"))
	client.PutVar(map[string]any{"type": "join", "nick": "alice"})

	p, err := server.ReadPacket(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("packet: %s\n", p)
	v, err := server.ReadVar(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("var: %v\n", v)
	fmt.Println("max packet size:", server.OutputBufferMaxSize())
	// Output:
	// packet: hello
	// var: {"nick": "alice", "type": "join"}
	// max packet size: 65532
}

// New puts Godot's framing on any byte stream; here an in-memory net.Pipe.
func ExampleNew() {
	c1, c2 := net.Pipe()
	a, b := stream.New(c1, nil), stream.New(c2, nil)
	defer a.Close()
	defer b.Close()

	a.PutPacket([]byte{1, 2, 3})
	p, err := b.ReadPacket(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p)
	// Output: [1 2 3]
}

// A Godot-style server loop: poll the listener and the peers once per tick
// instead of blocking, as a game's _process would.
func ExampleListener_TakeConnection() {
	ln, err := stream.Listen("127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	client, err := stream.Dial(context.Background(), ln.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	client.PutVar("hello, server")

	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var peers []*stream.Peer
	for range tick.C {
		if ln.IsConnectionAvailable() {
			p, err := ln.TakeConnection()
			if err != nil {
				log.Fatal(err)
			}
			peers = append(peers, p)
		}
		for _, p := range peers {
			for p.AvailablePacketCount() > 0 {
				v, err := p.GetVar()
				if err != nil {
					log.Fatal(err)
				}
				fmt.Println(v)
				return
			}
		}
	}
	// Output: hello, server
}
