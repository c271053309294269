// Command server is the multiplayer lobby chat server over WebSocket
// (Godot's WebSocketMultiplayerPeer.create_server) or over WebRTC (Godot's
// WebRTCMultiplayerPeer.create_server, with a signalling server speaking
// the protocol of Godot's webrtc_signaling demo), or over ENet (Godot's
// ENetMultiplayerPeer.create_server).
//
//	go run ./examples/multiplayer/server -addr :9080
//	go run ./examples/multiplayer/server -enet :9082
//	go run ./examples/multiplayer/server -webrtc :9081   # signalling on ws://host:9081/signal, lobby "lobby"
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/multiplayer/lobby"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	addr := flag.String("addr", ":9080", "address to listen on (WebSocket)")
	rtc := flag.String("webrtc", "", "serve over WebRTC instead: the signalling server's address, e.g. :9081")
	enetAddr := flag.String("enet", "", "serve over ENet (UDP) instead, on this address, e.g. :9082")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var srv multiplayer.MultiplayerPeer
	var err error
	switch {
	case *rtc != "":
		srv, err = serveWebRTC(*rtc)
	case *enetAddr != "":
		var e *enet.MultiplayerPeer
		e, err = enet.CreateServer(*enetAddr, nil)
		if err == nil {
			fmt.Println("lobby on enet://" + e.Host().LocalAddr().String())
			srv = e
		}
	default:
		var ws *websocket.MultiplayerPeer
		ws, err = websocket.CreateServer(*addr, nil)
		if err == nil {
			fmt.Println("lobby on ws://" + ws.Addr().String())
			srv = ws
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	if err := lobby.Serve(ctx, srv, nil); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// serveWebRTC runs the signalling server on addr and hosts lobby "lobby"
// on it with a WebRTC multiplayer server.
func serveWebRTC(addr string) (*webrtc.MultiplayerPeer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/signal", signaling.NewServer(nil))
	go http.Serve(ln, mux)
	url := "ws://" + ln.Addr().String() + "/signal"
	srv, err := webrtc.ListenMultiplayer(url, &webrtc.MultiplayerConfig{Connection: &webrtc.Config{Lobby: "lobby"}})
	if err != nil {
		return nil, err
	}
	fmt.Println("lobby \"lobby\" on signalling server " + url)
	return srv, nil
}
