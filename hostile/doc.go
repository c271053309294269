// Package hostile is packetpeer's hostile-peer suite: tests that attack the
// listener of every transport (stream, udp, websocket, dtls, quic, webrtc,
// enet)
// on 127.0.0.1 and check that it survives. The package has no API; it is all
// in its _test.go files.
//
// Run it with
//
//	go test -race ./hostile/
//
// (about 30 seconds on a 2-core machine). Add -v to see the measured heap
// growth of each case: lines starting with "HEAP".
//
// # How a case works
//
// Each test starts a small echo server on 127.0.0.1:0: the transport's
// Listen, an Accept loop, and one goroutine per peer that reads Variants with
// ReadVar and sends each back with PutVar. Every error a served peer meets
// goes to a channel, so the test can assert that the right one was
// reported: a Variant decoding error (the connection is kept) or the error
// that ended the connection. A peer that sends the string "push" makes the
// server send it 1 KiB packets until a put fails; that is how the
// slow-reader cases make the server write to a client that does not read.
//
// Then the attack, bounded in count and in time, and four checks:
//
//   - the server keeps serving: a fresh honest client of the same transport
//     dials and gets its value echoed (during the attack where that matters,
//     after it otherwise);
//   - the right error is reported (errors.Is against Godot's error set:
//     ErrInvalidData for a stream length field lying about its size,
//     ErrOutOfMemory for Variants nested deeper than 1024 levels,
//     ErrUnauthorized for a full Object while objects are not allowed,
//     ErrFileEOF for a truncated String, close codes 1009 and 1002 on
//     WebSocket, Godot codes as QUIC application error codes, ...);
//   - memory stays bounded: the live heap (runtime.ReadMemStats after two
//     garbage collections) is measured before and after, and its growth must
//     stay under a stated bound, 16 MiB at most, and 1 MiB for inputs that
//     claim gigabytes;
//   - no goroutine leaks: peertest.CheckGoroutines runs first in every test
//     and the server is closed before it checks.
//
// # What is attacked
//
// Every transport: packets built to break the Variant decoder (2000 nested
// Arrays, 1100 nested Dictionaries, full Objects, containers, strings and
// packed arrays claiming 2^31 elements in a few bytes, truncated values,
// unknown types); 300 packets of random bytes; a client sending as fast as
// it can to a server peer the application never reads. Directly against the
// codec every listener runs on such bytes: what decoding large valid packets
// allocates (at most 64 times their size).
//
// stream (TCP): a length field of 0x7FFFFFFF; a frame or a header cut by
// the client's close (ErrConnectionError and io.ErrUnexpectedEOF, after the
// whole packets before it); 64 KiB of random bytes; a client that never
// reads while the server pushes (the server's puts time out with
// Config.WriteTimeout); 200 idle connections; 1000 connections each
// announcing a 65532-byte frame and sending 16 bytes of it (under 32 KiB
// held per connection: lines starting with "MEM"); 100000 empty frames; 100
// clients a Listener does not accept (MaxPendingConnections).
//
// udp: a flood of 300 new remotes against the default pending cap of 16;
// datagrams above Config.MaxPacketSize from known and new remotes; a
// listener refusing new remotes.
//
// websocket: clients that never finish the HTTP handshake (silent, half a
// request line, headers without the final blank line) against a 300 ms
// HandshakeTimeout; random bytes, plain HTTP and 1 MiB of headers instead
// of a handshake; a
// request whose announced body never comes; a client that never reads while
// the server sends (bounded outbound queue, ErrOutOfMemory); a client that
// never answers pings (heartbeat, ErrTimeout); oversize messages, whole or
// in fragments, and a frame length of 2^63-1 (close code 1009, which the
// client reads: its write of 1 MiB completes); 20 clients that flood after
// an oversize message and never close (drained, nothing kept, dropped after
// CloseTimeout); malformed frames, including close frames with a 1-byte
// payload (close code 1002); more upgrades than MaxPendingConnections (HTTP
// 503); a flood of 50000 pings from a client that never reads the pongs.
//
// websocket multiplayer (WebSocketMultiplayerPeer): 100 connections that
// never upgrade (dropped after HandshakeTimeout, counted, never given an
// id) beside 20 clients flooding a server that reads nothing (held back by
// TCP flow control, nothing dropped, 16 MiB heap bound: 3.4 MiB measured);
// an oversize message from one client (1009, peer_disconnected, the others
// served); 100 idle connected clients (27 KiB of heap each, both ends
// counted, bound 64 KiB).
//
// dtls: random datagrams and fake ClientHello records from 100 sockets; 200
// genuine ClientHellos that never echo the cookie, against the default 128
// handshake slots; random datagrams and forged records from the address of
// an established client; handshaken clients beyond MaxPendingConnections.
//
// quic: a reliable frame length of 0x7FFFFFFF; a stream ending inside a
// frame (ErrConnectionError and io.ErrUnexpectedEOF, as on stream);
// malformed datagram headers; a client that never reads (QUIC flow
// control); 40 genuine first flights that are never continued, and random
// datagrams shaped like Initial packets; clients beyond
// MaxPendingConnections that nobody accepts.
//
// webrtc: malformed, unknown and oversize signalling messages; a lobby
// member sending the host a garbage offer, candidates and answer; 20
// members that join and never offer; members leaving while their connection
// is being set up; lobby members that never read while another relays them
// large offers; a client opening hundreds of data channels the host never
// asked for (the host then runs in a child process, the test binary itself,
// so that its memory is measured apart from the client's).
//
// webrtc multiplayer (WebRTCMultiplayerPeer via ListenMultiplayer): 20
// lobby members that never offer (removed after HandshakeTimeout, counted,
// never reported connected; 96 KiB bound per pending member, 78 KB
// measured) and 5 that offer garbage (removed at once, counted); a
// signalling server announcing ids 0, 1, -5, 2^31 and a taken id (refused,
// counted) and telling a client id 0, 1 or -3 (the dial fails with
// ErrCantConnect); 100000 sends to absent peers (ErrInvalidParameter,
// nothing kept); a client flooding a server that reads nothing on the
// unreliable channel (the 64 KiB queue fills, the rest dropped and counted)
// and the reliable one (SCTP flow control; 4 MiB heap bound, 2.0 MB
// measured with both ends in the process); 10 idle connected clients (689
// KB each, both ends counted, bound 1 MiB; pion's channel read buffers,
// 64 KiB per channel and end, are most of it).
//
// enet: CONNECTs from 600 source ports against 16 slots (at most 16 peers,
// heap < 1 MiB); DISCONNECTs and data with every peer id and session id
// from another port, and with wrong session ids from the victim's port;
// fragment groups with counts above 1,048,576, totals above MaxPacketSize,
// offsets past the total, disagreeing fragments and thousands of 32 MiB
// groups (heap < MaxWaitingData + 1 MiB); 5000 ACKs for sequence numbers
// never sent; reliable data all over the 16-bit sequence space and on
// channels never opened (heap < 3 x MaxWaitingData); 300 DTLS ClientHellos
// from 300 ports against a DTLS host with room for 8 sessions (the oldest
// unfinished handshake is evicted, so an honest DTLS client connects well
// within the 10 s handshake timeout). Each time an honest client of the
// same host is still served.
//
// enet multiplayer (ENetMultiplayerPeer): 100 clients whose CONNECT data
// claims id 0, 1, a taken id or one above 2^31-1 (reset on arrival,
// counted, no event, nothing queued, heap back within 1 MiB once they
// close: 0.13 MB measured) and 100000 sends to absent peers
// (ErrInvalidParameter).
package hostile
