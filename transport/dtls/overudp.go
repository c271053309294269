package dtls

import (
	"context"
	"net"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/internal/dgramconn"
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
	raddr := base.RemoteAddr()
	pc := newPeerConn(base, false)
	dc, err := pdtls.ClientWithOptions(pc, raddr, opts...)
	if err != nil {
		pc.Close()
		return nil, &HandshakeError{Addr: raddr.String(), Status: StatusError, Err: err}
	}
	hctx, cancel := context.WithTimeout(ctx, c.HandshakeTimeout)
	err = dc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		dc.Close()
		pc.Close()
		return nil, dialError(raddr.String(), err, verr, ctx)
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
	pc := newPeerConn(base, snirepair.EmptySNIHello(hello))
	pc.Push(hello)
	dc, err := pdtls.ServerWithOptions(pc, raddr, pc.ServerOptions(s.opts)...)
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

// newPeerConn returns the net.PacketConn pion runs over base: it reads
// base's datagrams, after any pushed before the handshake (the first
// ClientHello, or records the SNI repair releases).
func newPeerConn(base UDPPeer, repairSNI bool) *dgramconn.Conn {
	return dgramconn.New(dgramconn.Config{
		Local:     base.LocalAddr(),
		Remote:    base.RemoteAddr(),
		Write:     base.PutPacket,
		Source:    base,
		RepairSNI: repairSNI,
	})
}
