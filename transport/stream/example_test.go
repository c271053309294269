package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/packetpeer/packetpeer/peer"
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

// A server drops clients that send nothing for Config.IdleTimeout (one
// minute by default for a Listener's peers), counts them in Stats and logs
// them through Config.Logger.
func ExampleConfig_idleTimeout() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "remote" {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	ln, err := stream.Listen("127.0.0.1:0", &stream.Config{IdleTimeout: 100 * time.Millisecond, Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	ctx := context.Background()
	client, err := stream.Dial(ctx, ln.Addr().String(), nil) // says nothing
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	p, err := ln.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	_, err = p.ReadPacket(ctx)
	fmt.Println(errors.Is(err, peer.ErrTimeout), ln.Stats().Expired)
	// Output:
	// level=INFO msg="packetpeer: connection dropped" transport=stream cause=expired error="stream: read packet: the remote end sent nothing for 100ms (Config.IdleTimeout) (ERR_TIMEOUT)"
	// true 1
}

// A remote end that closes in the middle of a frame: the whole packets
// before it are delivered, then the read fails with an error matching both
// Godot's ERR_CONNECTION_ERROR and io.ErrUnexpectedEOF.
func ExamplePeer_truncatedFrame() {
	c1, c2 := net.Pipe()
	p := stream.New(c1, nil)
	defer p.Close()
	go func() {
		c2.Write([]byte{2, 0, 0, 0, 'h', 'i'}) // a whole packet
		c2.Write([]byte{9, 0, 0, 0, 'c', 'u'}) // 2 of 9 bytes
		c2.Close()
	}()
	ctx := context.Background()
	b, err := p.ReadPacket(ctx)
	fmt.Printf("%s %v\n", b, err)
	_, err = p.ReadPacket(ctx)
	fmt.Println(errors.Is(err, peer.ErrConnectionError), errors.Is(err, io.ErrUnexpectedEOF))
	fmt.Println(err)
	// Output:
	// hi <nil>
	// true true
	// stream: read packet: the stream ended 2 bytes into a frame of 9 bytes: unexpected EOF (ERR_CONNECTION_ERROR)
}

// A client that stops reading: once the kernel's buffers and the send queue
// are full, PutPacket waits at most Config.WriteTimeout (10 s by default,
// 200 ms here) and fails with an error matching peer.ErrTimeout; the server
// then drops the client, and Close does not wait for the queued packets.
// WritePacket bounds one put by its context instead.
func ExampleConfig_writeTimeout() {
	ln, err := stream.Listen("127.0.0.1:0", &stream.Config{WriteTimeout: 200 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	ctx := context.Background()
	client, err := stream.Dial(ctx, ln.Addr().String(), nil) // never reads
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	p, err := ln.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}

	state := make([]byte, 32<<10)
	for {
		if err = p.PutPacket(state); err != nil {
			break
		}
	}
	fmt.Println(errors.Is(err, peer.ErrTimeout))
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = p.WritePacket(short, state)
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	fmt.Println(p.Close())
	// Output:
	// true
	// true
	// <nil>
}
