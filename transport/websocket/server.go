package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	gws "github.com/gorilla/websocket"

	"github.com/packetpeer/packetpeer/internal/acceptq"
	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/peer"
)

// Upgrade upgrades an HTTP request to a WebSocket connection (Godot's
// accept_stream) and returns an open peer. On failure it has already
// answered the client with an HTTP error (400 for a bad handshake or no
// matching subprotocol, 403 for a refused Origin) and returns an error
// matching ErrCantConnect. The caller owns the peer and must Close it.
func Upgrade(w http.ResponseWriter, r *http.Request, cfg *Config) (*Peer, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		http.Error(w, "websocket: server misconfigured", http.StatusInternalServerError)
		return nil, err
	}
	return upgrade(w, r, c, nil)
}

func upgrade(w http.ResponseWriter, r *http.Request, c Config, track func(*conn) bool) (*Peer, error) {
	fail := func(status int, detail string) (*Peer, error) {
		http.Error(w, "websocket: "+detail, status)
		return nil, &peer.OpError{Op: "upgrade", Transport: "websocket", Code: peer.ErrCantConnect, Detail: detail}
	}
	sel, ok := selectProtocol(gws.Subprotocols(r), c.SupportedProtocols)
	if !ok {
		return fail(http.StatusBadRequest, fmt.Sprintf("no acceptable subprotocol: client offered %q, server supports %q",
			gws.Subprotocols(r), c.SupportedProtocols))
	}
	up := gws.Upgrader{
		HandshakeTimeout:  c.HandshakeTimeout,
		CheckOrigin:       c.originChecker(),
		EnableCompression: false, // Godot drops compressed frames
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			http.Error(w, reason.Error(), status)
		},
	}
	if sel != "" {
		// Only the protocol chosen above, which the client offered.
		up.Subprotocols = []string{sel}
	}
	ws, err := up.Upgrade(&watchWriter{ResponseWriter: w}, r, c.HandshakeHeaders)
	if err != nil {
		return nil, &peer.OpError{Op: "upgrade", Transport: "websocket", Code: peer.ErrCantConnect, Err: err}
	}
	scheme := "ws"
	if r.TLS != nil {
		scheme = "wss"
	}
	cn := newConn(c, true, (&url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}).String())
	cn.req = r
	if (track != nil && !track(cn)) || !cn.attach(ws, nil) {
		ws.Close()
		return nil, &peer.OpError{Op: "upgrade", Transport: "websocket", Err: peer.ErrClosed}
	}
	return newPeer(cn), nil
}

// selectProtocol picks the first of the client's protocols the server
// supports, as Godot's server does. ok is false when the handshake must be
// refused: the client offered protocols and none matched, or offered none
// while the server requires one.
func selectProtocol(offered, supported []string) (string, bool) {
	if len(offered) == 0 {
		return "", len(supported) == 0
	}
	for _, o := range offered {
		for _, s := range supported {
			if o == s {
				return o, true
			}
		}
	}
	return "", false
}

// sameOrigin reports whether origin's host equals the request's Host, the
// rule gorilla/websocket applies by default.
func sameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// Handler is an http.Handler that upgrades every request to a WebSocket
// connection, to mount on your own server (mux.Handle("/ws", h)). Peers
// either go to the serve function given to NewHandler or, without one,
// wait in a queue for Accept or TakeConnection (Godot's polling style).
// Close closes every peer it produced.
type Handler struct {
	cfg   Config
	serve func(*Peer)
	queue *acceptq.Queue[*Peer]
	stats *listenstats.Counters

	mu        sync.Mutex
	closed    bool
	closeDone chan struct{} // closed when the first Close has returned
	peers     map[*conn]*Peer
	wg        sync.WaitGroup
}

// NewHandler returns a Handler using cfg. With serve non-nil every new peer
// is passed to serve, in the request's goroutine, and closed when serve
// returns; with serve nil peers are queued (at most
// cfg.MaxPendingConnections, more are refused with HTTP 503) for Accept.
func NewHandler(cfg *Config, serve func(*Peer)) (*Handler, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	h := &Handler{
		cfg:   c,
		serve: serve,
		stats: listenstats.New("websocket", c.Logger),
		peers: map[*conn]*Peer{},

		closeDone: make(chan struct{}),
	}
	// Close closes the evicted peers with the others.
	h.queue = acceptq.New(c.MaxPendingConnections, h.stats, (*Peer).RemoteAddr)
	return h, nil
}

// ServeHTTP upgrades the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		h.stats.Drop(peer.DropRefused, requestAddr(r), errHandlerClosed)
		http.Error(w, "websocket: server closed", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	if h.serve == nil && h.queue.Full() {
		h.stats.Drop(peer.DropRefused, requestAddr(r), errPendingFull)
		http.Error(w, "websocket: too many pending connections", http.StatusServiceUnavailable)
		return
	}
	p, err := upgrade(w, r, h.cfg, func(c *conn) bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.closed {
			return false
		}
		h.peers[c] = nil
		c.onClose = func() {
			h.mu.Lock()
			delete(h.peers, c)
			h.mu.Unlock()
		}
		return true
	})
	if err != nil {
		cause := peer.DropFailed
		if errors.Is(err, peer.ErrClosed) {
			cause = peer.DropRefused
		}
		h.stats.Drop(cause, requestAddr(r), err)
		return
	}
	h.mu.Lock()
	if _, ok := h.peers[p.c]; ok {
		h.peers[p.c] = p
	}
	h.mu.Unlock()
	if h.serve != nil {
		h.stats.Accepted()
		defer p.Close()
		h.serve(p)
		return
	}
	if h.queue.Push(p) {
		return
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		h.stats.Drop(peer.DropEvicted, p.RemoteAddr(), errEvicted)
		p.Close()
		return
	}
	h.stats.Drop(peer.DropRefused, p.RemoteAddr(), errPendingFull)
	p.CloseWithCode(CloseTryAgainLater, "too many pending connections")
	p.Close()
}

var (
	errHandlerClosed = &peer.OpError{Op: "upgrade", Transport: "websocket", Err: peer.ErrClosed, Detail: "the server is closed"}
	errPendingFull   = &peer.OpError{Op: "upgrade", Transport: "websocket", Code: peer.ErrBusy, Detail: "MaxPendingConnections upgraded connections wait for Accept"}
	errNoUpgrade     = &peer.OpError{Op: "upgrade", Transport: "websocket", Code: peer.ErrCantConnect,
		Detail: "the connection closed before a valid upgrade request (TLS or HTTP error)"}
	errUpgradeTimeout = &peer.OpError{Op: "upgrade", Transport: "websocket", Code: peer.ErrTimeout,
		Detail: "TLS and the upgrade request did not finish within HandshakeTimeout"}
	errEvicted = &peer.OpError{Op: "accept", Transport: "websocket", Err: peer.ErrClosed, Detail: "the listener closed before the connection was taken"}
)

// requestAddr is the remote address of r, nil if it does not parse.
func requestAddr(r *http.Request) net.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return nil
	}
	return net.TCPAddrFromAddrPort(ap)
}

// ListenerStats are a Listener's or Handler's counters since it was made:
// connections waiting for Accept (Pending), handed out (Accepted, which
// counts every peer given to a serve function too), and dropped by cause:
// Refused (pending queue full, or closed), Failed (a bad upgrade request,
// Origin or subprotocol; on a Listener also a TLS or HTTP error before the
// request), TimedOut (a Listener's client that did not finish TLS and the
// request within HandshakeTimeout) and Evicted (pending when the Listener
// or Handler closed).
type ListenerStats struct {
	peer.ListenerStats
}

// Stats returns the handler's counters.
func (h *Handler) Stats() ListenerStats {
	return ListenerStats{h.stats.Stats(h.queue.Len())}
}

// Accept waits for the next connection. After Close it returns an error
// matching net.ErrClosed.
func (h *Handler) Accept(ctx context.Context) (*Peer, error) { return h.queue.Accept(ctx) }

// IsConnectionAvailable reports whether TakeConnection has a connection
// (Godot's is_connection_available); false after Close.
func (h *Handler) IsConnectionAvailable() bool { return h.queue.Available() }

// TakeConnection returns a waiting connection without blocking (Godot's
// take_connection), or an error matching ErrUnavailable when none waits,
// or net.ErrClosed after Close.
func (h *Handler) TakeConnection() (*Peer, error) { return h.queue.Take() }

// Close refuses new upgrades, closes every peer the handler produced
// (pending or accepted, with close code 1001 going away), and waits for
// running ServeHTTP calls and serve functions to return. A Close called
// while another is under way waits for it. An http.Server's Shutdown and
// Close do not reach upgraded connections: see ConfigureServer.
func (h *Handler) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		<-h.closeDone
		return nil
	}
	defer close(h.closeDone)
	h.closed = true
	h.queue.Close(errEvicted) // the evicted peers are closed below with the others
	var all []*Peer
	var raw []*conn
	for c, p := range h.peers {
		if p != nil {
			all = append(all, p)
		} else {
			raw = append(raw, c)
		}
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.CloseWithCode(CloseGoingAway, "server closing")
			p.Close()
		}()
	}
	for _, c := range raw {
		c.teardown(errLocalClose)
	}
	wg.Wait()
	h.wg.Wait()
	return nil
}

// Listener is a WebSocket server on its own TCP (or TLS) listener: Godot's
// TCPServer + WebSocketPeer.accept_stream in one. It accepts upgrades on
// every path; Peer.RequestedURL tells which.
type Listener struct {
	h         *Handler
	ln        net.Listener
	srv       *http.Server
	serveDone chan struct{}

	cmu         sync.Mutex
	conns       map[net.Conn]bool // connections before their upgrade: handled by ServeHTTP
	handshaking int               // conns not handled yet
	closing     bool
}

type connKey struct{}

// Listen listens on a TCP address such as "127.0.0.1:9080" or ":9080" and
// serves ws:// (wss:// with cfg.TLSConfig). Clients that do not finish TLS
// and the upgrade request within cfg.HandshakeTimeout are disconnected.
func Listen(addr string, cfg *Config) (*Listener, error) {
	h, err := NewHandler(cfg, nil)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Transport: "websocket", Code: peer.ErrCantCreate, Err: err}
	}
	ln = batchListener{ln}
	if h.cfg.TLSConfig != nil {
		tc := h.cfg.TLSConfig.Clone()
		tc.NextProtos = []string{"http/1.1"}
		ln = tls.NewListener(ln, tc)
	}
	l := &Listener{
		h:         h,
		ln:        ln,
		serveDone: make(chan struct{}),
		conns:     map[net.Conn]bool{},
	}
	l.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
				l.cmu.Lock()
				if handled, ok := l.conns[c]; ok && !handled {
					l.conns[c] = true
					l.handshaking--
				}
				l.cmu.Unlock()
			}
			h.ServeHTTP(w, r)
		}),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ConnState:         l.connState,
		ReadHeaderTimeout: h.cfg.HandshakeTimeout,
		// Bounds a request body that never arrives; upgraded connections
		// are unaffected (the deadline is cleared on hijack).
		ReadTimeout:    h.cfg.HandshakeTimeout,
		IdleTimeout:    h.cfg.HandshakeTimeout,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       log.New(io.Discard, "", 0),
		TLSNextProto:   map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	go func() {
		defer close(l.serveDone)
		l.srv.Serve(ln)
	}()
	return l, nil
}

// connState counts the connections that end before a request reaches the
// Handler (which counts the rest): timed out, failed (TLS or HTTP error),
// or evicted by Close.
func (l *Listener) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		l.cmu.Lock()
		l.conns[c] = false
		l.handshaking++
		l.cmu.Unlock()
	case http.StateHijacked, http.StateClosed:
		l.cmu.Lock()
		handled, ok := l.conns[c]
		delete(l.conns, c)
		if ok && !handled {
			l.handshaking--
		}
		closing := l.closing
		l.cmu.Unlock()
		if !ok || handled || st == http.StateHijacked {
			return
		}
		bc := findBatchConn(c)
		switch {
		case closing:
			l.h.stats.Drop(peer.DropEvicted, c.RemoteAddr(), errEvicted)
		case bc != nil && bc.timedOut.Load():
			l.h.stats.Drop(peer.DropTimedOut, c.RemoteAddr(), errUpgradeTimeout)
		default:
			l.h.stats.Drop(peer.DropFailed, c.RemoteAddr(), errNoUpgrade)
		}
	}
}

// Stats returns the listener's counters. Pending counts the connections
// still in TLS or the upgrade request too.
func (l *Listener) Stats() ListenerStats {
	s := l.h.Stats()
	l.cmu.Lock()
	s.Pending += l.handshaking
	l.cmu.Unlock()
	return s
}

// ListenerStats returns the counters every transport's listener shares
// (peer.Listener).
func (l *Listener) ListenerStats() peer.ListenerStats { return l.Stats().ListenerStats }

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Accept waits for the next connection; see Handler.Accept.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) { return l.h.Accept(ctx) }

// IsConnectionAvailable reports whether TakeConnection has a connection.
func (l *Listener) IsConnectionAvailable() bool { return l.h.IsConnectionAvailable() }

// TakeConnection returns a waiting connection without blocking, or an
// error matching ErrUnavailable.
func (l *Listener) TakeConnection() (*Peer, error) { return l.h.TakeConnection() }

// Close stops listening, closes every connection accepted or pending and
// waits for the server's goroutines.
func (l *Listener) Close() error {
	l.cmu.Lock()
	l.closing = true
	l.cmu.Unlock()
	err := l.srv.Close()
	l.h.Close()
	<-l.serveDone
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
