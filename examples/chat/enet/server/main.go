// Command server is the chat server over ENet (Godot's ENetConnection, as
// ENetMultiplayerPeer uses it): every client that connects is served by the
// shared chat room; messages are Variants sent reliably on channel 0.
// Godot 4 clients use examples/godot/enet_chat_client.gd.
//
//	go run ./examples/chat/enet/server -addr :4242
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/enet"
)

func main() {
	addr := flag.String("addr", ":4242", "UDP address to listen on")
	peers := flag.Int("peers", 32, "most clients at once (ENet max_peers)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	l, err := enet.Listen(*addr, &enet.Config{MaxPeers: *peers, Logger: log})
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("chat server listening", "transport", "enet", "addr", l.Addr().String())
	if err := chat.ServeListener[*enet.Peer](ctx, chat.NewRoom(log), l); err != nil {
		log.Error("accept", "err", err)
		os.Exit(1)
	}
}
