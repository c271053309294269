// Package listenstats counts and logs what a listener does with incoming
// connections, so that every transport reports drops the same way
// (peer.ListenerStats) and logs them with the same message and attributes.
package listenstats

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/peer"
)

// Counters is a listener's set of counters. The zero value is ready; it is
// safe for concurrent use.
type Counters struct {
	transport string
	log       *slog.Logger

	accepted, refused, failed, timedOut, evicted, expired atomic.Uint64
}

// New returns counters for a listener of the named transport ("udp",
// "dtls", ...) that log drops to log (nil: no logging).
func New(transport string, log *slog.Logger) *Counters {
	return &Counters{transport: transport, log: log}
}

// Transport returns the transport's name, for the listener's errors.
func (c *Counters) Transport() string { return c.transport }

// Accepted counts a connection handed out by Accept or TakeConnection.
func (c *Counters) Accepted() { c.accepted.Add(1) }

// Drop counts a connection dropped for cause and logs it at Info level with
// the attributes transport, cause, remote and (when err is not nil) error.
// remote may be nil.
func (c *Counters) Drop(cause peer.DropCause, remote net.Addr, err error) {
	switch cause {
	case peer.DropRefused:
		c.refused.Add(1)
	case peer.DropFailed:
		c.failed.Add(1)
	case peer.DropTimedOut:
		c.timedOut.Add(1)
	case peer.DropEvicted:
		c.evicted.Add(1)
	case peer.DropExpired:
		c.expired.Add(1)
	}
	if c.log == nil || !c.log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 4)
	attrs = append(attrs, slog.String("transport", c.transport), slog.String("cause", cause.String()))
	if remote != nil {
		attrs = append(attrs, slog.String("remote", remote.String()))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "packetpeer: connection dropped", attrs...)
}

// Stats returns the counters with pending filled in.
func (c *Counters) Stats(pending int) peer.ListenerStats {
	return peer.ListenerStats{
		Pending:  pending,
		Accepted: c.accepted.Load(),
		Refused:  c.refused.Load(),
		Failed:   c.failed.Load(),
		TimedOut: c.timedOut.Load(),
		Evicted:  c.evicted.Load(),
		Expired:  c.expired.Load(),
	}
}
