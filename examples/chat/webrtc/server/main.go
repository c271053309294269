// Command server is the WebRTC chat server: it serves the browser page and
// the signalling server (Godot's webrtc_signaling protocol at /signal) over
// HTTP, hosts lobby "chat" on it, and runs the shared chat room for every
// peer that connects: browsers (open http://localhost:8080/), Godot 4 games
// (examples/godot/webrtc_chat_client.gd) and the Go client (../client).
//
//	go run ./examples/chat/webrtc/server -addr :8080
//
// Data goes peer to peer over WebRTC; only signalling uses the HTTP server.
// Use -loopback when everything runs on one machine without a network.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/webrtc/webchat"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

func main() {
	addr := flag.String("addr", ":8080", "HTTP address for the page and the signalling server")
	lobby := flag.String("lobby", "chat", "lobby to host")
	loopback := flag.Bool("loopback", false, "use only 127.0.0.1 ICE candidates (one machine, no network)")
	stun := flag.String("stun", "", "STUN server URL for clients behind NAT, e.g. stun:stun.example.org:3478")
	ctx, log, stop := chat.Command()
	defer stop()

	sig := signaling.NewServer(&signaling.ServerConfig{Logger: log})
	ln, err := net.Listen("tcp", *addr)
	chat.Check(log, "listen", err)
	hs := &http.Server{Handler: webchat.Handler(sig)}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http", "err", err)
		}
	}()
	defer hs.Close()
	defer sig.Close()

	port := ln.Addr().(*net.TCPAddr).Port
	cfg := &webrtc.Config{Lobby: *lobby, Channels: webchat.Channels(), LoopbackOnly: *loopback}
	if *stun != "" {
		cfg.ICEServers = []webrtc.ICEServer{{URLs: []string{*stun}}}
	}
	l, err := webrtc.Listen(fmt.Sprintf("ws://127.0.0.1:%d/signal", port), cfg)
	chat.Check(log, "host lobby", err)
	log.Info("chat server ready", "page", fmt.Sprintf("http://localhost:%d/", port), "lobby", l.Lobby())
	if err := webchat.Serve(ctx, l, chat.NewRoom(log)); err != nil {
		log.Error("serve", "err", err)
	}
}
