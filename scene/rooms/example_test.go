package rooms_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/rooms"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// One listener, one independent session per URL path: clients of
// ws://host/lobby-1 and ws://host/lobby-2 never see each other. A Godot
// client joins with
//
//	var peer := WebSocketMultiplayerPeer.new()
//	peer.create_client("ws://host:9080/lobby-1")
//	multiplayer.multiplayer_peer = peer
//
// here played by Go clients.
func ExampleServer() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The RPCs of the game's Main node (cmd/gdrpc writes them from main.gd).
	methods, err := scene.NewMethods(nil, []scene.Method{
		{Name: "hello", RPCConfig: scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}},
	})
	if err != nil {
		panic(err)
	}
	joined := make(chan string, 2)
	var srv *rooms.Server
	srv = rooms.New(&rooms.Config{
		Multiplayer: scene.Config{
			OnPeerConnected: func(m *scene.Multiplayer, id int32) {
				joined <- fmt.Sprintf("%s: %d peer(s)", srv.RoomOf(m).Name(), len(m.Peers()))
			},
		},
		Setup: func(r *rooms.Room) error {
			_, err := r.Multiplayer().AddNode("Main", methods)
			return err
		},
	})
	defer srv.Close()
	l, err := websocket.Listen("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()
	defer func() { l.Close(); <-served }()

	for _, room := range []string{"/lobby-1", "/lobby-2"} {
		c, err := websocket.DialClient(ctx, "ws://"+l.Addr().String()+room, nil)
		if err != nil {
			panic(err)
		}
		defer c.Close()
		fmt.Println(<-joined)
	}
	// Output:
	// /lobby-1: 1 peer(s)
	// /lobby-2: 1 peer(s)
}

// Two game sessions on ENet in one process, a port each. A Godot client
// joins a room unchanged with
//
//	var peer := ENetMultiplayerPeer.new()
//	peer.create_client(host, room_port)
//	multiplayer.multiplayer_peer = peer
//
// here played by a Go client.
func ExampleServer_OpenENet() {
	joined := make(chan string, 1)
	var srv *rooms.Server
	srv = rooms.New(&rooms.Config{Multiplayer: scene.Config{
		OnPeerConnected: func(m *scene.Multiplayer, id int32) { joined <- srv.RoomOf(m).Name() },
	}})
	defer srv.Close()
	for _, name := range []string{"/red", "/blue"} {
		if _, err := srv.OpenENet(name, "127.0.0.1:0", nil); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Hand each room's port to its players, for example from a matchmaker.
	addr := srv.Room("/blue").Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := enet.DialClient(ctx, addr, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println("a client joined", <-joined)
	fmt.Println("rooms open:", srv.Len())
	// Output:
	// a client joined /blue
	// rooms open: 2
}
