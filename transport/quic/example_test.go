package quic_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/transport/quic"
)

// A server and a client on one machine: the server trusts a development
// certificate from devcert, the client trusts that certificate's pool.
// Reliable packets keep their order; unreliable ones go as QUIC datagrams.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	cert, err := devcert.New() // localhost, 127.0.0.1, ::1
	if err != nil {
		panic(err)
	}
	ln, err := quic.Listen("127.0.0.1:0", &quic.Config{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}},
	})
	if err != nil {
		panic(err)
	}
	defer ln.Close()

	go func() {
		p, err := ln.Accept(ctx)
		if err != nil {
			return
		}
		defer p.Close()
		for {
			v, err := p.ReadVar(ctx)
			if err != nil {
				return
			}
			p.PutVar(fmt.Sprintf("echo: %v (%v)", v, p.PacketMode()))
		}
	}()

	c, err := quic.Dial(ctx, ln.Addr().String(), &quic.Config{
		TLSConfig: &tls.Config{RootCAs: cert.Pool},
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	c.PutVar("hello") // reliable by default, as Godot's MultiplayerPeer
	reply, err := c.ReadVar(ctx)
	fmt.Println(reply, err)

	// One packet as an unreliable datagram; on loopback it arrives.
	fmt.Println(c.MaxDatagramSize() > 1000)
	c.SetTransferMode(quic.TransferModeUnreliable)
	c.PutVar("position")
	reply, err = c.ReadVar(ctx)
	fmt.Println(reply, err)
	// Output:
	// echo: hello (TRANSFER_MODE_RELIABLE) <nil>
	// true
	// echo: position (TRANSFER_MODE_UNRELIABLE) <nil>
}
