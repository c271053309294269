package scene_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// The RPCs of the game's Main node (cmd/gdrpc writes this from main.gd):
//
//	@rpc("any_peer") func hello(name: String, n: int)
//	@rpc func welcome(msg: String)
var mainRPC = []scene.Method{
	{Name: "hello", RPCConfig: scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}},
	{Name: "welcome", RPCConfig: scene.DefaultRPC},
}

// A Go server answering a Godot client's rpc_id(1, "hello", "Ada", 3) with
// an RPC back. A Go client stands in for Godot here; it sends the same
// bytes (godottest runs the real engine).
func ExampleMultiplayer() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	methods, _ := scene.NewMethods(nil, mainRPC)

	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	server := scene.NewMultiplayer(srv, nil)
	main, _ := server.AddNode("Main", methods) // /root/Main in the game
	main.Handle("hello", scene.Func2(func(c scene.Call, name string, n int) {
		fmt.Printf("hello(%q, %d) from a client\n", name, n)
		main.RPCID(c.Sender, "welcome", fmt.Sprintf("hi %s, %d", name, n+1))
	}))
	wg.Add(1)
	go func() { defer wg.Done(); server.Run(ctx) }()

	// The client: WebSocketMultiplayerPeer.create_client + SceneMultiplayer.
	cli, err := websocket.DialClient(ctx, "ws://"+srv.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	defer cli.Close()
	welcomed := make(chan string, 1)
	client := scene.NewMultiplayer(cli, &scene.Config{
		OnPeerConnected: func(m *scene.Multiplayer, id int32) {
			if id == multiplayer.TargetPeerServer { // not another client the server announces
				m.Node("Main").RPCID(id, "hello", "Ada", 3)
			}
		},
	})
	cmain, _ := client.AddNode("Main", methods)
	cmain.Handle("welcome", scene.Func1(func(c scene.Call, msg string) { welcomed <- msg }))
	wg.Add(1)
	go func() { defer wg.Done(); client.Run(ctx) }()

	fmt.Println(<-welcomed)
	// Output:
	// hello("Ada", 3) from a client
	// hi Ada, 4
}

// Authentication as Godot's auth_callback: the server admits a client
// once it sent the right secret and both sides called CompleteAuth.
func ExampleConfig_authentication() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	srv, _ := websocket.CreateServer("127.0.0.1:0", nil)
	defer srv.Close()
	admitted := make(chan int32, 1)
	server := scene.NewMultiplayer(srv, &scene.Config{
		AuthCallback: func(m *scene.Multiplayer, id int32, data []byte) {
			if string(data) == "let me in" {
				m.CompleteAuth(id)
			} // else the client is dropped after AuthTimeout (3 s)
		},
		OnPeerConnected: func(m *scene.Multiplayer, id int32) { admitted <- id },
	})
	wg.Add(1)
	go func() { defer wg.Done(); server.Run(ctx) }()

	cli, _ := websocket.DialClient(ctx, "ws://"+srv.Addr().String(), nil)
	defer cli.Close()
	client := scene.NewMultiplayer(cli, &scene.Config{
		AuthCallback: func(m *scene.Multiplayer, id int32, data []byte) {},
		OnPeerAuthenticating: func(m *scene.Multiplayer, id int32) {
			m.SendAuth(id, []byte("let me in"))
			m.CompleteAuth(id)
		},
	})
	wg.Add(1)
	go func() { defer wg.Done(); client.Run(ctx) }()
	fmt.Println(<-admitted == cli.UniqueID())
	// Output:
	// true
}

// A graceful shutdown: rather than closing right after a goodbye, which
// the clients may drop on arrival (see Leaving in the package doc), the
// server tells its clients it is closing, they leave, and it stops once
// they are gone or a deadline passed.
func ExampleMultiplayer_shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// @rpc func closing(reason: String): multiplayer.multiplayer_peer.close()
	methods, _ := scene.NewMethods(nil, []scene.Method{{Name: "closing", RPCConfig: scene.DefaultRPC}})

	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	joined, left := make(chan int32, 1), make(chan int32, 1)
	server := scene.NewMultiplayer(srv, &scene.Config{
		OnPeerConnected:    func(m *scene.Multiplayer, id int32) { joined <- id },
		OnPeerDisconnected: func(m *scene.Multiplayer, id int32) { left <- id },
	})
	main, _ := server.AddNode("Main", methods)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.Run(runCtx) }()

	// A client that leaves when the server says it is closing.
	cli, err := websocket.DialClient(ctx, "ws://"+srv.Addr().String(), nil)
	if err != nil {
		panic(err)
	}
	client := scene.NewMultiplayer(cli, nil)
	reasons := make(chan string, 1)
	cmain, _ := client.AddNode("Main", methods)
	cmain.Handle("closing", scene.Func1(func(c scene.Call, reason string) { reasons <- reason }))
	clientDone := make(chan error, 1)
	go func() { clientDone <- client.Run(ctx) }()
	clientGone := make(chan struct{})
	go func() {
		defer close(clientGone)
		select {
		case reason := <-reasons:
			fmt.Println("client:", reason)
		case <-ctx.Done():
		}
		cli.Close()
		<-clientDone
	}()
	defer func() { cancel(); <-clientGone }()
	<-joined

	// Shutting down (on SIGINT, say): tell everyone, wait for them to go.
	main.RPC("closing", "server restarting")
	waitCtx, waitCancel := context.WithTimeout(ctx, 5*time.Second)
	defer waitCancel()
	for range len(server.Peers()) {
		select {
		case <-left:
		case <-waitCtx.Done(): // close on those still here
		}
	}
	fmt.Println("server: everyone left")
	stop()
	fmt.Println("server Run:", <-done)
	srv.Close()
	// Output:
	// client: server restarting
	// server: everyone left
	// server Run: context canceled
}
