package scene_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/enet"
)

// Two game sessions on ENet in one process, a port each. A Godot client
// joins a room unchanged with
//
//	var peer := ENetMultiplayerPeer.new()
//	peer.create_client(host, room_port)
//	multiplayer.multiplayer_peer = peer
//
// here played by a Go client.
func ExampleRooms_OpenENet() {
	joined := make(chan string, 1)
	rs := scene.NewRooms(&scene.RoomsConfig{Config: scene.Config{
		OnPeerConnected: func(m *scene.Multiplayer, id int32) { joined <- m.Room().Name() },
	}})
	defer rs.Close()
	for _, name := range []string{"/red", "/blue"} {
		if _, err := rs.OpenENet(name, "127.0.0.1:0", nil); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Hand each room's port to its players, for example from a matchmaker.
	addr := rs.Room("/blue").Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := enet.DialClient(ctx, addr, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println("a client joined", <-joined)
	fmt.Println("rooms open:", rs.Len())
	// Output:
	// a client joined /blue
	// rooms open: 2
}
