// Package dtls is Godot 4's PacketPeerDTLS and DTLSServer in Go, on
// github.com/pion/dtls/v3: DTLS 1.2 over UDP, wire-compatible with a Godot
// game's PacketPeerDTLS (mbedTLS) in both directions, with the same *Peer
// shape as every packetpeer transport.
//
//	p, err := dtls.Dial(ctx, "game.example.com:4433", &dtls.Config{
//		TLS: dtls.ClientOptions(nil, ""), // system CAs, name checked
//	})
//
//	l, err := dtls.Listen(":4433", &dtls.Config{TLS: dtls.ServerOptions(cert)})
//	p, err := l.Accept(ctx)
//
// # Godot → Go
//
//	PacketPeerDTLS (with its PacketPeerUDP)
//	  connect_to_host + connect_to_peer  Dial (returns once connected)
//	  connect_to_peer(udp_peer, ...)     ConnectToPeer(ctx, udpPeer, hostname, cfg) over a *udp.Peer
//	  poll                               not needed: a goroutine reads
//	  get_status                         (*Peer).Status
//	  disconnect_from_peer               (*Peer).Close (sends close_notify)
//	  put_packet, get_packet             PutPacket, GetPacket
//	  put_var, get_var                   PutVar, GetVar (ReadVar blocks)
//	  get_available_packet_count         AvailablePacketCount
//	  get_packet_error                   PacketError
//	  get_max_packet_size                MaxPacketSize
//	  STATUS_DISCONNECTED .. STATUS_ERROR_HOSTNAME_MISMATCH
//	                                     StatusDisconnected .. StatusErrorHostnameMismatch (0..4)
//	UDPServer + DTLSServer
//	  listen + setup                     Listen(addr, &Config{TLS: ServerOptions(cert)})
//	  poll                               not needed: a goroutine reads
//	  is_connection_available            (*Listener).IsConnectionAvailable
//	  take_connection (both)             (*Listener).TakeConnection; Accept(ctx) waits
//	  get_local_port                     (*Listener).Addr
//	  stop                               (*Listener).Close
//	  max_pending_connections            Config.MaxPendingHandshakes, Config.MaxPendingConnections
//	DTLSServer alone, over a UDP peer the program holds
//	  setup(server_options)              NewServer(&Config{TLS: ServerOptions(cert)})
//	  take_connection(udp_peer)          (*Server).TakeConnection(ctx, udpPeer) (returns once connected)
//	TLSOptions
//	  client(trusted_chain, cn_override) ClientOptions(roots, commonNameOverride)
//	  client_unsafe(trusted_chain)       UnsafeClientOptions(roots)
//	  server(key, certificate)           ServerOptions(tls.Certificate)
//	  is_server, is_unsafe_client        IsServer, IsUnsafeClient
//
// Godot composes DTLS with a PacketPeerUDP the game already holds, which is
// how games secure a path opened by NAT punch-through; ConnectToPeer and
// Server.TakeConnection do the same over a connected *udp.Peer (from
// udp.Dial, a udp.Listener, or a bound peer after ConnectToHost). On
// success the DTLS peer owns the UDP peer and closes it with itself; on
// failure the UDP peer stays open.
//
// Differences from Godot's quirks: GetPacket with nothing queued returns an
// error matching peer.ErrUnavailable (Godot's mbedTLS peer returns OK and an
// empty packet); AvailablePacketCount counts queued packets (Godot's is 0 or
// 1); a handshake failure is StatusErrorHostnameMismatch only when the name
// really mismatched.
//
// Interoperability is tested in both directions, cookie exchange included,
// against mbedTLS configured as Godot configures it and against OpenSSL's
// s_server and s_client (mbedtls_test.go, openssl_test.go).
//
// # Authentication
//
// ClientOptions verifies the server's chain against the given roots (nil: the
// system bundle) and its name against the dialled host or the override.
// Failures are told apart as Godot does: ErrUntrustedCertificate for a chain
// that does not verify, ErrHostnameMismatch (HandshakeError.Status =
// StatusErrorHostnameMismatch) for a trusted certificate of another name.
// UnsafeClientOptions(nil) verifies nothing; UnsafeClientOptions(roots)
// verifies the chain only. Servers do not ask for client certificates. For
// development, package devcert makes a self-signed certificate whose PEM a
// Godot client loads with X509Certificate.load_from_string.
//
// Godot's connect_to_peer(udp, hostname, options) hands hostname to mbedTLS,
// which then sends a server_name extension with an empty name when hostname
// is "" (a client that does not check the server's name, with
// TLSOptions.client_unsafe()). pion refuses that ClientHello, so the
// Listener repairs such handshakes: pion gets the ClientHello without its
// server_name and extended_master_secret extensions, and the Listener
// translates the two Finished messages between the client's transcript and
// pion's, after checking the client's Finished against its own transcript
// (it learns the master secret from pion's key log). Such connections do
// not use the extended master secret; every other handshake is untouched.
// Only the AES-GCM suites below are repaired (DefaultCipherSuites).
//
// Cipher suites default to DefaultCipherSuites: ECDHE with ECDSA or RSA and
// AES-128/256-GCM, which Godot's mbedTLS offers and pion implements.
// Extended master secret is requested. Only DTLS 1.2 is spoken (Godot's
// mbedTLS has no DTLS 1.3 either).
//
// # Packets and limits
//
// One PutPacket is one DTLS application-data record in one UDP datagram;
// delivery is unreliable and unordered, as UDP. MaxPacketSize defaults to
// and is at most MaxPacketSizeLimit, 8155 bytes: pion reads a datagram into
// 8192 bytes, and a DTLS 1.2 AES-GCM record adds 37. Godot's PacketPeerDTLS
// advertises 488 (512 − 24) but does not enforce it, and mbedTLS sends
// records up to 16 KiB, so a Godot game's put_var of a few KiB reaches us;
// records over 8155 bytes from Godot are dropped. Packets above
// UnfragmentedPacketSize (1415) are IP-fragmented; keep frequent real-time
// traffic below it, and set Config.MaxPacketSize to enforce that. A larger
// PutPacket fails with
// peer.ErrInvalidParameter and sends nothing.
//
// Received packets wait in a bounded queue per peer
// (Config.ReceiveQueueBytes, default 128 KiB, and ReceiveQueuePackets,
// default 4096); when it is full new packets are dropped and counted in
// PeerStats().DroppedFull, as Godot's PacketPeerUDP drops the newest.
// PutPacket does not block on the network.
//
// # Handshakes, cookies and floods
//
// Every handshake is bounded by Config.HandshakeTimeout (default 10 s). The
// server answers a ClientHello with a HelloVerifyRequest cookie (pion's
// cookie exchange, which Godot's mbedTLS client and OpenSSL perform) and goes
// on only when the client echoes it, which proves the source address.
// pion keeps a little state per address while it waits for the echo, so the
// Listener bounds that state: at most Config.MaxPendingHandshakes (default
// 128) handshakes run at once, and when a new ClientHello finds them all
// taken it evicts the oldest one whose client has not echoed its cookie for
// a second (a spoofed or silent source), or, if there is none, is dropped
// and waits for the client's retransmission (mbedTLS and pion retransmit
// after 1 s). A flood of fake ClientHellos therefore costs a fixed amount of
// memory, and an honest client, who needs its slot for one round trip, gets
// in at a retransmission. (An evicted client that had already received its
// cookie cannot finish: pion only accepts the cookie its own connection
// issued, so eviction waits a second.) When no handshake is waiting for its
// cookie echo that long, the new ClientHello evicts the verified handshake
// (its client echoed the cookie) whose client has sent nothing for the
// longest time, provided that is at least a second: a client that proves
// its address and goes silent holds a slot for about a second under load,
// not the whole HandshakeTimeout. An honest client answers each server
// flight within a round trip (and pion and mbedTLS retransmit their own
// flight when an answer is lost, after 1 s, doubling with each loss), so
// only a client that is silent that long while newcomers compete for the
// last slot is evicted. A client that keeps sending without finishing is
// not silent; when no handshake qualifies by those two rules, a newcomer
// evicts the verified handshake that has run longest since its echo, once
// that is 3 s. While slots are free a slow handshake keeps its slot until
// HandshakeTimeout.
// Datagrams from unknown addresses that are not ClientHellos are ignored.
// Each connection's datagrams, handshake or not, wait for pion in a queue
// of 64 (more are dropped, as a full socket buffer would); idle, the queue
// holds no buffer, and it and its conn take under 1 KiB besides pion's own
// state.
//
// A ClientHello that pion cannot parse (except the empty server name below)
// is dropped at once instead of leaving a handshake to time out.
//
// Listener.Stats embeds peer.ListenerStats, the counters every listener of
// this module reports: Pending (handshakes running plus connections
// waiting for Accept), Accepted, and the connections dropped by cause:
// Refused (no free handshake slot, or the accept backlog full), Failed (a
// malformed ClientHello or a failed handshake: alert, bad certificate
// request, bad Finished), TimedOut (HandshakeTimeout), Evicted (by a newer
// ClientHello, see Stalled, or by Close before Accept). With Config.Logger
// set, each drop is also logged at Info level with its cause, the client's
// address and the error; without it nothing is logged.
//
// # Closing
//
// Close sends close_notify. The other side reads the packets already queued,
// then io.EOF, and its Status becomes StatusDisconnected. After Close every
// method returns an error matching net.ErrClosed. Closing a Listener closes
// every connection it accepted or is handshaking; no goroutine outlives it.
// Bad input from the network (garbage datagrams, bad records, oversized
// datagrams, a stray ClientHello) is dropped without effect on the
// connection.
//
// # Limits
//
// DTLS has no keep-alive: a client that vanishes without close_notify is
// noticed by Config.IdleTimeout, after a minute without a packet by default
// on the server side (its reads then fail with peer.ErrTimeout and the
// Listener counts it as Expired); a Dial peer has no idle timeout unless
// one is set, so a game that must notice a vanished server sets it or sends
// its own keep-alive. A client that restarts on the same source
// address while its old connection is still open cannot handshake again
// until that connection is closed (RFC 6347 §4.2.8 reconnection is not
// implemented; clients normally pick a new port). Connection IDs (RFC 9146)
// and session resumption are not used: Godot uses neither.
package dtls
