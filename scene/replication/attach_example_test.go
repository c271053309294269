package replication_test

import (
	"context"
	"fmt"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/replication"
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
