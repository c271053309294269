// Command server is the chat server over ENet (Godot's ENetConnection, as
// ENetMultiplayerPeer uses it): every client that connects is served by the
// shared chat room; messages are Variants sent reliably on channel 0.
// Godot 4 clients use examples/godot/enet_chat_client.gd.
//
//	go run ./examples/chat/enet/server -addr :4242
package main

import (
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/enet"
)

func main() {
	addr := flag.String("addr", ":4242", "UDP address to listen on")
	peers := flag.Int("peers", 32, "most clients at once (ENet max_peers)")
	chat.ServerMain("enet", func(room *chat.Room) (peer.Listener[*enet.Peer], error) {
		return enet.Listen(*addr, &enet.Config{MaxPeers: *peers, Logger: room.Logger()})
	})
}
