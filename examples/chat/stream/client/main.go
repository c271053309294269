// Command client is the terminal chat client over PacketPeerStream on TCP
// (or a Unix socket). Type lines to chat; end input (Ctrl-D) to leave. With
// -say it sends those lines, prints what arrives for -wait, then leaves
// (every chat client has -say and -wait): handy for scripts.
//
//	go run ./examples/chat/stream/client -addr 127.0.0.1:4242 -nick alice
//	go run ./examples/chat/stream/client -nick bot -say "hello" -say "bye"
package main

import (
	"context"
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/stream"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4242", "chat server's address (a socket path for -network unix)")
	network := flag.String("network", "tcp", "tcp, tcp4, tcp6 or unix")
	chat.ClientMain(func(ctx context.Context) (peer.PacketPeer, error) {
		return stream.DialNetwork(ctx, *network, *addr, nil)
	})
}
