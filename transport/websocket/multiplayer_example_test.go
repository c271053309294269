package websocket_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// A WebSocketMultiplayerPeer server and a Go client: the client gets an id
// from the server, both see peer_connected, and packets carry their sender.
func ExampleCreateServer() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv, err := websocket.CreateServer("127.0.0.1:0", nil) // TLS: &websocket.Config{TLSConfig: ...}
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := websocket.DialClient(ctx, "ws://"+srv.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ev, _ := srv.ReadEvent(ctx)
	fmt.Println(ev.Type, ev.ID == c.UniqueID(), srv.PeerAddress(ev.ID))
	ev, _ = c.ReadEvent(ctx)
	fmt.Println(ev)

	c.PutVar("hello") // a client always sends to the server
	v, _ := srv.ReadVar(ctx)
	fmt.Println(v, srv.PacketPeer() == 0) // nothing more queued

	srv.SetTargetPeer(multiplayer.TargetPeerBroadcast)
	srv.PutVar(42)
	b, info, _ := c.ReadPacketFrom(ctx)
	fmt.Println(len(b), info.From, info.Mode)
	// Output:
	// peer_connected true 127.0.0.1
	// peer_connected(1)
	// hello true
	// 8 1 TRANSFER_MODE_RELIABLE
}

// CreateClient is Godot's create_client: it returns at once, connecting;
// poll the status or wait for the peer_connected(1) event.
func ExampleCreateClient() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv, _ := websocket.CreateServer("127.0.0.1:0", nil)
	defer srv.Close()

	c, err := websocket.CreateClient("ws://"+srv.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ev, _ := c.ReadEvent(ctx)
	fmt.Println(ev, c.ConnectionStatus(), c.UniqueID() >= 2)

	srv.DisconnectPeer(c.UniqueID(), false)
	ev, _ = c.ReadEvent(ctx)
	fmt.Println(ev, c.ConnectionStatus(), c.UniqueID())
	// Output:
	// peer_connected(1) CONNECTION_CONNECTED true
	// peer_disconnected(1) CONNECTION_DISCONNECTED 0
}
