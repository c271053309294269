package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
	"github.com/packetpeer/packetpeer/peer"
)

// Peer is Godot's PacketPeerStream over one byte stream. It embeds *peer.Peer
// (PutPacket, GetPacket, PutVar, GetVar, ReadPacket, ...) and adds the
// stream-specific methods. It is safe for concurrent use.
type Peer struct {
	*peer.Peer
	t *conn
}

// conn is the peer.Transport. Its state comes in parts, each described
// where it is declared:
//
//   - in, the receive queue: whole packets read from the stream, waiting
//     for GetPacket (a bounded ring, policy Block);
//   - rd, the stream as the receive side reads it, one goroutine at a time
//     (read.go);
//   - dr, the direct reads: who reads the stream, the reader goroutine or
//     a ReadPacket caller (read.go);
//   - wr, the send side: the send queue the writer goroutine drains, and
//     write-through (write.go);
//   - idle, the idle-timeout watchdog, nil without one (idle.go).
//
// On TCP and Unix connections (raw != nil) two shortcuts skip the goroutine
// hand-offs when packets are exchanged one at a time: a read may read the
// stream itself (direct, in read.go) and a put may write it itself (writer,
// in write.go).
type conn struct {
	rwc    io.ReadWriteCloser
	cfg    Config
	raw    syscall.RawConn // a TCP or Unix socket: the shortcuts apply; nil otherwise
	ln     *Listener       // the Listener that accepted the peer, nil for Dial and New
	status atomic.Int32    // a Status

	in   *ringbuf.Inbox
	rd   reader
	dr   direct
	wr   writer
	idle *idleWatch

	// Lifetime: Close cancels ctx (which unblocks the reader's Push and a
	// parked reader goroutine) and waits for both goroutines.
	ctx       context.Context
	cancel    context.CancelFunc
	readDone  chan struct{}
	writeDone chan struct{}
	closeOnce sync.Once
}

// New wraps a byte stream (a TCP or Unix connection, one end of net.Pipe, a
// *tls.Conn, ...) in a Peer that speaks Godot's PacketPeerStream framing on
// it, and starts its reader and writer goroutines. The Peer owns rwc: Close
// closes it, and rwc.Close must unblock a pending Read and Write. A nil cfg
// means the defaults.
//
// A nil rwc gives a peer whose reads and writes fail with an error matching
// peer.ErrUnconfigured, as Godot's PacketPeerStream without a stream peer.
func New(rwc io.ReadWriteCloser, cfg *Config) *Peer {
	if rwc == nil {
		rwc = noStream{}
	}
	return newPeer(rwc, cfg.withDefaults(), nil)
}

// noStream stands in for a missing stream.
type noStream struct{}

func (noStream) Read([]byte) (int, error) {
	return 0, &peer.OpError{Op: "read packet", Transport: "stream", Code: peer.ErrUnconfigured, Detail: "no stream (New was given nil)"}
}

func (noStream) Write([]byte) (int, error) {
	return 0, &peer.OpError{Op: "put packet", Transport: "stream", Code: peer.ErrUnconfigured, Detail: "no stream (New was given nil)"}
}
func (noStream) Close() error { return nil }

func newPeer(rwc io.ReadWriteCloser, cfg Config, ln *Listener) *Peer {
	setNoDelay(rwc, !cfg.DisableNoDelay)
	c := &conn{
		rwc: rwc,
		cfg: cfg,
		raw: rawConnOf(rwc),
		ln:  ln,
		in: ringbuf.NewInbox(ringbuf.Config{MaxBytes: cfg.ReceiveQueueBytes,
			MaxPackets: cfg.ReceiveQueuePackets, Policy: ringbuf.Block}, peer.ErrUnavailable),
		readDone:  make(chan struct{}),
		writeDone: make(chan struct{}),
	}
	var stream io.Reader = rwc
	if cfg.IdleTimeout > 0 {
		c.idle = newIdleWatch(c)
		stream = watchedStream{c}
	}
	c.rd.init(stream)
	c.dr.init()
	c.wr.init(c)
	c.status.Store(int32(StatusConnected))
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.readLoop()
	go c.writeLoop()
	return &Peer{Peer: peer.New(c), t: c}
}

// tcpNoDelayer is what *net.TCPConn implements.
type tcpNoDelayer interface{ SetNoDelay(bool) error }

func setNoDelay(rwc io.ReadWriteCloser, on bool) error {
	var x any = rwc
	if n, ok := x.(interface{ NetConn() net.Conn }); ok { // *tls.Conn
		x = n.NetConn()
	}
	if d, ok := x.(tcpNoDelayer); ok {
		return d.SetNoDelay(on)
	}
	return nil
}

func (c *conn) MaxPacketSize() int { return c.cfg.OutputBufferMaxSize }

// WritePacket implements peer.ContextWriter: PutPacket, waiting for room in
// the send queue at most until ctx ends (and the WriteTimeout passes).
func (c *conn) WritePacket(ctx context.Context, p []byte) error { return c.put(ctx, p) }

// TransportName implements peer.Namer.
func (c *conn) TransportName() string { return "stream" }

// Close flushes queued packets (bounded by Linger), closes the stream and
// waits for the reader and writer goroutines to end.
func (c *conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		stuck := c.wr.close()
		if c.cfg.Linger > 0 && !stuck {
			t := time.NewTimer(c.cfg.Linger)
			select {
			case <-c.writeDone:
			case <-t.C:
			}
			t.Stop()
		}
		c.cancel()
		c.idle.stop()
		err = c.rwc.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil // already closed after a protocol error
		}
		<-c.writeDone
		<-c.readDone
		c.in.Close(nil)
		c.dr.parkTimer.Stop()
		c.status.Store(int32(StatusNone))
		if c.ln != nil {
			c.ln.untrack(c)
		}
	})
	return err
}

// Status is the connection state, as Godot's StreamPeerTCP.Status.
type Status int

// Godot's StreamPeerTCP.Status values. A Peer is never connecting: Dial
// returns once connected.
const (
	StatusNone       Status = 0 // closed, or the remote end closed cleanly
	StatusConnecting Status = 1
	StatusConnected  Status = 2
	StatusError      Status = 3 // the stream failed or the remote end broke the framing
)

func (s Status) String() string {
	switch s {
	case StatusNone:
		return "none"
	case StatusConnecting:
		return "connecting"
	case StatusConnected:
		return "connected"
	case StatusError:
		return "error"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Status returns the connection state (Godot's StreamPeerTCP.get_status).
// Packets received before the remote end closed or failed can still be read
// in StatusNone and StatusError.
func (p *Peer) Status() Status { return Status(p.t.status.Load()) }

// InputBufferMaxSize returns the largest packet accepted from the remote end
// (Godot's get_input_buffer_max_size).
func (p *Peer) InputBufferMaxSize() int { return p.t.cfg.InputBufferMaxSize }

// OutputBufferMaxSize returns the largest packet PutPacket sends (Godot's
// get_output_buffer_max_size).
func (p *Peer) OutputBufferMaxSize() int { return p.t.cfg.OutputBufferMaxSize }

// SetNoDelay sets TCP_NODELAY on a TCP stream (Godot's
// StreamPeerTCP.set_no_delay); it does nothing on other streams.
func (p *Peer) SetNoDelay(enabled bool) error { return setNoDelay(p.t.rwc, enabled) }

// LocalAddr returns the local address of a net.Conn stream, nil otherwise.
func (p *Peer) LocalAddr() net.Addr {
	if c, ok := p.t.rwc.(net.Conn); ok {
		return c.LocalAddr()
	}
	return nil
}

// RemoteAddr returns the remote address of a net.Conn stream (Godot's
// get_connected_host and get_connected_port), nil otherwise.
func (p *Peer) RemoteAddr() net.Addr {
	if c, ok := p.t.rwc.(net.Conn); ok {
		return c.RemoteAddr()
	}
	return nil
}

// Stream returns the byte stream the peer owns. Reading or writing it
// directly corrupts the framing; it is there for inspection (for example a
// *tls.Conn's ConnectionState).
func (p *Peer) Stream() io.ReadWriteCloser { return p.t.rwc }
