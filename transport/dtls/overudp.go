package dtls

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/internal/snirepair"
	"github.com/packetpeer/packetpeer/peer"
)

// DTLS over a UDP peer the program already holds, as Godot composes them:
// PacketPeerDTLS.connect_to_peer(udp_peer, hostname, client_options) on the
// client, DTLSServer.take_connection(udp_peer) on the server. A game that
// punched a hole through NAT with plain datagrams secures the same
// (address, port) pair this way, and a udp.Listener's peer can be upgraded
// to DTLS.

// UDPPeer is what ConnectToPeer and TakeConnection need of the UDP peer they
// secure: a *udp.Peer (Godot's PacketPeerUDP) connected to one remote. It is
// an interface so that package dtls does not import package udp.
type UDPPeer interface {
	peer.PacketPeer
	IsSocketConnected() bool
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

var errNotConnected = &peer.OpError{Op: "handshake", Transport: "dtls", Code: peer.ErrInvalidParameter,
	Detail: "the UDP peer is not connected to one remote (use udp.Dial, a udp.Listener's peer, or ConnectToHost)"}

// ConnectToPeer runs a DTLS client handshake over base, a UDP peer
// connected to one remote (from udp.Dial, a udp.Listener, or a bound peer
// after ConnectToHost): Godot's PacketPeerDTLS.connect_to_peer(base,
// hostname, cfg.TLS) followed by polling until STATUS_CONNECTED. hostname
// is the name the server's certificate must match, unless cfg.TLS has a
// common-name override. The handshake is bounded by ctx and
// cfg.HandshakeTimeout; on failure ConnectToPeer returns a *HandshakeError
// (as Dial does) and base stays open, its queued datagrams consumed. On
// success the returned Peer owns base: every datagram base receives is a
// DTLS record, and Close closes base too.
func ConnectToPeer(ctx context.Context, base UDPPeer, hostname string, cfg *Config) (*Peer, error) {
	c := cfg.withDefaults()
	if err := c.check(); err != nil {
		return nil, err
	}
	c.IdleTimeout = c.idleTimeout(0)
	if !base.IsSocketConnected() {
		return nil, errNotConnected
	}
	var verr error
	opts, err := c.clientOptions(hostname, &verr)
	if err != nil {
		return nil, err
	}
	pc := newPeerConn(base)
	dc, err := pdtls.ClientWithOptions(pc, pc.raddr, opts...)
	if err != nil {
		pc.Close()
		return nil, &HandshakeError{Addr: pc.raddr.String(), Status: StatusError, Err: err}
	}
	hctx, cancel := context.WithTimeout(ctx, c.HandshakeTimeout)
	err = dc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		dc.Close()
		pc.Close()
		return nil, dialError(pc.raddr.String(), err, verr, ctx)
	}
	return newPeer(dc, &c, peerHooks{closed: func() { base.Close() }}), nil
}

// Server is Godot's DTLSServer: server options set once (NewServer is its
// setup), then TakeConnection for each UDP peer to secure.
type Server struct {
	cfg  Config
	opts []pdtls.ServerOption
}

// NewServer is Godot's DTLSServer.setup(server_options): cfg.TLS must come
// from ServerOptions. Of cfg, Listen's socket and queue settings
// (MaxPendingHandshakes, MaxPendingConnections, Logger) do not apply;
// IdleTimeout defaults to DefaultIdleTimeout, as for a Listener's peers.
func NewServer(cfg *Config) (*Server, error) {
	c := cfg.withDefaults()
	if err := c.check(); err != nil {
		return nil, err
	}
	c.IdleTimeout = c.idleTimeout(DefaultIdleTimeout)
	opts, err := c.serverOptions()
	if err != nil {
		return nil, err
	}
	return &Server{cfg: c, opts: opts}, nil
}

// TakeConnection runs a DTLS server handshake over base, a UDP peer
// connected to one remote (typically a udp.Listener's peer, whose first
// datagram was the ClientHello): Godot's DTLSServer.take_connection(base)
// followed by polling until STATUS_CONNECTED. Datagrams queued on base
// before the first ClientHello (hole-punching traffic, say) are skipped.
// The handshake, cookie exchange included, is bounded by ctx and
// HandshakeTimeout; on failure TakeConnection returns a *HandshakeError and
// base stays open. On success the returned Peer owns base: Close closes it.
// base's own idle timeout (its udp.Listener's Config.IdleTimeout) still
// applies: when it drops base, the Peer's reads fail with an error matching
// peer.ErrTimeout.
func (s *Server) TakeConnection(ctx context.Context, base UDPPeer) (*Peer, error) {
	if !base.IsSocketConnected() {
		return nil, errNotConnected
	}
	raddr := base.RemoteAddr()
	hctx, cancel := context.WithTimeout(ctx, s.cfg.HandshakeTimeout)
	defer cancel()
	var hello []byte
	for {
		b, err := base.ReadPacket(hctx)
		if err != nil {
			return nil, s.handshakeError(raddr, err, ctx)
		}
		if ok, _ := classify(b); ok {
			hello = b
			break
		}
	}
	pc := newPeerConn(base)
	opts := s.opts
	if snirepair.EmptySNIHello(hello) {
		pc.fix = &snirepair.Repair{Deliver: pc.inject}
		opts = append(slices.Clip(opts), pdtls.WithKeyLogWriter(pc.fix))
		hello = pc.fix.Inbound(hello)
	}
	if len(hello) > 0 {
		pc.inject(hello)
	}
	dc, err := pdtls.ServerWithOptions(pc, raddr, opts...)
	if err != nil {
		pc.Close()
		return nil, s.handshakeError(raddr, err, ctx)
	}
	if err := dc.HandshakeContext(hctx); err != nil {
		dc.Close()
		pc.Close()
		return nil, s.handshakeError(raddr, err, ctx)
	}
	return newPeer(dc, &s.cfg, peerHooks{closed: func() { base.Close() }}), nil
}

func (s *Server) handshakeError(raddr net.Addr, err error, ctx context.Context) error {
	return dialError(raddr.String(), err, nil, ctx)
}

// peerConn is the net.PacketConn pion runs over a connected udp.Peer. Its
// reads wait on a context that ends at Close, at the read deadline, or
// when a datagram is injected (the first ClientHello, or one the SNI repair
// releases), and are then retried as needed.
type peerConn struct {
	base  UDPPeer
	raddr net.Addr
	fix   *snirepair.Repair // set before the handshake starts; nil without repair

	root      context.Context
	stop      context.CancelFunc
	closed    chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	ctx      context.Context // the current read's
	cancel   context.CancelFunc
	deadline time.Time
	injected [][]byte
}

func newPeerConn(base UDPPeer) *peerConn {
	c := &peerConn{base: base, raddr: base.RemoteAddr(), closed: make(chan struct{})}
	c.root, c.stop = context.WithCancel(context.Background())
	c.mu.Lock()
	c.renewLocked()
	c.mu.Unlock()
	return c
}

// renewLocked ends the current read's context (a blocked read looks again)
// and makes the next one. c.mu is held.
func (c *peerConn) renewLocked() {
	if c.cancel != nil {
		c.cancel()
	}
	if c.deadline.IsZero() {
		c.ctx, c.cancel = context.WithCancel(c.root)
	} else {
		c.ctx, c.cancel = context.WithDeadline(c.root, c.deadline)
	}
}

// inject queues b to be read before the socket's next datagram.
func (c *peerConn) inject(b []byte) {
	c.mu.Lock()
	c.injected = append(c.injected, slices.Clone(b))
	c.renewLocked()
	c.mu.Unlock()
}

func (c *peerConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		c.mu.Lock()
		if len(c.injected) > 0 {
			p := c.injected[0]
			c.injected = c.injected[1:]
			c.mu.Unlock()
			return copy(b, p), c.raddr, nil
		}
		ctx, deadline := c.ctx, c.deadline
		c.mu.Unlock()
		p, err := c.base.AppendPacket(ctx, b[:0])
		if err != nil {
			if ctx.Err() == nil {
				return 0, nil, err // the UDP peer's own error
			}
			select {
			case <-c.closed:
				return 0, nil, net.ErrClosed
			default:
			}
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				return 0, nil, errDeadline
			}
			continue // a new deadline or an injected datagram
		}
		if c.fix != nil {
			if p = c.fix.Inbound(p); len(p) == 0 {
				continue
			}
		}
		return copy(b, p), c.raddr, nil
	}
}

func (c *peerConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	n := len(b)
	if c.fix != nil {
		b = c.fix.Outbound(b)
	}
	if err := c.base.PutPacket(b); err != nil {
		return 0, err
	}
	return n, nil
}

// Close ends pion's use of the UDP peer; the peer itself stays open.
func (c *peerConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.stop()
	})
	return nil
}

func (c *peerConn) LocalAddr() net.Addr { return c.base.LocalAddr() }

func (c *peerConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *peerConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.renewLocked()
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline is a no-op: a UDP peer's PutPacket does not block.
func (c *peerConn) SetWriteDeadline(time.Time) error { return nil }
