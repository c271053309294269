package dtls

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"syscall"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/peer"
)

// Dial connects to the DTLS server at addr ("host:port") and completes the
// handshake: Godot's PacketPeerUDP.connect_to_host followed by
// PacketPeerDTLS.connect_to_peer and polling until STATUS_CONNECTED. The UDP
// socket is connected, so the kernel drops datagrams from other addresses.
// The host part of addr is the name the certificate must match unless
// cfg.TLS has a common-name override.
//
// The handshake is bounded by ctx and cfg.HandshakeTimeout. On failure Dial
// returns a *peer.OpError whose cause is a *HandshakeError (errors.Is:
// ErrUntrustedCertificate, ErrHostnameMismatch, peer.ErrTimeout or
// peer.ErrCantConnect).
func Dial(ctx context.Context, addr string, cfg *Config) (*Peer, error) {
	c := cfg.withDefaults()
	if err := c.check(); err != nil {
		return nil, err
	}
	c.IdleTimeout = c.idleTimeout(0)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &peer.OpError{Op: "dial", Transport: "dtls", Code: peer.ErrInvalidParameter, Err: err, Detail: addr}
	}
	var verr error
	opts, err := c.clientOptions(host, &verr)
	if err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, handshakeFailed(&HandshakeError{Addr: addr, Status: StatusError, Err: err})
	}
	udp, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, handshakeFailed(&HandshakeError{Addr: addr, Status: StatusError, Err: err})
	}
	cc := &connectedConn{UDPConn: udp, raddr: raddr}
	dc, err := pdtls.ClientWithOptions(cc, raddr, opts...)
	if err != nil {
		udp.Close()
		return nil, handshakeFailed(&HandshakeError{Addr: addr, Status: StatusError, Err: err})
	}
	hctx, cancel := context.WithTimeout(ctx, c.HandshakeTimeout)
	err = dc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		dc.Close()
		udp.Close()
		return nil, dialError(addr, err, verr, ctx)
	}
	cc.established.Store(true)
	return newPeer(dc, &c, peerHooks{}), nil
}

func dialError(addr string, err, verr error, ctx context.Context) error {
	e := &HandshakeError{Addr: addr, Status: StatusError, Err: err}
	switch {
	case verr != nil:
		e.Err = verr
		if errors.Is(verr, ErrHostnameMismatch) {
			e.Status = StatusErrorHostnameMismatch
		}
	case ctx.Err() != nil:
		e.Err = ctx.Err()
	case isTimeout(err):
		e.Err = context.DeadlineExceeded
	}
	return handshakeFailed(e)
}

// handshakeFailed is Dial's error for a failed handshake: an OpError whose
// cause is e and whose code is ErrTimeout when it timed out, ErrCantConnect
// otherwise.
func handshakeFailed(e *HandshakeError) error {
	code := peer.ErrCantConnect
	if isTimeout(e.Err) {
		code = peer.ErrTimeout
	}
	return &peer.OpError{Op: "dial", Transport: "dtls", Code: code, Err: e}
}

// connectedConn is the net.PacketConn pion's client wants, over a connected
// UDP socket (Godot's connected PacketPeerUDP).
type connectedConn struct {
	*net.UDPConn
	raddr       net.Addr
	established atomic.Bool
}

func (c *connectedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, err := c.UDPConn.Read(b)
		// An ICMP port-unreachable answers an earlier datagram. During the
		// handshake it fails the dial fast; afterwards the server may come
		// back, so it is ignored, as a UDP socket in Godot does.
		if err != nil && c.established.Load() && errors.Is(err, syscall.ECONNREFUSED) {
			continue
		}
		return n, c.raddr, err
	}
}

func (c *connectedConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	n, err := c.UDPConn.Write(b)
	if err != nil && c.established.Load() && errors.Is(err, syscall.ECONNREFUSED) {
		return len(b), nil
	}
	return n, err
}
