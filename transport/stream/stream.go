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
	"syscall"
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
// bounded ring and a writer goroutine writing queued frames in batches. On
// TCP and Unix connections a ReadPacket caller may read the stream itself
// and a put may write it itself, skipping the goroutine hand-offs when
// packets are exchanged one at a time (see put and WaitPacket).
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
	writing     bool          // the writer goroutine has a batch in flight

	// Write-through (TCP and Unix connections only): a put that finds the
	// send path idle (nothing queued, no batch in flight) and holds wtToken
	// writes its frame itself with one non-blocking write, under mu, and
	// queues only what the kernel did not take. The token is given back
	// whenever the receive side has consumed everything the remote end sent
	// so far, so an exchange of requests and replies skips the writer
	// goroutine while a one-way stream of puts is still batched by it.
	raw           syscall.RawConn       // nil: no write-through
	rawWrite      func(fd uintptr) bool // c.tryWrite, bound once: no allocation per put
	rawN          int                   // bytes tryWrite wrote; under mu
	writeThroughs uint64                // under mu; for tests
	partialWrites uint64                // under mu; for tests
	wtToken       atomic.Bool

	// Receive side. One goroutine at a time reads the stream, holding rmu:
	// the reader goroutine, or a ReadPacket caller reading directly (see
	// WaitPacket).
	rmu          sync.Mutex
	r            *bufio.Reader // under rmu
	scratch      []byte        // under rmu: frames larger than r's buffer
	ended        atomic.Bool   // the stream ended or failed: the queue is closed
	wantDirect   atomic.Bool   // callers read directly: the reader goroutine parks
	queueWaiters atomic.Int32  // callers waiting on the queue for someone to read
	resume       chan struct{} // cap 1: the reader goroutine should take the stream back
	idle         *time.Timer   // the parked reader goroutine's next look at the stream
	armOnLeave   atomic.Bool   // the parked reader goroutine waits for a direct reader to leave
	directReads  atomic.Uint64 // for tests

	status atomic.Int32 // a Status

	// Idle timeout (cfg.IdleTimeout > 0): the stream is read through
	// watchedStream, which counts reads in rxSeq, on entry and on return,
	// so that rxSeq is odd while a read waits for the remote end; the
	// watchdog looks at it idleChecks times per IdleTimeout (checkIdle).
	rxSeq      atomic.Uint64
	watchdog   *time.Timer
	wdMu       sync.Mutex
	wdStopped  bool   // under wdMu
	wdSeq      uint64 // under wdMu: rxSeq at the last check
	wdTicks    int    // under wdMu: checks that found the same read waiting
	timeoutErr atomic.Pointer[error]

	ln *Listener // the Listener that accepted the peer, nil for Dial and New

	ctx       context.Context // cancelled by Close: unblocks the reader's Push
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

// idleChecks is how many times per IdleTimeout the watchdog looks at the
// stream.
const idleChecks = 4

// watchedStream is the stream as the frame reader sees it when an idle
// timeout applies (see conn.rxSeq).
type watchedStream struct{ c *conn }

func (w watchedStream) Read(p []byte) (int, error) {
	w.c.rxSeq.Add(1)
	n, err := w.c.rwc.Read(p)
	w.c.rxSeq.Add(1)
	return n, err
}

// checkIdle is the watchdog: it closes the peer once the same read has
// waited for the remote end through idleChecks checks in a row, that is
// for IdleTimeout to 1.25 IdleTimeout.
func (c *conn) checkIdle() {
	c.wdMu.Lock()
	defer c.wdMu.Unlock()
	if c.wdStopped {
		return
	}
	seq := c.rxSeq.Load()
	if seq != c.wdSeq || seq%2 == 0 {
		c.wdSeq, c.wdTicks = seq, 0
	} else if c.wdTicks++; c.wdTicks >= idleChecks {
		c.wdStopped = true
		var err error = &peer.OpError{Op: "read packet", Err: peer.ErrTimeout,
			Detail: fmt.Sprintf("the remote end sent nothing for %v (Config.IdleTimeout)", c.cfg.IdleTimeout)}
		c.timeoutErr.Store(&err)
		c.fail(err)
		c.rwc.Close() // the waiting read returns; readOne reports err
		return
	}
	c.watchdog.Reset(c.cfg.IdleTimeout / idleChecks)
}

func (c *conn) stopWatchdog() {
	if c.watchdog == nil {
		return
	}
	c.wdMu.Lock()
	c.wdStopped = true
	c.watchdog.Stop()
	c.wdMu.Unlock()
}

// noStream stands in for a missing stream.
type noStream struct{}

var errNoStream = &peer.OpError{Op: "stream", Err: peer.ErrUnconfigured, Detail: "no stream (New was given nil)"}

func (noStream) Read([]byte) (int, error)  { return 0, errNoStream }
func (noStream) Write([]byte) (int, error) { return 0, errNoStream }
func (noStream) Close() error              { return nil }

func newPeer(rwc io.ReadWriteCloser, cfg Config, ln *Listener) *Peer {
	setNoDelay(rwc, !cfg.DisableNoDelay)
	c := &conn{
		rwc: rwc,
		cfg: cfg,
		Inbox: ringbuf.NewInbox(ringbuf.Config{MaxBytes: cfg.ReceiveQueueBytes,
			MaxPackets: cfg.ReceiveQueuePackets, Policy: ringbuf.Block}, peer.ErrUnavailable),
		room:      make(chan struct{}),
		wake:      make(chan struct{}, 1),
		resume:    make(chan struct{}, 1),
		idle:      time.NewTimer(readerResume),
		readDone:  make(chan struct{}),
		writeDone: make(chan struct{}),
		ln:        ln,
	}
	c.idle.Stop() // armed by park
	if cfg.IdleTimeout > 0 {
		c.r = bufio.NewReaderSize(watchedStream{c}, readBufferSize)
		c.watchdog = time.AfterFunc(cfg.IdleTimeout/idleChecks, c.checkIdle)
	}
	if c.raw = rawConnOf(rwc); c.raw != nil {
		c.rawWrite = c.tryWrite
		c.wtToken.Store(true)
	}
	if c.r == nil {
		c.r = bufio.NewReaderSize(rwc, readBufferSize)
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

// readerResume and maxReaderResume bound how long the reader goroutine
// stays parked while callers read the stream directly (see park).
const (
	readerResume    = time.Millisecond
	maxReaderResume = 16 * time.Millisecond
)

// readLoop decodes frames from the stream into the receive queue until the
// stream ends, fails or sends a frame larger than InputBufferMaxSize. While
// ReadPacket callers read the stream themselves (wantDirect) it stays out of
// the way.
func (c *conn) readLoop() {
	defer close(c.readDone)
	for {
		if c.wantDirect.Load() {
			if !c.park() {
				return
			}
			continue
		}
		c.rmu.Lock()
		ok := c.readLocked()
		c.rmu.Unlock()
		if !ok {
			return
		}
	}
}

// readLocked reads frames into the queue, with rmu held, until the stream
// ends (false) or callers want to read directly and packets arrive one at a
// time: a read from the stream brought exactly one frame (true). When reads
// bring several frames the remote end is streaming, and the reader
// goroutine keeps the stream: decoding frames in parallel with the callers
// popping them beats a direct read per packet.
func (c *conn) readLocked() bool {
	for {
		fresh := c.r.Buffered() == 0 // this frame needs a read from the stream
		if !c.readOne() {
			return false
		}
		if fresh && c.r.Buffered() == 0 && c.wantDirect.Load() {
			return true
		}
	}
}

// park keeps the reader goroutine out of the stream while callers read it
// directly. It takes the stream back (readLocked) once no direct read has
// started for a while (idle: readerResume, doubling up to maxReaderResume
// while direct reads go on), or when a caller waits on the queue and nobody
// reads for it or the direct reader found the remote end streaming
// (resume). It reports false when the reader is done. The direct readers
// themselves touch no timer: arming one can wake an idle thread, which would
// cost them about what they save.
func (c *conn) park() bool {
	seen := c.directReads.Load()
	wait := readerResume
	c.idle.Reset(wait)
	for {
		select {
		case <-c.ctx.Done():
			return false
		case <-c.resume:
		case <-c.idle.C:
			if n := c.directReads.Load(); n != seen {
				seen = n
				wait = min(2*wait, maxReaderResume)
				c.idle.Reset(wait)
				continue
			}
		}
		if c.rmu.TryLock() {
			break
		}
		// A direct reader is in the stream, maybe waiting long for the
		// remote end: it re-arms idle when it leaves (or signals resume).
		c.armOnLeave.Store(true)
		if c.rmu.TryLock() {
			break
		}
	}
	c.armOnLeave.Store(false)
	c.wantDirect.Store(false)
	ok := c.readLocked()
	c.rmu.Unlock()
	return ok
}

// readOne reads the next frame from the stream into the queue, with rmu
// held. It reports false, having closed the queue, once the stream ended or
// failed (Close included).
func (c *conn) readOne() bool {
	if c.ended.Load() {
		return false
	}
	p, err := readFrame(c.r, c.cfg.InputBufferMaxSize, &c.scratch)
	if err == nil {
		if c.raw != nil && c.r.Buffered() == 0 {
			// Caught up with the remote end: the reply to this packet
			// may be written through (before Push, which wakes the
			// reader of the packet).
			c.wtToken.Store(true)
		}
		// Block policy: a full queue stops reading here, and the
		// transport's flow control slows the sender down.
		err = c.Inbox.Push(c.ctx, p)
		if err == nil {
			return true
		}
	}
	c.ended.Store(true)
	if e := c.timeoutErr.Load(); e != nil {
		err = *e // the watchdog closed the stream
	}
	switch {
	case c.ctx.Err() != nil:
		c.status.Store(int32(StatusNone))
		c.Inbox.Close(nil)
		return false
	case err == io.EOF:
		c.status.CompareAndSwap(int32(StatusConnected), int32(StatusNone))
	case errors.Is(err, peer.ErrInvalidData):
		// A hostile or broken peer: disconnect it.
		c.status.Store(int32(StatusError))
		c.fail(err)
		c.rwc.Close()
	case errors.Is(err, peer.ErrTimeout), errors.Is(err, errTruncated):
		c.status.Store(int32(StatusError))
	default:
		c.status.Store(int32(StatusError))
		err = fmt.Errorf("stream: read: %w", err)
	}
	if c.ln != nil {
		c.ln.peerEnded(c, err) // counted before the reads see err
	}
	c.Inbox.Close(err) // queued packets are still read, then err
	return false
}

// WaitPacket implements peer.Waiter. On a TCP or Unix connection, a caller
// whose context cannot be cancelled (ReadPacket(context.Background())) that
// finds the queue empty reads the next frame from the stream itself,
// instead of waiting for the reader goroutine to read it and wake it: that
// saves a goroutine hand-off per received packet, which is most of the cost
// of a round trip. The reader goroutine then stays parked until the stream
// has been left unread for readerResume. Any other caller waits on the
// queue, and the reader goroutine reads for it.
func (c *conn) WaitPacket(ctx context.Context) error {
	if c.raw == nil {
		return c.Inbox.WaitPacket(ctx)
	}
	if ctx.Done() != nil {
		// This caller cannot read directly (a blocked read would not see
		// ctx end): make sure the reader goroutine reads for it.
		c.queueWaiters.Add(1)
		if c.wantDirect.Load() {
			c.wantDirect.Store(false)
			signal(c.resume)
		}
		err := c.Inbox.WaitPacket(ctx)
		c.queueWaiters.Add(-1)
		return err
	}
	if c.Inbox.Len() > 0 {
		return nil
	}
	if c.ended.Load() || c.ctx.Err() != nil || !c.rmu.TryLock() {
		// Someone is reading the stream and will queue its next frame
		// (or the queue is being closed). The reader goroutine parks
		// after that frame, and the next call reads directly. Should a
		// direct reader's frame go to another caller, the reader
		// leaving the stream signals resume for this one.
		c.wantDirect.Store(true)
		return c.waitQueue(ctx)
	}
	c.wantDirect.Store(true)
	c.directReads.Add(1)
	ok, streaming := true, false
	if c.Inbox.Len() == 0 {
		// Only rmu's holder pushes, and the queue is empty: Push does not
		// block.
		ok = c.readOne()
		// More already buffered: the remote end is streaming, and the
		// reader goroutine is better at that (see readLocked).
		streaming = ok && c.r.Buffered() > 0
	}
	if streaming {
		c.wantDirect.Store(false)
	}
	c.rmu.Unlock()
	if c.armOnLeave.Load() && c.armOnLeave.CompareAndSwap(true, false) {
		c.idle.Reset(readerResume)
	}
	if !ok || streaming || c.queueWaiters.Load() > 0 {
		signal(c.resume)
	}
	return nil
}

// waitQueue waits on the receive queue, counted in queueWaiters so that a
// direct reader leaving the stream hands it to the reader goroutine.
func (c *conn) waitQueue(ctx context.Context) error {
	c.queueWaiters.Add(1)
	err := c.Inbox.WaitPacket(ctx)
	c.queueWaiters.Add(-1)
	return err
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
		c.writing = true
		c.wakeRoomLocked()
		c.mu.Unlock()

		_, err := c.rwc.Write(batch)

		c.mu.Lock()
		c.spare = batch[:0]
		c.writing = false
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
	return c.put(context.Background(), p)
}

// put queues p for the writer, waiting for room until ctx ends or the
// WriteTimeout passes.
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
	if wasEmpty && !c.writing && c.raw != nil && c.wtToken.Swap(false) {
		// Write-through: the frame is alone in the queue and nothing is in
		// flight, so writing it now keeps the order. The write never
		// blocks; what the kernel does not take stays queued for the
		// writer goroutine, and any error is left for it to meet too.
		c.writeThroughs++
		c.rawN = 0
		c.raw.Write(c.rawWrite)
		c.buf = c.buf[:copy(c.buf, c.buf[c.rawN:])]
		if len(c.buf) == 0 {
			c.mu.Unlock()
			return nil
		}
		c.partialWrites++
	}
	c.mu.Unlock()
	if wasEmpty {
		signal(c.wake)
	}
	return nil
}

func (c *conn) MaxPacketSize() int { return c.cfg.OutputBufferMaxSize }

// WritePacket implements peer.ContextWriter.
func (c *conn) WritePacket(ctx context.Context, p []byte) error { return c.put(ctx, p) }

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
		c.stopWatchdog()
		err = c.rwc.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil // already closed after a protocol error
		}
		<-c.writeDone
		<-c.readDone
		c.Inbox.Close(nil)
		c.idle.Stop()
		c.status.Store(int32(StatusNone))
		if c.ln != nil {
			c.ln.untrack(c)
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
