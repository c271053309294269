package enet

import "github.com/packetpeer/packetpeer/peer"

// Reasons a connection ended, as reads report them once the queue is
// drained. A remote DISCONNECT ends reads with io.EOF.
var (
	errTimedOut = &peer.OpError{Op: "read packet", Err: peer.ErrTimeout,
		Detail: "the remote stopped acknowledging (ENet timeout)"}
	errLocalDisconnect = &peer.OpError{Op: "read packet", Err: peer.ErrClosed, Detail: "disconnected"}
	errHandshake       = &peer.OpError{Op: "connect", Err: peer.ErrCantConnect,
		Detail: "VERIFY_CONNECT does not match the CONNECT sent"}
	errNotQueued = &peer.OpError{Op: "get packet", Err: peer.ErrUnavailable, Detail: "no packet queued"}
)
