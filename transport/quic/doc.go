// Package quic carries packets over QUIC (quic-go): one encrypted UDP
// connection with reliable ordered packets and unreliable datagrams
// (RFC 9221), the transport Godot 4 does not have. Its Peer is a
// peer.PacketPeer like every other transport in this module, so code written
// against PutPacket/GetPacket/PutVar/GetVar switches to QUIC by changing an
// import, and it adds the transfer modes of Godot's MultiplayerPeer.
//
//	ln, _ := quic.Listen("127.0.0.1:4433", &quic.Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
//	p, _ := ln.Accept(ctx)          // server side
//	c, _ := quic.Dial(ctx, addr, &quic.Config{TLSConfig: &tls.Config{RootCAs: cert.Pool}})
//	c.PutPacket([]byte("hello"))    // reliable, ordered
//	c.PutPacketMode(pos, quic.TransferModeUnreliableOrdered)
//
// # Transfer modes
//
// Named and numbered as Godot's MultiplayerPeer.TransferMode:
//
//   - TransferModeReliable (2, the default, as in Godot): the packet goes on
//     the connection's one bidirectional stream, framed like Godot's
//     PacketPeerStream (a 4-byte little-endian length, then the payload).
//     Delivered exactly once, in order. At most Config.MaxPacketSize bytes
//     (default 65532, PacketPeerStream's limit).
//   - TransferModeUnreliable (0): one QUIC datagram. May be lost or
//     reordered, never retransmitted. At most MaxDatagramSize bytes (about
//     1200 at first, more once path MTU discovery finds a larger MTU).
//   - TransferModeUnreliableOrdered (1): one QUIC datagram with a 24-bit
//     sequence number; the receiver drops one that arrives after a later one
//     (counted in PeerStats().DroppedLate), so what arrives is in order.
//
// PutPacket and PutVar use the peer's mode (SetTransferMode); PutPacketMode
// chooses per packet. Packets of all modes arrive in ONE receive queue in
// arrival order, so a datagram can overtake reliable packets sent before it;
// PacketMode tells the mode of the packet last read. MaxPacketSize reports
// the limit of the peer's current mode.
//
// An unreliable packet larger than MaxDatagramSize is an error matching
// peer.ErrInvalidParameter that names both sizes; it is never silently
// dropped or fragmented. Send it reliably instead.
//
// # Wire protocol
//
// Both ends announce the ALPN protocol "packetpeer". The client opens the
// one bidirectional stream and writes an empty frame (QUIC shows the server
// a stream only once it carries data); the Listener answers with an empty
// frame when it has taken the connection, and Dial returns then. From there
// on each direction of the stream is a sequence of frames, a little-endian
// uint32 payload length and the payload, as Godot's PacketPeerStream; empty
// frames are skipped (a Peer never sends an empty packet). A datagram is a
// mode byte (0 or 1), a 24-bit little-endian sequence number (0 when
// unordered) and the payload. The end of the stream means the sender
// closed; the receiver then closes the connection with application error
// code 0. Any other code is the Godot error code of the reason, e.g. 30
// (ERR_INVALID_DATA) for an oversized frame.
//
// # Godot → Go
//
//	PacketPeer.put_packet / get_packet          PutPacket / GetPacket (ReadPacket blocks)
//	PacketPeer.put_var / get_var                PutVar / GetVar (ReadVar blocks)
//	PacketPeer.get_available_packet_count       AvailablePacketCount
//	PacketPeer.get_max_packet_size              MaxPacketSize
//	PacketPeer.get_packet_error                 PacketError
//	PacketPeer.encode_buffer_max_size           EncodeBufferMaxSize / SetEncodeBufferMaxSize
//	MultiplayerPeer.transfer_mode               TransferMode / SetTransferMode
//	MultiplayerPeer.get_packet_mode             PacketMode
//	MultiplayerPeer.TRANSFER_MODE_*             TransferModeUnreliable, ...UnreliableOrdered, ...Reliable
//	StreamPeerTCP.connect_to_host               Dial
//	StreamPeerTCP.get_connected_host/port       RemoteAddr
//	StreamPeerTCP.disconnect_from_host          Close
//	TCPServer.listen                            Listen
//	TCPServer.is_connection_available           Listener.IsConnectionAvailable
//	TCPServer.take_connection                   Listener.TakeConnection (Accept blocks)
//	TCPServer.get_local_port                    Listener.Addr
//	TCPServer.stop                              Listener.Close
//	TLSOptions.client(trusted_chain)            Config.TLSConfig.RootCAs
//	TLSOptions.client_unsafe()                  Config.UnsafeSkipVerify
//	TLSOptions.server(key, cert)                Config.TLSConfig.Certificates
//
// # TLS
//
// QUIC is always encrypted. A Listener needs a certificate; for development
// package devcert makes a self-signed one, and a client trusts it through
// RootCAs: devcert.New() → Config{TLSConfig: &tls.Config{RootCAs: cert.Pool}}.
// Config.UnsafeSkipVerify accepts any certificate and is for development
// only. Both ends announce the ALPN protocol DefaultALPN ("packetpeer")
// unless TLSConfig.NextProtos says otherwise.
//
// # Defaults, limits and back-pressure
//
// Received packets wait in a bounded queue (Config.ReceiveQueueBytes,
// default 128 KiB, allocated on the first packet; Config.ReceiveQueuePackets,
// default 4096). When it is full, the reliable reader stops reading and QUIC
// flow control makes the sender's PutPacket wait (back-pressure); WritePacket
// waits at most until its context ends. Datagrams that find the queue full are
// dropped and counted (PeerStats().DroppedFull). PutPacket of an unreliable packet waits only while
// quic-go's send queue of 32 datagrams is full.
//
// Connections close after Config.IdleTimeout (default 30 s) without any
// packet from the other end, with an error matching peer.ErrTimeout;
// keep-alives (Config.KeepAlivePeriod, default 10 s) prevent that while the
// other end is alive. Close sends the end of the reliable stream and waits
// up to Config.CloseTimeout (default 1 s) for the remote end to read it, so
// packets put just before Close arrive; the remote end then reads them and
// io.EOF. Listener.Close closes every connection at once.
//
// A Listener holds at most Config.MaxPendingConnections connections that
// are either handshaken but still waiting for the client to open its
// reliable stream, or ready and waiting for Accept/TakeConnection. When a
// new connection finds every slot taken, the Listener evicts the connection
// that has waited longest for its stream, provided it has waited at least a
// second (an honest client opens the stream together with the end of its
// handshake), closing it with the QUIC application error code of
// peer.ErrBusy; the newcomer takes its slot. Connections ready for Accept are
// never evicted: if the application does not take them, new clients wait
// (quic-go queues a few, then refuses more). While slots are free nothing is
// evicted, and a slow client gets the whole HandshakeTimeout. So clients
// that finish the TLS handshake and never open the stream cannot keep others
// out; each costs its sender a full handshake and holds a slot about a
// second.
//
// # Listener drops
//
// Listener.Stats counts the connections waiting for their stream and
// pending, and every connection the Listener drops, by cause
// (ListenerStats embeds peer.ListenerStats): Failed for a TLS handshake
// that failed (seen through quic-go's Transport.ConnContext, so even a
// handshake quic-go ends on its own leaves a trace) or a client that closed
// before opening its stream; TimedOut for a handshake, or an opening of the
// stream, that took longer than HandshakeTimeout; Evicted as described above
// and for connections not taken at Close; Refused for connections quic-go
// refused with its queue full or that ended while waiting for a slot;
// Expired for accepted connections that reached IdleTimeout. With
// Config.Logger set, each drop is also logged at Info level with its cause,
// remote address and error.
//
// # Connection migration
//
// A QUIC connection is identified by connection IDs, not by addresses: a
// client whose address changes (a NAT rebinding, Wi-Fi to mobile) keeps its
// connection, and the server's RemoteAddr follows it. A client can also move
// on purpose with Peer.Migrate, which probes the server from a new UDP
// socket and switches to it.
//
// # Bad input
//
// A reliable frame longer than the receiver's Config.MaxPacketSize (for
// example a hostile 2 GiB length) or a malformed datagram header closes the
// connection before anything is allocated for it; reads then fail with an
// error matching peer.ErrInvalidData, and the remote end sees the same Godot
// code as the QUIC application error code. A reliable stream that the remote
// end ends (FIN) in the middle of a frame, its header included, is a
// truncated frame, as on every reliable transport of this module: the whole
// packets before it are still returned, then reads fail with an error
// matching both peer.ErrConnectionError (Godot's ERR_CONNECTION_ERROR, the
// code the connection is closed with) and io.ErrUnexpectedEOF. Errors the
// remote end closes with are matched by their Godot code; other connection
// failures match peer.ErrConnectionError.
//
// # UDP buffer warning
//
// quic-go asks the kernel for about 7 MiB UDP buffers and logs a warning
// once per process when it gets less (many Linux systems cap
// net.core.rmem_max at a few MiB). It is harmless at game traffic rates. Raise
// the limit (sysctl -w net.core.rmem_max=7500000 net.core.wmem_max=7500000)
// or set QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING=true to silence it; this
// package's tests set the variable.
package quic
