package enet_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/transport/enet"
)

// An ENetMultiplayerPeer server and a Go client: the client's id travels in
// the CONNECT, both see peer_connected, and each packet arrives with its
// sender, transfer mode and channel.
func ExampleCreateServer() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv, err := enet.CreateServer("127.0.0.1:0", &enet.MultiplayerConfig{MaxClients: 8})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := enet.DialClient(ctx, srv.Host().LocalAddr().String(), &enet.MultiplayerConfig{Channels: 2})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ev, _ := srv.ReadEvent(ctx)
	fmt.Println(ev.Type, ev.ID == c.UniqueID(), srv.GetPeer(ev.ID).State())
	ev, _ = c.ReadEvent(ctx)
	fmt.Println(ev)

	c.PutVar("hello") // reliable, on ENet channel 0; a client always sends to the server
	v, _ := srv.ReadVar(ctx)
	fmt.Println(v)

	// Transfer channel 2 is ENet channel 3.
	srv.SendTo(c.UniqueID(), multiplayer.TransferModeReliable, 2, []byte("state"))
	b, info, _ := c.ReadPacketFrom(ctx)
	fmt.Printf("%s %+v\n", b, info)
	// Output:
	// peer_connected true CONNECTED
	// peer_connected(1)
	// hello
	// state {From:1 Channel:2 Mode:TRANSFER_MODE_RELIABLE}
}

// CreateClient is Godot's create_client: it returns at once,
// ConnectionConnecting; wait for the peer_connected(1) event.
func ExampleCreateClient() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv, _ := enet.CreateServer("127.0.0.1:0", nil)
	defer srv.Close()

	c, err := enet.CreateClient(srv.Host().LocalAddr().String(), nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ev, _ := c.ReadEvent(ctx)
	fmt.Println(ev, c.ConnectionStatus(), c.UniqueID() >= 2)

	srv.ReadEvent(ctx) // peer_connected(id)
	srv.DisconnectPeer(c.UniqueID(), false)
	ev, _ = c.ReadEvent(ctx)
	fmt.Println(ev, c.ConnectionStatus(), c.UniqueID())
	// Output:
	// peer_connected(1) CONNECTION_CONNECTED true
	// peer_disconnected(1) CONNECTION_DISCONNECTED 0
}
