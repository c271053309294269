package replication_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/replication"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// A Replicator in a scene.Multiplayer server: each client that joins gets
// a player, spawned with its position and then synced every frame. The
// client here reads the raw packets a Godot client would get.
func ExampleAttach() {
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	spawner := &replication.Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	pos := variant.Vector2{X: 100, Y: 50}
	m := scene.NewMultiplayer(srv, &scene.Config{
		OnPeerConnected: func(m *scene.Multiplayer, id int32) {
			spawner.Spawn("player", 0, &replication.Synchronizer{Path: "Sync", Properties: []replication.Property{
				{Path: ".:position", Spawn: true, Mode: replication.ReplicationModeAlways, Value: &pos},
			}})
		},
	})
	r := replication.Attach(m, nil)
	r.AddSpawner(spawner)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	c, err := websocket.DialClient(ctx, "ws://"+srv.Addr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for {
		p, _, err := c.ReadPacketFrom(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		switch cmd, _ := scene.PacketCommand(p); cmd {
		case scene.CommandSimplifyPath:
			sp, _ := scene.ParseSimplifyPath(p)
			fmt.Println("SIMPLIFY_PATH", sp.Path)
		case scene.CommandSpawn:
			s, _ := replication.ParseSpawn(p)
			state, _, _ := replication.DecodeState(nil, s.State, 1)
			fmt.Println("SPAWN", s.Name, state[0])
		case scene.CommandSync:
			fmt.Println("SYNC")
			return
		}
	}
	// Output:
	// SIMPLIFY_PATH Main/Spawner
	// SPAWN player Vector2(100, 50)
	// SYNC
}

// A Go client (a bot, a load tester) that sees what the server spawns, as
// a Godot client's MultiplayerSpawner and MultiplayerSynchronizer do: its
// own Replicator, attached to its client-side session, declares the
// server's spawner with OnSpawned and returns the server-owned
// synchronizers of each spawned node. The server here is a Go server over
// ENet, as a Godot dedicated server would be.
func ExampleAttach_client() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	methods, _ := scene.NewMethods(nil, []scene.Method{
		{Name: "move", RPCConfig: scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}},
	})
	declare := func() *replication.Spawner {
		return &replication.Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	}

	// The server: a player per client, moved by the client's move RPC.
	srv, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	spawner := declare()
	players := map[int32]*variant.Vector2{}
	server := scene.NewMultiplayer(srv, &scene.Config{
		OnPeerConnected: func(m *scene.Multiplayer, id int32) {
			pos := &variant.Vector2{X: 100, Y: 50}
			players[id] = pos
			spawner.Spawn(strconv.Itoa(int(id)), 0, &replication.Synchronizer{Path: "Sync", Properties: []replication.Property{
				{Path: ".:position", Spawn: true, Mode: replication.ReplicationModeOnChange, Value: pos},
			}})
		},
	})
	replication.Attach(server, nil).AddSpawner(spawner)
	smain, _ := server.AddNode("Main", methods)
	smain.Handle("move", scene.Func1(func(c scene.Call, d variant.Vector2) {
		if pos := players[c.Sender]; pos != nil {
			pos.X, pos.Y = pos.X+d.X, pos.Y+d.Y
		}
	}))
	wg.Add(1)
	go func() { defer wg.Done(); server.Run(ctx) }()

	// The client: the same declarations, the server's spawner with OnSpawned.
	cli, err := enet.DialClient(ctx, srv.Host().LocalAddr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cli.Close()
	events := make(chan string, 16)
	client := scene.NewMultiplayer(cli, nil)
	cmain, _ := client.AddNode("Main", methods)
	mine := declare()
	mine.OnSpawned = func(o *replication.Object, arg any) ([]*replication.Synchronizer, error) {
		pos := new(variant.Vector2) // set from the spawn state once OnSpawned returns
		s := &replication.Synchronizer{Path: "Sync", Properties: []replication.Property{
			{Path: ".:position", Spawn: true, Mode: replication.ReplicationModeOnChange, Value: pos},
		}}
		s.OnUpdate = func(delta bool) { events <- fmt.Sprint("moved to ", *pos) }
		events <- fmt.Sprint("spawned my player: ", o.Name == strconv.Itoa(int(cli.UniqueID())))
		cmain.RPCID(1, "move", variant.Vector2{X: 5})
		return []*replication.Synchronizer{s}, nil
	}
	mine.OnDespawned = func(o *replication.Object) { events <- "despawned " + o.Name }
	replication.Attach(client, nil).AddSpawner(mine)
	wg.Add(1)
	go func() { defer wg.Done(); client.Run(ctx) }()

	fmt.Println(<-events)
	fmt.Println(<-events)
	// Output:
	// spawned my player: true
	// moved to Vector2(105, 50)
}
