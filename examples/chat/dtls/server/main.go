// Command server is the chat server over DTLS (Godot's DTLSServer with a
// UDPServer): every client completes a DTLS 1.2 handshake, then is served by
// the shared chat room. Godot 4 clients use
// examples/godot/dtls_chat_client.gd.
//
// With a real certificate:
//
//	go run ./examples/chat/dtls/server -addr :4433 -cert cert.pem -key key.pem
//
// For development, a self-signed one (valid for localhost, 127.0.0.1, ::1
// and any -host given), whose PEM clients trust with -ca (Go) or load into
// X509Certificate (Godot):
//
//	go run ./examples/chat/dtls/server -self-signed -cert-out server.crt
//	go run ./examples/chat/dtls/client -ca server.crt -nick alice
package main

import (
	"flag"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

func main() {
	addr := flag.String("addr", ":4433", "UDP address to listen on")
	certs := chatcert.NewServerFlags("")
	idle := flag.Duration("idle", 10*time.Minute, "drop a client silent for this long (a vanished DTLS client sends no close_notify; 0 = never)")
	chat.ServerMain("dtls", func(room *chat.Room) (peer.Listener[*dtls.Peer], error) {
		room.IdleTimeout = *idle
		cert, err := certs.Certificate()
		if err != nil {
			return nil, err
		}
		return dtls.Listen(*addr, &dtls.Config{TLS: dtls.ServerOptions(cert)})
	})
}
