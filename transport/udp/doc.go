// Package udp is Godot 4's PacketPeerUDP and UDPServer for Go: one UDP
// datagram is one packet, with no framing, so a Godot game using
// PacketPeerUDP or UDPServer talks to this package byte for byte, and
// PutVar/GetVar carry exactly the Variant bytes Godot's put_var/get_var do.
//
// Three ways to get a *Peer:
//
//   - Bind opens a socket that takes datagrams from anyone (Godot's bind);
//     PacketAddr says who sent the last one, SetDestAddress says where
//     PutPacket goes.
//   - Dial opens a connected socket (Godot's connect_to_host): the kernel
//     drops datagrams from anyone but the remote.
//   - Listen opens a Listener (Godot's UDPServer): one socket whose datagrams
//     are sorted by exact source (IP, port) into one Peer per remote; a
//     datagram from a new remote makes a pending peer, which Accept or
//     TakeConnection returns. Accepted peers send through the Listener's
//     socket.
//
// Every Peer embeds *peer.Peer, so PutPacket, GetPacket, PutVar, GetVar,
// ReadPacket(ctx), ReadVar(ctx) and the rest of peer.PacketPeer work as on
// every other transport of this module.
//
// # Godot → Go
//
//	PacketPeerUDP.bind(port, addr, recv_buf_size)   Bind("addr:port", &Config{ReceiveQueueBytes: n})
//	PacketPeerUDP.connect_to_host(host, port)       Dial(ctx, "host:port", cfg), or (*Peer).ConnectToHost on a bound peer
//	PacketPeerUDP.set_dest_address(host, port)      (*Peer).SetDestAddress(host, port), SetDestAddrPort
//	PacketPeerUDP.get_packet_ip()                   (*Peer).PacketIP()      (or PacketAddr() netip.AddrPort)
//	PacketPeerUDP.get_packet_port()                 (*Peer).PacketPort()
//	PacketPeerUDP.get_local_port()                  (*Peer).LocalPort()
//	PacketPeerUDP.is_bound()                        (*Peer).IsBound()
//	PacketPeerUDP.is_socket_connected()             (*Peer).IsSocketConnected()
//	PacketPeerUDP.wait()                            (*Peer).Wait(ctx)
//	PacketPeerUDP.close()                           (*Peer).Close()
//	PacketPeerUDP.set_broadcast_enabled(on)         (*Peer).SetBroadcastEnabled(on), Config.Broadcast
//	PacketPeerUDP.join_multicast_group(addr, iface) (*Peer).JoinMulticastGroup(addr, iface)
//	PacketPeerUDP.leave_multicast_group(addr, iface) (*Peer).LeaveMulticastGroup(addr, iface)
//	PacketPeer.put_packet / get_packet              PutPacket / GetPacket (or ReadPacket(ctx) to block)
//	PacketPeer.put_var / get_var                    PutVar / GetVar (or ReadVar(ctx))
//	PacketPeer.get_available_packet_count()         AvailablePacketCount()
//	PacketPeer.get_max_packet_size()                MaxPacketSize() (Godot: 512, see below)
//	PacketPeer.get_packet_error()                   PacketError()
//	UDPServer.listen(port, addr)                    Listen("addr:port", cfg)
//	UDPServer.poll()                                (*Listener).Poll() with Config.Polled (or PollContext(ctx) to sleep until datagrams arrive); by default not needed: a goroutine reads
//	UDPServer.is_connection_available()             (*Listener).IsConnectionAvailable()
//	UDPServer.take_connection()                     (*Listener).TakeConnection() (or Accept(ctx) to block)
//	UDPServer.max_pending_connections               Config.MaxPendingConnections, (*Listener).SetMaxPendingConnections
//	UDPServer.get_local_port()                      (*Listener).LocalPort()
//	UDPServer.is_listening()                        (*Listener).IsListening()
//	UDPServer.stop()                                (*Listener).Close()
//
// Addresses are "host:port". An empty host or Godot's "*" means every
// address (a dual-stack socket where the system has IPv6); port 0 picks an
// ephemeral port. IPv4 senders are reported as IPv4 (never IPv4-mapped
// IPv6), as Godot's get_packet_ip prints them; IPv6 zones are not kept.
//
// # Defaults and limits
//
// MaxPacketSize defaults to 65507 bytes, the largest IPv4 UDP payload.
// Godot's get_max_packet_size returns 512 (GodotMaxPacketSize), an advisory
// number Godot never enforces; keep game packets under it (or under ~1200
// bytes) to avoid IP fragmentation on real networks. A PutPacket larger than
// MaxPacketSize fails with ErrInvalidParameter and sends nothing.
//
// Each peer queues received packets in a ring of 2^nearest_shift(ReceiveQueueBytes)
// bytes: 131072 bytes for Godot's default recv_buf_size of 65536 (65536
// bytes for a Listener's peers, as in Godot). Each packet
// costs its length plus 22 bytes (Godot: 24). A Listener's peer starts
// with a 128-byte ring that doubles as packets need room, up to that size,
// so its memory follows what it has queued: a remote that sent one small
// datagram costs about 1.2 KiB in all (peer, ring, bookkeeping; checked by
// TestListenerMemoryPerRemote), not the whole 64 KiB ring. A grown ring is
// kept while the peer lives, so steady traffic does not allocate. A Dial peer fills its ring
// as Godot does: GetPacket, AvailablePacketCount and Stats poll the socket,
// and a blocked ReadPacket or Wait waits in the socket itself, which gives
// the lowest round-trip latency (see BENCHMARKS.md); datagrams that arrive
// while nobody reads wait in the kernel's socket buffer (Config.SocketBuffer).
// Bind and Listener peers, and Dial peers with Config.BackgroundRead, have a
// reader goroutine per socket that fills the ring instead, so bursts that
// arrive while the program is busy are kept up to the ring's size and
// AvailablePacketCount and GetPacket never touch the socket.
//
// Bind and Dial peers read their own socket in batches where the system
// has recvmmsg (Linux), while datagrams are found waiting in it: a read
// takes one datagram with recvfrom, as a plain ReadFrom would, unless the
// previous read found one already waiting (a burst, or a poll once per
// frame); then it takes up to 64 with one system call, 4 with the default
// MaxPacketSize, since every slot holds a whole datagram and a peer's read
// buffers are kept within 256 KiB. So a ping-pong makes the same system
// calls as before, and a polled Dial peer reads a 64-datagram burst with
// 0.28 calls per datagram (0.05 with MaxPacketSize 1472; BenchmarkBurst).
// A peer holds one datagram's read buffer (MaxPacketSize) until a read
// first finds a datagram waiting.
//
// A Listener keeps at most MaxPendingConnections (default 16, Godot's)
// remotes waiting for Accept; a zero Config field means that default, so to
// refuse every new remote (Godot's max_pending_connections = 0) set it to
// RefuseNewConnections (any negative value) or call
// SetMaxPendingConnections(0). The cap bounds what unknown senders can
// make a Listener allocate before the program takes their peers. Accepted
// peers are not limited: each one is taken on purpose by the program.
//
// UDP has no disconnect, so a Listener drops any peer, pending or accepted,
// from which no datagram has arrived for Config.IdleTimeout: one minute by
// default (DefaultIdleTimeout), between IdleTimeout and 1.25 times it in
// fact. Its queued packets can still be read; then its reads and puts
// return an error matching peer.ErrTimeout, it is counted in
// ListenerStats.Expired, and the remote's next datagram makes a new pending
// peer. Games whose clients may stay silent longer send a keep-alive or
// raise IdleTimeout; IdleTimeout: KeepIdlePeers (any negative value) keeps
// silent peers until they are closed, as Godot's UDPServer does.
//
// # A Listener's socket: batched reads and writes
//
// A Listener's goroutine reads many datagrams per system call where the
// system has recvmmsg (Linux): up to 64 per call, fewer when MaxPacketSize
// is large, since every slot holds a whole datagram and the read buffers
// are kept within 1 MiB (16 slots, 1 MiB, with the default 65507; 64 slots
// with MaxPacketSize at most 16 KiB). It sorts the batch to its peers under
// one lock, without allocating. Peers that answer at once share system
// calls: while one PutPacket sends, the others' datagrams are copied into a
// queue (at most 64 datagrams and 64 KiB) that it then sends with one
// sendmmsg; after a read that returned datagrams from several remotes,
// the first answering peer also yields once so that the others can queue
// theirs. A
// lone PutPacket is one sendto, as before, and one peer's datagrams leave
// in the order of its calls. A queued datagram the system refuses cannot be
// reported to its PutPacket, which has returned; UDP may drop it anyway.
// With 64 remotes echoing 64-byte datagrams (BenchmarkEchoRemotes,
// BENCHMARKS.md), a Listener with one goroutine per peer uses 20–30 % more
// CPU per datagram than a single-goroutine raw recvmmsg/sendmmsg loop and
// 6–11 % more than a plain ReadFrom/WriteTo loop: the difference is the
// hand-off of datagrams to the peers' goroutines, measured there. Its
// packets/s are 0.73–0.91 of the raw batched loop's and about the plain
// loop's on a shared 2-core machine; a polled Listener (below) has no
// hand-off and costs what the raw batched loop costs. The same socket layer
// (internal/udpsock) serves dtls.Listener.
//
// # A polled Listener: Godot's UDPServer.poll
//
// With Config.Polled, Listen starts no goroutine and the program serves
// the Listener as a Godot game serves a UDPServer: Poll reads every
// datagram waiting (recvmmsg batches, at most 4096 datagrams per call),
// sorts them to the peers with the same bounds, counters and pending limit
// as the read goroutine, and drops idle peers (IdleTimeout, counted from
// the Poll that read a peer's last datagram). Then, for each peer,
// GetPacket while AvailablePacketCount is not 0, and PutPacket the
// answers: on a polled Listener, PutPacket copies the datagram into the
// socket's send queue (at most 64 datagrams and 64 KiB; a full queue is
// sent at once), and the next Poll sends it, with the other peers'
// answers, in one sendmmsg. Godot's put_packet sends at once; a game that
// polls once a frame can call Poll again at the end of the frame to send
// without waiting for the next one. PollContext is Poll for a server loop:
// when nothing is waiting it sends the queued answers, then sleeps in the
// socket until a datagram arrives, its context ends or the Listener is
// closed. Close sends what is still queued. Served on one goroutine, with
// no hand-off, it costs what a raw recvmmsg/sendmmsg loop costs: in
// BenchmarkEchoRemotes (64 remotes, BENCHMARKS.md) the raw batched loop
// needs 0.99–1.05 times its CPU per echoed datagram and the plain
// ReadFrom/WriteTo loop 1.10–1.20 times (medians of four runs of 10
// paired passes), with no allocation. Accept and blocking reads on a
// polled Listener's peers wait for a Poll made elsewhere.
//
// # Drops and bad input
//
// UDP has no back-pressure, and neither has this package: like Godot, a
// datagram that does not fit in its peer's ring is dropped (the newest is
// dropped, queued ones are kept) and counted in Stats.DroppedFull. Datagrams
// larger than MaxPacketSize are dropped and counted in Stats.DroppedOversize
// (ListenerStats.DroppedOversize on a Listener, before any peer is made).
// Datagrams from new remotes beyond the pending cap are dropped and counted in
// ListenerStats.Refused; no memory is allocated for them. Transient
// socket errors (an ICMP port unreachable reported as ECONNREFUSED on a
// connected socket, for one) are counted in ReadErrors and reading goes on.
// Nothing in this package panics on received bytes: datagrams are queued as
// they are, and only PutVar/GetVar interpret them (package variant).
//
// ListenerStats embeds peer.ListenerStats, the counters every listener of
// this module reports: Pending, Accepted, and the remotes dropped by cause
// (Refused, Evicted: a pending peer closed by SetMaxPendingConnections or
// Close, Expired). With Config.Logger set, each drop is also logged at Info
// level with its cause, remote address and reason; without it nothing is
// logged.
//
// # Closing
//
// Closing a Dial or Bind peer closes its socket, ends its reader goroutine
// if it has one, and makes a ReadPacket or Wait blocked in it return.
// Closing an accepted peer only unregisters it: the next datagram
// from that remote makes a new pending peer, as in Godot. Closing a Listener
// closes its socket, every pending and accepted peer, and its goroutine.
// After Close every call returns an error matching net.ErrClosed. A closed
// peer cannot be re-bound, unlike Godot's; open a new one.
package udp
