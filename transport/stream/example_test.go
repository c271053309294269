package stream_test

import (
	"context"
	"fmt"
	"log"
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
