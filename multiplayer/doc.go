// Package multiplayer is Godot 4's MultiplayerPeer for Go: the layer
// Godot's high-level multiplayer (SceneMultiplayer, RPCs) runs on. A
// multiplayer peer is a server (id 1) or a client (a random id in
// [2, 2^31-1]) of a session; it sends packets to one peer, to all, or to all
// but one, and reports peers connecting and disconnecting.
//
// Transports provide the peers: transport/websocket's MultiplayerPeer
// (Godot's WebSocketMultiplayerPeer), transport/enet's MultiplayerPeer
// (Godot's ENetMultiplayerPeer) and transport/webrtc's MultiplayerPeer
// (Godot's WebRTCMultiplayerPeer). Each embeds *Peer, so all have the
// methods below and implement the MultiplayerPeer interface.
//
// # Godot → Go
//
//	Godot MultiplayerPeer                   Go
//	transfer_mode                           SetTransferMode, TransferMode (TransferModeReliable by default)
//	transfer_channel                        SetTransferChannel, TransferChannel (0 by default)
//	set_target_peer(id)                     SetTargetPeer, TargetPeer (TargetPeerBroadcast by default)
//	put_packet / put_var                    PutPacket / PutVar (to the target, in the mode, on the channel)
//	(none)                                  SendTo(target, mode, channel, data): the settings per call
//	get_packet / get_var                    GetPacket / GetVar (never block)
//	get_packet_peer()                       PacketPeer()    // of the packet GetPacket returns next
//	get_packet_channel()                    PacketChannel()
//	get_packet_mode()                       PacketMode()
//	(none)                                  GetPacketFrom(), ReadPacketFrom(ctx): packet and PacketInfo in one call
//	(none)                                  ReadPacket(ctx), ReadVar(ctx), WaitPacket(ctx): block
//	get_available_packet_count()            AvailablePacketCount
//	get_unique_id()                         UniqueID
//	generate_unique_id()                    GenerateUniqueID
//	get_connection_status()                 ConnectionStatus (ConnectionDisconnected 0 .. ConnectionConnected 2)
//	is_server()                             IsServer
//	is_server_relay_supported()             IsServerRelaySupported
//	refuse_new_connections                  SetRefuseNewConnections, IsRefusingNewConnections
//	disconnect_peer(id, force = false)      DisconnectPeer(id, force)
//	close()                                 Close
//	poll()                                  Poll (not needed: goroutines do the I/O)
//	signal peer_connected(id)               PollEvent / ReadEvent(ctx) return Event{PeerConnected, id}
//	signal peer_disconnected(id)            Event{PeerDisconnected, id}
//	TARGET_PEER_BROADCAST, TARGET_PEER_SERVER  TargetPeerBroadcast (0), TargetPeerServer (1)
//	TRANSFER_MODE_UNRELIABLE, ..._ORDERED, TRANSFER_MODE_RELIABLE  TransferModeUnreliable 0, ...UnreliableOrdered 1, ...Reliable 2
//	MultiplayerPeerExtension                Transport (+ optional Poller, RelaySupporter, Refuser), New; Session
//
// # Targets and what arrives
//
// A target of TargetPeerBroadcast (0) sends to every peer, a positive id to
// that peer, -id to every peer except id. A client's packets go to the
// server whatever its target: relaying between clients is SceneMultiplayer's
// work (Godot 4 moved it out of the transports), which is why a server
// reports IsServerRelaySupported. Sending to an absent peer fails with an
// error matching peer.ErrInvalidParameter.
//
// Received packets queue in one bounded queue per peer; ReadPacketFrom
// returns each with its PacketInfo (sender id, channel, mode). Godot's form
// is still there: PacketPeer, PacketChannel and PacketMode describe the packet
// the next GetPacket returns (they look one packet ahead without losing it).
//
// # Events
//
// Godot emits peer_connected and peer_disconnected from poll(). Here the
// transport queues them as Events as they happen; read them with ReadEvent
// (blocking, with a context) or PollEvent (Godot's polling style). The queue
// holds at most MaxQueuedEvents (1 MiB); beyond that the oldest are dropped
// and counted (EventsDropped). A client sees PeerConnected(1) once it has its
// id and PeerDisconnected(1) when the session ends (it is then
// ConnectionDisconnected with id 0); a server sees each client come and go.
// DisconnectPeer(id, true) forgets the peer at once and, as in Godot, queues
// no PeerDisconnected for it.
//
// # Concurrency
//
// A Peer is safe for concurrent use, with one reader at a time. The transfer
// settings are shared state, as in Godot: goroutines sending to different
// targets use SendTo. A packet returned by a read is valid until the next
// read.
//
// # Writing a multiplayer transport
//
// Implement Transport (Godot's MultiplayerPeerExtension virtuals, with the
// transfer settings passed to each PutPacket) and wrap it with New;
// implement peer.Waiter too so blocking reads do not poll. Embed a
// *Session for the bookkeeping every subclass of Godot's MultiplayerPeer
// keeps alike: own id, status, role, refuse_new_connections, the peers by
// id, when peer_connected and peer_disconnected are queued, how a client's
// session ends (its Connecting, which DialClient functions wait for with
// Await, and SessionEnded for its reads) and Close. The transport keeps
// only how it connects, sends and receives. A transport whose packets stay
// in per-connection queues notes whose packet comes next in a Queue. Then
// run multiplayertest.Run against a real server with clients.
//
// After Close every call fails with an error matching peer.ErrClosed
// (net.ErrClosed), UniqueID is 0 and ConnectionStatus is
// ConnectionDisconnected.
package multiplayer
