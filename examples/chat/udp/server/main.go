// Command server is the chat server over UDP (Godot's UDPServer): every
// remote (IP, port) that sends a datagram becomes a connection, served by
// the shared chat room. Godot 4 clients use examples/godot/udp_chat_client.gd.
//
//	go run ./examples/chat/udp/server -addr :4242
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/udp"
)

func main() {
	addr := flag.String("addr", ":4242", "UDP address to listen on")
	idle := flag.Duration("idle", 10*time.Minute, "drop a client silent for this long (UDP has no disconnect; 0 = never)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	l, err := udp.Listen(*addr, nil)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("chat server listening", "transport", "udp", "addr", l.Addr().String())

	room := chat.NewRoom(log)
	room.IdleTimeout = *idle
	if err := chat.ServeListener(ctx, room, l); err != nil {
		log.Error("accept", "err", err)
		os.Exit(1)
	}
}
