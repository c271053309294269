// Command client is the terminal chat client over UDP (Godot's
// PacketPeerUDP.connect_to_host): type lines to chat, end input to leave.
//
//	go run ./examples/chat/udp/client -addr 127.0.0.1:4242 -nick alice
package main

import (
	"context"
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/udp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4242", "chat server's UDP address")
	chat.ClientMain(func(ctx context.Context) (peer.PacketPeer, error) {
		return udp.Dial(ctx, *addr, nil)
	})
}
