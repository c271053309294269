// Package webrtc is Godot 4's WebRTCPeerConnection and WebRTCDataChannel on
// pion/webrtc, so that a Godot 4 game (with the webrtc-native plugin, or a
// web export) or a browser can open data channels to a Go program.
//
// # Three levels
//
// Dial and Listen are the quick way: they use a signalling server that
// speaks Godot's webrtc_signaling demo protocol (package signaling, whose
// Server a Go program can run itself; Godot's own GDScript and Node.js demo
// servers work too) and return a connected *Peer, like every transport of
// this module:
//
//	l, err := webrtc.Listen("ws://signal.example:8080/signal", &webrtc.Config{Lobby: "game"})
//	p, err := l.Accept(ctx)   // a member of lobby "game" connected
//	p.PutVar(map[string]any{"hello": "godot"})
//
//	p, err := webrtc.Dial(ctx, "ws://signal.example:8080/signal", &webrtc.Config{Lobby: "game"})
//
// The Listener hosts the lobby (it is peer 1, Godot's client-server mode);
// each member that joins gets a PeerConnection with the channels of
// Config.Channels, by default the negotiated channels of Godot's
// WebRTCMultiplayerPeer (1 "reliable", 2 "ordered", 3 "unreliable"), so a
// Godot game using WebRTCMultiplayerPeer with the demo's signalling client
// connects as is. The returned Peer is the first channel; the others are
// p.Connection().Channel(label). Closing the Peer closes its connection.
// Dial and Accept return only once every channel is open.
//
// Listener.Stats counts the members handed out and those dropped, by cause
// (peer.ListenerStats): failed (an offer, answer or candidate that cannot
// be used, or a member that left before connecting), timed out (channels
// not open within HandshakeTimeout), evicted (the member joined again
// first, or the Listener closed) and refused (joined after Close). With
// Config.Logger set each drop is also logged at Info level; nil logs
// nothing.
//
// PeerConnection is Godot's class itself, for applications with their own
// signalling: create channels, CreateOffer, pass descriptions and candidates
// between the peers, exactly as in GDScript. Its events (Godot's signals)
// are Config handlers.
//
// MultiplayerPeer is Godot's WebRTCMultiplayerPeer (CreateServer,
// CreateClient, CreateMesh, AddPeer): a multiplayer.MultiplayerPeer with one
// PeerConnection per remote peer and Godot's negotiated channel layout, so
// Godot games using WebRTCMultiplayerPeer talk to it as to another Godot.
// ListenMultiplayer and DialMultiplayer add the signalling, as Godot's
// webrtc_signaling demo does:
//
//	srv, err := webrtc.ListenMultiplayer("ws://signal.example:8080/signal",
//		&webrtc.MultiplayerConfig{Connection: &webrtc.Config{Lobby: "game"}})
//	ev, err := srv.ReadEvent(ctx) // PeerConnected(id) for each member
//
// DataChannel is Godot's WebRTCDataChannel and a PacketPeer: it embeds
// *peer.Peer (PutPacket, GetPacket, PutVar, GetVar, ReadPacket, ReadVar,
// ...) and passes the peertest conformance suite, reliable and unreliable.
//
// # Godot → Go
//
// WebRTCPeerConnection:
//
//	new() + initialize(config)            NewPeerConnection(&Config{ICEServers: ...})
//	create_data_channel(label, options)   CreateDataChannel(label, &DataChannelConfig{...})
//	create_offer()                        CreateOffer
//	set_local_description(type, sdp)      SetLocalDescription(typ, sdp)
//	set_remote_description(type, sdp)     SetRemoteDescription(typ, sdp)
//	add_ice_candidate(media, index, name) AddICECandidate(media, index, name)
//	poll()                                (not needed: handlers are called as events happen)
//	close()                               Close
//	get_connection_state()                ConnectionState (StateNew ... StateClosed)
//	get_gathering_state()                 GatheringState
//	get_signaling_state()                 SignalingState
//	session_description_created signal    Config.OnSessionDescription
//	ice_candidate_created signal          Config.OnICECandidate
//	data_channel_received signal          Config.OnDataChannel
//	set_default_extension                 (none: this package is the implementation)
//
// WebRTCDataChannel (plus PacketPeer's methods from *peer.Peer):
//
//	write_mode / set_write_mode           WriteMode / SetWriteMode (WriteModeText 0, WriteModeBinary 1)
//	was_string_packet()                   WasStringPacket
//	get_ready_state()                     ReadyState (ChannelConnecting, ChannelOpen, ChannelClosing, ChannelClosed)
//	get_buffered_amount()                 BufferedAmount
//	get_id()                              ID (Unset = 65535 until known)
//	get_label() / get_protocol()          Label / Protocol
//	get_max_packet_life_time()            MaxPacketLifeTime (Unset = 65535 for none)
//	get_max_retransmits()                 MaxRetransmits (Unset = 65535 for none)
//	is_negotiated() / is_ordered()        IsNegotiated / IsOrdered
//	close()                               Close
//	poll()                                (not needed)
//
// The create_data_channel options dictionary is DataChannelConfig; its zero
// value is Godot's default (reliable, ordered, in-band). Ordered,
// MaxPacketLifeTime and MaxRetransmits are pointers because "unset" differs
// from 0; use Ptr: DataChannelConfig{Ordered: Ptr(false), MaxRetransmits: Ptr(0)}.
// Setting both limits, or values outside their ranges, is refused with
// ErrInvalidParameter as Godot refuses them.
//
// # Events
//
// Handlers in Config run one at a time, in order, on a goroutine of the
// PeerConnection (Godot emits its signals from poll, on the caller's
// thread). They may call the PeerConnection's methods. After Close no
// handler is called. Candidates passed to AddICECandidate before the remote
// description are kept and applied with it.
//
// # Sending
//
// PutPacket sends one message. On a channel that is not open (still
// connecting, or closed by the remote side) it returns an error matching
// peer.ErrFailed at once, as Godot's put_packet returns FAILED; it never
// waits for the channel to open (Dial and Accept return open channels;
// otherwise use WaitOpen or Opened). When more than Config.MaxBufferedAmount
// bytes (default 1 MiB) are queued to send, PutPacket waits until the queue
// drains to half of that, or the channel closes: back-pressure rather than
// an unbounded queue. Text write mode sends the bytes as a string message
// (PPID 51), which a browser delivers as a string.
//
// # Receiving, limits and drop policy
//
// Each channel copies incoming messages into a bounded queue
// (Config.ReceiveBufferBytes, default 1 MiB, and ReceiveBufferPackets,
// default 4096). GetPacket never blocks and returns an error matching
// peer.ErrUnavailable when the queue is empty; the slice stays valid until
// the next read, as in Godot (ReadPacket returns a packet the caller owns).
// When the queue is full:
//   - on a reliable channel the receiving stops until the application reads
//     (SCTP flow control then slows the sender; no message is ever lost;
//     note that the SCTP association is shared, so other channels of the
//     same connection pause as well);
//   - on an unreliable channel (MaxPacketLifeTime or MaxRetransmits set) the
//     new message is dropped and counted (Dropped), like Godot's
//     PacketPeerUDP.
//
// When the remote side closes the channel, queued messages are still read,
// then GetPacket returns io.EOF (or an error matching ErrConnectionError if
// the connection failed). After Close every call returns an error matching
// net.ErrClosed.
//
// The largest message (MaxPacketSize) is Config.MaxMessageSize, default
// 65535 bytes, or less if the remote peer advertises less in its SDP
// (max-message-size). PutPacket refuses bigger packets with
// ErrInvalidParameter and sends nothing; bigger incoming messages end the
// channel (pion refuses them). Why 65535: it is what a peer must assume when
// the other advertises no limit (pion's "unset" value; RFC 8841 says
// 64 KiB) and what every browser, pion and Godot's webrtc-native
// (libdatachannel) accept. pion v4.2.26 (with sctp v1.12.0 and datachannel
// v1.6.3, this module's versions) no longer has the old 65535-byte receive
// cap, and honours the remote's advertised limit when sending. Two Godot
// caveats: Godot's native plugin reports get_max_packet_size() 16384 (RFC
// 8831's advice for interop, not a hard limit), and a Godot web export
// queues received messages in a 64 KiB ring with 5 bytes of overhead each
// (project setting network/limits/webrtc/max_channel_in_buffer_kb), so it
// drops messages over 65530 bytes; keep messages to a Godot web game
// smaller, e.g. set MaxMessageSize to 16384.
//
// # Tests on one machine
//
// Config.LoopbackOnly gathers only 127.0.0.1 UDP candidates (loopback
// candidates included, UDP over IPv4 only, no STUN, no mDNS). This
// package's tests use it, and also work inside a network namespace that has
// nothing but lo. For a browser on the same machine, Chromium needs
// --allow-loopback-in-peer-connection, and camera/microphone permission so
// that it does not hide its host candidates behind mDNS names (see
// examples/chat/webrtc).
//
// Close waits for pion's goroutines (pion's GracefulClose), so no goroutine
// of this package or of pion outlives a closed PeerConnection.
package webrtc
