package peer

import (
	"context"
	"net"
)

// Listener is the contract every transport's *Listener meets (Godot's
// UDPServer, TCPServer, DTLSServer and the servers of WebSocket and WebRTC),
// with P that transport's *Peer:
//
//   - Accept waits for the next connection; it returns ctx's error when ctx
//     ends first and an error matching net.ErrClosed once Close was called.
//   - TakeConnection returns the oldest waiting connection without blocking,
//     or an error matching ErrUnavailable when none waits (ErrClosed after
//     Close). IsConnectionAvailable reports whether it would return one, and
//     is false after Close.
//   - At most the config's MaxPendingConnections (default
//     DefaultMaxPendingConnections) connections wait; a listener refuses
//     more, counting each in ListenerStats().Refused, or leaves them to the
//     kernel's backlog (stream, over TCP).
//   - Close stops listening and closes every connection still waiting,
//     counting each in ListenerStats().Evicted; then no goroutine of the
//     listener is left.
//
// The interface is generic so that each transport keeps returning its own
// *Peer (with its richer methods) while code such as a game server's accept
// loop is written once for all of them; ListenerStats is the part of each
// transport's richer Stats that every transport shares.
type Listener[P PacketPeer] interface {
	Accept(ctx context.Context) (P, error)
	TakeConnection() (P, error)
	IsConnectionAvailable() bool
	Addr() net.Addr
	Close() error
	ListenerStats() ListenerStats
}

// DropCause says why a listener turned a connection away or dropped one it
// held. Every listener counts drops by cause in its ListenerStats and, when
// its config has a Logger, logs each one.
type DropCause uint8

const (
	// DropRefused: turned away before any handshake work, because the
	// pending limit was reached or the listener refuses new connections.
	DropRefused DropCause = iota + 1
	// DropFailed: the handshake failed (a malformed ClientHello, a bad
	// upgrade request, a certificate or protocol error).
	DropFailed
	// DropTimedOut: the handshake did not finish within the handshake
	// timeout.
	DropTimedOut
	// DropEvicted: a pending connection was closed to make room for a newer
	// one, or because the listener closed before it was taken.
	DropEvicted
	// DropExpired: a connection sent nothing for the idle timeout.
	DropExpired
)

// String returns the cause as a log-friendly word ("refused", "failed",
// "timed out", "evicted", "expired").
func (c DropCause) String() string {
	switch c {
	case DropRefused:
		return "refused"
	case DropFailed:
		return "failed"
	case DropTimedOut:
		return "timed out"
	case DropEvicted:
		return "evicted"
	case DropExpired:
		return "expired"
	}
	return "unknown"
}

// ListenerStats are the counters every listener reports, whatever its
// transport: what is waiting to be taken, what was handed out, and what was
// dropped, by cause. Transport listeners embed it in their own stats type
// beside their transport's counters.
type ListenerStats struct {
	Pending  int    // connections ready for Accept/TakeConnection or still handshaking
	Accepted uint64 // connections handed out by Accept or TakeConnection
	Refused  uint64 // DropRefused
	Failed   uint64 // DropFailed
	TimedOut uint64 // DropTimedOut
	Evicted  uint64 // DropEvicted
	Expired  uint64 // DropExpired
}

// Dropped is the sum of the drop counters.
func (s ListenerStats) Dropped() uint64 {
	return s.Refused + s.Failed + s.TimedOut + s.Evicted + s.Expired
}
