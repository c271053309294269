// Command server is the chat server over WebSocket (Godot's WebSocketPeer).
// It serves a browser chat page at / and the WebSocket endpoint at /ws;
// browsers, the Go client (../client) and Godot 4 games
// (examples/godot/websocket_chat_client.gd) share one room.
//
//	go run ./examples/chat/websocket/server -addr :8080
//	open http://localhost:8080/
//
// With -cert and -key it serves https:// and wss:// instead.
package main

import (
	"crypto/tls"
	"flag"
	"net"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/websocket/wschat"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	addr := flag.String("addr", ":8080", "TCP address to serve HTTP and WebSocket on")
	origins := flag.String("origins", "", "comma-separated extra browser origins allowed to connect (\"*\" for any); same-origin pages always can")
	heartbeat := flag.Duration("heartbeat", 20*time.Second, "ping interval; a client that misses a pong is dropped (0 = off)")
	certFile := flag.String("cert", "", "TLS certificate file (PEM): serve https and wss")
	keyFile := flag.String("key", "", "TLS key file (PEM), with -cert")
	ctx, log, stop := chat.Command()
	defer stop()

	cfg := &websocket.Config{HeartbeatInterval: *heartbeat}
	if *origins != "" {
		cfg.AllowedOrigins = strings.Split(*origins, ",")
	}
	srv, err := wschat.New(ctx, chat.NewRoom(log), cfg)
	chat.Check(log, "config", err)
	var cert *tls.Certificate
	scheme := "http"
	if *certFile != "" {
		c, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		chat.Check(log, "certificate", err)
		cert, scheme = &c, "https"
	}
	ln, err := net.Listen("tcp", *addr)
	chat.Check(log, "listen", err)
	log.Info("chat server listening", "transport", "websocket", "page", scheme+"://"+ln.Addr().String()+"/",
		"ws", strings.Replace(scheme, "http", "ws", 1)+"://"+ln.Addr().String()+"/ws")
	chat.Check(log, "serve", srv.Serve(ctx, ln, cert))
}
