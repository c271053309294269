package quic

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
)

// TransferMode says how a packet travels: multiplayer.TransferMode, the
// type every multiplayer layer uses (Godot's MultiplayerPeer.TransferMode).
// On QUIC:
//   - TransferModeUnreliable sends a packet as one QUIC datagram (RFC 9221):
//     it may be lost or arrive out of order, and is never retransmitted.
//   - TransferModeUnreliableOrdered sends a packet as one QUIC datagram with a
//     sequence number; the receiver drops any that arrives after a later one.
//   - TransferModeReliable (the default) sends a packet on the connection's
//     one bidirectional stream: delivered once, in order, retransmitted when
//     lost.
type TransferMode = multiplayer.TransferMode

// The transfer modes, with Godot's values.
const (
	TransferModeUnreliable        = multiplayer.TransferModeUnreliable
	TransferModeUnreliableOrdered = multiplayer.TransferModeUnreliableOrdered
	TransferModeReliable          = multiplayer.TransferModeReliable
)

// Defaults for zero Config fields.
const (
	// DefaultALPN is the TLS application protocol both ends announce when
	// Config.TLSConfig.NextProtos is empty. Both ends must agree on it.
	DefaultALPN = "packetpeer"
	// DefaultMaxPacketSize is the largest reliable packet: 65532 bytes, the
	// payload limit of Godot's PacketPeerStream with default buffers.
	DefaultMaxPacketSize = 65532
	// MaxMaxPacketSize is the largest Config.MaxPacketSize accepted (16 MiB).
	MaxMaxPacketSize = 16 << 20
	// DefaultReceiveQueueBytes bounds the receive queue: 128 KiB, the ring
	// of Godot's PacketPeerUDP. The ring is allocated on the first packet.
	DefaultReceiveQueueBytes = 1 << 17
	// DefaultReceiveQueuePackets bounds the receive queue in packets.
	DefaultReceiveQueuePackets = 4096
	// DefaultHandshakeTimeout bounds the QUIC/TLS handshake and the opening
	// of the reliable stream.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultIdleTimeout closes a connection that received nothing for this
	// long (quic-go's default).
	DefaultIdleTimeout = 30 * time.Second
	// DefaultKeepAlivePeriod is how often an otherwise idle connection sends
	// a keep-alive (capped by quic-go at half the idle timeout).
	DefaultKeepAlivePeriod = 10 * time.Second
	// DefaultCloseTimeout is how long Close waits for the remote end to
	// acknowledge the end of the reliable stream.
	DefaultCloseTimeout = time.Second
	// DefaultMaxPendingConnections bounds the connections a Listener holds
	// for Accept/TakeConnection (handshaking ones included). Godot has no
	// QUIC and so no default; 128 (not peer.DefaultMaxPendingConnections)
	// lets a burst of clients reconnecting after a server restart finish
	// their handshakes instead of being evicted.
	DefaultMaxPendingConnections = 128
)

// Config configures Dial and Listen. A nil *Config, and each zero field,
// means the documented default.
type Config struct {
	// TLSConfig is the TLS configuration. A Listener needs a certificate
	// (Certificates or GetCertificate; devcert.New makes a self-signed one for
	// development). A client verifies the server against RootCAs (the system
	// pool when nil); ServerName defaults to the host of the dialled address.
	// NextProtos defaults to []string{DefaultALPN}. It is cloned, never
	// modified.
	TLSConfig *tls.Config

	// UnsafeSkipVerify makes a client accept ANY server certificate, like
	// Godot's TLSOptions.client_unsafe(): the connection is encrypted but not
	// authenticated, so anyone on the path can intercept it. For development
	// only; prefer trusting the server's self-signed certificate via
	// TLSConfig.RootCAs.
	UnsafeSkipVerify bool

	// MaxPacketSize is the largest reliable packet, sent or received. A
	// larger PutPacket fails with ErrInvalidParameter; a larger incoming
	// frame closes the connection with ErrInvalidData before anything is
	// allocated for it. Both ends should use the same value. Default
	// DefaultMaxPacketSize (65532), at most MaxMaxPacketSize.
	MaxPacketSize int

	// ReceiveQueueBytes bounds the receive queue in bytes (5 bytes of
	// overhead per packet). Default DefaultReceiveQueueBytes, raised if
	// needed to hold one MaxPacketSize packet.
	ReceiveQueueBytes int
	// ReceiveQueuePackets bounds the receive queue in packets. Default
	// DefaultReceiveQueuePackets.
	ReceiveQueuePackets int

	// HandshakeTimeout bounds the handshake and the opening of the reliable
	// stream. Default DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// IdleTimeout closes the connection when nothing was received for this
	// long; the smaller of both ends' values applies. The read then fails
	// with an error matching peer.ErrTimeout. Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// KeepAlivePeriod is how often an idle connection sends a keep-alive
	// packet so that neither end times out and NAT bindings stay open.
	// Default DefaultKeepAlivePeriod; negative disables keep-alives.
	KeepAlivePeriod time.Duration

	// DisableDatagrams turns off QUIC datagrams: only TransferModeReliable
	// works, and unreliable puts fail with ErrUnavailable.
	DisableDatagrams bool

	// CloseTimeout is how long Close waits for the remote end to confirm it
	// read the whole reliable stream before the connection is torn down
	// (packets put just before Close are delivered within it). Default
	// DefaultCloseTimeout; negative closes at once.
	CloseTimeout time.Duration

	// MaxPendingConnections bounds the connections a Listener has accepted
	// (or is handshaking) that Accept or TakeConnection have not taken yet.
	// When all are taken, a new connection evicts the one that has waited
	// longest (at least 1 s) for its reliable stream; connections whose
	// stream is open wait for Accept and are never evicted, and beyond them
	// quic-go refuses new connections once its own queue is full. Default
	// DefaultMaxPendingConnections.
	MaxPendingConnections int

	// Logger receives, at Info level, each connection a Listener drops and
	// why (the causes counted in ListenerStats). Nil: nothing is logged.
	// Dial does not use it.
	Logger *slog.Logger
}

// withDefaults returns a copy of c with every zero field defaulted and the
// receive queue raised to hold one packet. c may be nil.
func (c *Config) withDefaults() Config {
	var r Config
	if c != nil {
		r = *c
	}
	if r.MaxPacketSize == 0 {
		r.MaxPacketSize = DefaultMaxPacketSize
	}
	if r.ReceiveQueueBytes <= 0 {
		r.ReceiveQueueBytes = DefaultReceiveQueueBytes
	}
	r.ReceiveQueueBytes = max(r.ReceiveQueueBytes, r.MaxPacketSize+queueOverhead)
	if r.ReceiveQueuePackets <= 0 {
		r.ReceiveQueuePackets = DefaultReceiveQueuePackets
	}
	if r.HandshakeTimeout <= 0 {
		r.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if r.IdleTimeout <= 0 {
		r.IdleTimeout = DefaultIdleTimeout
	}
	if r.KeepAlivePeriod == 0 {
		r.KeepAlivePeriod = DefaultKeepAlivePeriod
	}
	if r.CloseTimeout == 0 {
		r.CloseTimeout = DefaultCloseTimeout
	}
	if r.MaxPendingConnections <= 0 {
		r.MaxPendingConnections = DefaultMaxPendingConnections
	}
	return r
}

// validate reports a field withDefaults cannot make valid.
func (c *Config) validate() error {
	if c.MaxPacketSize < 0 || c.MaxPacketSize > MaxMaxPacketSize {
		return &peer.OpError{Op: "config", Transport: "quic", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("MaxPacketSize %d is outside [1, %d]", c.MaxPacketSize, MaxMaxPacketSize)}
	}
	return nil
}

// quicConfig is the quic-go configuration for c.
func (c *Config) quicConfig() *quicgo.Config {
	keepAlive := c.KeepAlivePeriod
	if keepAlive < 0 {
		keepAlive = 0
	}
	return &quicgo.Config{
		HandshakeIdleTimeout: c.HandshakeTimeout,
		MaxIdleTimeout:       c.IdleTimeout,
		KeepAlivePeriod:      keepAlive,
		// One bidirectional stream, opened by the client; nothing else.
		MaxIncomingStreams:    1,
		MaxIncomingUniStreams: -1,
		EnableDatagrams:       !c.DisableDatagrams,
	}
}

// tlsConfig returns the TLS configuration for a client dialling host
// (server == false) or for a Listener.
func (c *Config) tlsConfig(server bool, host string) (*tls.Config, error) {
	var t *tls.Config
	if c.TLSConfig != nil {
		t = c.TLSConfig.Clone()
	} else {
		t = &tls.Config{}
	}
	if len(t.NextProtos) == 0 {
		t.NextProtos = []string{DefaultALPN}
	}
	if server {
		if len(t.Certificates) == 0 && t.GetCertificate == nil && t.GetConfigForClient == nil {
			return nil, &peer.OpError{Op: "listen", Transport: "quic", Code: peer.ErrUnconfigured,
				Detail: "no server certificate: set Config.TLSConfig.Certificates (devcert.New makes a self-signed one for development)"}
		}
		return t, nil
	}
	if c.UnsafeSkipVerify {
		t.InsecureSkipVerify = true
	}
	if t.ServerName == "" {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		t.ServerName = host
	}
	return t, nil
}
