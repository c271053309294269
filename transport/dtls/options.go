package dtls

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/peer"
)

// Defaults for zero Config fields.
const (
	// DefaultHandshakeTimeout bounds a handshake, client or server side.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxPacketSize is the largest payload pion/dtls can receive
	// as one record (MaxPacketSizeLimit). Godot's PacketPeerDTLS
	// advertises 488 ("512 UDP - 24") but does not enforce it, and its
	// mbedTLS sends records up to 16 KiB, so a Godot game's put_var of a
	// few KiB works; this default keeps that working.
	DefaultMaxPacketSize = MaxPacketSizeLimit
	// MaxPacketSizeLimit is the largest MaxPacketSize accepted: pion/dtls
	// reads each datagram into an 8192-byte buffer, so a bigger record
	// could not be received by a pion peer.
	MaxPacketSizeLimit = 8192 - RecordOverhead
	// UnfragmentedPacketSize is the largest payload whose record fits one
	// 1500-byte Ethernet frame over IPv6 (1500 - 40 - 8 - 37 = 1415).
	// Bigger packets are IP-fragmented and, on the Internet, lost more
	// often: keep real-time traffic at or below it.
	UnfragmentedPacketSize = 1500 - 40 - 8 - RecordOverhead
	// RecordOverhead is what DTLS 1.2 with AES-GCM adds to a payload: a
	// 13-byte record header, an 8-byte explicit nonce and a 16-byte tag.
	RecordOverhead = 13 + 8 + 16
	// DefaultMTU is the datagram size handshake flights are fragmented to
	// (pion/dtls's default).
	DefaultMTU = 1200
	// DefaultReceiveQueueBytes bounds each peer's receive queue (Godot's
	// PacketPeerUDP ring size, 2^17).
	DefaultReceiveQueueBytes = 1 << 17
	// DefaultReceiveQueuePackets bounds each peer's receive queue in
	// packets.
	DefaultReceiveQueuePackets = 4096
	// DefaultMaxPendingHandshakes bounds the handshakes a Listener runs at
	// once.
	DefaultMaxPendingHandshakes = 128
	// DefaultMaxPendingConnections bounds the handshaken connections
	// waiting for Accept or TakeConnection: peer.DefaultMaxPendingConnections,
	// the default max_pending_connections of the UDPServer under Godot's
	// DTLSServer.
	DefaultMaxPendingConnections = peer.DefaultMaxPendingConnections
	// DefaultIdleTimeout is Config.IdleTimeout's default for a Listener's
	// peers: one from which no packet arrives for a minute is dropped.
	DefaultIdleTimeout = time.Minute
	// KeepIdlePeers, as Config.IdleTimeout, keeps silent peers until they
	// are closed, as Godot does (it has no idle timeout). Any negative
	// value does the same.
	KeepIdlePeers time.Duration = -1
)

// DefaultCipherSuites are the suites offered and accepted by default: the
// ECDHE AES-GCM suites that both pion/dtls and Godot's mbedTLS (default
// preset, DTLS 1.2) support. mbedTLS also offers CHACHA20-POLY1305, CCM and
// CBC suites; pion implements CCM and CBC only for narrower uses (CCM
// ECDSA-only, CBC without encrypt-then-MAC) and no CHACHA20, so they are left
// out. Both ECDSA (devcert's P-256) and RSA server certificates work.
var DefaultCipherSuites = []pdtls.CipherSuiteID{
	pdtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	pdtls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	pdtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	pdtls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
}

// tlsMode is which of Godot's three TLSOptions factories made a TLSOptions.
type tlsMode int

const (
	modeClient tlsMode = iota
	modeUnsafeClient
	modeServer
)

// TLSOptions is Godot's TLSOptions: how one side of a DTLS connection
// authenticates. Make one with ClientOptions, UnsafeClientOptions or
// ServerOptions (Godot's TLSOptions.client, client_unsafe and server); the
// zero value is not usable. A TLSOptions is immutable and may be shared.
type TLSOptions struct {
	mode               tlsMode
	roots              *x509.CertPool
	commonNameOverride string
	cert               tls.Certificate
}

// ClientOptions is Godot's TLSOptions.client(trusted_chain,
// common_name_override): the server's certificate chain must verify against
// roots (nil means the system's CA bundle), and its name must match
// commonNameOverride, or, when that is empty, the host of the address passed
// to Dial. Verification is on; a certificate that does not chain to roots
// fails with ErrUntrustedCertificate, a valid one for another name with
// ErrHostnameMismatch.
func ClientOptions(roots *x509.CertPool, commonNameOverride string) *TLSOptions {
	return &TLSOptions{mode: modeClient, roots: roots, commonNameOverride: commonNameOverride}
}

// UnsafeClientOptions is Godot's TLSOptions.client_unsafe(trusted_chain).
// With roots nil the server's certificate is NOT verified at all: anyone on
// the path can impersonate the server. With roots set the chain is verified
// but the host name is not checked. Meant for development against
// self-signed servers; prefer ClientOptions with the server's certificate in
// roots.
func UnsafeClientOptions(roots *x509.CertPool) *TLSOptions {
	return &TLSOptions{mode: modeUnsafeClient, roots: roots}
}

// ServerOptions is Godot's TLSOptions.server(key, certificate): the server
// presents cert (its PrivateKey must be set; certificates after the leaf are
// sent as the chain). Clients are not asked for certificates, as in Godot.
func ServerOptions(cert tls.Certificate) *TLSOptions {
	return &TLSOptions{mode: modeServer, cert: cert}
}

// IsServer reports whether o was made by ServerOptions (Godot's is_server).
func (o *TLSOptions) IsServer() bool { return o != nil && o.mode == modeServer }

// IsUnsafeClient reports whether o was made by UnsafeClientOptions (Godot's
// is_unsafe_client).
func (o *TLSOptions) IsUnsafeClient() bool { return o != nil && o.mode == modeUnsafeClient }

// CommonNameOverride returns the name checked instead of the dialled host
// (Godot's get_common_name_override).
func (o *TLSOptions) CommonNameOverride() string {
	if o == nil {
		return ""
	}
	return o.commonNameOverride
}

// TrustedCAChain returns the roots a client verifies against, nil for the
// system bundle (Godot's get_trusted_ca_chain).
func (o *TLSOptions) TrustedCAChain() *x509.CertPool {
	if o == nil {
		return nil
	}
	return o.roots
}

// OwnCertificate returns a server's certificate and key (Godot's
// get_own_certificate and get_private_key).
func (o *TLSOptions) OwnCertificate() tls.Certificate {
	if o == nil {
		return tls.Certificate{}
	}
	return o.cert
}

// Config configures Dial, Listen, Client and Server. A nil *Config and
// every zero field mean the documented default.
type Config struct {
	// TLS is how this side authenticates. Dial and Client: nil means
	// ClientOptions(nil, "") (system CAs, host name checked), as Godot's
	// connect_to_peer with null options; server options are refused.
	// Listen and Server: required, made by ServerOptions (Godot's
	// DTLSServer.setup).
	TLS *TLSOptions
	// HandshakeTimeout bounds each handshake. Default 10 s.
	HandshakeTimeout time.Duration
	// MaxPacketSize is the largest payload PutPacket sends as one DTLS
	// record; larger ones fail with ErrInvalidParameter. Default and
	// maximum MaxPacketSizeLimit (8155); see UnfragmentedPacketSize (1415).
	MaxPacketSize int
	// MTU is the datagram size handshake messages are fragmented to. Default
	// 1200.
	MTU int
	// ReceiveQueueBytes and ReceiveQueuePackets bound each peer's receive
	// queue; when it is full new packets are dropped (Godot's drop-newest)
	// and counted in PeerStats().DroppedFull. Defaults 131072 bytes and
	// 4096 packets.
	ReceiveQueueBytes   int
	ReceiveQueuePackets int
	// MaxPendingHandshakes (Listen) bounds the handshakes in progress. When
	// it is reached, a new ClientHello evicts the oldest handshake whose
	// client has not echoed its cookie for a second (a spoofed or silent
	// client); if there is none it is dropped, and the client's
	// retransmission tries again. Default 128.
	MaxPendingHandshakes int
	// MaxPendingConnections (Listen) bounds the connections handshaken but
	// not yet taken by Accept or TakeConnection (Godot's
	// max_pending_connections of the UDPServer under its DTLSServer); past
	// it new connections are closed with close_notify. Default 16.
	MaxPendingConnections int
	// IdleTimeout drops a connection from which no packet has arrived for
	// this long: DTLS has no keep-alive, so this is how a server gets back
	// what clients that vanished without close_notify hold. The dropped
	// peer's queued packets can still be read; then its reads, and its
	// puts, return an error matching peer.ErrTimeout, its Status is
	// StatusDisconnected, and a Listener counts it in Stats().Expired. It
	// is checked four times per IdleTimeout, so a peer is dropped between
	// IdleTimeout and 1.25 times it after its last packet. Listen and
	// Server: default (0) DefaultIdleTimeout, one minute; a game whose
	// clients may stay silent longer raises it (a keep-alive packet resets
	// it). Dial and Client: default (0) none. A negative value
	// (KeepIdlePeers) means none.
	IdleTimeout time.Duration
	// CipherSuites overrides DefaultCipherSuites.
	CipherSuites []pdtls.CipherSuiteID
	// Logger (Listen), if not nil, gets one Info record per connection the
	// Listener refuses, fails, times out, evicts or expires, with its
	// cause, remote address and error (see Listener.Stats). Default nil:
	// nothing is logged.
	Logger *slog.Logger
}

// withDefaults returns a copy of c (nil-safe) with every zero field
// defaulted. IdleTimeout is left for the constructor: its default depends
// on the side.
func (c *Config) withDefaults() Config {
	var o Config
	if c != nil {
		o = *c
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.MaxPacketSize <= 0 {
		o.MaxPacketSize = DefaultMaxPacketSize
	}
	if o.MTU <= 0 {
		o.MTU = DefaultMTU
	}
	if o.ReceiveQueueBytes <= 0 {
		o.ReceiveQueueBytes = DefaultReceiveQueueBytes
	}
	o.ReceiveQueueBytes = max(o.ReceiveQueueBytes, o.MaxPacketSize+4)
	if o.ReceiveQueuePackets <= 0 {
		o.ReceiveQueuePackets = DefaultReceiveQueuePackets
	}
	if o.MaxPendingHandshakes <= 0 {
		o.MaxPendingHandshakes = DefaultMaxPendingHandshakes
	}
	if o.MaxPendingConnections <= 0 {
		o.MaxPendingConnections = DefaultMaxPendingConnections
	}
	if len(o.CipherSuites) == 0 {
		o.CipherSuites = DefaultCipherSuites
	}
	return o
}

// check reports a defaulted Config's invalid field.
func (c *Config) check() error {
	if c.MaxPacketSize > MaxPacketSizeLimit {
		return &peer.OpError{Op: "config", Transport: "dtls", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("MaxPacketSize %d exceeds the limit %d", c.MaxPacketSize, MaxPacketSizeLimit)}
	}
	return nil
}

// idleTimeout resolves IdleTimeout for a listening side (def
// DefaultIdleTimeout) or a dialling side (def 0): 0 means none.
func (c *Config) idleTimeout(def time.Duration) time.Duration {
	switch {
	case c.IdleTimeout < 0:
		return 0
	case c.IdleTimeout == 0:
		return def
	}
	return c.IdleTimeout
}

// clientOptions builds pion's options for a client dialling host. verr
// records why our own verification failed, so the error can be classified.
func (c *Config) clientOptions(host string, verr *error) ([]pdtls.ClientOption, error) {
	o := c.TLS
	if o == nil {
		o = ClientOptions(nil, "")
	}
	if o.IsServer() {
		return nil, &peer.OpError{Op: "dial", Transport: "dtls", Code: peer.ErrInvalidParameter, Detail: "Dial needs client TLS options, got ServerOptions"}
	}
	name := host
	if o.commonNameOverride != "" {
		name = o.commonNameOverride
	}
	opts := []pdtls.ClientOption{
		pdtls.WithCipherSuites(c.CipherSuites...),
		pdtls.WithExtendedMasterSecret(pdtls.RequestExtendedMasterSecret),
		pdtls.WithMTU(c.MTU),
		// Verification is done by verify below, so that an untrusted chain
		// and a host name mismatch are told apart as Godot does.
		pdtls.WithInsecureSkipVerify(true),
		pdtls.WithServerName(name),
	}
	if o.mode == modeUnsafeClient && o.roots == nil {
		return opts, nil
	}
	checkName := o.mode == modeClient
	roots := o.roots
	opts = append(opts, pdtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
		err := verify(raw, roots, name, checkName)
		if err != nil {
			*verr = err
		}
		return err
	}))
	return opts, nil
}

// verify checks a server's chain against roots (nil = system) and, when
// checkName, the leaf's name.
func verify(raw [][]byte, roots *x509.CertPool, name string, checkName bool) error {
	if len(raw) == 0 {
		return fmt.Errorf("%w: server sent no certificate", ErrUntrustedCertificate)
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUntrustedCertificate, err)
		}
		certs[i] = c
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := certs[0].Verify(opts); err != nil {
		return fmt.Errorf("%w: %w", ErrUntrustedCertificate, err)
	}
	if checkName {
		if err := certs[0].VerifyHostname(name); err != nil {
			return fmt.Errorf("%w: %w", ErrHostnameMismatch, err)
		}
	}
	return nil
}

func (c *Config) serverOptions() ([]pdtls.ServerOption, error) {
	o := c.TLS
	if o == nil || !o.IsServer() {
		return nil, &peer.OpError{Op: "listen", Transport: "dtls", Code: peer.ErrInvalidParameter, Detail: "Listen needs Config.TLS from ServerOptions"}
	}
	if len(o.cert.Certificate) == 0 || o.cert.PrivateKey == nil {
		return nil, &peer.OpError{Op: "listen", Transport: "dtls", Code: peer.ErrInvalidParameter, Detail: "ServerOptions certificate has no certificate or no private key"}
	}
	return []pdtls.ServerOption{
		pdtls.WithCertificates(o.cert),
		pdtls.WithCipherSuites(c.CipherSuites...),
		pdtls.WithExtendedMasterSecret(pdtls.RequestExtendedMasterSecret),
		pdtls.WithMTU(c.MTU),
		pdtls.WithClientAuth(pdtls.NoClientCert),
	}, nil
}
