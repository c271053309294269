// Command client is the terminal chat client over ENet (Godot's
// ENetConnection.connect_to_host): type lines to chat, end input to leave.
//
//	go run ./examples/chat/enet/client -addr 127.0.0.1:4242 -nick alice
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/enet"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4242", "chat server's address")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := enet.Dial(ctx, *addr, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer p.Close()
	if err := chat.RunClient(ctx, p, *nick, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
