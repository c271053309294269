package enet

import "github.com/packetpeer/packetpeer/peer"

// Reasons a connection ended, as reads report them once the queue is
// drained. A remote DISCONNECT ends reads with io.EOF.
var (
	errTimedOut = &peer.OpError{Op: "read packet", Transport: "enet", Code: peer.ErrTimeout,
		Detail: "the remote stopped acknowledging (ENet timeout)"}
	errLocalDisconnect = &peer.OpError{Op: "read packet", Transport: "enet", Err: peer.ErrClosed, Detail: "disconnected"}
	errHandshake       = &peer.OpError{Op: "connect", Transport: "enet", Code: peer.ErrCantConnect,
		Detail: "VERIFY_CONNECT does not match the CONNECT sent"}
	errNotQueued = &peer.OpError{Op: "get packet", Transport: "enet", Code: peer.ErrUnavailable, Detail: "no packet queued"}
)
