// Package peer is the contract every packetpeer transport implements: Go's
// take on Godot 4's PacketPeer.
//
// # Using a peer
//
// Every transport (transport/udp, transport/stream, transport/dtls,
// transport/websocket, transport/webrtc, transport/quic) returns a peer type
// that embeds *Peer, so all of them have the same methods, under Godot's names:
//
//	Godot PacketPeer                 Go
//	put_packet(buffer)               PutPacket(p []byte) error
//	get_packet()                     GetPacket() ([]byte, error)   // never blocks
//	get_available_packet_count()     AvailablePacketCount() int
//	get_packet_error()               PacketError() error
//	put_var(var, full_objects)       PutVar(v any) error           // + SetEncodeOptions
//	get_var(allow_objects)           GetVar() (any, error)         // + SetDecodeOptions
//	encode_buffer_max_size           EncodeBufferMaxSize, SetEncodeBufferMaxSize
//	(none: Godot polls)              ReadPacket(ctx), ReadVar(ctx) // block until a packet
//	(none)                           ReadVarInto(ctx, &v)          // ReadVar into a struct
//	(none)                           AppendPacket(ctx, dst)        // ReadPacket into your buffer
//	(none)                           WritePacket(ctx, p)           // PutPacket that waits at most until ctx ends
//	(none)                           WriteVar(ctx, v)              // PutVar that waits, as WritePacket
//	(none)                           PeerStats()                   // packets dropped, by cause
//	(per transport close method)     Close() error
//
// GetPacket returns an error matching ErrUnavailable when nothing is queued;
// ReadPacket waits for a packet, for ctx to end, or for Close.
//
// # Concurrency
//
// A peer is safe for concurrent use: any number of goroutines may put
// (PutPacket, PutVar, WritePacket, WriteVar) and any number may read with ReadPacket, AppendPacket,
// ReadVar, ReadVarInto and GetVar at once, as with a net.Conn. Each packet
// goes to exactly one reader, whole. Who owns the bytes a read returns is
// said once, under Buffers.
//
// # Buffers
//
// The one rule, by method:
//
//	GetPacket            the transport's buffer, reused: valid until the next read of
//	                     any kind on the peer (Godot's rule); copy it to keep it. For
//	                     one goroutine that polls.
//	ReadPacket           a new slice the caller owns (one allocation of the packet's size).
//	AppendPacket(dst)    appended to dst, which the caller owns; allocates nothing once
//	                     dst is big enough. For hot loops.
//	GetVar, ReadVar,     decoded values never share memory with any buffer.
//	ReadVarInto
//	PutPacket, PutVar,   the peer keeps nothing of p or v after the call returns.
//	WritePacket, WriteVar
//
// Readers that share a peer use anything but GetPacket. Other docs in this
// module refer here rather than repeating the rule.
//
// PutVar and GetVar use Godot's binary Variant encoding (package variant), the
// bytes of var_to_bytes, so a Go program and a Godot game exchange values
// directly. PutVar refuses encodings larger than EncodeBufferMaxSize (8 MiB by
// default) with ErrOutOfMemory and sends nothing. GetVar refuses full objects
// with ErrUnauthorized unless SetDecodeOptions allows them, as Godot does.
//
// An empty packet is never sent: PutPacket(nil) returns nil, as in Godot.
//
// Code written against the PacketPeer interface works with every transport.
//
// # Listening
//
// Every transport's *Listener is a Listener of its *Peer: Accept(ctx),
// TakeConnection and IsConnectionAvailable (Godot's polling names), Addr,
// Close and ListenerStats, which counts what is pending, what was handed
// out, and what was dropped, by DropCause. A listener holds at most
// DefaultMaxPendingConnections (16, Godot's max_pending_connections
// default) connections unless its config says otherwise, or where Godot has
// no such limit (websocket and quic hold 128, so that a burst of clients
// reconnecting after a restart is not refused). Close ends a
// waiting Accept with an error matching net.ErrClosed, makes
// IsConnectionAvailable false and closes every connection never taken,
// counting it as DropEvicted.
//
// # Serving
//
// Serve is the accept loop of a server, for any transport's listener: it
// runs a handler in a goroutine per peer and closes the peer when the
// handler returns; when its context ends it closes the listener and every
// peer and returns once every handler has. Server does the same with
// http.Server's shape: Serve on one or more listeners, a graceful Shutdown
// that lets handlers finish (say goodbye, save state) before it closes the
// peers, and Close.
//
//	err := peer.Serve(ctx, l, func(ctx context.Context, p *udp.Peer) {
//		for {
//			var m Move
//			if err := p.ReadVarInto(ctx, &m); err != nil {
//				return // ctx ended, the peer closed, or bad data
//			}
//			...
//		}
//	})
//
// Every transport's Listener.Close also closes the peers it accepted, so
// Server.Shutdown closes its listeners only after the handlers are done.
//
// # Errors
//
// Godot's Error enum is here as sentinels (ErrUnavailable = 2,
// ErrOutOfMemory = 6, ErrInvalidData = 30, ...); package variant's sentinels
// are the same values. Every error of a peer or listener has one shape, an
// *OpError: the operation, the transport, Godot's code and the cause, read as
//
//	udp: put packet: packet of 70000 bytes exceeds MaxPacketSize 65507 (ERR_INVALID_PARAMETER)
//	quic: read var: variant: ERR_INVALID_DATA: string length 9 exceeds the 4 bytes left (at byte 4)
//	websocket: write packet: context deadline exceeded (ERR_TIMEOUT)
//
// errors.Is matches the Godot sentinel (peer.ErrInvalidParameter), and the
// cause: net.ErrClosed after Close (every call then fails so; ErrClosed is
// net.ErrClosed), io.ErrUnexpectedEOF for a cut packet, ctx.Err() for a
// context that ended (with ErrTimeout); errors.As finds the cause's type
// (*variant.Error with its Offset, *websocket.CloseError with its code,
// *dtls.HandshakeError with its Status). Decoders that report where the input
// went wrong have their own types, *variant.Error and *scene.Error, which
// unwrap to the same sentinels.
//
// # How a connection ends
//
// However a connection ends, every whole packet received before is still
// delivered; then reads (ReadPacket, AppendPacket, ReadVar, and GetPacket
// once the queue is empty) return an error that matches, with errors.Is:
//
//	event                  stream      websocket   quic        udp         dtls        webrtc
//	remote closed cleanly  io.EOF      io.EOF (1)  io.EOF      (2)         io.EOF      io.EOF
//	remote cut a packet    Cut (3)     Cut (3)     Cut (3)     -           -           -
//	remote socket closed   io.EOF (4)  ConnErr (4) -           -           -           -
//	remote silent          ErrTimeout  waits (5)   waits (6)   ErrTimeout  ErrTimeout  waits (6)
//	remote vanished (7)    ErrTimeout  ErrTimeout  ErrTimeout  ErrTimeout  ErrTimeout  ConnErr (8)
//	local Close            ErrClosed   ErrClosed   ErrClosed   ErrClosed   ErrClosed   ErrClosed
//
// Cut matches both ErrConnectionError (Godot's ERR_CONNECTION_ERROR) and
// io.ErrUnexpectedEOF, never io.EOF, so a caller can tell a clean end from
// a cut one; ConnErr matches ErrConnectionError alone. ErrTimeout comes
// after the transport's idle timeout: stream's, udp's and dtls's
// Config.IdleTimeout (one minute for a Listener's peers, none by default
// for dialed ones), quic's Config.IdleTimeout (30 s), websocket's
// Config.HeartbeatInterval (off by default). "waits" means no error: a read waits until its context
// ends.
//
//  1. A close frame with code 1000, 1001 or none; another code gives a
//     *websocket.CloseError carrying it.
//  2. UDP has no close: the remote's Close sends nothing, so this is
//     "remote silent".
//  3. The connection ended inside a packet (a frame header announced more
//     bytes than came): stream, websocket, and quic's reliable mode.
//  4. The TCP connection ended between packets with no close message of
//     the protocol: for stream that is the clean end; for websocket, a
//     missing close frame.
//  5. A websocket peer answers pings, so HeartbeatInterval never drops a
//     remote that is alive.
//  6. QUIC keep-alives, and WebRTC's ICE consent checks, keep a live
//     connection open.
//  7. Nothing arrives any more (process frozen, network gone) and no FIN or
//     close either; for stream, udp and dtls the server cannot tell this
//     from "remote silent".
//  8. Once ICE declares the connection failed (pion's default: about 30 s);
//     not checked by a test here.
//
// Each cell is checked by a test: hostile's TestConnectionEndOutcomes
// ("remote closed cleanly", "remote silent", "local Close"), the truncated-frame tests of
// stream, websocket and quic (which also cut between packets), websocket's
// heartbeat test and quic's TestIdleTimeoutPeerVanishes; all but (8).
//
// # Writing a transport
//
// A transport implements Transport (Godot's PacketPeerExtension virtuals:
// put a packet, get a queued packet without blocking, count, max size, close)
// and, to make ReadPacket wake up without polling, Waiter; PacketTaker lets
// ReadPacket hand out a packet without copying it twice; ContextWriter gives
// WritePacket a send that waits for room until ctx ends (without it,
// WritePacket checks ctx and calls PutPacket); StatsReporter gives PeerStats
// the transport's drop counters. Peer serialises
// GetPacket calls; WaitPacket may be called by several goroutines at once.
// New wraps the transport in a *Peer; embed that in your own peer type:
//
//	type Peer struct {
//		*peer.Peer
//		conn net.Conn
//	}
//
//	func newPeer(conn net.Conn) *Peer {
//		t := &myTransport{conn: conn} // implements Transport and Waiter
//		go t.readLoop()
//		return &Peer{Peer: peer.New(t), conn: conn}
//	}
//
// Pipe's source (pipe.go) is a complete, small example. Then run the
// conformance suite, peertest.Run, against real connected pairs of your
// transport: it checks packet boundaries, ordering, empty and maximum-size
// packets, Variants of every type, the encode-buffer limit, context
// cancellation, behaviour after Close, concurrent senders, concurrent readers
// and waiters, and goroutine leaks.
// If it has a listener, peertest.TestListener checks the Listener
// contract against it.
package peer
