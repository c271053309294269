package webrtc_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

// A Go server hosts lobby "game" as Godot's WebRTCMultiplayerPeer server
// with one custom channel; a Go client (or a Godot game with
// examples/godot/webrtc_multiplayer_client.gd) joins it and they exchange
// packets.
func ExampleListenMultiplayer() {
	sig := signaling.NewServer(nil)
	hs := httptest.NewServer(sig)
	defer hs.Close()
	defer sig.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	cfg := &webrtc.MultiplayerConfig{
		Channels:   []multiplayer.TransferMode{multiplayer.TransferModeUnreliable}, // transfer channel 1
		Connection: &webrtc.Config{Lobby: "game", LoopbackOnly: true},              // LoopbackOnly: this example stays on 127.0.0.1
	}
	srv, err := webrtc.ListenMultiplayer(url, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	cli, err := webrtc.DialMultiplayer(ctx, url, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cli.Close()

	ev, _ := srv.ReadEvent(ctx)
	fmt.Println(ev.Type, ev.ID == cli.UniqueID())
	cli.SetTargetPeer(multiplayer.TargetPeerServer)
	cli.PutVar("hello")
	v, _ := srv.ReadVar(ctx)
	fmt.Println(v, srv.PacketPeer() == 0)
	fmt.Println(len(srv.GetPeer(cli.UniqueID()).Channels), "channels")
	// Output:
	// peer_connected true
	// hello true
	// 4 channels
}
