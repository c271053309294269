// Package dgramconn is the net.PacketConn that pion/dtls runs one remote's
// DTLS session over when that remote's datagrams come through something
// shared rather than a socket of its own:
//
//   - a server socket whose read loop sorts datagrams by source address
//     (dtls.Listener, an ENet host with DTLS) and pushes each remote's into
//     its Conn (Push);
//   - a connected udp.Peer the program already holds (DTLS over a UDP peer,
//     as Godot's connect_to_peer and DTLSServer.take_connection compose
//     them), read through Config.Source whenever nothing was pushed.
//
// Writes go out through Config.Write. A Conn for a client whose ClientHello
// carries an empty server name (Godot's mbedTLS with an empty hostname)
// repairs the handshake on its way through (Config.RepairSNI, package
// snirepair); ServerOptions hands pion the key log the repair needs.
//
// Bounds: at most Config.Queue datagrams (default 64) wait for pion, each
// in a pooled MaxDatagram-byte buffer; Push drops a datagram beyond that,
// or larger than MaxDatagram, as a full socket buffer would. An idle Conn
// holds no buffer: under IdleBytes (1 KiB) with the default queue, which a
// test checks.
package dgramconn

import (
	"context"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/internal/snirepair"
)

const (
	// MaxDatagram is the largest datagram Push queues: pion reads each
	// datagram into an 8192-byte buffer, so a bigger one could not be
	// processed.
	MaxDatagram = 8192
	// DefaultQueue is how many datagrams wait for pion by default.
	DefaultQueue = 64
	// IdleBytes bounds the memory of an idle push-fed Conn with the
	// default queue (the Conn, its queue of buffer pointers, its channels).
	IdleBytes = 1 << 10
)

// Source is what a Conn reads when nothing was pushed: a connected
// udp.Peer. AppendPacket appends the next datagram to b, waiting until one
// arrives or ctx ends.
type Source interface {
	AppendPacket(ctx context.Context, b []byte) ([]byte, error)
}

// Config configures New.
type Config struct {
	Local  net.Addr // returned by LocalAddr
	Remote net.Addr // the only remote: the address every read returns
	// Write sends one datagram to the remote; it must not keep b.
	Write func(b []byte) error
	// Source, when set, is read whenever no pushed datagram waits.
	Source Source
	// Queue is how many pushed datagrams wait for pion at most; 0 means
	// DefaultQueue.
	Queue int
	// RepairSNI makes the Conn repair the handshake of a client whose
	// first ClientHello snirepair.EmptySNIHello reported: pass the
	// options pion gets through ServerOptions.
	RepairSNI bool
	// OnClose runs once, at the first Close, after reads and writes
	// stopped.
	OnClose func()
}

// Conn is one remote's net.PacketConn for pion/dtls. It is safe for
// concurrent use: Push from a read loop, ReadFrom and WriteTo from pion.
type Conn struct {
	local, remote net.Addr
	write         func([]byte) error
	fix           *snirepair.Repair
	onClose       func()
	pull          *puller // nil without Config.Source

	in        chan *[]byte
	done      chan struct{}
	closeOnce sync.Once
	rdl       readDeadline
}

// puller is the read side of a Conn over a Source. A read waits on a
// context that ends at Close, at the read deadline, or when a datagram is
// pushed, and is then retried as needed.
type puller struct {
	src  Source
	root context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	ctx      context.Context // the current read's
	cancel   context.CancelFunc
	deadline time.Time
}

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, MaxDatagram)
	return &b
}}

var errDeadline = os.ErrDeadlineExceeded

// New returns a Conn for one remote.
func New(cfg Config) *Conn {
	q := cfg.Queue
	if q <= 0 {
		q = DefaultQueue
	}
	c := &Conn{
		local:   cfg.Local,
		remote:  cfg.Remote,
		write:   cfg.Write,
		onClose: cfg.OnClose,
		in:      make(chan *[]byte, q),
		done:    make(chan struct{}),
	}
	if cfg.RepairSNI {
		c.fix = &snirepair.Repair{Deliver: c.pushRaw}
	}
	if cfg.Source != nil {
		p := &puller{src: cfg.Source}
		p.root, p.stop = context.WithCancel(context.Background())
		p.mu.Lock()
		p.renewLocked()
		p.mu.Unlock()
		c.pull = p
	}
	return c
}

// ServerOptions returns opts, plus the key log writer the SNI repair reads
// when the Conn repairs one (Config.RepairSNI).
func (c *Conn) ServerOptions(opts []pdtls.ServerOption) []pdtls.ServerOption {
	if c.fix == nil {
		return opts
	}
	return append(slices.Clip(opts), pdtls.WithKeyLogWriter(c.fix))
}

// Push queues a copy of datagram b from the remote for pion (repaired
// first when the Conn repairs SNI). It never blocks: b is dropped when the
// queue is full, when it is larger than MaxDatagram, or after Close.
func (c *Conn) Push(b []byte) {
	if c.fix != nil {
		if b = c.fix.Inbound(b); len(b) == 0 {
			return
		}
	}
	c.pushRaw(b)
}

func (c *Conn) pushRaw(b []byte) {
	if len(b) > MaxDatagram {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	bp := bufPool.Get().(*[]byte)
	*bp = append((*bp)[:0], b...)
	select {
	case c.in <- bp:
	default:
		bufPool.Put(bp)
		return
	}
	if c.pull != nil {
		c.pull.wake()
	}
}

// take copies a queued datagram into b and recycles its buffer.
func (c *Conn) take(b []byte, bp *[]byte) (int, net.Addr, error) {
	n := copy(b, *bp)
	bufPool.Put(bp)
	return n, c.remote, nil
}

// ReadFrom returns the next datagram: a pushed one, else (with a Source)
// the Source's next. It fails with net.ErrClosed after Close, with
// os.ErrDeadlineExceeded once the read deadline passed, and with the
// Source's own error.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	if c.pull != nil {
		return c.readSource(b)
	}
	dl := c.rdl.Done()
	select {
	case <-dl:
		return 0, nil, errDeadline
	default:
	}
	select {
	case bp := <-c.in:
		return c.take(b, bp)
	case <-c.done:
		return 0, nil, net.ErrClosed
	case <-dl:
		return 0, nil, errDeadline
	}
}

func (c *Conn) readSource(b []byte) (int, net.Addr, error) {
	p := c.pull
	for {
		select {
		case bp := <-c.in:
			return c.take(b, bp)
		default:
		}
		p.mu.Lock()
		ctx, deadline := p.ctx, p.deadline
		p.mu.Unlock()
		got, err := p.src.AppendPacket(ctx, b[:0])
		if err != nil {
			if ctx.Err() == nil {
				return 0, nil, err
			}
			select {
			case <-c.done:
				return 0, nil, net.ErrClosed
			default:
			}
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				return 0, nil, errDeadline
			}
			continue // a new deadline or a pushed datagram
		}
		if c.fix != nil {
			if got = c.fix.Inbound(got); len(got) == 0 {
				continue
			}
		}
		return copy(b, got), c.remote, nil
	}
}

// renewLocked ends the current read's context (a blocked read looks
// again) and makes the next one. p.mu is held.
func (p *puller) renewLocked() {
	if p.cancel != nil {
		p.cancel()
	}
	if p.deadline.IsZero() {
		p.ctx, p.cancel = context.WithCancel(p.root)
	} else {
		p.ctx, p.cancel = context.WithDeadline(p.root, p.deadline)
	}
}

func (p *puller) wake() {
	p.mu.Lock()
	p.renewLocked()
	p.mu.Unlock()
}

// WriteTo sends b to the remote (whatever addr says), repaired first when
// the Conn repairs SNI. It fails with net.ErrClosed after Close.
func (c *Conn) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-c.done:
		return 0, net.ErrClosed
	default:
	}
	n := len(b)
	if c.fix != nil {
		b = c.fix.Outbound(b)
	}
	if err := c.write(b); err != nil {
		return 0, err
	}
	return n, nil
}

// Close stops reads and writes, then runs Config.OnClose; the Source, if
// any, stays open. pion calls it when its connection closes, after its
// close_notify.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		if c.pull != nil {
			c.pull.stop()
		}
		if c.onClose != nil {
			c.onClose()
		}
	})
	return nil
}

func (c *Conn) LocalAddr() net.Addr { return c.local }

func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *Conn) SetReadDeadline(t time.Time) error {
	if p := c.pull; p != nil {
		p.mu.Lock()
		p.deadline = t
		p.renewLocked()
		p.mu.Unlock()
		return nil
	}
	c.rdl.Set(t)
	return nil
}

// SetWriteDeadline is a no-op: writes do not block.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }
