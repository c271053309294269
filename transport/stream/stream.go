package stream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
	"github.com/packetpeer/packetpeer/peer"
)

const readBufferSize = 16 << 10

// Peer is Godot's PacketPeerStream over one byte stream. It embeds *peer.Peer
// (PutPacket, GetPacket, PutVar, GetVar, ReadPacket, ...) and adds the
// stream-specific methods. It is safe for concurrent use.
type Peer struct {
	*peer.Peer
	t *conn
}

// conn is the peer.Transport: a reader goroutine decoding frames into a
// bounded ring and a writer goroutine writing queued frames in batches.
type conn struct {
	rwc io.ReadWriteCloser
	cfg Config

	*ringbuf.Inbox // the receive queue: GetPacket, WaitPacket, AvailablePacketCount

	// Send queue: PutPacket appends frames to buf; the writer swaps it with
	// spare and writes it in one call.
	mu          sync.Mutex
	buf         []byte
	spare       []byte
	werr        error // sticky: the stream failed or the peer is closing
	closing     bool
	stuck       bool // a put timed out: Close does not linger
	roomWaiters int
	room        chan struct{} // closed and replaced when room is made and someone waits
	wake        chan struct{} // cap 1: buf is not empty or closing

	status atomic.Int32 // a Status

	ctx       context.Context // cancelled by Close: unblocks the reader's Push
	cancel    context.CancelFunc
	readDone  chan struct{}
	writeDone chan struct{}
	closeOnce sync.Once
	onClose   func()
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

var errNoStream = &peer.OpError{Op: "stream", Err: peer.ErrUnconfigured, Detail: "no stream (New was given nil)"}

func (noStream) Read([]byte) (int, error)  { return 0, errNoStream }
func (noStream) Write([]byte) (int, error) { return 0, errNoStream }
func (noStream) Close() error              { return nil }

func newPeer(rwc io.ReadWriteCloser, cfg Config, onClose func()) *Peer {
	setNoDelay(rwc, !cfg.DisableNoDelay)
	c := &conn{
		rwc: rwc,
		cfg: cfg,
		Inbox: ringbuf.NewInbox(ringbuf.Config{MaxBytes: cfg.ReceiveQueueBytes,
			MaxPackets: cfg.ReceiveQueuePackets, Policy: ringbuf.Block}, peer.ErrUnavailable),
		room:      make(chan struct{}),
		wake:      make(chan struct{}, 1),
		readDone:  make(chan struct{}),
		writeDone: make(chan struct{}),
		onClose:   onClose,
	}
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

// readLoop decodes frames from the stream into the receive queue until the
// stream ends, fails or sends a frame larger than InputBufferMaxSize.
func (c *conn) readLoop() {
	defer close(c.readDone)
	r := bufio.NewReaderSize(c.rwc, readBufferSize)
	var scratch []byte
	for {
		p, err := readFrame(r, c.cfg.InputBufferMaxSize, &scratch)
		if err == nil {
			// Block policy: a full queue stops reading here, and the
			// transport's flow control slows the sender down.
			err = c.Inbox.Push(c.ctx, p)
			if err == nil {
				continue
			}
		}
		switch {
		case c.ctx.Err() != nil:
			c.status.Store(int32(StatusNone))
			c.Inbox.Close(nil)
		case err == io.EOF:
			c.status.CompareAndSwap(int32(StatusConnected), int32(StatusNone))
			c.Inbox.Close(io.EOF) // queued packets are still read, then io.EOF
		case errors.Is(err, peer.ErrInvalidData):
			// A hostile or broken peer: disconnect it.
			c.status.Store(int32(StatusError))
			c.fail(err)
			c.rwc.Close()
			c.Inbox.Close(err)
		default:
			c.status.Store(int32(StatusError))
			c.Inbox.Close(fmt.Errorf("stream: read: %w", err))
		}
		return
	}
}

// writeLoop writes queued frames, everything queued so far in one Write.
func (c *conn) writeLoop() {
	defer close(c.writeDone)
	for {
		c.mu.Lock()
		for len(c.buf) == 0 {
			if c.closing || c.werr != nil {
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		batch := c.buf
		c.buf, c.spare = c.spare[:0], nil
		c.wakeRoomLocked()
		c.mu.Unlock()

		_, err := c.rwc.Write(batch)

		c.mu.Lock()
		c.spare = batch[:0]
		if err != nil {
			if c.werr == nil {
				c.werr = fmt.Errorf("stream: write: %w: %w", peer.ErrFailed, err)
			}
			if !c.closing {
				c.status.Store(int32(StatusError))
			}
			c.buf = c.buf[:0]
			c.wakeRoomLocked()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

func (c *conn) wakeRoomLocked() {
	if c.roomWaiters > 0 {
		close(c.room)
		c.room = make(chan struct{})
		c.roomWaiters = 0
	}
}

func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.werr == nil {
		c.werr = err
	}
	c.wakeRoomLocked()
	c.mu.Unlock()
	signal(c.wake)
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (c *conn) PutPacket(p []byte) error {
	return c.put(nil, p)
}

// put queues p for the writer, waiting for room until ctx ends or the
// WriteTimeout passes. ctx may be nil.
func (c *conn) put(ctx context.Context, p []byte) error {
	if len(p) > c.cfg.OutputBufferMaxSize {
		return &peer.OpError{Op: "put packet", Err: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds output buffer max size %d", len(p), c.cfg.OutputBufferMaxSize)}
	}
	need := headerSize + len(p)
	var timer *time.Timer
	c.mu.Lock()
	for {
		if c.closing {
			c.mu.Unlock()
			return &peer.OpError{Op: "put packet", Err: peer.ErrClosed}
		}
		if c.werr != nil {
			err := c.werr
			c.mu.Unlock()
			return err
		}
		if len(c.buf) == 0 || len(c.buf)+need <= c.cfg.SendQueueBytes {
			break
		}
		// The queue is full: the stream is not keeping up.
		room := c.room
		c.roomWaiters++
		c.mu.Unlock()
		var ctxDone <-chan struct{}
		if ctx != nil {
			ctxDone = ctx.Done()
		}
		var timeout <-chan time.Time
		if c.cfg.WriteTimeout > 0 {
			if timer == nil {
				timer = time.NewTimer(c.cfg.WriteTimeout)
				defer timer.Stop()
			}
			timeout = timer.C
		}
		select {
		case <-room:
		case <-ctxDone:
			return &peer.OpError{Op: "put packet", Err: ctx.Err()}
		case <-timeout:
			c.mu.Lock()
			c.stuck = true
			c.mu.Unlock()
			return &peer.OpError{Op: "put packet", Err: peer.ErrTimeout,
				Detail: fmt.Sprintf("remote end did not read for %v; packet not sent", c.cfg.WriteTimeout)}
		case <-c.ctx.Done():
			return &peer.OpError{Op: "put packet", Err: peer.ErrClosed}
		}
		c.mu.Lock()
	}
	wasEmpty := len(c.buf) == 0
	c.buf = appendFrame(c.buf, p)
	c.mu.Unlock()
	if wasEmpty {
		signal(c.wake)
	}
	return nil
}

func (c *conn) MaxPacketSize() int { return c.cfg.OutputBufferMaxSize }

// Close flushes queued packets (bounded by Linger), closes the stream and
// waits for the reader and writer goroutines to end.
func (c *conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.wakeRoomLocked()
		stuck := c.stuck
		c.mu.Unlock()
		signal(c.wake)
		if c.cfg.Linger > 0 && !stuck {
			t := time.NewTimer(c.cfg.Linger)
			select {
			case <-c.writeDone:
			case <-t.C:
			}
			t.Stop()
		}
		c.cancel()
		err = c.rwc.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil // already closed after a protocol error
		}
		<-c.writeDone
		<-c.readDone
		c.Inbox.Close(nil)
		c.status.Store(int32(StatusNone))
		if c.onClose != nil {
			c.onClose()
		}
	})
	return err
}

// PutPacketContext is PutPacket with a bound: when the send queue is full
// because the remote end does not read, it waits until ctx ends and then
// fails with ctx's error, sending nothing.
func (p *Peer) PutPacketContext(ctx context.Context, b []byte) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "put packet", Err: peer.ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return &peer.OpError{Op: "put packet", Err: err}
	}
	if len(b) == 0 {
		return nil
	}
	return p.t.put(ctx, b)
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
