package quic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/packetpeer/packetpeer/internal/acceptq"
	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/peer"
)

// openMarker is the empty frame a client writes when it opens the reliable
// stream: QUIC makes a stream visible to the server only once it carries
// data. Receivers skip empty frames.
var openMarker = [frameHeaderSize]byte{}

// evictGrace is how long a connection may wait for its reliable stream
// before a newer connection, finding every slot taken, may evict it. An
// honest client opens the stream together with the end of its handshake, so
// a second is generous even on a slow link. A variable for the tests.
var evictGrace = time.Second

// errEvicted ends the wait of a connection evicted for a newer one.
var errEvicted = &peer.OpError{Op: "accept", Transport: "quic", Detail: "evicted while waiting for the reliable stream"}

// Dial connects to a Listener at addr ("host:port") and returns the peer once
// the TLS handshake is done, the reliable stream is open and the Listener has
// taken the connection (one round trip more than the handshake). ctx bounds the
// whole attempt, as does cfg.HandshakeTimeout. Failures match
// peer.ErrCantConnect (errors.Is), plus ctx's error when it ended the attempt.
//
// The client verifies the server's certificate against cfg.TLSConfig.RootCAs
// (the system roots when nil) for the host in addr, unless
// cfg.UnsafeSkipVerify.
func Dial(ctx context.Context, addr string, cfg *Config) (*Peer, error) {
	cv := cfg.withDefaults()
	if err := cv.validate(); err != nil {
		return nil, err
	}
	c := &cv
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, &peer.OpError{Op: "dial", Transport: "quic", Code: peer.ErrCantResolve, Err: err, Detail: addr}
	}
	tlsConf, err := c.tlsConfig(false, addr)
	if err != nil {
		return nil, err
	}
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, &peer.OpError{Op: "dial", Transport: "quic", Code: peer.ErrCantConnect, Err: err, Detail: addr}
	}
	tr := &quicgo.Transport{Conn: udp}
	fail := func(err error) (*Peer, error) {
		tr.Close()
		udp.Close()
		return nil, &peer.OpError{Op: "dial", Transport: "quic", Code: peer.ErrCantConnect, Err: err, Detail: addr}
	}
	hctx, cancel := context.WithTimeout(ctx, c.HandshakeTimeout)
	defer cancel()
	qc, err := tr.Dial(hctx, raddr, tlsConf, c.quicConfig())
	if err != nil {
		return fail(err)
	}
	str, err := qc.OpenStreamSync(hctx)
	if err == nil {
		_, err = str.Write(openMarker[:])
	}
	if err == nil {
		err = awaitMarker(hctx, str)
	}
	if err != nil {
		qc.CloseWithError(quicgo.ApplicationErrorCode(peer.ErrCantConnect.Code()), "opening the stream failed")
		return fail(err)
	}
	return newPeer(newConn(c, qc, str, tr, udp, nil)), nil
}

// awaitMarker reads the server's empty frame, its sign that the Listener
// took the connection (quic-go may refuse a connection after the handshake
// when its accept queue is full).
func awaitMarker(ctx context.Context, str *quicgo.Stream) error {
	stop := context.AfterFunc(ctx, func() { str.SetReadDeadline(time.Now()) })
	defer stop()
	var m [frameHeaderSize]byte
	if _, err := io.ReadFull(str, m[:]); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return connError("dial", err)
	}
	if m != openMarker {
		return &peer.OpError{Op: "dial", Transport: "quic", Code: peer.ErrInvalidData,
			Detail: fmt.Sprintf("the server answered %x, not an empty frame: not a packetpeer QUIC server?", m)}
	}
	return nil
}

// Listener accepts QUIC connections on one UDP socket (Godot's TCPServer /
// UDPServer shape: IsConnectionAvailable and TakeConnection, with Go's
// blocking Accept beside them).
//
// Connections are handshaken in the background; a peer is ready (its
// reliable stream open, packets already being queued) when Accept or
// TakeConnection returns it. At most Config.MaxPendingConnections wait to be
// taken or are still waiting for their reliable stream. When a new
// connection finds every slot taken, the Listener evicts the connection that
// has waited longest for its stream, once it has waited at least a second;
// when no connection qualifies it waits for one to qualify or for a slot to
// free, quic-go queues a few more and then refuses new connections.
//
// Every connection it drops is counted by cause in Stats and logged through
// Config.Logger (see ListenerStats).
type Listener struct {
	cfg *Config
	udp *net.UDPConn
	tr  *quicgo.Transport
	ql  *quicgo.Listener

	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	pending *acceptq.Queue[*Peer] // each holds a slot until taken
	slots   chan struct{}         // one per connection handshaking or pending
	wg      sync.WaitGroup

	mu      sync.Mutex
	peers   map[*conn]*Peer // every live peer, pending or taken
	waiting []*streamWait   // connections waiting for their stream, oldest first
	closed  bool
	once    sync.Once

	stats *listenstats.Counters

	// Connections quic-go is handshaking (see connContext).
	hsMu     sync.Mutex
	hs       map[*connWatch]struct{}
	hsClosed bool
	hsWG     sync.WaitGroup // one per registered connWatch callback
}

// connWatch follows one connection from quic-go's first packet of it, so
// that a connection that ends before the Listener takes it from quic-go (a
// failed or timed-out TLS handshake, or one quic-go refused) is counted.
type connWatch struct {
	remote net.Addr
	state  atomic.Int32 // watchHandshaking, then watchTaken or watchEnded
	stop   func() bool
}

const (
	watchHandshaking = iota
	watchTaken
	watchEnded
)

type connWatchKey struct{}

// connContext is quic-go's Transport.ConnContext: ctx ends, with the
// reason as its cause, when the connection ends.
func (l *Listener) connContext(ctx context.Context, info *quicgo.ClientInfo) (context.Context, error) {
	w := &connWatch{remote: info.RemoteAddr}
	l.hsMu.Lock()
	defer l.hsMu.Unlock()
	if l.hsClosed {
		return ctx, nil
	}
	l.hs[w] = struct{}{}
	l.hsWG.Add(1)
	w.stop = context.AfterFunc(ctx, func() {
		defer l.hsWG.Done()
		l.connEnded(w, context.Cause(ctx))
	})
	return context.WithValue(ctx, connWatchKey{}, w), nil
}

// connEnded counts a connection that ended before the Listener took it.
func (l *Listener) connEnded(w *connWatch, cause error) {
	l.hsMu.Lock()
	delete(l.hs, w)
	l.hsMu.Unlock()
	if !w.state.CompareAndSwap(watchHandshaking, watchEnded) {
		return
	}
	var te *quicgo.TransportError
	switch {
	case l.ctx.Err() != nil:
		l.stats.Drop(peer.DropEvicted, w.remote, nil)
	case errors.As(cause, new(*quicgo.HandshakeTimeoutError)), errors.As(cause, new(*quicgo.IdleTimeoutError)):
		l.stats.Drop(peer.DropTimedOut, w.remote, cause)
	case errors.As(cause, &te) && te.ErrorCode == quicgo.ConnectionRefused && !te.Remote:
		l.stats.Drop(peer.DropRefused, w.remote, cause)
	default:
		l.stats.Drop(peer.DropFailed, w.remote, cause)
	}
}

// taken marks qc as taken from quic-go; false means it ended (and was
// counted) while it waited in quic-go's queue.
func taken(qc *quicgo.Conn) bool {
	w, ok := qc.Context().Value(connWatchKey{}).(*connWatch)
	return !ok || w.state.CompareAndSwap(watchHandshaking, watchTaken)
}

// streamWait is a handshaken connection waiting for its reliable stream.
type streamWait struct {
	since  time.Time
	cancel context.CancelCauseFunc
}

// ListenerStats are a Listener's counters since Listen. Pending counts the
// connections ready for Accept or TakeConnection plus those waiting for their
// reliable stream. The drop causes:
//
//   - Refused: quic-go refused a handshaken connection because its own
//     accept queue was full, or a connection ended while it waited for a
//     slot (every one of MaxPendingConnections taken);
//   - Failed: the TLS handshake failed (no common ALPN protocol, a bad
//     certificate, a malformed Initial), or the client closed before its
//     reliable stream was open;
//   - TimedOut: the handshake, or the opening of the reliable stream, did
//     not finish within HandshakeTimeout;
//   - Evicted: a connection waiting for its reliable stream was closed to
//     make room for a newer one, or the Listener closed before it was taken;
//   - Expired: an accepted connection received nothing for IdleTimeout.
type ListenerStats struct {
	peer.ListenerStats
	// Waiting is how many of the Pending connections are handshaken but
	// still waiting for their reliable stream.
	Waiting int
}

// Stats returns the Listener's counters.
func (l *Listener) Stats() ListenerStats {
	l.mu.Lock()
	waiting := len(l.waiting)
	l.mu.Unlock()
	return ListenerStats{ListenerStats: l.stats.Stats(waiting + l.pending.Len()), Waiting: waiting}
}

// ListenerStats returns the counters every transport's listener shares
// (peer.Listener).
func (l *Listener) ListenerStats() peer.ListenerStats { return l.Stats().ListenerStats }

// Listen listens for QUIC connections on the UDP address addr
// ("127.0.0.1:0" picks a free port). cfg.TLSConfig must hold the server's
// certificate, else the error matches peer.ErrUnconfigured.
func Listen(addr string, cfg *Config) (*Listener, error) {
	cv := cfg.withDefaults()
	if err := cv.validate(); err != nil {
		return nil, err
	}
	c := &cv
	tlsConf, err := c.tlsConfig(true, "")
	if err != nil {
		return nil, err
	}
	laddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Transport: "quic", Code: peer.ErrCantResolve, Err: err, Detail: addr}
	}
	udp, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Transport: "quic", Code: peer.ErrCantCreate, Err: err, Detail: addr}
	}
	l := &Listener{
		cfg:   c,
		udp:   udp,
		slots: make(chan struct{}, c.MaxPendingConnections),
		peers: map[*conn]*Peer{},
		stats: listenstats.New("quic", c.Logger),
		hs:    map[*connWatch]struct{}{},
	}
	l.pending = acceptq.New(c.MaxPendingConnections, l.stats, func(p *Peer) net.Addr {
		<-l.slots // the peer itself is closed with every other by Close
		return p.RemoteAddr()
	})
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.tr = &quicgo.Transport{Conn: udp, ConnContext: l.connContext}
	l.ql, err = l.tr.Listen(tlsConf, c.quicConfig())
	if err != nil {
		l.cancel()
		l.tr.Close()
		udp.Close()
		return nil, &peer.OpError{Op: "listen", Transport: "quic", Code: peer.ErrCantCreate, Err: err, Detail: addr}
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		qc, err := l.ql.Accept(l.ctx)
		if err != nil {
			return
		}
		if !taken(qc) {
			continue
		}
		if !l.acquire(qc) {
			qc.CloseWithError(quicgo.ApplicationErrorCode(peer.ErrBusy.Code()), "the server is busy")
			if l.ctx.Err() != nil {
				l.stats.Drop(peer.DropEvicted, qc.RemoteAddr(), nil)
				return
			}
			l.stats.Drop(peer.DropRefused, qc.RemoteAddr(), context.Cause(qc.Context()))
			continue
		}
		w := &streamWait{since: time.Now()}
		ctx, cancel := context.WithTimeout(l.ctx, l.cfg.HandshakeTimeout)
		sctx, scancel := context.WithCancelCause(ctx)
		w.cancel = scancel
		l.mu.Lock()
		l.waiting = append(l.waiting, w)
		l.mu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer cancel()
			l.handshake(qc, w, sctx)
		}()
	}
}

// acquire takes a slot for qc. When every slot is taken it evicts the
// connection that has waited longest for its stream, once that one has
// waited evictGrace, and otherwise waits for a slot. It returns false when
// the Listener closes or qc ends first.
func (l *Listener) acquire(qc *quicgo.Conn) bool {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	evicted := false
	for {
		select {
		case l.slots <- struct{}{}:
			return true
		default:
		}
		var wake <-chan time.Time
		if !evicted {
			var wait time.Duration
			evicted, wait = l.evictOldest()
			if !evicted && wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				wake = timer.C
			}
		}
		select {
		case l.slots <- struct{}{}:
			return true
		case <-wake:
		case <-qc.Context().Done():
			return false
		case <-l.ctx.Done():
			return false
		}
	}
}

// evictOldest evicts the connection that has waited longest for its stream
// if it has waited evictGrace. Otherwise it returns how long until it will
// have (0 when no connection is waiting for its stream).
func (l *Listener) evictOldest() (evicted bool, wait time.Duration) {
	l.mu.Lock()
	if len(l.waiting) == 0 {
		l.mu.Unlock()
		return false, 0
	}
	w := l.waiting[0]
	if d := evictGrace - time.Since(w.since); d > 0 {
		l.mu.Unlock()
		return false, d
	}
	l.waiting = l.waiting[1:]
	l.mu.Unlock()
	w.cancel(errEvicted)
	return true, 0
}

// stopWaiting removes w from l.waiting and reports whether it was still
// there (false: it was evicted).
func (l *Listener) stopWaiting(w *streamWait) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.waiting {
		if x == w {
			l.waiting = append(l.waiting[:i], l.waiting[i+1:]...)
			return true
		}
	}
	return false
}

// handshake waits for the client to open the reliable stream, then queues
// the peer for Accept. ctx ends at the handshake timeout, at Close, or when
// the connection is evicted.
func (l *Listener) handshake(qc *quicgo.Conn, w *streamWait, ctx context.Context) {
	str, err := qc.AcceptStream(ctx)
	if !l.stopWaiting(w) && err == nil {
		err = errEvicted // evicted just as the stream arrived
	}
	if err == nil {
		_, err = str.Write(openMarker[:]) // tells Dial it was accepted
	}
	if err != nil {
		remote := qc.RemoteAddr()
		switch {
		case errors.Is(context.Cause(ctx), errEvicted) || errors.Is(err, errEvicted):
			l.stats.Drop(peer.DropEvicted, remote, errEvicted)
			qc.CloseWithError(quicgo.ApplicationErrorCode(peer.ErrBusy.Code()),
				"evicted: the reliable stream was not opened while the server was full")
		case l.ctx.Err() != nil:
			l.stats.Drop(peer.DropEvicted, remote, nil)
			qc.CloseWithError(quicgo.ApplicationErrorCode(peer.ErrTimeout.Code()), "the reliable stream was not opened in time")
		case errors.Is(context.Cause(ctx), context.DeadlineExceeded):
			l.stats.Drop(peer.DropTimedOut, remote, &peer.OpError{Op: "accept stream", Transport: "quic", Code: peer.ErrTimeout,
				Detail: fmt.Sprintf("the reliable stream was not opened within %v (Config.HandshakeTimeout)", l.cfg.HandshakeTimeout)})
			qc.CloseWithError(quicgo.ApplicationErrorCode(peer.ErrTimeout.Code()), "the reliable stream was not opened in time")
		default:
			l.stats.Drop(peer.DropFailed, remote, connError("accept stream", err))
			qc.CloseWithError(quicgo.ApplicationErrorCode(peer.ErrTimeout.Code()), "the reliable stream was not opened in time")
		}
		<-l.slots
		return
	}
	c := newConn(l.cfg, qc, str, nil, nil, l)
	p := newPeer(c)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.stats.Drop(peer.DropEvicted, qc.RemoteAddr(), nil)
		c.noLinger.Store(true)
		p.Close()
		<-l.slots
		return
	}
	l.peers[c] = p
	l.mu.Unlock()
	if !l.pending.Push(p) { // a slot is held, so only a closed queue refuses
		l.stats.Drop(peer.DropEvicted, qc.RemoteAddr(), nil)
		c.noLinger.Store(true)
		p.Close()
		<-l.slots
	}
}

func (l *Listener) untrack(c *conn) {
	l.mu.Lock()
	delete(l.peers, c)
	l.mu.Unlock()
}

// Accept waits for the next connection. It returns ctx's error when ctx
// ends, and an error matching net.ErrClosed once the Listener is closed.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) {
	p, err := l.pending.Accept(ctx)
	if err != nil {
		return nil, err
	}
	<-l.slots
	return p, nil
}

// IsConnectionAvailable reports whether TakeConnection has a connection to
// return (Godot's is_connection_available); false after Close.
func (l *Listener) IsConnectionAvailable() bool { return l.pending.Available() }

// TakeConnection returns the next connection without waiting (Godot's
// take_connection), or an error matching peer.ErrUnavailable when none is
// ready, or net.ErrClosed after Close.
func (l *Listener) TakeConnection() (*Peer, error) {
	p, err := l.pending.Take()
	if err != nil {
		return nil, err
	}
	<-l.slots
	return p, nil
}

// Addr returns the UDP address the Listener is bound to (its port is
// Godot's get_local_port).
func (l *Listener) Addr() net.Addr { return l.udp.LocalAddr() }

// Close stops listening and closes, at once, every connection it accepted,
// taken or not; their reads then fail with net.ErrClosed. No goroutine of
// the Listener survives Close. Calling Close again returns nil.
func (l *Listener) Close() error {
	l.once.Do(func() {
		l.cancel()
		l.pending.Close(nil)
		l.ql.Close()
		l.wg.Wait()
		l.mu.Lock()
		l.closed = true
		peers := make([]*Peer, 0, len(l.peers))
		for c, p := range l.peers {
			c.noLinger.Store(true)
			peers = append(peers, p)
		}
		l.mu.Unlock()
		var wg sync.WaitGroup
		for _, p := range peers {
			wg.Go(func() { p.Close() })
		}
		wg.Wait()
		l.tr.Close()
		l.udp.Close()
		// Stop following the connections quic-go still had: the ones
		// whose callback has not run are counted here.
		l.hsMu.Lock()
		l.hsClosed = true
		ws := make([]*connWatch, 0, len(l.hs))
		for w := range l.hs {
			ws = append(ws, w)
		}
		l.hsMu.Unlock()
		for _, w := range ws {
			if w.stop() {
				l.hsWG.Done()
				if w.state.CompareAndSwap(watchHandshaking, watchEnded) {
					l.stats.Drop(peer.DropEvicted, w.remote, nil)
				}
			}
		}
		l.hsWG.Wait()
	})
	return nil
}
