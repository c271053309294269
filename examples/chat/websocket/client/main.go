// Command client is the terminal chat client over WebSocket (Godot's
// WebSocketPeer.connect_to_url): type lines to chat, end input to leave.
//
//	go run ./examples/chat/websocket/client -url ws://127.0.0.1:8080/ws -nick alice
//	go run ./examples/chat/websocket/client -url wss://localhost:8443/ws -ca cert.pem
package main

import (
	"context"
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8080/ws", "chat server's WebSocket URL (ws:// or wss://)")
	certs := chatcert.NewClientFlags()
	chat.ClientMain(func(ctx context.Context) (peer.PacketPeer, error) {
		t, err := certs.TLSConfig()
		if err != nil {
			return nil, err
		}
		return websocket.Dial(ctx, *url, &websocket.Config{TLSConfig: t})
	})
}
