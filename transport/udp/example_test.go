package udp_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/udp"
)

// A UDPServer-style Listener and a connected client exchange Variants, as a
// Go server and a Godot game using PacketPeerUDP.put_var would.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	l, err := udp.Listen("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()

	// The client: Godot's connect_to_host + put_var.
	c, err := udp.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if err := c.PutVar("hello"); err != nil {
		panic(err)
	}

	// The server: the first datagram from a new remote makes a connection.
	srv, err := l.Accept(ctx)
	if err != nil {
		panic(err)
	}
	v, err := srv.ReadVar(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("server got", v, "from", srv.PacketIP())

	if err := srv.PutVar(int64(42)); err != nil {
		panic(err)
	}
	v, err = c.ReadVar(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("client got", v)
	// Output:
	// server got hello from 127.0.0.1
	// client got 42
}

// A Listener drops clients that went quiet for Config.IdleTimeout (one
// minute by default; shortened here): UDP has no disconnect, so this is how
// a server learns a player is gone. Config.Logger logs each drop, and
// Stats counts them by cause.
func ExampleConfig_idleTimeout() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// Drops are logged (here without the time and the changing addresses).
	hide := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "remote" || a.Key == "error" {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: hide}))

	l, err := udp.Listen("127.0.0.1:0", &udp.Config{IdleTimeout: 100 * time.Millisecond, Logger: logger})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	c, err := udp.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if err := c.PutVar("hello, then silence"); err != nil {
		panic(err)
	}

	srv, err := l.Accept(ctx)
	if err != nil {
		panic(err)
	}
	v, _ := srv.ReadVar(ctx)
	fmt.Println("got", v)
	_, err = srv.ReadVar(ctx) // nothing more arrives
	fmt.Println("timed out:", errors.Is(err, peer.ErrTimeout))
	fmt.Println("expired peers:", l.Stats().Expired)
	// Output:
	// got hello, then silence
	// level=INFO msg="packetpeer: connection dropped" transport=udp cause=expired
	// timed out: true
	// expired peers: 1
}

// A polled Listener served as Godot serves a UDPServer, on one goroutine:
// poll, take the new peers, then answer every packet each peer has. The
// answers leave with the next poll, in one sendmmsg for all peers.
func ExampleListener_Poll() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	l, err := udp.Listen("127.0.0.1:0", &udp.Config{Polled: true})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	c, err := udp.Dial(ctx, l.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if err := c.PutPacket([]byte("ping")); err != nil {
		panic(err)
	}

	var peers []*udp.Peer
	serve := func() {
		// PollContext sleeps until a datagram arrives (Poll never waits).
		if err := l.PollContext(ctx); err != nil {
			panic(err)
		}
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
				p.PutPacket(append([]byte("pong to "), pkt...))
			}
		}
		// Send the answers now rather than with the next frame's poll.
		if err := l.Poll(); err != nil {
			panic(err)
		}
	}
	serve()

	got, err := c.ReadPacket(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(got), "from", len(peers), "peer")
	// Output: pong to ping from 1 peer
}
