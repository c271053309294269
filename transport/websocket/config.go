package websocket

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// Defaults for zero Config fields. The buffer and queue sizes are Godot's
// WebSocketPeer defaults; HandshakeTimeout is WebSocketMultiplayerPeer's.
const (
	DefaultInboundBufferSize  = 65535
	DefaultOutboundBufferSize = 65535
	DefaultMaxQueuedPackets   = 4096
	DefaultHandshakeTimeout   = 3 * time.Second
	DefaultCloseTimeout       = 3 * time.Second
	// DefaultMaxPendingConnections bounds upgraded connections waiting for
	// Accept. Godot's WebSocket servers take streams from a TCPServer, which
	// has no such limit; 128 (not peer.DefaultMaxPendingConnections) keeps a
	// burst of browsers reconnecting after a server restart from being
	// refused with 1013 after their upgrade was already paid for.
	DefaultMaxPendingConnections = 128
)

// Config configures Dial, Listen, Upgrade and NewHandler. A nil *Config and
// every zero field mean the documented default.
type Config struct {
	// SupportedProtocols are the subprotocols (Godot's supported_protocols).
	// A client offers them in one comma-separated Sec-WebSocket-Protocol
	// header, as Godot does, and fails the handshake unless the server picks
	// one of them (or, offering none, the server picks none). A server picks
	// the first protocol of the client's list that is in this list; when the
	// client offers protocols and none match, or offers none while this list
	// is not empty, the upgrade is refused with HTTP 400 (Godot refuses too).
	// A server never answers a protocol the client did not ask for.
	SupportedProtocols []string

	// HandshakeHeaders are extra headers sent with the upgrade request
	// (client) or the 101 response (server) — Godot's handshake_headers.
	// Headers the handshake itself owns (Connection, Upgrade, Host,
	// Sec-WebSocket-*) are refused with ErrInvalidParameter: a duplicate
	// Connection header makes Godot's client fail the handshake. Keep a
	// server's small: Godot's client refuses a 101 response whose header
	// block exceeds 4096 bytes.
	HandshakeHeaders http.Header

	// InboundBufferSize is the largest message accepted, in bytes, and about
	// the bytes of payload queued for GetPacket before the reader stops
	// reading the socket (Godot's inbound_buffer_size, default 65535). A
	// bigger message fails the connection with close code 1009. The receive
	// queue, about this size, is allocated when the first message arrives;
	// the read buffer grows with the largest message seen.
	InboundBufferSize int

	// OutboundBufferSize bounds the bytes queued for sending (Godot's
	// outbound_buffer_size, default 65535); a message that would exceed it
	// is refused with ErrOutOfMemory, so it is also the largest message that
	// can be sent. Negative disables the byte limit (Godot's 0).
	OutboundBufferSize int

	// MaxQueuedPackets bounds the messages queued for sending and received
	// messages waiting for GetPacket (Godot's max_queued_packets, default
	// 4096).
	MaxQueuedPackets int

	// HeartbeatInterval, when positive, sends a ping every interval and
	// drops the connection (close code -1) if the previous ping was not
	// answered by a pong before the next one is due (Godot's
	// heartbeat_interval; default 0: no pings). Negative is refused. Pongs
	// are seen by the reader, so a peer whose received packets are never
	// read (its queue full, reading stopped) is dropped too.
	HeartbeatInterval time.Duration

	// HandshakeTimeout bounds the opening handshake: TCP, TLS and HTTP
	// upgrade on Dial; TLS, request headers and the 101 response on Listen.
	// A client that never finishes is disconnected. Default 3 s (Godot's
	// WebSocketMultiplayerPeer.handshake_timeout). A Handler mounted on your
	// own http.Server relies on that server's ReadHeaderTimeout instead.
	HandshakeTimeout time.Duration

	// CloseTimeout bounds the closing handshake: how long Close and
	// CloseWithCode wait for the remote's close frame before dropping the
	// connection (close code then -1). Default 3 s.
	CloseTimeout time.Duration

	// TLSConfig enables TLS: on Dial it configures wss:// (RootCAs,
	// ServerName, ...; nil uses the system roots); on Listen it makes the
	// listener serve wss:// and must hold Certificates. Ignored by Upgrade
	// and Handler (the http.Server does TLS there).
	TLSConfig *tls.Config

	// CheckOrigin decides whether a browser's Origin may connect (server
	// side). Nil uses AllowedOrigins if set, else the same-origin rule of
	// gorilla/websocket: a request without Origin (Godot, Go and other
	// non-browser clients send none) is accepted; with Origin, its host must
	// equal the request's Host.
	CheckOrigin func(r *http.Request) bool

	// AllowedOrigins, when CheckOrigin is nil, accepts requests without an
	// Origin, same-origin requests, and those whose Origin equals one of
	// these exactly (case-insensitively), e.g. "https://game.example.com".
	// "*" accepts every origin.
	AllowedOrigins []string

	// MaxPendingConnections bounds upgraded connections waiting for Accept
	// or TakeConnection on a Listener or Handler; more are refused with
	// HTTP 503. Default 16.
	MaxPendingConnections int

	// Logger, when set, logs each connection a Listener or Handler drops
	// (refused, failed upgrade, handshake timeout, evicted) at Info level,
	// with its cause and remote address. Nil logs nothing; Stats counts
	// the drops either way.
	Logger *slog.Logger
}

// withDefaults returns a copy of c with every zero field defaulted and its
// slices and headers cloned. c may be nil.
func (c *Config) withDefaults() Config {
	var r Config
	if c != nil {
		r = *c
	}
	if r.InboundBufferSize == 0 {
		r.InboundBufferSize = DefaultInboundBufferSize
	}
	if r.OutboundBufferSize == 0 {
		r.OutboundBufferSize = DefaultOutboundBufferSize
	}
	if r.MaxQueuedPackets == 0 {
		r.MaxQueuedPackets = DefaultMaxQueuedPackets
	}
	if r.HandshakeTimeout == 0 {
		r.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if r.CloseTimeout == 0 {
		r.CloseTimeout = DefaultCloseTimeout
	}
	if r.MaxPendingConnections == 0 {
		r.MaxPendingConnections = DefaultMaxPendingConnections
	}
	r.SupportedProtocols = append([]string(nil), r.SupportedProtocols...)
	r.HandshakeHeaders = r.HandshakeHeaders.Clone()
	return r
}

// validate returns an error naming the first field that is out of range.
func (c *Config) validate() error {
	bad := func(format string, args ...any) error {
		return &peer.OpError{Op: "config", Transport: "websocket", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.InboundBufferSize < 0 || c.InboundBufferSize > 1<<30:
		return bad("InboundBufferSize %d is outside [1, 1 GiB]", c.InboundBufferSize)
	case c.OutboundBufferSize > 1<<30:
		return bad("OutboundBufferSize %d is above 1 GiB", c.OutboundBufferSize)
	case c.MaxQueuedPackets < 0:
		return bad("MaxQueuedPackets %d is negative", c.MaxQueuedPackets)
	case c.HeartbeatInterval < 0:
		return bad("HeartbeatInterval %v is negative", c.HeartbeatInterval)
	case c.HandshakeTimeout < 0:
		return bad("HandshakeTimeout %v is negative", c.HandshakeTimeout)
	case c.CloseTimeout < 0:
		return bad("CloseTimeout %v is negative", c.CloseTimeout)
	case c.MaxPendingConnections < 0:
		return bad("MaxPendingConnections %d is negative", c.MaxPendingConnections)
	}
	for _, p := range c.SupportedProtocols {
		if p == "" || strings.ContainsAny(p, ", \t\r\n") {
			return bad("subprotocol %q is empty or contains a comma or space", p)
		}
	}
	for k := range c.HandshakeHeaders {
		switch ck := textproto.CanonicalMIMEHeaderKey(k); {
		case ck == "Connection" || ck == "Upgrade" || ck == "Host" || strings.HasPrefix(ck, "Sec-Websocket-"):
			return bad("handshake header %q is set by the handshake itself", k)
		}
	}
	return nil
}

// maxPacketSize is the largest message PutPacket accepts.
func (c *Config) maxPacketSize() int {
	if c.OutboundBufferSize > 0 {
		return c.OutboundBufferSize
	}
	return c.InboundBufferSize
}

func (c *Config) originChecker() func(r *http.Request) bool {
	if c.CheckOrigin != nil {
		return c.CheckOrigin
	}
	if len(c.AllowedOrigins) == 0 {
		return nil // gorilla's same-origin default
	}
	allowed := append([]string(nil), c.AllowedOrigins...)
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" {
			return true
		}
		for _, a := range allowed {
			if a == "*" || strings.EqualFold(a, origin) {
				return true
			}
		}
		return sameOrigin(r, origin)
	}
}
