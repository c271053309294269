// Command client is the multiplayer lobby chat's terminal client over
// WebSocket (Godot's WebSocketMultiplayerPeer.create_client) or WebRTC
// (WebRTCMultiplayerPeer.create_client through a signalling server) or ENet
// (ENetMultiplayerPeer.create_client): type lines to chat, end input to leave.
//
//	go run ./examples/multiplayer/client -url ws://127.0.0.1:9080 -nick alice
//	go run ./examples/multiplayer/client -enet 127.0.0.1:9082 -nick carol
//	go run ./examples/multiplayer/client -webrtc ws://127.0.0.1:9081/signal -nick bob
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/multiplayer/lobby"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:9080", "lobby server URL (WebSocket)")
	rtc := flag.String("webrtc", "", "join over WebRTC instead: the signalling server's URL, e.g. ws://127.0.0.1:9081/signal")
	enetAddr := flag.String("enet", "", "join over ENet (UDP) instead: the server's host:port, e.g. 127.0.0.1:9082")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var c multiplayer.MultiplayerPeer
	var err error
	switch {
	case *rtc != "":
		c, err = webrtc.DialMultiplayer(ctx, *rtc, &webrtc.MultiplayerConfig{Connection: &webrtc.Config{Lobby: "lobby"}})
	case *enetAddr != "":
		c, err = enet.DialClient(ctx, *enetAddr, nil)
	default:
		c, err = websocket.DialClient(ctx, *url, nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	fmt.Printf("connected as peer %d\n", c.UniqueID())
	if err := lobby.RunClient(ctx, c, *nick, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
