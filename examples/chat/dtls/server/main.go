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
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

func main() {
	addr := flag.String("addr", ":4433", "UDP address to listen on")
	certFile := flag.String("cert", "", "PEM certificate chain file")
	keyFile := flag.String("key", "", "PEM private key file")
	selfSigned := flag.Bool("self-signed", false, "generate a self-signed development certificate")
	hosts := flag.String("host", "", "with -self-signed: extra comma-separated DNS names or IPs the certificate is valid for")
	certOut := flag.String("cert-out", "", "with -self-signed: write the certificate PEM here for clients to trust")
	idle := flag.Duration("idle", 10*time.Minute, "drop a client silent for this long (a vanished DTLS client sends no close_notify; 0 = never)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cert, err := chatcert.ServerCertificate(*certFile, *keyFile, *selfSigned, *hosts, *certOut)
	if err != nil {
		log.Error("certificate", "err", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	l, err := dtls.Listen(*addr, &dtls.Config{TLS: dtls.ServerOptions(cert)})
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("chat server listening", "transport", "dtls", "addr", l.Addr().String())

	room := chat.NewRoom(log)
	room.IdleTimeout = *idle
	if err := chat.ServeListener(ctx, room, l); err != nil {
		log.Error("accept", "err", err)
		os.Exit(1)
	}
}
