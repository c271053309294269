// Command server is the chat server over QUIC: every client connects with a
// TLS 1.3 handshake and is then served by the shared chat room over the
// connection's reliable stream. Godot 4 has no QUIC peer; Go clients use
// ./client.
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
	"context"
	"crypto/tls"
	"flag"
	"log/slog"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/transport/quic"
)

func main() {
	addr := flag.String("addr", ":4433", "UDP address to listen on")
	certFile := flag.String("cert", "", "PEM certificate chain file")
	keyFile := flag.String("key", "", "PEM private key file")
	selfSigned := flag.Bool("self-signed", false, "generate a self-signed development certificate")
	hosts := flag.String("host", "", "with -self-signed: extra comma-separated DNS names or IPs the certificate is valid for")
	certOut := flag.String("cert-out", "server.crt", "with -self-signed: write the certificate PEM here for clients' -ca")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cert, err := chatcert.ServerCertificate(*certFile, *keyFile, *selfSigned, *hosts, *certOut)
	if err != nil {
		log.Error("certificate", "err", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	l, err := quic.Listen(*addr, &quic.Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("chat server listening", "transport", "quic", "addr", l.Addr().String(), "alpn", quic.DefaultALPN)

	room := chat.NewRoom(log)
	if err := chat.ServeListener(ctx, room, l); err != nil {
		log.Error("accept", "err", err)
		os.Exit(1)
	}
}
