// Package scene is Godot 4's SceneMultiplayer protocol in Go: the bytes that
// Godot's default MultiplayerAPI puts on a MultiplayerPeer for rpc() and
// rpc_id(), send_bytes(), the peer list, relay and authentication, and the
// node-path cache.
//
// This is the protocol layer: message codecs, RPC method tables and the
// per-peer path-cache state, all without I/O, so that a session runs them on
// any multiplayer peer. The session itself (dispatch, relay, authentication,
// calling Go handlers) is not here yet.
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
// matching peer.ErrInvalidData what it rejects. Not covered yet: SPAWN,
// DESPAWN, SYNC and DELTA (replication).
//
// # Memory
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
package scene
