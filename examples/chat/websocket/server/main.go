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
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
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
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	cfg := &websocket.Config{HeartbeatInterval: *heartbeat}
	if *origins != "" {
		cfg.AllowedOrigins = strings.Split(*origins, ",")
	}
	srv, err := wschat.New(ctx, chat.NewRoom(log), cfg)
	if err != nil {
		log.Error("config", "err", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: websocket.DefaultHandshakeTimeout}
	go func() {
		<-ctx.Done()
		srv.Close()
		hs.Close()
	}()
	scheme := "http"
	if *certFile != "" {
		scheme = "https"
	}
	log.Info("chat server listening", "transport", "websocket", "page", scheme+"://"+ln.Addr().String()+"/", "ws", strings.Replace(scheme, "http", "ws", 1)+"://"+ln.Addr().String()+"/ws")
	// WrapListener: chat bursts leave in one write per client.
	if *certFile != "" {
		// HTTP/1.1 only: browsers then open WebSockets with the classic upgrade.
		hs.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		err = hs.ServeTLS(websocket.WrapListener(ln), *certFile, *keyFile)
	} else {
		err = hs.Serve(websocket.WrapListener(ln))
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}
