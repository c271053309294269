package enet_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/enet"
)

// A server and a client in the shape of every transport: Listen, Dial,
// Accept, then packets both ways.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := enet.Listen("127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	cli, err := enet.Dial(ctx, l.Addr().String(), &enet.Config{Channels: 2, ConnectData: 42})
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()
	srv, err := l.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}
	cli.PutPacket([]byte("hello"))                    // reliable, channel 0
	cli.Send(1, []byte("fast"), enet.FlagUnsequenced) // unsequenced, channel 1
	for range 2 {
		p, err := srv.ReadPacket(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s on channel %d\n", p, srv.PacketChannel())
	}
	// Output:
	// hello on channel 0
	// fast on channel 1
}

// Godot's ENetConnection shape: hosts, connect_to_host and service.
func ExampleHost_Service() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server, err := enet.NewHost("127.0.0.1:0", &enet.Config{MaxPeers: 32})
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	client, err := enet.NewHost("", &enet.Config{MaxPeers: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	peer, err := client.ConnectToHost(server.LocalAddr().String(), 0, 1234)
	if err != nil {
		log.Fatal(err)
	}
	if ev, err := client.Service(ctx); err == nil && ev.Type == enet.EventConnect {
		peer.Send(0, []byte("hi"), enet.FlagReliable)
		peer.DisconnectLater(7) // Disconnect would drop "hi"
	}
	for {
		ev, err := server.Service(ctx)
		if err != nil {
			log.Fatal(err)
		}
		switch ev.Type {
		case enet.EventConnect:
			fmt.Println("connect, data", ev.Data)
		case enet.EventReceive:
			p, _ := ev.Peer.GetPacket()
			fmt.Printf("receive %q on channel %d\n", p, ev.Channel)
		case enet.EventDisconnect:
			fmt.Println("disconnect, data", ev.Data)
			return
		}
	}
	// Output:
	// connect, data 1234
	// receive "hi" on channel 0
	// disconnect, data 7
}

// ServiceTimeout is Godot's service(timeout): it returns EventNone when
// nothing happened in time.
func ExampleHost_ServiceTimeout() {
	h, err := enet.NewHost("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	ev, _ := h.ServiceTimeout(10 * time.Millisecond)
	fmt.Println(ev.Type == enet.EventNone)
	// Output: true
}

// Compression must be the same on both ends; RANGE_CODER is ENet's own and
// works with libenet's enet_host_compress_with_range_coder, FASTLZ, ZLIB
// and ZSTD are Godot's (for a Godot peer that selects the same mode).
func ExampleHost_Compress() {
	h, err := enet.NewHost("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	fmt.Println(h.Compress(enet.CompressRangeCoder))
	fmt.Println(h.Compress(enet.CompressZstd))
	// Output:
	// <nil>
	// <nil>
}

// A Listener holds at most Config.MaxPendingConnections connected peers for
// Accept (default 16) and disconnects the rest; a negative value refuses
// every connection.
func ExampleListen() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := enet.Listen("127.0.0.1:0", &enet.Config{MaxPendingConnections: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	cli, err := enet.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()
	_, err = cli.ReadPacket(ctx) // the Listener disconnects it
	fmt.Println(err)
	fmt.Printf("%+v\n", l.ListenerStats())
	// Output:
	// EOF
	// {Pending:0 Accepted:0 Refused:1 Failed:0 TimedOut:0 Evicted:0 Expired:0}
}

// A server that limits what it sends to 64 KiB/s, shared among its peers,
// and asks its peers to send it at most 256 KiB/s in all. Unreliable
// packets beyond the limits are dropped by the senders' throttles.
func ExampleHost_SetBandwidthLimit() {
	server, err := enet.NewHost("127.0.0.1:0", &enet.Config{IncomingBandwidth: 256 << 10})
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	// Later, say when a match starts: connected peers hear of it within a
	// second (BANDWIDTH_LIMIT).
	server.SetBandwidthLimit(256<<10, 64<<10)
}

// ENet over DTLS, as Godot's dtls_server_setup and dtls_client_setup: the
// server presents a certificate, the client checks it against its roots
// and the host name. (devcert makes a self-signed one for development.)
func ExampleHost_DTLSServerSetup() {
	cert, err := devcert.New("localhost")
	if err != nil {
		log.Fatal(err)
	}
	server, err := enet.NewHost("127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	if err := server.DTLSServerSetup(cert.TLS); err != nil {
		log.Fatal(err)
	}
	client, err := enet.NewHost("", &enet.Config{MaxPeers: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	if err := client.DTLSClientSetup("localhost", cert.Pool); err != nil {
		log.Fatal(err)
	}
	peer, err := client.ConnectToHost(server.LocalAddr().String(), 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ev, err := client.Service(ctx); err != nil || ev.Type != enet.EventConnect {
		log.Fatal(ev.Type, err)
	}
	peer.PutPacket([]byte("secret"))
	for {
		ev, err := server.Service(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if ev.Type == enet.EventReceive {
			p, _ := ev.Peer.GetPacket()
			fmt.Printf("%s\n", p)
			return
		}
	}
	// Output: secret
}

// A remote that stops acknowledging (here: its side was Reset) cannot make
// a sender hold more than SendQueueBytes: Send then fails with
// ERR_OUT_OF_MEMORY and is counted, while WritePacket would wait for room.
func ExamplePeer_Stats() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := &enet.Config{SendQueueBytes: 1 << 20, MaxPacketSize: 64 << 10, CloseTimeout: 100 * time.Millisecond}
	l, err := enet.Listen("127.0.0.1:0", cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	cli, err := enet.Dial(ctx, l.Addr().String(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()
	srv, err := l.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}
	srv.Reset()
	chunk := make([]byte, 64<<10)
	for {
		if err := cli.Send(0, chunk, enet.FlagReliable); err != nil {
			fmt.Println(errors.Is(err, peer.ErrOutOfMemory))
			break
		}
	}
	fmt.Println(cli.Stats().RefusedSends)
	// Output:
	// true
	// 1
}
