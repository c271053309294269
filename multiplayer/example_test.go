package multiplayer_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// A server greets each client and relays what one client says to the
// others, in Go's blocking style, over WebSocket (Godot's
// WebSocketMultiplayerPeer); any multiplayer transport works the same.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	server, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer server.Close()
	url := "ws://" + server.Addr().String()
	alice, err := websocket.DialClient(ctx, url, nil)
	if err != nil {
		panic(err)
	}
	defer alice.Close()
	bob, err := websocket.DialClient(ctx, url, nil)
	if err != nil {
		panic(err)
	}
	defer bob.Close()

	for range 2 {
		ev, _ := server.ReadEvent(ctx) // peer_connected(id)
		server.SendTo(ev.ID, multiplayer.TransferModeReliable, 0, []byte("welcome"))
	}
	b, _ := alice.ReadPacket(ctx)
	fmt.Println("alice got:", string(b))
	bob.ReadPacket(ctx)

	// Godot style: set the target, then put_var.
	alice.SetTargetPeer(multiplayer.TargetPeerServer)
	alice.PutVar("hello from alice")
	msg, info, _ := server.ReadPacketFrom(ctx)
	// Relay to everyone but the sender.
	server.SendTo(-info.From, multiplayer.TransferModeReliable, 0, msg)
	v, _ := bob.ReadVar(ctx)
	fmt.Println("bob got:", v, "| sender was alice:", info.From == alice.UniqueID())

	fmt.Println("server id:", server.UniqueID(), "| bob is server:", bob.IsServer())
	// Output:
	// alice got: welcome
	// bob got: hello from alice | sender was alice: true
	// server id: 1 | bob is server: false
}

// Godot's polling style: poll, then drain events and packets, asking who
// sent each packet before taking it.
func Example_poll() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	server, _ := websocket.CreateServer("127.0.0.1:0", nil)
	defer server.Close()
	client, _ := websocket.DialClient(ctx, "ws://"+server.Addr().String(), nil)
	defer client.Close()
	client.PutPacket([]byte("ping"))
	server.WaitPacket(ctx) // a real game loop would poll once per frame instead

	server.Poll()
	for {
		ev, ok := server.PollEvent()
		if !ok {
			break
		}
		fmt.Println(ev.Type, ev.ID == client.UniqueID())
	}
	for server.AvailablePacketCount() > 0 {
		from := server.PacketPeer() // get_packet_peer(), before get_packet()
		b, _ := server.GetPacket()
		fmt.Println(string(b), from == client.UniqueID())
	}
	// Output:
	// peer_connected true
	// ping true
}

// A transport keeps its connections in a Session, which keeps the id, the
// status and the peers, and queues the events by Godot's rules: here a
// client whose connection to the server opens, then closes.
func ExampleSession() {
	type link struct{ addr string } // the transport's connection to a peer
	s := multiplayer.NewSession[*link]("example", multiplayer.RoleClient, 0, func(err error) {
		fmt.Println("reads end with:", err)
	})
	server := &link{"127.0.0.1:9080"}
	s.Add(multiplayer.TargetPeerServer, server) // dialling
	fmt.Println(s.ConnectionStatus())

	s.SetUniqueID(1234) // the id the server gave
	s.Connect(multiplayer.TargetPeerServer, server)
	fmt.Println(s.ConnectionStatus(), s.UniqueID(), s.Connecting().Wait(context.Background()))
	to, _ := s.Targets(nil, multiplayer.TargetPeerBroadcast)
	fmt.Println("sending to", to[0].addr)

	s.Remove(multiplayer.TargetPeerServer, server) // the connection closed
	fmt.Println(s.ConnectionStatus(), s.UniqueID(), s.Events().Len(), "events queued")
	// Output:
	// CONNECTION_CONNECTING
	// CONNECTION_CONNECTED 1234 <nil>
	// sending to 127.0.0.1:9080
	// reads end with: example: read packet: the connection to the server closed: EOF (ERR_UNCONFIGURED)
	// CONNECTION_DISCONNECTED 0 2 events queued
}
