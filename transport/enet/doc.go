// Package enet is ENet 1.3 in pure Go: Godot 4's ENetConnection (Host) and
// ENetPacketPeer (Peer), on the wire indistinguishable from libenet 1.3.17
// (Debian) and the ENet 1.3.18 Godot bundles. It carries Godot's default
// high-level multiplayer (ENetMultiplayerPeer): a Go server can accept
// Godot clients, and a Go client can join a Godot server.
//
// Two ways in:
//
//   - The Godot shape: NewHost (create_host / create_host_bound), then
//     ConnectToHost, and Service(ctx) for the events: EventConnect (with the
//     CONNECT data), EventReceive (with the channel; the packet is queued on
//     the Peer), EventDisconnect (with the DISCONNECT data). ServiceTimeout is
//     Godot's service(timeout) polling form. Nothing needs polling to make the
//     protocol run: the Host reads its socket and runs its timers on its own
//     goroutines until Close.
//   - The shape of every transport in this module: Dial(ctx, addr, cfg)
//     returns a connected *Peer; Listen returns a *Listener whose Accept and
//     TakeConnection hand out connected peers.
//
// A Peer embeds *peer.Peer: PutPacket sends reliably on channel 0 (as
// Godot's ENetPacketPeer.put_packet), GetPacket/ReadPacket return the
// packets of every channel in arrival order, and PacketChannel and
// PacketFlags describe the last one. Send(channel, data, flags) is Godot's
// send: FlagReliable, FlagUnsequenced, FlagUnreliableFragment or 0
// (unreliable, sequenced). ENetMultiplayerPeer's mapping is RELIABLE →
// channel 0 FlagReliable, UNRELIABLE_ORDERED → channel 1
// FlagUnreliableFragment, UNRELIABLE → channel 1
// FlagUnsequenced|FlagUnreliableFragment, and CONNECT data = the client's
// unique id (Config.ConnectData for Dial). A Godot ENetMultiplayerPeer
// server silently resets a client whose CONNECT data is below 2 or already
// in use (the client then times out), so a Go client joining one must send
// a fresh id in 2..2^31-1.
//
// MultiplayerPeer is Godot's ENetMultiplayerPeer on top of a Host:
// CreateServer, CreateClient (DialClient waits for the connection) and
// CreateMesh + AddMeshPeer, with the layout above.
//
// # Listener
//
// Listen's *Listener is a peer.Listener[*Peer], like every transport's:
// a peer that completes its handshake waits in a queue of at most
// Config.MaxPendingConnections (default peer.DefaultMaxPendingConnections,
// 16; negative refuses every connection) until Accept or TakeConnection
// takes it. One that completes its handshake while the queue is full is
// disconnected at once (its client sees a DISCONNECT) and counted as
// Refused; connections beyond Config.MaxPeers get no slot and are ignored,
// as ENet does. ListenerStats also counts handshakes whose VERIFY_CONNECT
// was never acknowledged (TimedOut), peers still waiting at Close
// (Evicted, disconnected at once) and peers that stopped acknowledging
// after they connected (Expired: ENet's timeout; a waiting one leaves the
// queue). Config.Logger logs each drop with its cause and remote address.
//
// # Godot → Go
//
//	ENetConnection.create_host_bound(addr, port, max_peers, max_channels, in, out)
//	                                              NewHost("addr:port", &Config{MaxPeers, ChannelLimit, IncomingBandwidth, OutgoingBandwidth})
//	ENetConnection.create_host(...)               NewHost("", cfg)
//	ENetConnection.connect_to_host(a, p, ch, data) (*Host).ConnectToHost("a:p", ch, data)
//	ENetConnection.service(timeout)               (*Host).Service(ctx), ServiceTimeout(d)
//	ENetConnection.flush()                        (*Host).Flush()
//	ENetConnection.broadcast(ch, packet, flags)   (*Host).Broadcast(ch, packet, flags)
//	ENetConnection.bandwidth_limit(in, out)       (*Host).SetBandwidthLimit(in, out)
//	ENetConnection.bandwidth_throttle()           (*Host).BandwidthThrottle() (runs by itself once a second)
//	ENetConnection.channel_limit(n)               (*Host).SetChannelLimit(n)
//	ENetConnection.get_max_channels()             (*Host).MaxChannels()
//	ENetConnection.compress(mode)                 (*Host).Compress(mode) (NONE, RANGE_CODER, FASTLZ, ZLIB, ZSTD)
//	ENetConnection.refuse_new_connections(r)      (*Host).RefuseNewConnections(r)
//	ENetConnection.dtls_server_setup(TLSOptions.server(key, cert))
//	                                              (*Host).DTLSServerSetup(tlsCert)
//	ENetConnection.dtls_client_setup(hostname, TLSOptions.client(roots))
//	                                              (*Host).DTLSClientSetup(hostname, roots)
//	ENetConnection.pop_statistic(stat)            (*Host).PopStatistic(stat)
//	ENetConnection.get_local_port()               (*Host).LocalPort()
//	ENetConnection.get_peers()                    (*Host).Peers()
//	ENetConnection.socket_send(addr, port, data)  (*Host).SocketSend(addrPort, data)
//	ENetConnection.destroy()                      (*Host).Close()
//	ENetPacketPeer.put_packet / get_packet        PutPacket / GetPacket (ReadPacket(ctx) blocks)
//	ENetPacketPeer.send(ch, packet, flags)        (*Peer).Send(ch, packet, flags)
//	ENetPacketPeer.get_packet_flags()             (*Peer).PacketFlags() (of the last packet read)
//	ENetPacketPeer.peer_disconnect(data)          (*Peer).Disconnect(data)
//	ENetPacketPeer.peer_disconnect_later(data)    (*Peer).DisconnectLater(data)
//	ENetPacketPeer.peer_disconnect_now(data)      (*Peer).DisconnectNow(data)
//	ENetPacketPeer.reset()                        (*Peer).Reset()
//	ENetPacketPeer.ping(), ping_interval(ms)      (*Peer).Ping(), SetPingInterval(d)
//	ENetPacketPeer.set_timeout(limit, min, max)   (*Peer).SetTimeout(limit, min, max)
//	ENetPacketPeer.throttle_configure(i, a, d)    (*Peer).ThrottleConfigure(i, a, d)
//	ENetPacketPeer.get_statistic(stat)            (*Peer).Statistic(stat)
//	ENetPacketPeer.get_state(), is_active()       (*Peer).State(), IsActive()
//	ENetPacketPeer.get_channels()                 (*Peer).Channels()
//	ENetPacketPeer.get_remote_address/port()      (*Peer).RemoteAddr(), RemoteAddrPort()
//	ENetMultiplayerPeer.create_server(port, max_clients, max_channels, in, out)
//	                                              CreateServer("bind_ip:port", &MultiplayerConfig{MaxClients, Channels, InBandwidth, OutBandwidth})
//	ENetMultiplayerPeer.create_client(addr, port, channel_count, in, out, local_port)
//	                                              CreateClient("addr:port", &MultiplayerConfig{Channels, ..., LocalAddr}), DialClient(ctx, ...)
//	ENetMultiplayerPeer.get_peer(id), host        (*MultiplayerPeer).GetPeer(id), Host()
//	ENetMultiplayerPeer.create_mesh(id), add_mesh_peer(id, host)
//	                                              CreateMesh(id), (*MultiplayerPeer).AddMeshPeer(id, host)
//
// # Defaults and limits
//
// Config's zero value is ENet's and Godot's defaults: MTU 1392, 32 peers,
// 255 channels, unlimited bandwidth, 32 MiB packets, ping every 500 ms,
// timeout after 5 to 30 s without acknowledgements, no checksum
// (Config.Checksum enables libenet's CRC-32 option), no compression.
//
// Received data a peer holds (out-of-order packets, fragments being
// reassembled, packets the application has not read) is bounded by
// Config.MaxWaitingData per peer (32 MiB, ENet's figure) and
// Config.MaxHostWaitingData per host (128 MiB); each stored command or
// packet counts its payload plus 128 bytes, each fragment its payload plus
// 64 bytes, and each EventReceive not yet returned by Service 64 bytes
// against the host's limit. Data that cannot be delivered before a missing
// command arrives (reordering, fragment groups ahead) takes at most half of
// each limit, so that the missing command always finds room. Beyond the
// limits data is not acknowledged, so an honest sender retransmits it
// later, as with ENet. Malformed datagrams are dropped silently, as ENet
// does; a CONNECT takes a slot only while one is free. An idle connection
// costs each side about 1.4 KB with 2 channels and 25 KB with 255 (96
// bytes per channel), and wakes its host about twice a second (its 500 ms
// ping): the timers sleep until the next retransmission or ping is due.
// A Host itself costs about 60 KB with one peer slot (as Dial's), 16 KiB
// of it read buffers (64 KiB from 16 slots up).
//
// The Host shares internal/udpsock with package udp's and package dtls's
// listeners: on Linux one recvmmsg reads up to one datagram per peer slot
// (4 to 16), all handled under one lock, and the datagrams one pass of
// the protocol sends to its peers (acknowledgements, queued packets,
// retransmissions) leave in one sendmmsg. A server echoing 64 busy
// clients (BenchmarkLibenet/clients64) makes about one system call per
// eight datagrams, where one per datagram was needed before.
//
// Steady traffic allocates nothing per packet: a host recycles the buffers
// of packets it sent once they are acknowledged (up to 256 KiB of them, so
// a burst of a thousand small packets in flight reuses its buffers), and a
// peer the buffers of packets the application read (up to 32 KiB of them:
// 512 small ones or 8 of a full datagram). A larger burst waiting to be
// read allocates one buffer per packet beyond those, as libenet allocates
// every packet (BenchmarkLibenet's throughput rows, bursts of 1000, cost
// about 50 bytes per packet that way).
//
// Outgoing data is bounded per peer by Config.SendQueueBytes (64 MiB;
// each queued or unacknowledged command counts its payload plus 192
// bytes). libenet and Godot have no such bound: their queue grows until
// the peer times out (5 to 30 s without acknowledgements). Here a Send or
// PutPacket beyond it fails with an error matching peer.ErrOutOfMemory
// (Godot's code when a WebSocketPeer's outgoing buffer is full) and is
// counted (Peer.Stats().RefusedSends); the connection stays up, and room
// returns as the remote acknowledges. WritePacket(ctx, p) waits for that
// room instead. Peer.PeerStats counts what the receiving side drops:
// unreliable packets beyond the waiting-data limits, packets above
// MaxPacketSize, and unreliable sequenced packets overtaken by newer ones.
//
// # Bandwidth
//
// Config.IncomingBandwidth and OutgoingBandwidth (bytes per second, 0 =
// unlimited; SetBandwidthLimit changes them) work as in ENet. They size
// the reliable send window of each connection (4096 bytes per 64 KiB/s, 4
// to 64 KiB). Once a second the host shares its outgoing bandwidth among
// its connected peers, and keeps each peer within the incoming bandwidth
// the remote announced, by lowering the peer's packet throttle limit: the
// throttle then drops unreliable packets (about limit/offered of them get
// through) and shrinks the reliable window, as ENet's
// enet_host_bandwidth_throttle does. After a connect, a disconnect or
// SetBandwidthLimit, every connected peer gets a BANDWIDTH_LIMIT with the
// host's outgoing bandwidth and its share of the incoming one (or its own
// outgoing bandwidth when that is lower; a remote with unlimited outgoing
// bandwidth is told 0, unlimited, as ENet does). Reliable data is not
// dropped: on a short round trip it may exceed the limit, as with ENet.
//
// # DTLS
//
// DTLSServerSetup and DTLSClientSetup put DTLS 1.2 (pion/dtls) below ENet,
// as Godot's dtls_server_setup / dtls_client_setup do: each remote
// address gets its own DTLS session on the host's socket (a cookie
// exchange first on a server), and each ENet datagram travels as one
// application record, its bytes unchanged. Datagrams to a remote whose
// handshake has not finished are dropped (a client starts the handshake
// with its first datagram, the CONNECT, which ENet then retransmits), as
// Godot's ERR_BUSY does. A host keeps at most 2 × MaxPeers sessions,
// handshakes included; an unfinished handshake ends after 10 s, or sooner
// when a new ClientHello needs its place (the oldest goes). Cipher
// suites: ECDHE with ECDSA or RSA and AES-128/256-GCM, which Godot's
// mbedTLS offers. A Godot client set up with an empty hostname
// (dtls_client_setup("", TLSOptions.client_unsafe())) makes mbedTLS send
// a server_name extension holding an empty name, which pion refuses; the
// server repairs that handshake as package dtls's Listener does. Tested Go
// to Go, and with libenet (Godot's ENet) riding on an mbedTLS client
// configured as Godot's, with and without a hostname. A session ends with
// the last ENet connection of its remote (or when the remote ends it),
// with a close_notify, as at Close; a server starts one only for a
// ClientHello. The CONNECT that starts a
// client's handshake is lost, so connecting takes one retransmission
// timeout longer (about 1 s), as with Godot.
//
// # ENetMultiplayerPeer against Godot's source
//
// MultiplayerPeer follows Godot 4's modules/enet/enet_multiplayer_peer.cpp,
// checked with libenet peers that do what that file does (testdata/
// enetpeer.c, modes godot-client and godot-server). Where the source
// differs from ../shared/spec/godot-api.md §7.3, the source wins:
//
//   - create_server passes channel limit 0 (255) and max_channels+2 as the
//     host's incoming bandwidth (MultiplayerConfig.Channels).
//   - A client whose id the server refuses (below 2 or taken) is not
//     silent: ENet connects it first (peer_connected(1), CONNECTED), and it
//     gets peer_disconnected(1) only when ENet times out.
//   - A client's put_packet checks the target like a server's: 0, 1 and -1
//     pass (all go to the server), any other id is ERR_INVALID_PARAMETER.
//   - Godot's close drops the packets not yet read, also when a client's
//     server goes; MultiplayerPeer keeps them readable until drained, then
//     reports the end of the session.
//   - Debug builds of Godot warn once about unreliable packets above 1392
//     bytes; MultiplayerPeer does not.
//
// # Checked against Godot 4.6
//
// FASTLZ, ZLIB and ZSTD are checked against the codecs Godot 4.6's
// ENetConnection calls (TestGodotCompressorsLive runs them in the web
// engine, which has no UDP socket, so the codecs rather than a live ENet
// session): FASTLZ writes Godot's bytes exactly; for ZLIB and ZSTD, whose
// encoders may pick other matches, each side decodes the other's datagram
// bodies.
package enet
