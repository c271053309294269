// Command server is the chat server over UDP (Godot's UDPServer): every
// remote (IP, port) that sends a datagram becomes a connection, served by
// the shared chat room. Godot 4 clients use examples/godot/udp_chat_client.gd.
//
//	go run ./examples/chat/udp/server -addr :4242
package main

import (
	"flag"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/udp"
)

func main() {
	addr := flag.String("addr", ":4242", "UDP address to listen on")
	idle := flag.Duration("idle", 10*time.Minute, "drop a client silent for this long (UDP has no disconnect; 0 = never)")
	chat.ServerMain("udp", func(room *chat.Room) (peer.Listener[*udp.Peer], error) {
		room.IdleTimeout = *idle
		return udp.Listen(*addr, nil)
	})
}
