package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

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
		return nil, fmt.Errorf("stream: dial %s %s: %w: %w", network, addr, peer.ErrCantConnect, err)
	}
	return New(c, cfg), nil
}

func checkNetwork(network string) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
		return nil
	}
	return &peer.OpError{Op: "dial", Err: peer.ErrInvalidParameter,
		Detail: fmt.Sprintf("network %q is not a stream network (tcp, tcp4, tcp6, unix)", network)}
}

// Listener accepts stream peers (Godot's TCPServer). It accepts in the
// background into a queue bounded by Config.MaxPendingConnections, so
// IsConnectionAvailable and TakeConnection never block. Close stops it and
// closes every peer it accepted, taken or not.
type Listener struct {
	ln      net.Listener
	cfg     Config
	pending chan net.Conn
	done    chan struct{}
	stopped chan struct{} // closed when the accept goroutine has ended
	err     error         // why the accept goroutine ended; read after stopped

	mu     sync.Mutex
	closed bool
	peers  map[*Peer]struct{}
	once   sync.Once
}

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
		return nil, fmt.Errorf("stream: listen %s %s: %w: %w", network, addr, peer.ErrCantCreate, err)
	}
	return NewListener(ln, cfg), nil
}

// NewListener serves peers accepted from ln, which it owns (for example a
// tls.NewListener). A nil cfg means the defaults.
func NewListener(ln net.Listener, cfg *Config) *Listener {
	c := cfg.withDefaults()
	l := &Listener{
		ln:      ln,
		cfg:     c,
		pending: make(chan net.Conn, c.MaxPendingConnections),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		peers:   map[*Peer]struct{}{},
	}
	go l.acceptLoop()
	return l
}

func (l *Listener) acceptLoop() {
	defer close(l.stopped)
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				l.err = net.ErrClosed
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				l.err = err
				return
			}
			// Transient (too many open files, aborted handshake, ...):
			// retry with backoff, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
				continue
			case <-l.done:
				t.Stop()
				l.err = net.ErrClosed
				return
			}
		}
		delay = 0
		select {
		case l.pending <- c:
		case <-l.done:
			c.Close()
			l.err = net.ErrClosed
			return
		}
	}
}

// Addr returns the address the listener is bound to (Godot's get_local_port
// is Addr().(*net.TCPAddr).Port).
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// IsConnectionAvailable reports whether TakeConnection has a peer to return
// (Godot's is_connection_available).
func (l *Listener) IsConnectionAvailable() bool { return len(l.pending) > 0 }

// TakeConnection returns the oldest accepted connection without blocking
// (Godot's take_connection), or an error matching peer.ErrUnavailable when
// none is waiting, or net.ErrClosed after Close.
func (l *Listener) TakeConnection() (*Peer, error) {
	select {
	case c := <-l.pending:
		return l.wrap(c)
	default:
	}
	select {
	case <-l.done:
		return nil, &peer.OpError{Op: "take connection", Err: peer.ErrClosed}
	case <-l.stopped:
		return nil, fmt.Errorf("stream: accept: %w", l.err)
	default:
		return nil, &peer.OpError{Op: "take connection", Err: peer.ErrUnavailable}
	}
}

// Accept waits for the next connection and returns it as a Peer. It returns
// ctx's error when ctx ends first, and an error matching net.ErrClosed after Close.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) {
	select {
	case c := <-l.pending:
		return l.wrap(c)
	default:
	}
	select {
	case c := <-l.pending:
		return l.wrap(c)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, &peer.OpError{Op: "accept", Err: peer.ErrClosed}
	case <-l.stopped:
		select {
		case c := <-l.pending:
			return l.wrap(c)
		default:
		}
		return nil, fmt.Errorf("stream: accept: %w", l.err)
	}
}

func (l *Listener) wrap(c net.Conn) (*Peer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, &peer.OpError{Op: "accept", Err: peer.ErrClosed}
	}
	var p *Peer
	p = newPeer(c, l.cfg, func() {
		l.mu.Lock()
		delete(l.peers, p)
		l.mu.Unlock()
	})
	l.peers[p] = struct{}{}
	return p, nil
}

// Close stops listening (Godot's stop), closes the connections accepted but
// not taken and every taken peer still open, and waits for the accept
// goroutine to end.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.ln.Close()
		<-l.stopped
		l.mu.Lock()
		l.closed = true
		peers := make([]*Peer, 0, len(l.peers))
		for p := range l.peers {
			peers = append(peers, p)
		}
		l.mu.Unlock()
		for {
			select {
			case c := <-l.pending:
				c.Close()
				continue
			default:
			}
			break
		}
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
