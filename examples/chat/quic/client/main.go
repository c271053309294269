// Command client is the terminal chat client over QUIC: type lines to chat,
// end input (Ctrl-D) to leave.
//
//	go run ./examples/chat/quic/client -addr 127.0.0.1:4433 -ca server.crt -nick alice
//	go run ./examples/chat/quic/client -insecure -nick bob   # development only: no verification
package main

import (
	"context"
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/quic"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4433", "chat server's UDP address")
	certs := chatcert.NewClientFlags()
	chat.ClientMain(func(ctx context.Context) (peer.PacketPeer, error) {
		t, err := certs.TLSConfig()
		if err != nil {
			return nil, err
		}
		return quic.Dial(ctx, *addr, &quic.Config{TLSConfig: t, UnsafeSkipVerify: certs.Insecure})
	})
}
