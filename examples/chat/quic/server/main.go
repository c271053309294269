// Command server is the chat server over QUIC: every client connects with a
// TLS 1.3 handshake and is then served by the shared chat room over the
// connection's reliable stream (ALPN quic.DefaultALPN). Godot 4 has no QUIC
// peer; Go clients use ./client.
//
// With a real certificate:
//
//	go run ./examples/chat/quic/server -addr :4433 -cert cert.pem -key key.pem
//
// For development, a self-signed one (valid for localhost, 127.0.0.1, ::1
// and any -host given) whose PEM the client trusts with -ca:
//
//	go run ./examples/chat/quic/server -self-signed -cert-out server.crt
//	go run ./examples/chat/quic/client -ca server.crt -nick alice
package main

import (
	"crypto/tls"
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/quic"
)

func main() {
	addr := flag.String("addr", ":4433", "UDP address to listen on")
	certs := chatcert.NewServerFlags("server.crt")
	chat.ServerMain("quic", func(*chat.Room) (peer.Listener[*quic.Peer], error) {
		cert, err := certs.Certificate()
		if err != nil {
			return nil, err
		}
		return quic.Listen(*addr, &quic.Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	})
}
