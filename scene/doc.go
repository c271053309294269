// Package scene is Godot 4's SceneMultiplayer in Go: the high-level
// multiplayer that Godot games use through rpc(), rpc_id() and
// send_bytes(), on any multiplayer peer (package multiplayer; WebSocket and
// ENet transports).
//
// Multiplayer is the session (Godot's SceneMultiplayer). On a server it
// admits clients (with Godot's authentication when Config.AuthCallback is
// set), sends them ADD_PEER and DEL_PEER, relays between them, delivers
// send_bytes packets with their sender, keeps the node-path cache with each
// client, runs Go handlers for the RPCs Godot clients call on the nodes
// declared with AddNode (validated as Godot does: unknown node or method,
// authority, argument count and types; every drop is counted in Stats),
// and calls RPCs on the clients (one, all, all but one) byte for byte as a
// Godot server would. It plays a client as well. Drive it with Run, or
// Poll once per frame.
//
//	srv, _ := websocket.CreateServer(":9080", nil)
//	m := scene.NewMultiplayer(srv, nil)
//	main, _ := m.AddNode("Main", methods) // /root/Main; methods from scene.NewMethods, written by cmd/gdrpc
//	main.Handle("hello", scene.Func2(func(c scene.Call, name string, n int) {
//		main.RPCID(c.Sender, "welcome", "hi "+name)
//	}))
//	m.Run(ctx)
//
// Handlers take typed parameters (Func0 to Func4 allocate nothing for
// bools, ints and floats; Func takes any arity by reflection) or read the
// arguments themselves (HandlerFunc and Args). Package scene/rooms runs
// many independent sessions in one process: behind one WebSocket listener,
// the room chosen by the URL path a Godot client connects to, or on an
// ENet port per room. Package scene imports no transport.
//
// Below the session is the protocol layer, usable on its own: message
// codecs, RPC method tables and the per-peer path-cache state, all without
// I/O.
//
// # Wire compatibility
//
// Byte for byte with Godot 4.6 (spec: scene-multiplayer.md; every encoder
// output below is checked against bytes a real Godot 4.6 client sent or
// accepted):
//
//   - the command byte and its flags (PacketCommand);
//   - SYS: ADD_PEER, DEL_PEER, RELAY and AUTH (ParseSys, AppendAddPeer,
//     AppendDelPeer, AppendRelay, AppendAuth);
//   - RAW (ParseRaw, AppendRaw);
//   - SIMPLIFY_PATH and CONFIRM_PATH (ParseSimplifyPath, AppendSimplifyPath,
//     ParseConfirmPath, AppendConfirmPath);
//   - REMOTE_CALL with 8/16/32-bit node ids, full paths, 8/16-bit method ids
//     and the byte-only/no-argument form (ParseRemoteCall, AppendRemoteCall);
//   - the compressed Variant encoding of RPC arguments: 1-byte bools, ints in
//     the smallest of 8/16/32/64 bits, every other value in package variant's
//     full encoding (AppendCompressed, DecodeCompressed);
//   - RPC method ids and the methods checksum (Methods), which Godot derives
//     from a node's rpc_config and its script's @rpc annotations; command
//     gdrpc writes the script half from the game's .gd files.
//
// Decoders accept what Godot's receiver accepts (any int width, a missing
// trailing NUL, trailing bytes after the arguments) and reject with an *Error
// matching peer.ErrInvalidData what it rejects. SPAWN, DESPAWN, SYNC and
// DELTA (replication) are package scene/replication's: a Multiplayer hands
// them to its Replication (SetReplication; replication.Attach, on a server
// or on a Go client),
// with peers joining and leaving and a Tick per frame (Config.TickRate), and
// without one counts them in Stats.Unsupported and drops them.
//
// Checked live against Godot 4.6 clients (godottest): the peer list, RPCs
// with every kind of Variant argument to Go handlers, Go RPCs to one, all
// and all but one client, client-to-client RPCs and send_bytes through the
// Go relay, authentication that succeeds and that times out, and two
// rooms of package scene/rooms that never see each other.
//
// # Leaving
//
// A client leaves by closing its multiplayer peer; a server stops by ending
// Run's context, then closing its peer, which tells every client at once
// over ENet and WebSocket (OnPeerDisconnected(1) and OnServerDisconnected
// run on a Go client, whose Run then returns an error matching io.EOF).
// As in Godot, a poll handles the peer's connections and disconnections
// before the packets that came with them, and drops the packets of a peer
// that is gone (Stats.UnknownPeer; a Godot client likewise drops what the
// server sent just before it disconnected). So a message sent right before
// Close, a client's last RPC or a server's goodbye, is often lost (most of
// them, in a loopback test): have the other side answer it, or leave, as
// in ExampleMultiplayer_shutdown, or wait a moment before closing.
//
// # Memory
//
// A Multiplayer costs at most 512 bytes per admitted peer plus that peer's
// path cache (PeerPaths, bounded below); handling an RPC with bool, int
// and float arguments, relaying, and sending an RPC allocate nothing.
//
// Parsing, and reading bool, int and float arguments with Args, allocate
// nothing except the node path of SIMPLIFY_PATH and
// full-path REMOTE_CALLs (one string of the path's length). DecodeArgs
// allocates at most 64 bytes per argument byte plus 16 KiB per call. A
// PeerPaths holds at most MaxPeerPaths ids each way and MaxPeerPathBytes of
// received paths: under 1.25 MiB per peer.
//
// # Godot → Go
//
//	Godot                                             Go
//	SceneMultiplayer::NetworkCommands                 Command (CommandRemoteCall ... CommandSys)
//	SYS_COMMAND_AUTH / ADD_PEER / DEL_PEER / RELAY    SysCommand (SysAuth, SysAddPeer, SysDelPeer, SysRelay), Sys
//	MultiplayerAPI.RPCMode                            RPCMode (RPCModeDisabled, RPCModeAnyPeer, RPCModeAuthority)
//	MultiplayerPeer.TransferMode                      TransferMode
//	rpc_config dictionary / @rpc(...)                 RPCConfig, Method; DefaultRPC = bare @rpc
//	SceneRPCInterface RPC config cache (ids, md5)     Methods: NewMethods, ID, Method, Checksum
//	encode_and_compress_variant                       AppendCompressed
//	decode_and_decompress_variant                     DecodeCompressed; RemoteCall.Arguments (typed, no allocation)
//	SceneCacheInterface (sender ids, path_send_cache) NodeIDs, PeerPaths.Reference/Confirm
//	SceneCacheInterface (path_get_cache of a peer)    PeerPaths.Add/Path
//	send_bytes / peer_packet                          AppendRaw / ParseRaw
//	SceneMultiplayer                                  Multiplayer, NewMultiplayer(peer, *Config); Run, Poll
//	server_relay = false                              Config.NoRelay
//	auth_callback, auth_timeout                       Config.AuthCallback, Config.AuthTimeout (DefaultAuthTimeout 3 s)
//	send_auth / complete_auth                         Multiplayer.SendAuth / CompleteAuth
//	get_authenticating_peers, get_peers               AuthenticatingPeers, Peers
//	allow_object_decoding                             Config.AllowObjectDecoding
//	disconnect_peer(id)                               Multiplayer.DisconnectPeer
//	send_bytes(bytes, id, mode, channel)              Multiplayer.SendBytes(bytes, id, mode, channel)
//	peer_connected / peer_disconnected                Config.OnPeerConnected / OnPeerDisconnected
//	peer_authenticating / peer_authentication_failed  Config.OnPeerAuthenticating / OnPeerAuthenticationFailed
//	peer_packet / server_disconnected                 Config.OnPeerPacket / OnServerDisconnected
//	a Node with @rpc methods at /root/Main            Multiplayer.AddNode("Main", methods) → *Node
//	node.rpc(m, ...) / rpc_id(id, m, ...)             Node.RPC(m, ...) / Node.RPCID(id, m, ...) (id 0 all, -id all but id)
//	set_multiplayer_authority                         Node.SetAuthority
//	the @rpc func's body                              Node.Handle(m, Handler); Func0..Func4, Func, HandlerFunc
//	get_remote_sender_id()                            Call.Sender
//	one SceneMultiplayer per server process           package scene/rooms: many sessions in one process
//	SceneMultiplayer's SceneReplicationInterface      Replication, SetReplication (replication.Attach), Config.TickRate
//	physics_ticks_per_second (replication frames)     Config.TickRate (DefaultTickRate 60)
package scene
