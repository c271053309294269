// Command client is the terminal chat client over DTLS (Godot's
// PacketPeerDTLS.connect_to_peer): type lines to chat, end input to leave.
//
//	go run ./examples/chat/dtls/client -addr 127.0.0.1:4433 -ca server.crt -nick alice
//	go run ./examples/chat/dtls/client -insecure -nick bob   # development only: no verification
package main

import (
	"context"
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4433", "chat server's UDP address")
	certs := chatcert.NewClientFlags() // Godot's TLSOptions.client, or client_unsafe with -insecure
	chat.ClientMain(func(ctx context.Context) (peer.PacketPeer, error) {
		roots, err := certs.Roots()
		if err != nil {
			return nil, err
		}
		opts := dtls.ClientOptions(roots, certs.ServerName)
		if certs.Insecure {
			opts = dtls.UnsafeClientOptions(roots)
		}
		return dtls.Dial(ctx, *addr, &dtls.Config{TLS: opts})
	})
}
