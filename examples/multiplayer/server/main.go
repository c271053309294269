// Command server is the multiplayer lobby chat server over WebSocket
// (Godot's WebSocketMultiplayerPeer.create_server).
//
//	go run ./examples/multiplayer/server -addr :9080
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/multiplayer/lobby"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	addr := flag.String("addr", ":9080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	srv, err := websocket.CreateServer(*addr, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	fmt.Println("lobby on ws://" + srv.Addr().String())
	if err := lobby.Serve(ctx, srv, nil); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
