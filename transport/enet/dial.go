package enet

import (
	"context"
	"net"
	"sync"

	"github.com/packetpeer/packetpeer/peer"
)

// Dial connects to an ENet host at addr ("host:port") from a new unbound
// one-peer host and returns the connected peer. cfg.Channels (0 = 255) and
// cfg.ConnectData go into the CONNECT. Closing the peer closes its host.
func Dial(ctx context.Context, addr string, cfg *Config) (*Peer, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c.MaxPeers = 1
	conn, err := openSocket("")
	if err != nil {
		return nil, &peer.OpError{Op: "dial", Err: peer.ErrCantCreate, Detail: err.Error()}
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
	select {
	case <-p.t.connected:
		return p, nil
	case <-p.t.ended:
		h.Close()
		return nil, &peer.OpError{Op: "dial", Err: peer.ErrCantConnect, Detail: "no answer from " + addr}
	case <-ctx.Done():
		h.Close()
		return nil, ctx.Err()
	}
}

// Listener accepts ENet connections on one host, with the same contract as
// the other transports' listeners. Its Host is reachable with Host for
// broadcast, statistics and limits; do not call Service on it.
type Listener struct {
	h     *Host
	mu    sync.Mutex
	queue []*Peer
	ready chan struct{}
}

// Listen creates a host bound to addr ("host:port"; "*" or empty host =
// every address) that accepts up to cfg.MaxPeers (default 32) connections.
func Listen(addr string, cfg *Config) (*Listener, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	conn, err := openSocket(addr)
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Err: peer.ErrCantCreate, Detail: err.Error()}
	}
	l := &Listener{ready: make(chan struct{}, 1)}
	h := newHost(conn, c)
	h.mu.Lock()
	h.autoMode = true
	h.onConnect = l.push
	h.mu.Unlock()
	l.h = h
	return l, nil
}

func (l *Listener) push(p *Peer) {
	l.mu.Lock()
	l.queue = append(l.queue, p)
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// TakeConnection returns the oldest connected peer not yet taken, without
// blocking, or an error matching ErrUnavailable.
func (l *Listener) TakeConnection() (*Peer, error) {
	select {
	case <-l.h.done:
		return nil, &peer.OpError{Op: "take connection", Err: peer.ErrClosed}
	default:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) > 0 {
		p := l.queue[0]
		l.queue[0] = nil
		l.queue = l.queue[1:]
		if len(l.queue) > 0 {
			select {
			case l.ready <- struct{}{}:
			default:
			}
		}
		return p, nil
	}
	return nil, &peer.OpError{Op: "take connection", Err: peer.ErrUnavailable, Detail: "no pending connection"}
}

// Accept waits for a connection and returns its peer.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) {
	for {
		p, err := l.TakeConnection()
		if err == nil || !isUnavailable(err) {
			return p, err
		}
		select {
		case <-l.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-l.h.done:
			return nil, &peer.OpError{Op: "accept", Err: peer.ErrClosed}
		}
	}
}

func isUnavailable(err error) bool {
	oe, ok := err.(*peer.OpError)
	return ok && oe.Err == peer.ErrUnavailable
}

// IsConnectionAvailable reports whether a connected peer waits for Accept.
func (l *Listener) IsConnectionAvailable() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue) > 0
}

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.h.LocalAddr() }

// Host returns the listener's host.
func (l *Listener) Host() *Host { return l.h }

// Close closes the host and every peer.
func (l *Listener) Close() error { return l.h.Close() }
