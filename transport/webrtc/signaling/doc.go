// Package signaling is a small WebRTC signalling server and client speaking
// the protocol of Godot's official webrtc_signaling demo
// (godotengine/godot-demo-projects, networking/webrtc_signaling, Godot 4
// version), so the demo's GDScript clients work with this Server unchanged,
// and this package's Client (used by webrtc.Dial and webrtc.Listen) works
// with the demo's GDScript and Node.js servers.
//
// # Protocol
//
// One WebSocket per peer; each message is one text message holding the JSON
// object {"type": int, "id": int, "data": string}:
//
//	type                 direction         id                       data
//	0 JOIN               client → server   0 = mesh, else client-server  lobby name ("" = create one)
//	0 JOIN               server → client   0                        the lobby's name (sent after ID and PEER_CONNECTs)
//	1 ID                 server → client   your peer id (1 = lobby host in client-server mode)  "true" for a mesh lobby
//	2 PEER_CONNECT       server → client   a peer you should connect to  ""
//	3 PEER_DISCONNECT    server → client   a peer that left          ""
//	4 OFFER, 5 ANSWER    client → server   destination (1 = host)   SDP
//	                     server → client   source (1 = host)        SDP
//	6 CANDIDATE          both, as OFFER    as OFFER                 "\n" + sdpMid + "\n" + sdpMLineIndex + "\n" + candidate
//	7 SEAL               client → server   0 (host only)            ""; the server tells every member, then closes the lobby after SealTimeout
//
// In client-server mode members see only the host (as id 1) and the host
// sees every member; in a mesh lobby everyone sees everyone. Godot's demo
// clients make the offer when the remote id is smaller than their own, so
// the host (1) never offers. A protocol error closes the WebSocket with code
// 4000 and a reason naming the problem (the reasons of Godot's Node.js
// server, e.g. "Invalid destination").
//
// # Differences from Godot's demo servers
//
//   - Joining a named lobby that does not exist creates it with the joiner
//     as host (the demo refuses), so a Go program can Listen on a
//     well-known name; ServerConfig.StrictLobbies restores the demo's rule.
//   - JoinTimeout defaults to 10 s (the demo: 1 s).
//   - "type" and "id" may be integers, integral floats or strings holding
//     integers, as GDScript's parser accepts; messages over 64 KiB are
//     refused.
//   - A member too slow to read its messages is disconnected rather than
//     buffered without bound: each member's outbound queue holds at most
//     ServerConfig.SendQueueBytes (default 256 KiB, counting the message
//     being written) and SendQueueMessages (default 1024) messages, and
//     every write has a WriteTimeout (default 10 s). A message that would
//     overflow the queue, or a write that fails or times out, closes the
//     member's connection at once, without a close frame (it is not
//     reading); it leaves its lobby as if it had disconnected, so the other
//     members get PEER_DISCONNECT (or, if it hosted the lobby, are closed
//     with "Room host has disconnected"). A member's memory on the server
//     is thus bounded by about SendQueueBytes plus one incoming message.
package signaling
