// Command server is the chat server over PacketPeerStream on TCP (Godot's
// TCPServer + StreamPeerTCP + PacketPeerStream), or on a Unix socket. Godot 4
// clients use examples/godot/stream_chat_client.gd; Go clients ../client.
//
//	go run ./examples/chat/stream/server -addr :4242
//	go run ./examples/chat/stream/server -network unix -addr /tmp/chat.sock
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/stream"
)

func main() {
	addr := flag.String("addr", ":4242", "address to listen on (a socket path for -network unix)")
	network := flag.String("network", "tcp", "tcp, tcp4, tcp6 or unix")
	writeTimeout := flag.Duration("write-timeout", stream.DefaultWriteTimeout, "drop a client that has not read for this long (negative: never)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	l, err := stream.ListenNetwork(*network, *addr, &stream.Config{WriteTimeout: *writeTimeout})
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("chat server listening", "transport", "stream", "network", *network, "addr", l.Addr().String())

	room := chat.NewRoom(log)
	if err := chat.ServeListener(ctx, room, l); err != nil {
		log.Error("accept", "err", err)
		os.Exit(1)
	}
}
