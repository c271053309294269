package quic

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/packetpeer/packetpeer/peer"
)

// openMarker is the empty frame a client writes when it opens the reliable
// stream: QUIC makes a stream visible to the server only once it carries
// data. Receivers skip empty frames.
var openMarker = [frameHeaderSize]byte{}

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
	c, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("quic: dial %s: %w: %w", addr, peer.ErrCantResolve, err)
	}
	tlsConf, err := c.tlsConfig(false, addr)
	if err != nil {
		return nil, err
	}
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, fmt.Errorf("quic: dial %s: %w: %w", addr, peer.ErrCantConnect, err)
	}
	tr := &quicgo.Transport{Conn: udp}
	fail := func(err error) (*Peer, error) {
		tr.Close()
		udp.Close()
		return nil, fmt.Errorf("quic: dial %s: %w: %w", addr, peer.ErrCantConnect, err)
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
	return newPeer(newConn(c, qc, str, tr, udp)), nil
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
		return &peer.OpError{Op: "dial", Err: peer.ErrInvalidData,
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
// taken; beyond that the Listener stops accepting, quic-go queues a few more
// and then refuses new connections.
type Listener struct {
	cfg *config
	udp *net.UDPConn
	tr  *quicgo.Transport
	ql  *quicgo.Listener

	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	pending chan *Peer
	slots   chan struct{} // one per connection handshaking or pending
	wg      sync.WaitGroup

	mu     sync.Mutex
	peers  map[*conn]*Peer // every live peer, pending or taken
	closed bool
	once   sync.Once
}

// Listen listens for QUIC connections on the UDP address addr
// ("127.0.0.1:0" picks a free port). cfg.TLSConfig must hold the server's
// certificate, else the error matches peer.ErrUnconfigured.
func Listen(addr string, cfg *Config) (*Listener, error) {
	c, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	tlsConf, err := c.tlsConfig(true, "")
	if err != nil {
		return nil, err
	}
	laddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("quic: listen %s: %w: %w", addr, peer.ErrCantResolve, err)
	}
	udp, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("quic: listen %s: %w: %w", addr, peer.ErrCantCreate, err)
	}
	tr := &quicgo.Transport{Conn: udp}
	ql, err := tr.Listen(tlsConf, c.quicConfig())
	if err != nil {
		tr.Close()
		udp.Close()
		return nil, fmt.Errorf("quic: listen %s: %w: %w", addr, peer.ErrCantCreate, err)
	}
	l := &Listener{
		cfg:     c,
		udp:     udp,
		tr:      tr,
		ql:      ql,
		pending: make(chan *Peer, c.MaxPendingConnections),
		slots:   make(chan struct{}, c.MaxPendingConnections),
		peers:   map[*conn]*Peer{},
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		qc, err := l.ql.Accept(l.ctx)
		if err != nil {
			<-l.slots
			return
		}
		l.wg.Add(1)
		go l.handshake(qc)
	}
}

// handshake waits for the client to open the reliable stream, then queues
// the peer for Accept.
func (l *Listener) handshake(qc *quicgo.Conn) {
	defer l.wg.Done()
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.HandshakeTimeout)
	str, err := qc.AcceptStream(ctx)
	cancel()
	if err == nil {
		_, err = str.Write(openMarker[:]) // tells Dial it was accepted
	}
	if err != nil {
		qc.CloseWithError(quicgo.ApplicationErrorCode(peer.ErrTimeout.Code()), "the reliable stream was not opened in time")
		<-l.slots
		return
	}
	c := newConn(l.cfg, qc, str, nil, nil)
	p := newPeer(c)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		c.noLinger.Store(true)
		p.Close()
		<-l.slots
		return
	}
	l.peers[c] = p
	c.onClose = l.untrack
	l.mu.Unlock()
	l.pending <- p // never blocks: a slot is held
}

func (l *Listener) untrack(c *conn) {
	l.mu.Lock()
	delete(l.peers, c)
	l.mu.Unlock()
}

func (l *Listener) closedError(op string) error {
	return &peer.OpError{Op: op, Err: peer.ErrClosed}
}

// Accept waits for the next connection. It returns ctx's error when ctx
// ends, and an error matching net.ErrClosed once the Listener is closed.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) {
	if l.ctx.Err() != nil {
		return nil, l.closedError("accept")
	}
	select {
	case p := <-l.pending:
		<-l.slots
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.ctx.Done():
		return nil, l.closedError("accept")
	}
}

// IsConnectionAvailable reports whether TakeConnection has a connection to
// return (Godot's is_connection_available).
func (l *Listener) IsConnectionAvailable() bool {
	return l.ctx.Err() == nil && len(l.pending) > 0
}

// TakeConnection returns the next connection without waiting (Godot's
// take_connection), or an error matching peer.ErrUnavailable when none is
// ready.
func (l *Listener) TakeConnection() (*Peer, error) {
	if l.ctx.Err() != nil {
		return nil, l.closedError("take connection")
	}
	select {
	case p := <-l.pending:
		<-l.slots
		return p, nil
	default:
		return nil, &peer.OpError{Op: "take connection", Err: peer.ErrUnavailable, Detail: "no connection available"}
	}
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
	})
	return nil
}
