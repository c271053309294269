// Package udpsock is the UDP socket that servers share among their remotes:
// udp.Listener, dtls.Listener, and any host that reads one socket and sorts
// its datagrams by source address. It reads many datagrams per system call
// and writes many per system call, so a server with many remotes pays far
// fewer system calls than one ReadFrom and one WriteTo per datagram.
//
// Reading: Serve runs one read loop on the caller's goroutine. On Linux each
// read is one recvmmsg(2) filling up to Config.Batch messages; elsewhere
// each read is one datagram. Serve hands each batch to a handler, which
// demultiplexes it by Message.Addr into the caller's per-remote queues (a
// handler can take its lock once per batch). Buffers are owned by the Conn
// and reused: a handler copies what it keeps. No allocation per datagram.
//
// Writing: WriteTo may be called from many goroutines (one per remote, as
// servers do). A caller that finds the socket idle sends its datagram at
// once, as net.UDPConn.WriteTo would, then sends whatever other callers
// queued meanwhile with sendmmsg(2). A caller that finds another one
// sending copies its datagram into the queue and returns. So a lone sender
// pays one sendto, and concurrent senders share system calls; one caller's
// datagrams leave in the order of its calls. After a read that brought
// datagrams from several remotes, whose receivers are likely to answer at
// once, the first caller queues its datagram too and yields once before
// sending, so that the others join its sendmmsg. Enqueue and Flush let one
// goroutine send many datagrams in one call. The queue holds at most
// 64 datagrams and 64 KiB (or one datagram of any
// size); a caller that finds it full waits until the sender takes it.
//
// A Reader reads a peer's own socket (bound or connected) in batches too,
// but only while datagrams are found waiting; otherwise each read takes one
// datagram with recvfrom(2), as ReadFrom would.
//
// UDP GSO is not used: a server's datagrams go to many remotes, and GSO
// only merges datagrams to one destination.
package udpsock

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// Defaults and bounds.
const (
	// DefaultBatch is how many datagrams one read may return.
	DefaultBatch = 64
	// maxBufferBytes bounds the read buffers of one Conn: Batch is lowered
	// so that Batch*(Headroom+MaxPacketSize) stays within it (64 datagrams
	// of 8 KiB, 16 of 64 KiB).
	maxBufferBytes = 1 << 20
	// queueMessages and queueBytes bound the datagrams queued for sending.
	queueMessages = 64
	queueBytes    = 64 << 10
)

// Config configures New. Zero fields mean the documented default.
type Config struct {
	// Headroom is how many bytes each Message.Buf has free before the
	// payload, for a header the handler writes in place. Default 0.
	Headroom int
	// MaxPacketSize is the largest datagram delivered whole; a bigger one
	// is delivered with Message.N set to its real length and Oversize
	// reporting true, its payload not kept. Default and maximum 65535.
	MaxPacketSize int
	// Batch is how many datagrams one read returns at most. Default
	// DefaultBatch, lowered so that the read buffers stay within 1 MiB.
	Batch int
}

func (c Config) withDefaults() Config {
	if c.Headroom < 0 {
		c.Headroom = 0
	}
	if c.MaxPacketSize <= 0 || c.MaxPacketSize > 65535 {
		c.MaxPacketSize = 65535
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	c.Batch = max(1, min(c.Batch, maxBufferBytes/(c.Headroom+c.MaxPacketSize)))
	return c
}

// Message is one received datagram.
type Message struct {
	// Buf is Config.Headroom free bytes, then the payload.
	Buf []byte
	// N is the datagram's length, even when it was larger than
	// Config.MaxPacketSize and so was not kept.
	N int
	// Addr is the source; IPv4 senders on a dual-stack socket are reported
	// as IPv4 addresses.
	Addr netip.AddrPort

	headroom, max int
}

// MakeMessage makes the Message Serve would hand over for a datagram of n
// bytes from src, its payload at buf[cfg.Headroom:] (for testing and
// fuzzing handlers).
func MakeMessage(buf []byte, n int, src netip.AddrPort, cfg Config) Message {
	cfg = cfg.withDefaults()
	return Message{Buf: buf, N: n, Addr: src, headroom: cfg.Headroom, max: cfg.MaxPacketSize}
}

// Oversize reports whether the datagram was larger than
// Config.MaxPacketSize (its payload was not kept).
func (m *Message) Oversize() bool { return m.N > m.max }

// Payload returns the datagram; nil when Oversize.
func (m *Message) Payload() []byte {
	if m.Oversize() {
		return nil
	}
	return m.Buf[m.headroom : m.headroom+m.N]
}

// Conn is a UDP socket with batched reads and writes. It is safe for
// concurrent use; Serve runs on one goroutine at a time.
type Conn struct {
	conn *net.UDPConn
	cfg  Config
	rd   *reader
	wr   *writer

	closed     atomic.Bool
	senders    atomic.Int32 // remotes the last read returned datagrams from (about)
	readErrors atomic.Uint64
	sendErrors atomic.Uint64

	mu    sync.Mutex // the send queue
	room  *sync.Cond // signalled when the sender takes the queue
	busy  bool       // a caller is sending
	queue *batch     // filled while busy
	spare *batch     // the batch being sent, or free
}

// New wraps conn. The Conn owns it from now on: Close closes it.
func New(conn *net.UDPConn, cfg Config) (*Conn, error) {
	cfg = cfg.withDefaults()
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	v6, err := isIPv6(rc)
	if err != nil {
		return nil, err
	}
	c := &Conn{
		conn:  conn,
		cfg:   cfg,
		rd:    newReader(conn, rc, cfg),
		wr:    newWriter(conn, rc, v6),
		queue: newBatch(),
		spare: newBatch(),
	}
	c.room = sync.NewCond(&c.mu)
	return c, nil
}

// UDPConn returns the socket.
func (c *Conn) UDPConn() *net.UDPConn { return c.conn }

// LocalAddr returns the socket's local address.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Config returns the Conn's configuration, defaults filled in.
func (c *Conn) Config() Config { return c.cfg }

// ReadErrors counts transient read errors Serve skipped (an ICMP error
// reported on the socket, for one).
func (c *Conn) ReadErrors() uint64 { return c.readErrors.Load() }

// SendErrors counts queued datagrams the system refused to send; their
// callers had already returned.
func (c *Conn) SendErrors() uint64 { return c.sendErrors.Load() }

// ReadCalls counts the system calls that returned datagrams (recvmmsg,
// or one read per datagram elsewhere), and WriteCalls those that sent
// datagrams (sendto for a lone WriteTo, sendmmsg for a queue, or one
// write per datagram elsewhere): divided by the datagrams, what batching
// saves.
func (c *Conn) ReadCalls() uint64 { return c.rd.calls.Load() }

// WriteCalls: see ReadCalls.
func (c *Conn) WriteCalls() uint64 { return c.wr.calls.Load() }

// Close closes the socket: Serve returns, WriteTo fails with net.ErrClosed.
func (c *Conn) Close() error {
	c.closed.Store(true)
	return c.conn.Close()
}

// Serve reads the socket until Close, handing each batch of datagrams to h
// on the calling goroutine; the messages and their buffers are reused once
// h returns. It returns nil after Close, or the error that made reading
// impossible (transient errors are counted in ReadErrors and skipped).
func (c *Conn) Serve(h func([]Message)) error {
	for {
		ms, err := c.ReadBatch()
		if err != nil {
			if c.closed.Load() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if transient(err) {
				c.readErrors.Add(1)
				continue
			}
			return err
		}
		h(ms)
	}
}

// ReadBatch waits for datagrams and returns them, at most Config.Batch (one
// on systems without recvmmsg): one step of Serve, for a caller that runs
// its own loop (a read deadline set on UDPConn applies). The messages are
// reused by the next ReadBatch.
func (c *Conn) ReadBatch() ([]Message, error) {
	n, err := c.rd.read(true)
	if err != nil {
		return nil, err
	}
	ms := c.rd.msgs[:n]
	senders := int32(1)
	for i := 1; i < n; i++ {
		if ms[i].Addr != ms[i-1].Addr {
			senders++
		}
	}
	c.senders.Store(senders)
	return ms, nil
}

// PollBatch returns the datagrams waiting now, at most Config.Batch (one on
// systems without recvmmsg), without waiting: none, and no error, when the
// socket has none. Fewer than Config.Batch means the socket was empty at
// that moment. Transient errors are counted in ReadErrors and skipped, as
// in Serve. The messages are reused by the next read. It is the step of a
// server polled by the program (udp.Listener with Config.Polled), which
// reads on its own goroutine and never waits in the socket.
func (c *Conn) PollBatch() ([]Message, error) {
	for range c.cfg.Batch {
		n, err := c.rd.read(false)
		if err != nil {
			if !c.closed.Load() && transient(err) {
				c.readErrors.Add(1)
				continue
			}
			return nil, err
		}
		return c.rd.msgs[:n], nil
	}
	return nil, nil
}

// transient reports whether a read error leaves the socket usable.
func transient(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOBUFS)
}

// WriteTo sends p to the remote to. When another goroutine is sending, p is
// copied into the send queue and WriteTo returns nil at once: that
// goroutine sends it (a datagram the system then refuses is counted in
// SendErrors). Otherwise WriteTo sends p itself, returns its error, and
// first sends what others queued meanwhile. p may be reused when WriteTo
// returns.
func (c *Conn) WriteTo(p []byte, to netip.AddrPort) error {
	c.mu.Lock()
	if c.busy {
		for !c.queue.fits(len(p)) && c.busy {
			c.room.Wait()
		}
		if c.busy {
			c.queue.add(p, to)
			c.mu.Unlock()
			return nil
		}
	}
	c.busy = true
	if batchy, queued := c.senders.Load() > 1, len(c.queue.msgs) > 0; batchy || queued {
		// The last read brought datagrams from several remotes, whose
		// receivers are likely to answer now: queue p, let them run and
		// queue theirs, then send all. (Or Enqueue left datagrams, which p
		// must not overtake.)
		if c.closed.Load() {
			c.busy = false
			c.mu.Unlock()
			return net.ErrClosed
		}
		if !c.queue.fits(len(p)) {
			c.mu.Unlock()
			c.flush()
			return c.WriteTo(p, to)
		}
		c.queue.add(p, to)
		c.mu.Unlock()
		if batchy {
			runtime.Gosched()
		}
		c.flush()
		return nil
	}
	c.mu.Unlock()
	err := c.wr.writeOne(p, to)
	c.flush()
	return err
}

// Enqueue copies p into the send queue without sending it: the next Flush
// or WriteTo sends it, in one sendmmsg with the others queued. A host that
// answers many remotes from one goroutine (ENet's flush of every peer, for
// one) enqueues each datagram, then flushes.
func (c *Conn) Enqueue(p []byte, to netip.AddrPort) {
	c.mu.Lock()
	for !c.queue.fits(len(p)) {
		if !c.busy {
			c.busy = true
			c.mu.Unlock()
			c.flush()
			c.mu.Lock()
			continue
		}
		c.room.Wait()
	}
	c.queue.add(p, to)
	c.mu.Unlock()
}

// Flush sends the datagrams Enqueue queued. When another goroutine is
// sending, that one sends them and Flush returns at once.
func (c *Conn) Flush() {
	c.mu.Lock()
	if c.busy {
		c.mu.Unlock()
		return
	}
	c.busy = true
	c.mu.Unlock()
	c.flush()
}

// Drain waits until every datagram queued so far has been handed to the
// system, whoever sends it: before Close, so that another goroutine's
// sendmmsg does not find the socket closed.
func (c *Conn) Drain() {
	c.mu.Lock()
	for c.busy || len(c.queue.msgs) > 0 {
		if !c.busy {
			c.busy = true
			c.mu.Unlock()
			c.flush()
			c.mu.Lock()
			continue
		}
		c.room.Wait()
	}
	c.mu.Unlock()
}

// flush sends the queue until it is empty, then lets the next caller send.
func (c *Conn) flush() {
	c.mu.Lock()
	for len(c.queue.msgs) > 0 {
		b := c.queue
		c.queue, c.spare = c.spare, nil
		c.room.Broadcast()
		c.mu.Unlock()
		if failed := c.wr.writeBatch(b); failed > 0 {
			c.sendErrors.Add(uint64(failed))
		}
		b.reset()
		c.mu.Lock()
		c.spare = b
	}
	c.busy = false
	c.room.Broadcast()
	c.mu.Unlock()
}

// batch is a queue of datagrams to send: their bytes in one arena.
type batch struct {
	data []byte
	msgs []queued
}

type queued struct {
	off, n int
	to     netip.AddrPort
}

func newBatch() *batch {
	return &batch{data: make([]byte, 0, 4096), msgs: make([]queued, 0, queueMessages)}
}

// fits reports whether a datagram of n bytes may be queued: any one may
// join an empty batch.
func (b *batch) fits(n int) bool {
	return len(b.msgs) == 0 || (len(b.msgs) < queueMessages && len(b.data)+n <= queueBytes)
}

func (b *batch) add(p []byte, to netip.AddrPort) {
	if n := len(b.data) + len(p); n > cap(b.data) {
		// Grow within queueBytes (append's growth would overshoot it and
		// reset would then drop the arena every time).
		b.data = append(make([]byte, 0, max(n, min(2*cap(b.data), queueBytes))), b.data...)
	}
	b.msgs = append(b.msgs, queued{off: len(b.data), n: len(p), to: to})
	b.data = append(b.data, p...)
}

func (b *batch) reset() {
	b.msgs = b.msgs[:0]
	if cap(b.data) > queueBytes { // one datagram bigger than queueBytes grew it
		b.data = make([]byte, 0, 4096)
	}
	b.data = b.data[:0]
}

func (b *batch) payload(i int) []byte {
	m := b.msgs[i]
	return b.data[m.off : m.off+m.n]
}

// unmap reports IPv4-mapped IPv6 addresses as IPv4.
func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Reader reads a peer's own socket (bound or connected, read by one
// goroutine at a time) one datagram per system call while datagrams come
// one by one, and in batches while they wait in the socket. A read takes one
// datagram with recvfrom(2), as a plain ReadFrom would, unless the previous
// read found a datagram already waiting (a burst, or a poll once per
// frame): then it takes up to Config.Batch with one recvmmsg(2). So a
// ping-pong, whose reads wait, pays what ReadFrom pays, and a burst is read
// in batches from its second read on. The buffers of all but the first
// message are allocated the first time a datagram is found waiting, so a
// socket that never sees a burst costs one datagram's buffer. Elsewhere
// than on Linux each read returns one datagram.
type Reader struct {
	r *reader
}

// NewReader makes a Reader for conn, which the caller keeps (and closes).
// On a connected socket every Message.Addr is the remote, and source
// addresses are not read.
func NewReader(conn *net.UDPConn, cfg Config) (*Reader, error) {
	cfg = cfg.withDefaults()
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := newReaderSlots(conn, rc, cfg, cfg.Batch)
	r.peer = true
	if ra, ok := conn.RemoteAddr().(*net.UDPAddr); ok && ra != nil {
		r.connected, r.remote = true, unmap(ra.AddrPort())
	}
	return &Reader{r: r}, nil
}

// Read waits for datagrams and returns them (at least one), reused by the
// next Read or Poll. A deadline set on the socket applies. A socket error
// (ECONNREFUSED after an ICMP port unreachable, for one) is returned as a
// *net.OpError wrapping the syscall.Errno; the socket stays usable.
func (r *Reader) Read() ([]Message, error) {
	n, err := r.r.read(true)
	if err != nil {
		return nil, err
	}
	return r.r.msgs[:n], nil
}

// Poll returns the datagrams queued now without waiting: none (and no
// error) when the socket has none. Errors are as for Read.
func (r *Reader) Poll() ([]Message, error) {
	n, err := r.r.read(false)
	if err != nil {
		return nil, err
	}
	return r.r.msgs[:n], nil
}

// Batch is how many datagrams one read may return.
func (r *Reader) Batch() int { return len(r.r.msgs) }
