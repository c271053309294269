package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/packetpeer/packetpeer/internal/acceptq"
	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/peer"
)

// Dial connects to a TCP address ("host:port") and returns a connected Peer
// (Godot's StreamPeerTCP.connect_to_host plus PacketPeerStream). ctx bounds
// the connection attempt only. A nil cfg means the defaults.
func Dial(ctx context.Context, addr string, cfg *Config) (*Peer, error) {
	return DialNetwork(ctx, "tcp", addr, cfg)
}

// DialNetwork is Dial on another stream network: "tcp", "tcp4", "tcp6" or
// "unix" (addr is then a socket path).
func DialNetwork(ctx context.Context, network, addr string, cfg *Config) (*Peer, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	c0 := cfg.withDefaults()
	d := net.Dialer{Timeout: c0.ConnectTimeout}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &peer.OpError{Op: "dial", Transport: "stream", Code: peer.ErrCantConnect, Err: err}
	}
	return New(c, cfg), nil
}

func checkNetwork(network string) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
		return nil
	}
	return &peer.OpError{Op: "dial", Transport: "stream", Code: peer.ErrInvalidParameter,
		Detail: fmt.Sprintf("network %q is not a stream network (tcp, tcp4, tcp6, unix)", network)}
}

// Listener accepts stream peers (Godot's TCPServer). It accepts in the
// background into a queue bounded by Config.MaxPendingConnections, so
// IsConnectionAvailable and TakeConnection never block. Its peers close
// after Config.IdleTimeout without data (default DefaultIdleTimeout). Close
// stops it and closes every peer it accepted, taken or not.
type Listener struct {
	ln      net.Listener
	cfg     Config
	pending *acceptq.Queue[net.Conn]
	done    chan struct{}
	stopped chan struct{} // closed when the accept goroutine has ended
	stats   *listenstats.Counters

	mu     sync.Mutex
	closed bool
	peers  map[*conn]*Peer
	once   sync.Once
}

// ListenerStats are a Listener's counters since it was made. Of the drop
// causes a stream Listener produces:
//
//   - Failed: an accept failed (the process ran out of file descriptors, a
//     connection was aborted before it was taken from the kernel), or, on a
//     TLS listener (NewListener(tls.NewListener(...))), a peer's TLS
//     handshake failed;
//   - TimedOut: a peer's TLS handshake did not finish within IdleTimeout;
//   - Expired: a peer sent nothing for IdleTimeout (Config.IdleTimeout);
//   - Evicted: a connection was still waiting to be taken at Close.
//
// It refuses nothing: beyond MaxPendingConnections the kernel's backlog
// holds new clients. Pending counts the connections waiting to be taken.
type ListenerStats struct {
	peer.ListenerStats
}

// Stats returns the Listener's counters.
func (l *Listener) Stats() ListenerStats {
	return ListenerStats{l.stats.Stats(l.pending.Len())}
}

// ListenerStats returns the counters every transport's listener shares
// (peer.Listener).
func (l *Listener) ListenerStats() peer.ListenerStats { return l.stats.Stats(l.pending.Len()) }

// Listen listens on a TCP address ("127.0.0.1:0", ":4242"; Godot's
// TCPServer.listen). A nil cfg means the defaults; every accepted peer gets cfg.
func Listen(addr string, cfg *Config) (*Listener, error) {
	return ListenNetwork("tcp", addr, cfg)
}

// ListenNetwork is Listen on another stream network: "tcp", "tcp4", "tcp6" or
// "unix" (addr is then a socket path, removed again by Close).
func ListenNetwork(network, addr string, cfg *Config) (*Listener, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Transport: "stream", Code: peer.ErrCantCreate, Err: err}
	}
	return NewListener(ln, cfg), nil
}

// NewListener serves peers accepted from ln, which it owns (for example a
// tls.NewListener). A nil cfg means the defaults.
func NewListener(ln net.Listener, cfg *Config) *Listener {
	c := cfg.withDefaults()
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	l := &Listener{
		ln:      ln,
		cfg:     c,
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		stats:   listenstats.New("stream", c.Logger),
		peers:   map[*conn]*Peer{},
	}
	l.pending = acceptq.New(c.MaxPendingConnections, l.stats, func(c net.Conn) net.Addr {
		c.Close()
		return c.RemoteAddr()
	})
	go l.acceptLoop()
	return l
}

// acceptLoop moves connections from ln to the pending queue until ln fails
// or the Listener closes; while the queue is full, new clients wait in the
// kernel's backlog.
func (l *Listener) acceptLoop() {
	defer close(l.stopped)
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				l.pending.Fail(&peer.OpError{Op: "accept", Transport: "stream", Err: err})
				return
			}
			// Transient (too many open files, aborted handshake, ...):
			// retry with backoff, as net/http does.
			l.stats.Drop(peer.DropFailed, nil, err)
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
				continue
			case <-l.done:
				t.Stop()
				return
			}
		}
		delay = 0
		if !l.pending.PushWait(c) {
			l.evict(c)
			return
		}
	}
}

// evict closes a connection the Listener closes before it was taken.
func (l *Listener) evict(c net.Conn) {
	c.Close()
	l.stats.Drop(peer.DropEvicted, c.RemoteAddr(), nil)
}

// peerEnded counts a peer's end as a drop when the Listener's rules caused
// it: the idle timeout, or a TLS handshake that failed or timed out.
func (l *Listener) peerEnded(c *conn, err error) {
	handshaking := false
	if tc, ok := c.rwc.(interface{ ConnectionState() tls.ConnectionState }); ok {
		handshaking = !tc.ConnectionState().HandshakeComplete
	}
	var cause peer.DropCause
	switch {
	case errors.Is(err, peer.ErrTimeout) && handshaking:
		cause = peer.DropTimedOut
	case errors.Is(err, peer.ErrTimeout):
		cause = peer.DropExpired
	case handshaking && err != io.EOF:
		cause = peer.DropFailed
	default:
		return
	}
	var remote net.Addr
	if nc, ok := c.rwc.(net.Conn); ok {
		remote = nc.RemoteAddr()
	}
	l.stats.Drop(cause, remote, err)
}

func (l *Listener) untrack(c *conn) {
	l.mu.Lock()
	delete(l.peers, c)
	l.mu.Unlock()
}

// Addr returns the address the listener is bound to (Godot's get_local_port
// is Addr().(*net.TCPAddr).Port).
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// IsConnectionAvailable reports whether TakeConnection has a peer to return
// (Godot's is_connection_available); false after Close.
func (l *Listener) IsConnectionAvailable() bool { return l.pending.Available() }

// TakeConnection returns the oldest accepted connection without blocking
// (Godot's take_connection), or an error matching peer.ErrUnavailable when
// none is waiting, or net.ErrClosed after Close.
func (l *Listener) TakeConnection() (*Peer, error) {
	c, err := l.pending.Take()
	if err != nil {
		return nil, err
	}
	return l.wrap(c)
}

// Accept waits for the next connection and returns it as a Peer. It returns
// ctx's error when ctx ends first, and an error matching net.ErrClosed after Close.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) {
	c, err := l.pending.Accept(ctx)
	if err != nil {
		return nil, err
	}
	return l.wrap(c)
}

func (l *Listener) wrap(c net.Conn) (*Peer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		l.evict(c)
		return nil, &peer.OpError{Op: "accept", Transport: "stream", Err: peer.ErrClosed}
	}
	p := newPeer(c, l.cfg, l)
	l.peers[p.t] = p
	return p, nil
}

// Close stops listening (Godot's stop), closes the connections accepted but
// not taken and every taken peer still open, and waits for the accept
// goroutine to end.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		l.pending.Close(nil)
		err = l.ln.Close()
		<-l.stopped
		l.mu.Lock()
		l.closed = true
		peers := make([]*Peer, 0, len(l.peers))
		for _, p := range l.peers {
			peers = append(peers, p)
		}
		l.mu.Unlock()
		var wg sync.WaitGroup
		for _, p := range peers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.Close()
			}()
		}
		wg.Wait()
	})
	return err
}
