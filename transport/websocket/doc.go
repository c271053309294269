// Package websocket is Godot 4's WebSocketPeer for Go, on
// github.com/gorilla/websocket. Its peers talk to a Godot game's
// WebSocketPeer (native or web export), to a browser's WebSocket and to
// other Go programs, client or server side, over ws:// and wss://.
//
// A *Peer embeds *peer.Peer, so PutPacket, GetPacket, PutVar, GetVar,
// ReadPacket and the rest behave as on every packetpeer transport; switching
// transport is a change of import. PutPacket and PutVar send binary
// messages, as Godot's put_packet and put_var do.
//
//	l, _ := websocket.Listen(":9080", nil)        // server
//	p, _ := l.Accept(ctx)
//	v, _ := p.ReadVar(ctx)
//
//	p, _ := websocket.Dial(ctx, "ws://host:9080/", nil) // client
//	p.PutVar(map[string]any{"type": "join"})
//
// To serve WebSocket beside other pages on your own http.Server, mount a
// Handler (NewHandler) or call Upgrade in your handler; see "Your own
// http.Server" below. Any server loop can use peer.Serve (or peer.Server)
// with a Listener.
//
// # Godot → Go
//
//	WebSocketPeer.connect_to_url(url, tls)     Connect(url, cfg) (returns at once, StateConnecting),
//	                                            or Dial(ctx, url, cfg) (returns when open)
//	WebSocketPeer.accept_stream(stream)         Upgrade(w, r, cfg), Handler, Listener.Accept
//	TCPServer.is_connection_available()         Listener.IsConnectionAvailable, Handler.IsConnectionAvailable
//	TCPServer.take_connection() + accept_stream Listener.TakeConnection, Handler.TakeConnection
//	poll()                                      not needed: goroutines do the I/O
//	get_ready_state()                           Peer.ReadyState (StateConnecting 0 .. StateClosed 3)
//	send(data, write_mode)                      Peer.Send(data, WriteModeText|WriteModeBinary)
//	send_text(s)                                Peer.SendText(s)
//	put_packet / get_packet                     Peer.PutPacket / Peer.GetPacket (Peer.ReadPacket blocks)
//	put_var / get_var                           Peer.PutVar / Peer.GetVar (Peer.ReadVar blocks)
//	get_available_packet_count()                Peer.AvailablePacketCount
//	get_packet_error()                          Peer.PacketError
//	was_string_packet()                         Peer.WasStringPacket
//	close(code = 1000, reason = "")             Peer.CloseWithCode(code, reason); Peer.Close() = 1000, then release
//	get_close_code() / get_close_reason()       Peer.CloseCode / Peer.CloseReason
//	get_connected_host() / get_connected_port() Peer.ConnectedHost / Peer.ConnectedPort (Peer.RemoteAddr)
//	get_requested_url()                         Peer.RequestedURL
//	get_selected_protocol()                     Peer.SelectedProtocol
//	get_current_outbound_buffered_amount()      Peer.CurrentOutboundBufferedAmount
//	set_no_delay(enabled)                       Peer.SetNoDelay
//	supported_protocols                         Config.SupportedProtocols
//	handshake_headers                           Config.HandshakeHeaders
//	inbound_buffer_size                         Config.InboundBufferSize
//	outbound_buffer_size                        Config.OutboundBufferSize
//	max_queued_packets                          Config.MaxQueuedPackets
//	heartbeat_interval                          Config.HeartbeatInterval
//	WebSocketMultiplayerPeer.handshake_timeout  Config.HandshakeTimeout
//
// Go additions: Peer.WritePacket (PutPacket that waits for room),
// Peer.Disconnected (a channel closed at StateClosed), Peer.Request and
// Peer.ResponseHeader (the handshake's HTTP headers), Config.CheckOrigin and
// Config.AllowedOrigins, Config.CloseTimeout, ConfigureServer and
// WrapListener (for a Handler on your own http.Server).
//
// # Your own http.Server
//
// Listen owns its http.Server and sets it up for WebSocket: HTTP/1.1 only,
// so browsers open wss:// with the HTTP/1.1 upgrade (over HTTP/2 they would
// need RFC 8441's extended CONNECT, which neither this package nor Godot
// speaks); writes coalesced (WrapListener); and Close closes every peer.
// A Handler on your own server needs the same three things:
//
//	h, _ := websocket.NewHandler(cfg, serve)
//	mux.Handle("/ws", h)
//	hs := &http.Server{Handler: mux}
//	websocket.ConfigureServer(hs, h) // HTTP/1.1 only; Shutdown closes the peers
//	go hs.ServeTLS(websocket.WrapListener(ln), certFile, keyFile) // or hs.Serve
//	...
//	hs.Shutdown(ctx) // stops HTTP, starts closing every peer (code 1001)
//	h.Close()        // waits until they are closed and every serve function returned
//
// An http.Server's Shutdown and Close never close WebSocket connections by
// themselves: upgraded connections are hijacked, out of its reach. Without
// WrapListener a peer writes frame by frame, several times slower for
// bursts of small messages (BENCHMARKS.md).
//
// # Multiplayer (WebSocketMultiplayerPeer)
//
// MultiplayerPeer is Godot 4's WebSocketMultiplayerPeer, wire-compatible
// with it: it embeds *multiplayer.Peer (ids, targets, events; see package
// multiplayer) and passes multiplayertest.
//
//	WebSocketMultiplayerPeer.create_server(port, bind_address, tls_server_options)
//	                                            CreateServer(addr, cfg) (TLS: cfg.TLSConfig)
//	create_client(url, tls_client_options)      CreateClient(url, cfg) (returns ConnectionConnecting),
//	                                            or DialClient(ctx, url, cfg) (returns when it has its id)
//	get_peer(id)                                MultiplayerPeer.GetPeer(id) (*Peer; id 1 on a client)
//	get_peer_address(id) / get_peer_port(id)    MultiplayerPeer.PeerAddress / PeerPort
//	supported_protocols, handshake_headers,     Config.SupportedProtocols, HandshakeHeaders,
//	inbound/outbound_buffer_size,               InboundBufferSize, OutboundBufferSize,
//	max_queued_packets, handshake_timeout       MaxQueuedPackets, HandshakeTimeout
//	(none)                                      NewMultiplayerServer(cfg) + AddPeer(ws): a server fed by your
//	                                            own Listener or Handler, e.g. one session per URL path
//
// The wire: when a client's WebSocket opens, the server sends it one 4-byte
// binary message, its id as int32 little-endian (a random id in
// [2, 2^31-1] not in use); then every message, either way, is one packet
// with no header. A client accepts only a first message of exactly 4 bytes
// holding an id >= 2 (DialClient fails with peer.ErrInvalidData otherwise)
// and gives up when the TCP, TLS and WebSocket handshakes and the id take
// longer than HandshakeTimeout (peer.ErrTimeout). A server drops clients
// that do not finish TLS and the upgrade within HandshakeTimeout, and drops
// new clients without a word while SetRefuseNewConnections(true) holds;
// Stats counts both. Packets are always reliable on channel 0 whatever the
// transfer settings; MaxPacketSize is OutboundBufferSize - 9, as Godot
// reports it. A server queues at most 1 MiB of received packets for
// GetPacket, whatever the number of clients; past that its readers stop and
// TCP flow control holds the clients back: nothing is dropped. Close drops
// every connection without a close frame, as Godot's close().
//
// Where it differs from Godot 4.6, on purpose: ids are never handed out
// twice (Godot does not check); a put to one peer returns that peer's
// send error (ErrOutOfMemory when its queue is full) and a broadcast returns
// the first one after sending to all (Godot returns OK); packets a peer sent
// before its connection closed are delivered, on a client too after its
// session ended (Godot drops what it had not fetched); while refusing, new
// connections are accepted and dropped rather than left in the kernel's
// backlog; Config.HeartbeatInterval applies to the multiplayer peer's
// connections (Godot does not forward heartbeat_interval); PacketPeer is 0,
// not 1, when nothing is queued.
//
// # Defaults and limits
//
// Godot's: messages up to 65535 bytes each way (InboundBufferSize,
// OutboundBufferSize), at most 4096 messages queued (MaxQueuedPackets), no
// heartbeat; a 3 s handshake timeout (WebSocketMultiplayerPeer's) and a 3 s
// closing-handshake timeout. MaxPacketSize is OutboundBufferSize.
// Compression (permessage-deflate) is never negotiated: Godot drops
// compressed frames.
//
// # Back-pressure and slow peers
//
// Sending never blocks: Send, SendText, PutPacket and PutVar copy the
// message into an outbound queue written by one goroutine per peer. When
// MaxQueuedPackets messages or OutboundBufferSize bytes are queued they fail
// with an error matching peer.ErrOutOfMemory, as Godot's send does, so a
// slow or stalled client can never stall a server loop; drop it or retry
// later. WritePacket waits for room instead. The writer sends everything
// queued in one go: on connections made by Dial, Connect and Listen the
// frames of a burst leave in one system call (up to 16 KiB), which makes
// bursts of small messages several times faster than writing them one by
// one. Peers from Upgrade and Handler do the same when your http.Server
// serves a listener wrapped with WrapListener, and write frame by frame
// otherwise.
//
// Receiving: one goroutine per peer reads messages into a bounded queue
// (about InboundBufferSize bytes, at most MaxQueuedPackets messages). When
// the queue is full it stops reading the socket, so TCP flow control slows
// the sender down: nothing is dropped, as in Godot.
//
// # Closing
//
// CloseWithCode(code, reason) starts the closing handshake: queued messages
// are sent, then the close frame; the state is StateClosing until the
// remote's close frame arrives (StateClosed), or CloseTimeout passes (the
// connection is dropped, CloseCode -1). A negative code drops the
// connection at once. Close does the same with code 1000, waits for the end
// and releases everything; afterwards every call returns an error matching
// net.ErrClosed. When the remote closes, packets it sent before remain
// readable; then GetPacket and ReadPacket return a *CloseError, which
// matches io.EOF for a normal close (1000, 1001, no code). Unlike Godot,
// GetPacket keeps returning queued packets in StateClosing and StateClosed
// (except after a local close, which discards them as Godot does), so
// nothing the remote sent is lost.
//
// A connection that ends without a close frame reports CloseCode -1. When
// it ends inside a frame (a message cut short: the remote's TCP connection
// closed mid-frame), every whole message before it is still delivered, then
// the *CloseError matches both peer.ErrConnectionError (Godot's
// ERR_CONNECTION_ERROR) and io.ErrUnexpectedEOF with errors.Is; one that
// ends between frames matches peer.ErrConnectionError only.
//
// # Bad input
//
// A message bigger than InboundBufferSize fails the connection with close
// code 1009 ("Message too big"); a malformed frame (reserved bits, unknown
// opcode, unmasked client frame, bad close code, a close frame with a 1-byte
// payload, fragmented control frame) with 1002 ("Protocol error");
// CloseCode reports the code sent and the final read error matches
// peer.ErrOutOfMemory or peer.ErrInvalidData.
//
// After failing a connection this side does not close the socket at once:
// with the rest of the remote's message unread, the kernel would reset the
// connection and the remote (a browser, so every Godot web export) would see
// 1006 instead of the code. As RFC 6455 7.1.1 asks, it sends the close
// frame, half-closes (TLS close_notify and TCP FIN), and reads and discards
// what arrives until the remote's close frame or end of stream, at most
// 4 MiB and at most CloseTimeout; then it closes. Nothing read is kept (a
// fixed 4 KiB buffer on the reader's stack), so a remote that floods or
// trickles costs no memory and holds the connection for CloseTimeout at
// most. The peer is in StateClosing meanwhile.
//
// A client that does not finish TLS and the upgrade request within
// HandshakeTimeout is disconnected. A heartbeat peer that stops answering
// pings is dropped (CloseCode -1, the read error matches peer.ErrTimeout).
//
// # Dropped connections
//
// Listener.Stats and Handler.Stats count what was handed out and what was
// dropped, by cause (peer.ListenerStats): refused (pending queue full,
// HTTP 503 or close code 1013; or closed), failed (a bad upgrade request,
// Origin or subprotocol; on a Listener also TLS or HTTP errors before the
// request), timed out (a Listener's client that did not finish TLS and the
// request within HandshakeTimeout) and evicted (pending when the Listener or
// Handler closed). With Config.Logger set each drop is also logged at Info
// level; nil logs nothing.
//
// # Handshake interop
//
// Requests and responses follow what Godot's client and server check
// (exactly "Connection: Upgrade"; one comma-separated
// Sec-WebSocket-Protocol header; no extensions). A server never answers a
// subprotocol the client did not offer; it picks the first protocol in the
// client's list that it supports and refuses the upgrade with HTTP 400 when
// none matches or when it requires one and the client offered none, as
// Godot's server does. A client fails the dial when the server's answer is
// not one it offered (or is missing while it offered some), as Godot's
// client does.
//
// Origin: browsers send an Origin header, Godot and Go clients do not.
// By default a request with an Origin is accepted only from the same host
// (gorilla/websocket's rule); set AllowedOrigins or CheckOrigin to allow
// pages served elsewhere.
package websocket
