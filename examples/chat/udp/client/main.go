// Command client is the terminal chat client over UDP (Godot's
// PacketPeerUDP.connect_to_host): type lines to chat, end input to leave.
//
//	go run ./examples/chat/udp/client -addr 127.0.0.1:4242 -nick alice
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/udp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4242", "chat server's UDP address")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := udp.Dial(ctx, *addr, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := chat.RunClient(ctx, p, *nick, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
