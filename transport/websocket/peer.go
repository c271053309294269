package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	gws "github.com/gorilla/websocket"

	"github.com/packetpeer/packetpeer/peer"
)

// Peer is one WebSocket connection (Godot's WebSocketPeer), client or
// server side. It embeds *peer.Peer for PutPacket, GetPacket, PutVar,
// GetVar, ReadPacket and the rest; PutPacket and PutVar send binary
// messages. It is safe for concurrent use, with one reader at a time.
type Peer struct {
	*peer.Peer
	c *conn
}

func newPeer(c *conn) *Peer { return &Peer{Peer: peer.New(c), c: c} }

// ReadyState returns the connection's state (Godot's get_ready_state).
// Dial, Accept and Upgrade return peers in StateOpen.
func (p *Peer) ReadyState() State { return State(p.c.state.Load()) }

// Send queues data as one message, text or binary (Godot's send). It never
// blocks: when MaxQueuedPackets messages or OutboundBufferSize bytes are
// already queued it returns an error matching ErrOutOfMemory, as Godot
// does. Unlike PutPacket it sends empty messages too. Text must be valid
// UTF-8 (ErrInvalidParameter otherwise): browsers fail the connection on
// bad text.
func (p *Peer) Send(data []byte, mode WriteMode) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "send", Transport: "websocket", Err: peer.ErrClosed}
	}
	switch mode {
	case WriteModeBinary:
		return p.c.enqueue("send", kindBinary, data)
	case WriteModeText:
		if !utf8.Valid(data) {
			return &peer.OpError{Op: "send", Transport: "websocket", Code: peer.ErrInvalidParameter, Detail: "text message is not valid UTF-8"}
		}
		return p.c.enqueue("send", kindText, data)
	}
	return &peer.OpError{Op: "send", Transport: "websocket", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("unknown write mode %d", mode)}
}

// SendText queues s as one text message (Godot's send_text).
func (p *Peer) SendText(s string) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "send text", Transport: "websocket", Err: peer.ErrClosed}
	}
	if !utf8.ValidString(s) {
		return &peer.OpError{Op: "send text", Transport: "websocket", Code: peer.ErrInvalidParameter, Detail: "text message is not valid UTF-8"}
	}
	// enqueue copies s; the conversion does not escape.
	return p.c.enqueue("send text", kindText, []byte(s))
}

// WasStringPacket reports whether the packet last returned by GetPacket or
// ReadPacket arrived as a text message (Godot's was_string_packet).
func (p *Peer) WasStringPacket() bool { return p.c.wasString.Load() }

// CloseWithCode starts the closing handshake with code and reason (Godot's
// close(code, reason)) and returns at once: the state becomes
// StateClosing, queued outgoing messages are sent, then the close frame;
// the connection is StateClosed when the remote answers, or after
// CloseTimeout. Queued incoming packets are discarded, as in Godot. A
// negative code drops the connection at once without a close frame. Codes
// that cannot be sent (1004-1006, 1015, 0-999, 1016-2999, >4999) and
// reasons over 123 bytes are refused with ErrInvalidParameter. Call Close
// afterwards to release the peer (it then returns promptly).
func (p *Peer) CloseWithCode(code int, reason string) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "close", Transport: "websocket", Err: peer.ErrClosed}
	}
	return p.c.startClose(code, reason)
}

// Close closes the connection gracefully and releases the peer: queued
// messages are sent, then a close frame with code 1000 (Godot's close()),
// and Close waits for the remote's answer (at most CloseTimeout, then the
// connection is dropped) and for the peer's goroutines to end. Afterwards
// every call returns an error matching net.ErrClosed; calling Close again
// returns nil. Use CloseWithCode first for another code or reason.
func (p *Peer) Close() error { return p.Peer.Close() }

// Disconnected returns a channel closed when the connection reaches
// StateClosed, whoever closed it.
func (p *Peer) Disconnected() <-chan struct{} { return p.c.finished }

// CloseCode returns the code of the remote's close frame (Godot's
// get_close_code), the code this side failed the connection with (1009
// for an oversize message, 1002 for a protocol error), or -1 while open or
// when the connection ended without a close frame.
func (p *Peer) CloseCode() int {
	code, _ := p.c.closeInfo()
	return code
}

// CloseReason returns the reason of the remote's close frame (Godot's
// get_close_reason).
func (p *Peer) CloseReason() string {
	_, reason := p.c.closeInfo()
	return reason
}

// SelectedProtocol returns the negotiated subprotocol, "" for none (Godot's
// get_selected_protocol).
func (p *Peer) SelectedProtocol() string {
	if !p.c.isReady() {
		return ""
	}
	return p.c.protocol
}

// RequestedURL returns the URL dialled (client) or requested by the client
// (server; Godot's get_requested_url).
func (p *Peer) RequestedURL() string { return p.c.url }

// Request returns the client's upgrade request on a server-side peer (its
// headers, cookies, URL), nil on a client. Its Context is the HTTP
// server's and may be done; do not use it for the peer's lifetime.
func (p *Peer) Request() *http.Request { return p.c.req }

// ResponseHeader returns the server's 101 response headers on a client
// peer, nil on a server.
func (p *Peer) ResponseHeader() http.Header {
	if !p.c.isReady() {
		return nil
	}
	return p.c.respHdr
}

// RemoteAddr returns the remote TCP address, nil while connecting.
func (p *Peer) RemoteAddr() net.Addr {
	if !p.c.isReady() {
		return nil
	}
	return p.c.remote
}

// LocalAddr returns the local TCP address, nil while connecting.
func (p *Peer) LocalAddr() net.Addr {
	if !p.c.isReady() {
		return nil
	}
	return p.c.local
}

// ConnectedHost returns the remote IP address as a string (Godot's
// get_connected_host).
func (p *Peer) ConnectedHost() string {
	ra := p.RemoteAddr()
	if ra == nil {
		return ""
	}
	if a, ok := ra.(*net.TCPAddr); ok {
		return a.IP.String()
	}
	h, _, _ := net.SplitHostPort(ra.String())
	return h
}

// ConnectedPort returns the remote TCP port (Godot's get_connected_port).
func (p *Peer) ConnectedPort() int {
	ra := p.RemoteAddr()
	if ra == nil {
		return 0
	}
	if a, ok := ra.(*net.TCPAddr); ok {
		return a.Port
	}
	_, port, _ := net.SplitHostPort(ra.String())
	n, _ := strconv.Atoi(port)
	return n
}

// CurrentOutboundBufferedAmount returns the payload bytes queued for
// sending and not yet written to the socket (Godot's
// get_current_outbound_buffered_amount).
func (p *Peer) CurrentOutboundBufferedAmount() int {
	p.c.omu.Lock()
	defer p.c.omu.Unlock()
	return p.c.obytes
}

// SetNoDelay switches Nagle's algorithm off (true, the default here and in
// Godot) or on (Godot's set_no_delay).
func (p *Peer) SetNoDelay(enabled bool) error { return p.c.setNoDelay(enabled) }

// Dial connects to a ws:// or wss:// URL (Godot's connect_to_url) and
// returns an open peer. A URL without a scheme is taken as ws://, as in
// Godot; other schemes are refused with ErrInvalidParameter. cfg.TLSConfig
// configures wss (nil: system roots). The whole handshake is bounded by
// cfg.HandshakeTimeout and ctx. Failures match ErrCantConnect, and the
// error names the cause (refused, TLS, HTTP status, subprotocol).
func Dial(ctx context.Context, rawURL string, cfg *Config) (*Peer, error) {
	c, u, err := prepareDial(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	ws, resp, err := dialWS(ctx, u, c, nil)
	if err != nil {
		return nil, err
	}
	cn := newConn(c, false, u)
	cn.attach(ws, resp)
	return newPeer(cn), nil
}

// Connect is Godot's connect_to_url: it returns at once a peer in
// StateConnecting and performs the handshake in the background. Poll
// ReadyState (or wait with ReadPacket): it becomes StateOpen, or
// StateClosed with CloseCode -1 when the handshake fails, after which
// GetPacket and ReadPacket return a *CloseError wrapping the dial error
// (matching ErrCantConnect). Sending fails with ErrFailed until
// StateOpen, as in Godot. Bad URLs and configs fail at once, as Dial.
func Connect(rawURL string, cfg *Config) (*Peer, error) {
	c, u, err := prepareDial(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	cn := newConn(c, false, u)
	ctx, cancel := context.WithCancel(context.Background())
	cn.cancelDial = cancel
	go func() {
		defer cancel()
		ws, resp, err := dialWS(ctx, u, c, cn.setRawConn)
		if err != nil {
			cn.teardown(err)
			cn.abandon()
			return
		}
		cn.attach(ws, resp)
	}()
	return newPeer(cn), nil
}

func prepareDial(rawURL string, cfg *Config) (Config, string, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return c, "", err
	}
	if rawURL == "" {
		return c, "", &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrInvalidParameter, Detail: "empty URL"}
	}
	if !strings.Contains(rawURL, "://") {
		rawURL = "ws://" + rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return c, "", &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrParseError, Err: err}
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return c, "", &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("scheme %q is not ws or wss", u.Scheme)}
	}
	if u.Host == "" {
		return c, "", &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrInvalidParameter, Detail: "URL has no host"}
	}
	return c, u.String(), nil
}

// dialWS performs the opening handshake and checks the subprotocol as
// Godot's client does.
func dialWS(ctx context.Context, u string, c Config, onConn func(net.Conn)) (*gws.Conn, http.Header, error) {
	d := gws.Dialer{
		HandshakeTimeout:  c.HandshakeTimeout,
		TLSClientConfig:   c.TLSConfig,
		EnableCompression: false,
	}
	dialTCP := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var nd net.Dialer
		nc, err := nd.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if onConn != nil {
			onConn(nc)
		}
		return newBatchConn(nc), nil
	}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dialTCP(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return newFrameWatch(nc, true), nil
	}
	// TLS here rather than in gorilla, so that the frameWatch sees the
	// plaintext.
	d.NetDialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dialTCP(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := c.TLSConfig.Clone()
		if tc == nil {
			tc = &tls.Config{}
		}
		if tc.ServerName == "" {
			tc.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tlsConn := tls.Client(nc, tc)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		return newFrameWatch(tlsConn, true), nil
	}
	hdr := c.HandshakeHeaders
	if hdr == nil {
		hdr = http.Header{}
	}
	if len(c.SupportedProtocols) > 0 {
		// One header, no spaces, as Godot sends it.
		hdr["Sec-WebSocket-Protocol"] = []string{strings.Join(c.SupportedProtocols, ",")}
	}
	ws, resp, err := d.DialContext(ctx, u, hdr)
	if err != nil {
		detail := u
		if resp != nil && errors.Is(err, gws.ErrBadHandshake) {
			detail += ": HTTP " + resp.Status
		}
		return nil, nil, &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrCantConnect, Err: err, Detail: detail}
	}
	sel := ws.Subprotocol()
	if (sel == "" && len(c.SupportedProtocols) > 0) || (sel != "" && !slices.Contains(c.SupportedProtocols, sel)) {
		ws.Close()
		return nil, nil, &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrCantConnect,
			Detail: fmt.Sprintf("%s: server selected subprotocol %q, offered %q", u, sel, c.SupportedProtocols)}
	}
	// Godot switches TCP_NODELAY on; Go's default already is.
	var respHdr http.Header
	if resp != nil {
		respHdr = resp.Header
	}
	return ws, respHdr, nil
}
