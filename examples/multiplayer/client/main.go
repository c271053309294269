// Command client is the multiplayer lobby chat's terminal client over
// WebSocket (Godot's WebSocketMultiplayerPeer.create_client): type lines to
// chat, end input to leave.
//
//	go run ./examples/multiplayer/client -url ws://127.0.0.1:9080 -nick alice
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
	url := flag.String("url", "ws://127.0.0.1:9080", "lobby server URL")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := websocket.DialClient(ctx, *url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	fmt.Printf("connected as peer %d\n", c.UniqueID())
	if err := lobby.RunClient(ctx, c, *nick, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
