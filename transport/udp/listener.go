package udp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/internal/acceptq"
	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/internal/udpsock"
	"github.com/packetpeer/packetpeer/peer"
)

// ListenerStats are a Listener's counters since Listen. The embedded
// peer.ListenerStats count connections by what became of them, each drop
// also logged through Config.Logger: Pending (remotes waiting for
// Accept/TakeConnection), Accepted, Refused (datagrams from new remotes
// dropped because the pending queue was full or new remotes are refused),
// Evicted (pending peers closed by SetMaxPendingConnections or by Close)
// and Expired (peers dropped after Config.IdleTimeout without a datagram).
// Failed and TimedOut stay 0: UDP has no handshake.
type ListenerStats struct {
	peer.ListenerStats
	PacketsReceived uint64 // datagrams read from the socket
	BytesReceived   uint64 // their payload bytes
	DroppedOversize uint64 // datagrams larger than MaxPacketSize
	DroppedFull     uint64 // datagrams dropped because their peer's receive ring was full
	ReadErrors      uint64 // transient socket read errors
	Active          int    // accepted peers not yet closed
}

// Listener is Godot's UDPServer: one UDP socket whose datagrams are sorted by
// their exact source (IP, port). A datagram from a new source creates a
// pending peer, which Accept or TakeConnection hands out; later datagrams
// from that source go to that peer. Peers send through the Listener's
// socket. By default, unlike Godot, nothing needs polling: one goroutine
// reads the socket until Close, many datagrams per system call where the
// system allows it (recvmmsg on Linux), and peers sending at once share
// system calls (sendmmsg). With Config.Polled it works as Godot's UDPServer
// does: no goroutine, the program calls Poll (or PollContext), which reads
// what is waiting and sends what the peers put, each in batches.
type Listener struct {
	conn       *net.UDPConn
	sock       *udpsock.Conn
	cfg        Config
	readerDone chan struct{}
	done       chan struct{}
	pending    *acceptq.Queue[*Peer] // pushed and trimmed with mu held

	mu     sync.Mutex
	peers  map[netip.AddrPort]*transport // pending and active
	closed bool

	tick       uint64        // expiry ticks so far, for transport.seen; guarded by mu
	expireDone chan struct{} // closed when the expiry goroutine ends; nil without IdleTimeout

	stats                                      *listenstats.Counters
	pktIn, bytesIn, dropBig, dropFull, readErr atomic.Uint64

	pollMu sync.Mutex // held by Poll and PollContext (Config.Polled)
	ps     pollState  // guarded by pollMu
}

// refusal is a datagram from a new remote the read loop turned away.
type refusal struct {
	src netip.AddrPort
	err error
}

// expiryTicks is how many expiry ticks (IdleTimeout/expiryTicks each) a peer
// may go without a datagram.
const expiryTicks = 4

var (
	errPendingFull = &peer.OpError{Op: "accept", Transport: "udp", Code: peer.ErrCantAcquireResource, Detail: "the pending queue is full (MaxPendingConnections)"}
	errRefusing    = &peer.OpError{Op: "accept", Transport: "udp", Code: peer.ErrUnavailable, Detail: "new remotes are refused (MaxPendingConnections <= 0)"}
	errLowered     = &peer.OpError{Op: "accept", Transport: "udp", Code: peer.ErrCantAcquireResource, Detail: "pending peer beyond the lowered MaxPendingConnections"}
	errClosing     = &peer.OpError{Op: "accept", Transport: "udp", Err: peer.ErrClosed, Detail: "the Listener closed before the peer was taken"}
)

// Listen opens a UDP socket on addr ("host:port"; empty host or "*" = every
// address, port 0 = ephemeral), Godot's UDPServer.listen. It starts the
// goroutine that reads the socket, unless cfg.Polled is set: then the
// program calls Poll.
func Listen(addr string, cfg *Config) (*Listener, error) {
	c := cfg.withDefaults()
	if cfg == nil || cfg.ReceiveQueueBytes <= 0 {
		c.ReceiveQueueBytes = listenerReceiveQueueBytes
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	lc := net.ListenConfig{Control: control(&c, true)}
	pc, err := lc.ListenPacket(context.Background(), "udp", normalize(addr))
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Transport: "udp", Code: openCode(err), Err: err, Detail: addr}
	}
	conn := pc.(*net.UDPConn)
	if err := setBuffers(conn, &c); err != nil {
		conn.Close()
		return nil, &peer.OpError{Op: "listen", Transport: "udp", Code: peer.ErrCantCreate, Err: err, Detail: addr + ": socket buffer"}
	}
	sock, err := udpsock.New(conn, udpsock.Config{Headroom: recordHeader, MaxPacketSize: c.MaxPacketSize})
	if err != nil {
		conn.Close()
		return nil, &peer.OpError{Op: "listen", Transport: "udp", Code: peer.ErrCantCreate, Err: err, Detail: addr + ": batched socket"}
	}
	l := newListener(sock, c)
	if c.Polled {
		close(l.readerDone)
		l.expireDone = nil // Poll expires idle peers
		l.ps.lastTick = time.Now()
		l.ps.fired = make(chan struct{}, 1)
		return l, nil
	}
	go l.readLoop()
	if l.expireDone != nil {
		go l.expireLoop()
	}
	return l, nil
}

func newListener(sock *udpsock.Conn, c Config) *Listener {
	l := &Listener{
		conn:       sock.UDPConn(),
		sock:       sock,
		cfg:        c,
		readerDone: make(chan struct{}),
		done:       make(chan struct{}),
		peers:      make(map[netip.AddrPort]*transport),
		stats:      listenstats.New("udp", c.Logger),
	}
	l.pending = acceptq.New(c.MaxPendingConnections, l.stats, func(p *Peer) net.Addr {
		if c.Logger == nil {
			return nil
		}
		return net.UDPAddrFromAddrPort(p.t.key)
	})
	if c.IdleTimeout > 0 {
		l.expireDone = make(chan struct{})
	}
	return l
}

// expireLoop drops idle peers (Config.IdleTimeout) until Close.
func (l *Listener) expireLoop() {
	defer close(l.expireDone)
	tick := time.NewTicker(expiryPeriod(l.cfg.IdleTimeout))
	defer tick.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-tick.C:
			l.expireIdle(1)
		}
	}
}

// expireIdle counts advance expiry ticks and drops every peer whose last
// datagram came more than expiryTicks ticks ago, so at least IdleTimeout
// ago: it leaves the Listener, its queue ends with a timeout once drained,
// and its puts fail with the same error.
func (l *Listener) expireIdle(advance uint64) {
	var idle []*transport
	l.mu.Lock()
	l.tick += advance
	for key, t := range l.peers {
		if l.tick-t.seen <= expiryTicks {
			continue
		}
		idle = append(idle, t)
		delete(l.peers, key)
		l.pending.Remove(func(p *Peer) bool { return p.t == t })
	}
	l.mu.Unlock()
	for _, t := range idle {
		err := &peer.OpError{Op: "read", Transport: "udp", Code: peer.ErrTimeout,
			Detail: fmt.Sprintf("no datagram from %s for %s (IdleTimeout)", t.key, l.cfg.IdleTimeout)}
		l.stats.Drop(peer.DropExpired, net.UDPAddrFromAddrPort(t.key), err) // before its reader wakes
		t.expired.Store(&peer.OpError{Op: "put packet", Transport: "udp", Code: peer.ErrTimeout, Detail: err.Detail})
		t.ring.Close(err)
	}
}

// drop counts (and logs) a connection from src dropped for cause.
func (l *Listener) drop(cause peer.DropCause, src netip.AddrPort, err error) {
	var remote net.Addr
	if l.cfg.Logger != nil {
		remote = net.UDPAddrFromAddrPort(src)
	}
	l.stats.Drop(cause, remote, err)
}

func (l *Listener) readLoop() {
	defer close(l.readerDone)
	if err := l.sock.Serve(l.demux); err != nil && !l.isClosed() {
		l.fail(&peer.OpError{Op: "read packet", Transport: "udp", Code: peer.ErrConnectionError, Err: err, Detail: "listener socket"})
	}
}

func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// fail ends every peer's queue with err after a fatal socket error; Accept
// and TakeConnection then return it once no peer is pending.
func (l *Listener) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending.Fail(err)
	for _, t := range l.peers {
		t.ring.Close(err)
	}
}

// demux routes a batch of datagrams, each to the peer registered for its
// source, else to a new pending peer if the pending queue has room, else it
// is dropped and counted. It never allocates more than one peer per
// datagram, and never more than the pending cap in total.
func (l *Listener) demux(ms []udpsock.Message) {
	var bytes uint64
	var room [16]refusal
	refused := room[:0]
	l.mu.Lock()
	for i := range ms {
		m := &ms[i]
		bytes += uint64(m.N)
		if m.Oversize() {
			l.dropBig.Add(1)
			continue
		}
		if err := l.route(m); err != nil {
			refused = append(refused, refusal{m.Addr, err})
		}
	}
	l.mu.Unlock()
	for _, r := range refused {
		l.drop(peer.DropRefused, r.src, r.err) // logged without l.mu
	}
	// Counted last, so that what a datagram caused is visible in the
	// stats once PacketsReceived counts it.
	l.bytesIn.Add(bytes)
	l.pktIn.Add(uint64(len(ms)))
}

// route queues m for its peer, or returns why its new remote is refused.
// l.mu is held.
func (l *Listener) route(m *udpsock.Message) error {
	if l.closed {
		return nil
	}
	src := m.Addr
	t := l.peers[src]
	if t == nil {
		if l.pending.Full() {
			err := errPendingFull
			if l.pending.Max() <= 0 {
				err = errRefusing
			}
			return err
		}
		t = &transport{
			key:       src,
			listener:  l,
			maxPacket: l.cfg.MaxPacketSize,
			ring:      newListenerRing(&l.cfg),
		}
		remote := src // escapes; src itself stays on the stack
		t.remote.Store(&remote)
		l.peers[src] = t
		l.pending.Push(newPeer(t)) // room checked above, with mu held
	}
	t.seen = l.tick
	before := t.stats.dropFull.Load()
	t.receive(m.Buf, m.N, src)
	if t.stats.dropFull.Load() != before {
		l.dropFull.Add(1)
	}
	return nil
}

// unregister forgets t (its peer was closed): the next datagram from its
// remote becomes a new pending peer.
func (l *Listener) unregister(t *transport) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.peers[t.key] == t {
		delete(l.peers, t.key)
	}
	l.pending.Remove(func(p *Peer) bool { return p.t == t })
}

// TakeConnection returns the oldest pending peer without blocking (Godot's
// take_connection), or an error matching ErrUnavailable when none is
// pending, ErrClosed after Close, or the socket's error if reading it failed
// for good.
func (l *Listener) TakeConnection() (*Peer, error) { return l.pending.Take() }

// Accept waits for a datagram from a new remote and returns its peer, with
// that first datagram queued. It returns ctx's error when ctx ends and an
// error matching net.ErrClosed once the Listener is closed. On a polled
// Listener (Config.Polled) it waits for a Poll made by another goroutine.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) { return l.pending.Accept(ctx) }

// IsConnectionAvailable reports whether a pending peer is waiting (Godot's
// is_connection_available); false after Close.
func (l *Listener) IsConnectionAvailable() bool { return l.pending.Available() }

// IsListening reports whether the Listener is open (Godot's is_listening).
func (l *Listener) IsListening() bool { return !l.isClosed() }

// MaxPendingConnections returns the pending cap; 0 means new remotes are
// refused (Godot's max_pending_connections).
func (l *Listener) MaxPendingConnections() int { return l.pending.Max() }

// SetMaxPendingConnections changes the pending cap (Godot's
// set_max_pending_connections). 0 or a negative n refuses new remotes. When
// the cap is lowered, the newest pending peers beyond it are closed. (Godot
// 4's setter trims the wrong way round; that quirk is not reproduced.)
func (l *Listener) SetMaxPendingConnections(n int) {
	l.mu.Lock()
	extra := l.pending.SetMax(n)
	for _, p := range extra {
		delete(l.peers, p.t.key)
	}
	l.mu.Unlock()
	for _, p := range extra {
		p.Close()
		l.drop(peer.DropEvicted, p.t.key, errLowered)
	}
}

// Addr returns the socket's local address.
func (l *Listener) Addr() net.Addr { return l.conn.LocalAddr() }

// LocalPort returns the local port (Godot's get_local_port).
func (l *Listener) LocalPort() int { return l.conn.LocalAddr().(*net.UDPAddr).Port }

// Stats returns the Listener's counters.
func (l *Listener) Stats() ListenerStats {
	l.mu.Lock()
	pending := l.pending.Len()
	active := len(l.peers) - pending
	l.mu.Unlock()
	return ListenerStats{
		ListenerStats:   l.stats.Stats(pending),
		PacketsReceived: l.pktIn.Load(),
		BytesReceived:   l.bytesIn.Load(),
		DroppedOversize: l.dropBig.Load(),
		DroppedFull:     l.dropFull.Load(),
		ReadErrors:      l.sock.ReadErrors() + l.readErr.Load(),
		Active:          active,
	}
}

// ListenerStats returns the counters every transport's listener shares
// (peer.Listener).
func (l *Listener) ListenerStats() peer.ListenerStats { return l.Stats().ListenerStats }

// Close closes the socket, every pending and accepted peer, and waits for
// the reader goroutine to end (Godot's stop). A polled Listener first sends
// what its peers queued; a PollContext blocked in another goroutine
// returns. Calling it again returns nil.
func (l *Listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	all := make([]*transport, 0, len(l.peers))
	for _, t := range l.peers {
		all = append(all, t)
	}
	l.peers = map[netip.AddrPort]*transport{}
	l.mu.Unlock()
	l.pending.Close(errClosing) // counts the untaken peers, closed below
	close(l.done)
	if l.cfg.Polled {
		l.sock.Drain()
	}
	err := l.sock.Close()
	if l.cfg.Polled {
		l.pollMu.Lock() // a PollContext blocked in the socket has returned
		l.detachContext()
		l.pollMu.Unlock()
	}
	<-l.readerDone
	if l.expireDone != nil {
		<-l.expireDone
	}
	for _, t := range all {
		t.pp.Close()
	}
	return err
}
