package enet

import (
	"context"
	"net"
	"net/netip"

	"github.com/packetpeer/packetpeer/internal/acceptq"
	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/peer"
)

// Dial connects to an ENet host at addr ("host:port") from a new unbound
// one-peer host and returns the connected peer. cfg.Channels (0 = 255) and
// cfg.ConnectData go into the CONNECT. Closing the peer closes its host.
func Dial(ctx context.Context, addr string, cfg *Config) (*Peer, error) {
	c := cfg.withDefaults()
	if err := c.check("dial"); err != nil {
		return nil, err
	}
	c.MaxPeers = 1
	conn, err := openSocket("", 1)
	if err != nil {
		return nil, &peer.OpError{Op: "dial", Transport: "enet", Code: peer.ErrCantCreate, Err: err}
	}
	h := newHost(conn, c)
	h.mu.Lock()
	h.autoMode = true
	h.mu.Unlock()
	p, err := h.ConnectToHost(addr, c.Channels, c.ConnectData)
	if err != nil {
		h.Close()
		return nil, err
	}
	p.t.ownsHost = true
	connected, err := awaitConnect(ctx, p.t.connected, p.t.ended)
	if connected {
		return p, nil
	}
	h.Close()
	if err != nil {
		return nil, &peer.OpError{Op: "dial", Transport: "enet", Code: peer.ErrTimeout, Err: err, Detail: addr}
	}
	return nil, &peer.OpError{Op: "dial", Transport: "enet", Code: peer.ErrCantConnect, Detail: "no answer from " + addr}
}

// awaitConnect waits until a connecting peer connected (true), ended
// without connecting (false, nil) or ctx ended (false, ctx's error). A
// peer that connected and ended at once (a server that disconnects it
// right away) connected: its reads report the end.
func awaitConnect(ctx context.Context, connected, ended <-chan struct{}) (bool, error) {
	select {
	case <-connected:
		return true, nil
	case <-ended:
		select {
		case <-connected:
			return true, nil
		default:
			return false, nil
		}
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// Listener accepts ENet connections on one host, with the contract every
// transport's listener shares (peer.Listener): connected peers wait in a
// queue of at most Config.MaxPendingConnections (default 16) for Accept or
// TakeConnection; a connection that completes its handshake while the queue
// is full is disconnected at once and counted in ListenerStats().Refused.
// Its Host is reachable with Host for broadcast, statistics and limits; do
// not call Service on it.
type Listener struct {
	h       *Host
	pending *acceptq.Queue[*Peer]
	stats   *listenstats.Counters
	log     bool
}

var (
	errPendingFull = &peer.OpError{Op: "accept", Transport: "enet", Code: peer.ErrCantAcquireResource, Detail: "the pending queue is full (MaxPendingConnections)"}
	errRefusing    = &peer.OpError{Op: "accept", Transport: "enet", Code: peer.ErrUnavailable, Detail: "new connections are refused (MaxPendingConnections < 0)"}
	errClosing     = &peer.OpError{Op: "accept", Transport: "enet", Err: peer.ErrClosed, Detail: "the Listener closed before the peer was taken"}
	errNoVerifyAck = &peer.OpError{Op: "accept", Transport: "enet", Code: peer.ErrTimeout, Detail: "VERIFY_CONNECT was never acknowledged (ENet timeout)"}
)

// Listen creates a host bound to addr ("host:port"; "*" or empty host =
// every address) that accepts up to cfg.MaxPeers (default 32) connections.
func Listen(addr string, cfg *Config) (*Listener, error) {
	c := cfg.withDefaults()
	if err := c.check("listen"); err != nil {
		return nil, err
	}
	conn, err := openSocket(addr, c.MaxPeers)
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Transport: "enet", Code: peer.ErrCantCreate, Err: err}
	}
	l := &Listener{stats: listenstats.New("enet", c.Logger), log: c.Logger != nil}
	l.pending = acceptq.New(c.MaxPendingConnections, l.stats, func(p *Peer) net.Addr {
		p.DisconnectNow(0)
		p.Close()
		return l.remote(p.t.remote)
	})
	h := newHost(conn, c)
	h.mu.Lock()
	h.autoMode = true
	h.onConnect = l.push
	h.onTimeout = l.timedOut
	h.onClose = func() { l.pending.Close(errClosing) }
	l.h = h
	h.mu.Unlock()
	return l, nil
}

// remote returns a for the log, or nil (without allocating) when nothing is
// logged.
func (l *Listener) remote(a netip.AddrPort) net.Addr {
	if !l.log {
		return nil
	}
	return net.UDPAddrFromAddrPort(a)
}

// push queues a newly connected peer, or disconnects it at once when the
// queue refuses it. Called with h.mu held.
func (l *Listener) push(p *Peer) {
	if l.pending.Push(p) {
		return
	}
	err := errPendingFull
	if l.pending.Max() <= 0 {
		err = errRefusing
	}
	l.stats.Drop(peer.DropRefused, l.remote(p.t.remote), err) // before the client can see it
	if s := p.t.s; s != nil {
		l.h.disconnectNow(s, 0)
	}
}

// timedOut counts a connection that stopped acknowledging: a handshake that
// never completed (DropTimedOut) or a connected peer (DropExpired), which
// leaves the pending queue if it was waiting there. Called with h.mu held.
func (l *Listener) timedOut(s *slot) {
	switch {
	case s.state == StateAcknowledgingConnect || s.state == StateConnectionPending:
		l.stats.Drop(peer.DropTimedOut, l.remote(s.addr), errNoVerifyAck)
	case s.pub != nil && (s.state == StateConnected || s.state == StateDisconnectLater):
		p := s.pub
		l.pending.Remove(func(q *Peer) bool { return q == p })
		l.stats.Drop(peer.DropExpired, l.remote(s.addr), errTimedOut)
	}
}

// TakeConnection returns the oldest connected peer not yet taken, without
// blocking (Godot's take_connection), or an error matching ErrUnavailable
// when none waits, ErrClosed after Close.
func (l *Listener) TakeConnection() (*Peer, error) { return l.pending.Take() }

// Accept waits for a connection and returns its peer. It returns ctx's
// error when ctx ends and an error matching net.ErrClosed once the Listener
// (or its Host) is closed.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) { return l.pending.Accept(ctx) }

// IsConnectionAvailable reports whether a connected peer waits for Accept
// (Godot's is_connection_available); false after Close.
func (l *Listener) IsConnectionAvailable() bool { return l.pending.Available() }

// ListenerStats returns the counters every transport's listener shares
// (peer.Listener): Pending, Accepted, Refused (connected while the pending
// queue was full), TimedOut (handshakes whose VERIFY_CONNECT was never
// acknowledged), Evicted (still pending at Close) and Expired (peers,
// pending or taken, that stopped acknowledging: ENet's timeout). Failed
// stays 0: a malformed CONNECT is dropped silently, as ENet does. The
// Host's PopStatistic has the traffic counters.
func (l *Listener) ListenerStats() peer.ListenerStats { return l.stats.Stats(l.pending.Len()) }

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.h.LocalAddr() }

// Host returns the listener's host.
func (l *Listener) Host() *Host { return l.h }

// Close disconnects the peers still pending (counted as Evicted), then
// closes the host and every peer. Calling it again returns nil.
func (l *Listener) Close() error {
	l.pending.Close(errClosing)
	return l.h.Close()
}
