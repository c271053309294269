package enet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/internal/dgramconn"
	"github.com/packetpeer/packetpeer/internal/snirepair"
	"github.com/packetpeer/packetpeer/peer"
)

// DTLS, as Godot's ENetConnection.dtls_server_setup / dtls_client_setup:
// a layer below ENet. Each remote address gets its own DTLS 1.2 session on
// the host's one socket, and every ENet datagram travels as one DTLS
// application record; the ENet bytes inside are unchanged.

// dtlsHandshakeTimeout bounds each DTLS handshake.
const dtlsHandshakeTimeout = 10 * time.Second

// dtlsCipherSuites are the ECDHE AES-GCM suites that pion/dtls and Godot's
// mbedTLS (default preset) both implement.
var dtlsCipherSuites = []pdtls.CipherSuiteID{
	pdtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	pdtls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	pdtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	pdtls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
}

// DTLSServerSetup makes the host a DTLS server presenting cert (its
// PrivateKey set; certificates after the leaf are sent as the chain),
// Godot's dtls_server_setup(TLSOptions.server(key, cert)). Every remote
// address must complete a DTLS handshake (with a cookie exchange) before
// its ENet datagrams reach the host; datagrams to an address without a
// session are dropped, which ENet's retransmissions absorb. Call it before
// any connection; clients are not asked for certificates.
func (h *Host) DTLSServerSetup(cert tls.Certificate) error {
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return &peer.OpError{Op: "dtls server setup", Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: "the certificate has no certificate or no private key"}
	}
	return h.setupDTLS("dtls server setup", &dtlsLayer{server: true, srvOpts: []pdtls.ServerOption{
		pdtls.WithCertificates(cert),
		pdtls.WithCipherSuites(dtlsCipherSuites...),
		pdtls.WithExtendedMasterSecret(pdtls.RequestExtendedMasterSecret),
		pdtls.WithClientAuth(pdtls.NoClientCert),
	}})
}

// DTLSClientSetup makes the host a DTLS client (Godot's
// dtls_client_setup(hostname, TLSOptions.client(roots))): the server's
// certificate must chain to roots (nil means the system's CAs) and be
// valid for hostname. The handshake starts with the first datagram to a
// remote (the CONNECT); ENet traffic waits for it, the CONNECT being
// retransmitted as usual. Call it before ConnectToHost.
func (h *Host) DTLSClientSetup(hostname string, roots *x509.CertPool) error {
	if hostname == "" {
		return &peer.OpError{Op: "dtls client setup", Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: "a host name to check the server's certificate against is needed"}
	}
	return h.setupDTLS("dtls client setup", &dtlsLayer{cliOpts: []pdtls.ClientOption{
		pdtls.WithServerName(hostname),
		pdtls.WithRootCAs(roots),
		pdtls.WithCipherSuites(dtlsCipherSuites...),
		pdtls.WithExtendedMasterSecret(pdtls.RequestExtendedMasterSecret),
	}})
}

func (h *Host) setupDTLS(op string, d *dtlsLayer) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrUnconfigured, Detail: "the host is closed"}
	}
	if h.dtls.Load() != nil {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrAlreadyInUse, Detail: "DTLS is already set up"}
	}
	for _, s := range h.slots {
		if s.state != StateDisconnected {
			return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrAlreadyInUse, Detail: "the host already has connections"}
		}
	}
	d.h = h
	d.sessions = map[netip.AddrPort]*dtlsSession{}
	d.max = 2 * h.cfg.MaxPeers
	d.ctx, d.cancel = context.WithCancel(context.Background())
	h.dtls.Store(d)
	h.wakeReader()
	return nil
}

// dtlsLayer holds a host's DTLS sessions: at most 2 × MaxPeers, handshakes
// included (each unfinished one ends after dtlsHandshakeTimeout). A
// session ends when the last ENet connection with its remote does.
type dtlsLayer struct {
	h       *Host
	server  bool
	srvOpts []pdtls.ServerOption
	cliOpts []pdtls.ClientOption
	max     int
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu       sync.Mutex
	sessions map[netip.AddrPort]*dtlsSession
	closed   bool
}

// session returns the session for ap, starting one (a server for an
// incoming datagram, hello, a client for an outgoing one) if create allows.
func (d *dtlsLayer) session(ap netip.AddrPort, create bool, hello []byte) *dtlsSession {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.sessions[ap]
	if s != nil || !create || d.closed {
		return s
	}
	if len(d.sessions) >= d.max && !d.evictLocked() {
		return nil
	}
	s = &dtlsSession{d: d, ap: ap, raddr: net.UDPAddrFromAddrPort(ap), created: time.Now()}
	h := d.h
	s.pc = dgramconn.New(dgramconn.Config{
		Local:  h.LocalAddr(),
		Remote: s.raddr,
		Write: func(b []byte) error {
			return h.sock.WriteTo(b, ap)
		},
		RepairSNI: d.server && snirepair.EmptySNIHello(hello),
	})
	d.sessions[ap] = s
	d.wg.Add(1)
	go s.run()
	return s
}

// evictLocked ends the oldest session still handshaking, to make room for
// a new one: a flood of ClientHellos from many ports cannot keep an honest
// client out for a whole handshake timeout. It reports false when every
// session has finished its handshake. Called with d.mu held.
func (d *dtlsLayer) evictLocked() bool {
	var old *dtlsSession
	for _, s := range d.sessions {
		if s.conn.Load() == nil && (old == nil || s.created.Before(old.created)) {
			old = s
		}
	}
	if old == nil {
		return false
	}
	delete(d.sessions, old.ap)
	old.pc.Close()
	return true
}

// inbound hands a datagram from the socket to its remote's session. A
// server starts a session only for a ClientHello, so that records left
// over from an ended session (a close_notify, a late ACK) do not hold one.
func (d *dtlsLayer) inbound(src netip.AddrPort, b []byte) {
	if s := d.session(src, d.server && isClientHello(b) && !d.h.refusing.Load(), b); s != nil {
		s.pc.Push(b)
	}
}

// isClientHello reports whether b starts with a DTLS handshake record of
// epoch 0 carrying a ClientHello (RFC 6347 §4.1, §4.2.2).
func isClientHello(b []byte) bool {
	return len(b) > 13 && b[0] == 22 && b[3] == 0 && b[4] == 0 && b[13] == 1
}

// send encrypts an ENet datagram to to; without a finished handshake it is
// dropped (and a client starts one). Called with h.mu held.
func (d *dtlsLayer) send(b []byte, to netip.AddrPort) error {
	s := d.session(to, !d.server, nil)
	if s == nil {
		return errNoSession
	}
	c := s.conn.Load()
	if c == nil {
		return errNoSession
	}
	_, err := c.Write(b)
	return err
}

// release ends the session with ap (in the background: pion's Close
// sends a close_notify), once no ENet connection uses it.
func (d *dtlsLayer) release(ap netip.AddrPort) {
	d.mu.Lock()
	s := d.sessions[ap]
	if s == nil || d.closed {
		d.mu.Unlock()
		return
	}
	delete(d.sessions, ap)
	d.wg.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.wg.Done()
		s.shutdown()
	}()
}

// close ends every session (each sends a close_notify) and waits for
// their goroutines.
func (d *dtlsLayer) close() {
	d.mu.Lock()
	d.closed = true
	ss := make([]*dtlsSession, 0, len(d.sessions))
	for _, s := range d.sessions {
		ss = append(ss, s)
	}
	d.mu.Unlock()
	d.cancel()
	for _, s := range ss {
		s.shutdown()
	}
	d.wg.Wait()
}

var errNoSession = &peer.OpError{Op: "send", Transport: "enet", Code: peer.ErrBusy, Detail: "no DTLS session with the remote yet"}

// dtlsSession is one remote's DTLS connection, run over pc, which the
// host's read loop fills with the remote's datagrams.
type dtlsSession struct {
	d       *dtlsLayer
	ap      netip.AddrPort
	raddr   *net.UDPAddr
	created time.Time
	pc      *dgramconn.Conn
	conn    atomic.Pointer[pdtls.Conn] // set once the handshake is done
}

// run handshakes and then hands the remote's ENet datagrams to the host
// until the connection ends. It leaves closing pc to pion, which does so
// after its close_notify: a Close from shutdown makes the Read below fail
// before that close_notify is written, and closing pc here would drop it.
func (s *dtlsSession) run() {
	defer s.d.wg.Done()
	defer s.forget()
	var c *pdtls.Conn
	var err error
	if s.d.server {
		c, err = pdtls.ServerWithOptions(s.pc, s.raddr, s.pc.ServerOptions(s.d.srvOpts)...)
	} else {
		c, err = pdtls.ClientWithOptions(s.pc, s.raddr, s.d.cliOpts...)
	}
	if err != nil {
		s.pc.Close()
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(s.d.ctx, dtlsHandshakeTimeout)
	err = c.HandshakeContext(ctx)
	cancel()
	if err != nil {
		return
	}
	s.conn.Store(c)
	buf := make([]byte, maxMTU+1)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if n <= maxMTU {
			s.d.h.receive(s.ap, buf[:n])
		}
	}
}

// shutdown ends the session. After the handshake, pion sends close_notify
// and then closes pc (unless run's Close came first and does so); before,
// closing pc ends the handshake.
func (s *dtlsSession) shutdown() {
	if c := s.conn.Load(); c != nil {
		c.Close()
		return
	}
	s.pc.Close()
}

// forget removes the session from the layer's books.
func (s *dtlsSession) forget() {
	s.d.mu.Lock()
	if s.d.sessions[s.ap] == s {
		delete(s.d.sessions, s.ap)
	}
	s.d.mu.Unlock()
}
