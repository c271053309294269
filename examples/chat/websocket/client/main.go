// Command client is the terminal chat client over WebSocket (Godot's
// WebSocketPeer.connect_to_url): type lines to chat, end input to leave.
//
//	go run ./examples/chat/websocket/client -url ws://127.0.0.1:8080/ws -nick alice
//	go run ./examples/chat/websocket/client -url wss://localhost:8443/ws -ca cert.pem
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8080/ws", "chat server's WebSocket URL (ws:// or wss://)")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	ca := flag.String("ca", "", "PEM file of a certificate to trust for wss:// (e.g. the server's self-signed one), besides the system roots")
	flag.Parse()

	var cfg websocket.Config
	if *ca != "" {
		pem, err := os.ReadFile(*ca)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintln(os.Stderr, "no certificate in", *ca)
			os.Exit(1)
		}
		cfg.TLSConfig = &tls.Config{RootCAs: pool}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := websocket.Dial(ctx, *url, &cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := chat.RunClient(ctx, p, *nick, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
