package quic_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
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

// lineWriter hands each log line to a reader.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// Every connection a Listener drops is counted by cause in Stats and, with
// Config.Logger, logged: here a client whose TLS handshake fails because it
// speaks another application protocol.
func ExampleListener_Stats() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cert, err := devcert.New()
	if err != nil {
		panic(err)
	}
	logs := make(lineWriter, 1)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "remote" {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	ln, err := quic.Listen("127.0.0.1:0", &quic.Config{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}},
		Logger:    logger,
	})
	if err != nil {
		panic(err)
	}
	defer ln.Close()

	_, err = quic.Dial(ctx, ln.Addr().String(), &quic.Config{
		TLSConfig: &tls.Config{RootCAs: cert.Pool, NextProtos: []string{"not-packetpeer"}},
	})
	fmt.Println(errors.Is(err, peer.ErrCantConnect))
	fmt.Print(<-logs) // the server's side of the connection ends a moment later
	fmt.Printf("%+v\n", ln.Stats().ListenerStats)
	// Output:
	// true
	// level=INFO msg="packetpeer: connection dropped" transport=quic cause=failed error="CRYPTO_ERROR 0x178 (local): tls: client requested unsupported application protocols ([\"not-packetpeer\"])"
	// {Pending:0 Accepted:0 Refused:0 Failed:1 TimedOut:0 Evicted:0 Expired:0}
}
