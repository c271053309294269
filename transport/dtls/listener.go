package dtls

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	pdtls "github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"

	"github.com/packetpeer/packetpeer/internal/acceptq"
	"github.com/packetpeer/packetpeer/internal/dgramconn"
	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/internal/snirepair"
	"github.com/packetpeer/packetpeer/internal/udpsock"
	"github.com/packetpeer/packetpeer/peer"
)

// evictAfter is how long a handshake waits for its cookie echo before a
// newer ClientHello may evict it. An honest client echoes within one round
// trip; evicting it earlier would doom its attempt, because pion cannot
// accept a cookie that another connection issued.
const evictAfter = time.Second

// stallAfter is how long a verified handshake (its client echoed the
// cookie) may go without a datagram from its client before a newer
// ClientHello, finding every slot taken, may evict it. An honest client
// answers each server flight within a round trip and retransmits its own
// flight after 1 s when an answer is lost.
const stallAfter = time.Second

// verifiedMaxAge is how long a verified handshake may run, busy or not,
// before a newer ClientHello, finding every slot taken and no silent
// handshake to evict, may evict it: a client that keeps sending datagrams
// without finishing does not keep its slot either. An honest handshake
// needs two round trips after the echo, plus a retransmission or two.
const verifiedMaxAge = 3 * time.Second

// Connection stages, guarded by Listener.mu.
const (
	stagePreCookie   = iota // sent a ClientHello, has not echoed a cookie
	stageVerified           // echoed a cookie: the address is real
	stageEstablished        // handshake done
	stageGone               // removed from the listener
)

// Listener is Godot's DTLSServer together with the UDPServer it takes
// connections from: one UDP socket, many DTLS clients demultiplexed by source
// address. A background goroutine reads the socket and runs the handshakes
// (with pion's HelloVerifyRequest cookie exchange); handshaken connections
// queue for Accept or TakeConnection.
type Listener struct {
	pc     *net.UDPConn
	sock   *udpsock.Conn // pc, read and written in batches
	cfg    Config
	opts   []pdtls.ServerOption
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	ready  *acceptq.Queue[*Peer] // pushed with mu held
	wg     sync.WaitGroup        // read loop and handshakes

	mu      sync.Mutex
	closed  bool
	conns   map[netip.AddrPort]*serverConn
	pre     []*serverConn // stagePreCookie, oldest first
	ver     []*serverConn // stageVerified
	pending int           // conns in stagePreCookie or stageVerified
	peers   map[*Peer]struct{}

	stats          *listenstats.Counters
	evictedStalled atomic.Uint64
}

// Listen opens a UDP socket on addr ("host:port"; port 0 picks one) and
// serves DTLS on it: Godot's UDPServer.listen plus DTLSServer.setup.
// cfg.TLS must come from ServerOptions. Close the Listener to stop.
func Listen(addr string, cfg *Config) (*Listener, error) {
	srv, err := NewServer(cfg)
	if err != nil {
		return nil, err
	}
	c := srv.cfg
	laddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Transport: "dtls", Code: peer.ErrCantResolve, Err: err, Detail: addr}
	}
	pc, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, &peer.OpError{Op: "listen", Transport: "dtls", Code: peer.ErrCantCreate, Err: err, Detail: addr}
	}
	_ = pc.SetReadBuffer(1 << 20) // bursts of handshakes; best effort
	sock, err := udpsock.New(pc, udpsock.Config{MaxPacketSize: dgramconn.MaxDatagram})
	if err != nil {
		pc.Close()
		return nil, &peer.OpError{Op: "listen", Transport: "dtls", Code: peer.ErrCantCreate, Err: err, Detail: addr}
	}
	l := &Listener{
		pc:    pc,
		sock:  sock,
		cfg:   c,
		opts:  srv.opts,
		conns: make(map[netip.AddrPort]*serverConn),
		peers: make(map[*Peer]struct{}),
		stats: listenstats.New("dtls", c.Logger),
	}
	// Close closes the evicted peers with every other.
	l.ready = acceptq.New(c.MaxPendingConnections, l.stats, (*Peer).RemoteAddr)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.readLoop()
	return l, nil
}

// Addr returns the local UDP address (Godot's get_local_port is its Port).
func (l *Listener) Addr() net.Addr { return l.pc.LocalAddr() }

// Accept waits for the next handshaken connection. It returns ctx's error
// when ctx ends and an error matching net.ErrClosed once the Listener is
// closed. Close every Peer you take when done with it; one whose client
// vanished without close_notify ends its reads with peer.ErrTimeout after
// Config.IdleTimeout.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) { return l.ready.Accept(ctx) }

// IsConnectionAvailable reports whether TakeConnection has a connection
// (Godot's UDPServer.is_connection_available): false once the Listener is
// closed.
func (l *Listener) IsConnectionAvailable() bool { return l.ready.Available() }

// TakeConnection returns the next handshaken connection without blocking, or
// an error matching peer.ErrUnavailable when there is none, or
// net.ErrClosed after Close (Godot's UDPServer.take_connection followed by
// DTLSServer.take_connection, keeping only connected peers).
func (l *Listener) TakeConnection() (*Peer, error) { return l.ready.Take() }

// Stats are a Listener's counters. The embedded peer.ListenerStats count
// by cause what the Listener turned away or dropped (each one is also
// logged through Config.Logger):
//
//   - Refused: a ClientHello that found every handshake slot taken and no
//     handshake it could evict (the client's retransmission tries again),
//     or a handshaken connection that found the accept backlog full (closed
//     with close_notify).
//   - Failed: a ClientHello pion cannot parse, or a handshake that failed
//     (protocol error, alert from the client, bad Finished).
//   - TimedOut: a handshake not finished within Config.HandshakeTimeout.
//   - Evicted: a handshake evicted by a newer ClientHello (see Stalled), or
//     a handshake or handshaken connection the Listener's Close ended
//     before it was taken.
//   - Expired: a connection, taken or not, from which no packet arrived
//     for Config.IdleTimeout (one that expires before it is taken stays in
//     the queue: Accept hands it out, its queued packets, then the timeout
//     error).
//
// Pending counts handshakes in progress plus handshaken connections waiting
// for Accept or TakeConnection.
type Stats struct {
	peer.ListenerStats
	Connections int    // connections routed (handshaking and established)
	Stalled     uint64 // of Evicted, verified handshakes evicted for silence (1 s) or for running too long (3 s)
}

// Stats returns the Listener's counters.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	pending, conns := l.pending, len(l.conns)
	l.mu.Unlock()
	return Stats{ListenerStats: l.stats.Stats(pending + l.ready.Len()), Connections: conns,
		Stalled: l.evictedStalled.Load()}
}

// ListenerStats returns the counters every transport's listener shares
// (peer.Listener).
func (l *Listener) ListenerStats() peer.ListenerStats { return l.Stats().ListenerStats }

// Close stops the Listener (Godot's UDPServer.stop): it closes every
// connection it accepted or is still handshaking (established ones get
// close_notify), then the socket, and waits for its goroutines to exit.
func (l *Listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	peers := make([]*Peer, 0, len(l.peers))
	for p := range l.peers {
		peers = append(peers, p)
	}
	conns := make([]*serverConn, 0, len(l.conns))
	for _, c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()

	l.cancel()
	l.ready.Close(errListenerClosed)
	for _, p := range peers {
		p.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	err := l.sock.Close()
	l.wg.Wait()
	return err
}

var errListenerClosed = &peer.OpError{Op: "handshake", Transport: "dtls", Err: peer.ErrClosed, Detail: "the Listener closed before the connection was taken"}

// readLoop routes the socket's datagrams until Close, a batch (one
// recvmmsg) under one lock: datagrams larger than dgramconn.MaxDatagram
// are dropped. What routing must not do under the lock (close an evicted
// handshake, count and log a drop) waits in done until the batch is routed.
func (l *Listener) readLoop() {
	defer l.wg.Done()
	var done []routed
	_ = l.sock.Serve(func(ms []udpsock.Message) {
		l.mu.Lock()
		for i := range ms {
			if b := ms[i].Payload(); b != nil {
				done = l.routeLocked(ms[i].Addr, b, done)
			}
		}
		l.mu.Unlock()
		for i := range done {
			if v := done[i].evicted; v != nil {
				v.Close()
			}
			l.stats.Drop(done[i].cause, done[i].addr, done[i].err)
		}
		clear(done)
		done = done[:0]
	})
}

// routed is a drop that routing counts once it has released the lock,
// with the handshake it evicted, if any.
type routed struct {
	evicted *serverConn // closed before the drop is counted
	cause   peer.DropCause
	addr    *net.UDPAddr
	err     error
}

// routeLocked hands a datagram to its connection, making one for a
// ClientHello from a new address, and appends to done what is left to do
// without the lock. l.mu is held.
func (l *Listener) routeLocked(ap netip.AddrPort, b []byte, done []routed) []routed {
	if sc := l.conns[ap]; sc != nil {
		switch sc.stage {
		case stagePreCookie:
			if hello, cookie := classify(b); hello && cookie {
				sc.stage = stageVerified
				sc.last = time.Now()
				sc.verified = sc.last
				l.removePre(sc)
				l.ver = append(l.ver, sc)
			}
		case stageVerified:
			sc.last = time.Now()
		}
		sc.Push(b)
		return done
	}
	hello, _ := classify(b)
	if !hello || l.closed {
		return done
	}
	raddr := net.UDPAddrFromAddrPort(ap)
	repair := snirepair.EmptySNIHello(b)
	if !repair {
		if err := helloError(b); err != nil {
			return append(done, routed{cause: peer.DropFailed, addr: raddr, err: err})
		}
	}
	if l.pending >= l.cfg.MaxPendingHandshakes {
		victim, why := l.victimLocked()
		if victim == nil {
			return append(done, routed{cause: peer.DropRefused, addr: raddr, err: &peer.OpError{Op: "handshake", Transport: "dtls",
				Code: peer.ErrCantAcquireResource, Detail: fmt.Sprintf("all %d handshake slots are taken (MaxPendingHandshakes)", l.cfg.MaxPendingHandshakes)}})
		}
		l.forgetLocked(victim)
		victim.counted = true
		done = append(done, routed{evicted: victim, cause: peer.DropEvicted, addr: victim.raddr, err: &peer.OpError{Op: "handshake", Transport: "dtls",
			Code: peer.ErrCantAcquireResource, Detail: "evicted by a newer ClientHello: " + why}})
	}
	sc := l.newConn(ap, raddr, repair)
	l.conns[ap] = sc
	l.pre = append(l.pre, sc)
	l.pending++
	sc.Push(b)
	l.wg.Add(1)
	go l.handshake(sc)
	return done
}

// newConn makes the entry for a client at ap whose first ClientHello
// came; repair says its server name is empty.
func (l *Listener) newConn(ap netip.AddrPort, raddr *net.UDPAddr, repair bool) *serverConn {
	sc := &serverConn{ap: ap, raddr: raddr, stage: stagePreCookie, created: time.Now()}
	sc.Conn = dgramconn.New(dgramconn.Config{
		Local:     l.pc.LocalAddr(),
		Remote:    sc.raddr,
		Write:     func(b []byte) error { return l.sock.WriteTo(b, ap) },
		RepairSNI: repair,
		OnClose: func() {
			l.mu.Lock()
			l.forgetLocked(sc)
			l.mu.Unlock()
		},
	})
	return sc
}

// victimLocked picks the pending handshake a new ClientHello may evict when
// every slot is taken, and says why: the oldest one still waiting for its
// cookie echo for evictAfter, else the verified one whose client has been
// silent longest, if for stallAfter, else the verified one verified longest
// ago, if verifiedMaxAge ago. nil when none qualifies. l.mu must be held.
func (l *Listener) victimLocked() (*serverConn, string) {
	if len(l.pre) > 0 && time.Since(l.pre[0].created) >= evictAfter {
		return l.pre[0], fmt.Sprintf("no cookie echo for %s", evictAfter)
	}
	var silent, old *serverConn
	for _, c := range l.ver {
		if silent == nil || c.last.Before(silent.last) {
			silent = c
		}
		if old == nil || c.verified.Before(old.verified) {
			old = c
		}
	}
	switch {
	case silent != nil && time.Since(silent.last) >= stallAfter:
		l.evictedStalled.Add(1)
		return silent, fmt.Sprintf("silent for %s after its cookie echo", stallAfter)
	case old != nil && time.Since(old.verified) >= verifiedMaxAge:
		l.evictedStalled.Add(1)
		return old, fmt.Sprintf("unfinished %s after its cookie echo", verifiedMaxAge)
	}
	return nil, ""
}

func (l *Listener) removePre(sc *serverConn) {
	l.pre = remove(l.pre, sc)
}

func remove(s []*serverConn, sc *serverConn) []*serverConn {
	for i, c := range s {
		if c == sc {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

// forgetLocked removes sc from the listener's books. l.mu must be held.
func (l *Listener) forgetLocked(sc *serverConn) {
	switch sc.stage {
	case stageGone:
		return
	case stagePreCookie:
		l.removePre(sc)
		l.pending--
	case stageVerified:
		l.ver = remove(l.ver, sc)
		l.pending--
	}
	sc.stage = stageGone
	if l.conns[sc.ap] == sc {
		delete(l.conns, sc.ap)
	}
}

// handshake runs the server handshake for sc and queues the connection.
func (l *Listener) handshake(sc *serverConn) {
	defer l.wg.Done()
	dc, err := pdtls.ServerWithOptions(sc.Conn, sc.raddr, sc.ServerOptions(l.opts)...)
	if err != nil {
		l.handshakeFailed(sc, err, false)
		sc.Close()
		return
	}
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.HandshakeTimeout)
	err = dc.HandshakeContext(ctx)
	timedOut := ctx.Err() == context.DeadlineExceeded
	cancel()
	if err != nil {
		l.handshakeFailed(sc, err, timedOut)
		dc.Close()
		sc.Close()
		return
	}
	l.mu.Lock()
	if l.closed || sc.stage == stageGone {
		counted := sc.counted
		sc.counted = true
		l.mu.Unlock()
		dc.Close()
		if !counted {
			l.stats.Drop(peer.DropEvicted, sc.raddr, errListenerClosed)
		}
		return
	}
	switch sc.stage {
	case stagePreCookie:
		l.removePre(sc)
	case stageVerified:
		l.ver = remove(l.ver, sc)
	}
	l.pending--
	sc.stage = stageEstablished
	var p *Peer
	p = newPeer(dc, &l.cfg, peerHooks{
		closed:  func() { l.forgetPeer(p) },
		expired: func(err error) { l.stats.Drop(peer.DropExpired, sc.raddr, err) },
	})
	l.peers[p] = struct{}{}
	if l.ready.Push(p) {
		l.mu.Unlock()
	} else { // full: l.closed was checked above
		l.mu.Unlock()
		p.Close()
		l.stats.Drop(peer.DropRefused, sc.raddr, &peer.OpError{Op: "handshake", Transport: "dtls", Code: peer.ErrCantAcquireResource,
			Detail: fmt.Sprintf("the accept backlog is full (%d connections not taken; MaxPendingConnections)", l.cfg.MaxPendingConnections)})
	}
}

// handshakeFailed counts and logs the end of sc's handshake with err, unless
// it was already counted (evicted): as evicted when the Listener is
// closing, timed out when HandshakeTimeout passed, failed otherwise.
func (l *Listener) handshakeFailed(sc *serverConn, err error, timedOut bool) {
	l.mu.Lock()
	counted, closed := sc.counted, l.closed
	sc.counted = true
	l.mu.Unlock()
	switch {
	case counted:
	case closed:
		l.stats.Drop(peer.DropEvicted, sc.raddr, errListenerClosed)
	case timedOut:
		l.stats.Drop(peer.DropTimedOut, sc.raddr, &peer.OpError{Op: "handshake", Transport: "dtls", Code: peer.ErrTimeout,
			Detail: fmt.Sprintf("not finished within %s (HandshakeTimeout)", l.cfg.HandshakeTimeout)})
	default:
		l.stats.Drop(peer.DropFailed, sc.raddr, &peer.OpError{Op: "handshake", Transport: "dtls", Code: peer.ErrCantConnect, Err: err})
	}
}

func (l *Listener) forgetPeer(p *Peer) {
	l.mu.Lock()
	delete(l.peers, p)
	l.mu.Unlock()
}

// serverConn is one client's entry in a Listener's books; pion's server
// reads that client's datagrams from its Conn, which the read loop fills.
type serverConn struct {
	*dgramconn.Conn
	ap       netip.AddrPort
	raddr    *net.UDPAddr
	stage    int       // guarded by l.mu
	created  time.Time // for eviction
	last     time.Time // last datagram while stageVerified, guarded by l.mu
	verified time.Time // when the cookie echo came, guarded by l.mu
	counted  bool      // its drop was counted in Stats, guarded by l.mu
}

// classify looks at a datagram from an unknown address: is it a DTLS
// handshake record carrying the first fragment of a ClientHello, and does
// that ClientHello echo a cookie? It never reads past b.
func classify(b []byte) (hello, cookie bool) {
	const recHdr, hsHdr = 13, 12
	if len(b) < recHdr+hsHdr {
		return false, false
	}
	if b[0] != 22 || b[1] != 0xfe || b[3] != 0 || b[4] != 0 { // handshake, DTLS, epoch 0
		return false, false
	}
	recLen := int(b[11])<<8 | int(b[12])
	if recLen < hsHdr || recHdr+recLen > len(b) {
		return false, false
	}
	hs := b[recHdr : recHdr+recLen]
	if hs[0] != 1 { // client_hello
		return false, false
	}
	if hs[6] != 0 || hs[7] != 0 || hs[8] != 0 { // fragment_offset
		return false, false
	}
	fragLen := int(hs[9])<<16 | int(hs[10])<<8 | int(hs[11])
	body := hs[hsHdr:]
	if fragLen < len(body) {
		body = body[:fragLen]
	}
	// client_version(2) random(32) session_id<0..32> cookie<0..255>
	const sidAt = 2 + 32
	if len(body) < sidAt+1 {
		return true, false
	}
	cookieAt := sidAt + 1 + int(body[sidAt])
	if len(body) < cookieAt+1 {
		return true, false
	}
	n := int(body[cookieAt])
	return true, n > 0 && cookieAt+1+n <= len(body)
}

// helloError parses the ClientHello that classify found in b when it is
// whole in b's first record, as pion will, and returns why pion would
// reject it (pion itself ignores such a ClientHello, and its handshake
// would only time out). It returns nil when the ClientHello parses or is
// fragmented (pion reassembles and judges it).
func helloError(b []byte) error {
	const recHdr, hsHdr = 13, 12
	if len(b) < recHdr+hsHdr {
		return nil
	}
	recLen := int(b[11])<<8 | int(b[12])
	if recHdr+recLen > len(b) || recLen < hsHdr {
		return nil
	}
	hs := b[recHdr : recHdr+recLen]
	length := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
	fragLen := int(hs[9])<<16 | int(hs[10])<<8 | int(hs[11])
	if fragLen != length || hsHdr+length > len(hs) {
		return nil
	}
	var hello handshake.MessageClientHello
	if err := hello.Unmarshal(hs[hsHdr : hsHdr+length]); err != nil {
		return &peer.OpError{Op: "handshake", Transport: "dtls", Code: peer.ErrInvalidData, Err: err, Detail: "malformed ClientHello"}
	}
	return nil
}
