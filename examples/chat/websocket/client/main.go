// Command client is the terminal chat client over WebSocket (Godot's
// WebSocketPeer.connect_to_url): type lines to chat, end input to leave.
//
//	go run ./examples/chat/websocket/client -url ws://127.0.0.1:8080/ws -nick alice
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8080/ws", "chat server's WebSocket URL (ws:// or wss://)")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := websocket.Dial(ctx, *url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := chat.RunClient(ctx, p, *nick, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
