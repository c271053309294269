// Command server is the chat server over PacketPeerStream on TCP (Godot's
// TCPServer + StreamPeerTCP + PacketPeerStream), or on a Unix socket. Godot 4
// clients use examples/godot/stream_chat_client.gd; Go clients ../client.
//
//	go run ./examples/chat/stream/server -addr :4242
//	go run ./examples/chat/stream/server -network unix -addr /tmp/chat.sock
package main

import (
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/stream"
)

func main() {
	addr := flag.String("addr", ":4242", "address to listen on (a socket path for -network unix)")
	network := flag.String("network", "tcp", "tcp, tcp4, tcp6 or unix")
	writeTimeout := flag.Duration("write-timeout", stream.DefaultWriteTimeout, "drop a client that has not read for this long (negative: never)")
	chat.ServerMain("stream", func(*chat.Room) (peer.Listener[*stream.Peer], error) {
		return stream.ListenNetwork(*network, *addr, &stream.Config{WriteTimeout: *writeTimeout})
	})
}
