// Package rooms runs many independent Godot SceneMultiplayer sessions
// ("rooms") in one Go process: where a Godot dedicated server is one
// process per match, a Server holds a scene.Multiplayer per room, each
// with its own peer ids, relay, path caches and authentication.
//
// Godot clients join unchanged. Over WebSocket, every room shares one
// listener and the URL path names the room:
//
//	srv := rooms.New(&rooms.Config{Setup: func(r *rooms.Room) error {
//		_, err := r.Multiplayer().AddNode("Main", methods)
//		return err
//	}})
//	l, _ := websocket.Listen(":9080", nil)
//	srv.Serve(ctx, l) // create_client("ws://host:9080/room-7") joins "/room-7"
//
// Over ENet, which has no URL, each room listens on a port of its own
// (Server.OpenENet); the game learns the port from a matchmaker or a room
// list.
//
// Package scene knows no transport; this package is where its sessions
// meet the WebSocket and ENet transports.
//
// # Memory
//
// A Server holds at most Config.MaxRooms rooms (DefaultMaxRooms, 1024).
// An open WebSocket room costs about 18 KiB beyond its clients'
// connections (its scene.Multiplayer, its multiplayer peer and the
// goroutines running them; TestRoomCost checks at most 32 KiB), and an
// ENet room without clients about 130 KiB with Godot's defaults, mostly
// its ENet host (checked at most 192 KiB). On top of that each admitted
// client costs its room's Multiplayer at most 512 bytes plus its bounded
// path cache (scene.PeerPaths), and a WebSocket room's receive queue holds
// at most 1 MiB. A room name is at most MaxNameBytes bytes.
//
// # Godot → Go
//
//	Godot                                           Go
//	one SceneMultiplayer per server process         Server: a scene.Multiplayer per Room
//	WebSocketMultiplayerPeer.create_server(port)    New + Serve(ctx, websocket listener): a room per URL path
//	ENetMultiplayerPeer.create_server(port, ...)    Server.OpenENet(name, "host:port", cfg): a port per room
//	ENetMultiplayerPeer.get_host().get_local_port   Room.Addr
//	multiplayer.multiplayer_peer = null (server)    Server.CloseRoom, Server.Close
//	the signals of the room's SceneMultiplayer      Config.Multiplayer callbacks; Server.RoomOf(m) names the room
package rooms
