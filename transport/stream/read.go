package stream

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

const readBufferSize = 16 << 10

// reader is the stream as the receive side reads it. One goroutine at a
// time reads it, holding mu: the reader goroutine (readLoop), which
// decodes frames into the receive queue, or a ReadPacket caller reading
// directly (see direct).
type reader struct {
	mu      sync.Mutex
	r       *bufio.Reader // under mu
	scratch []byte        // under mu: frames larger than r's buffer
	ended   atomic.Bool   // the stream ended or failed: the queue is closed
}

// direct coordinates direct reads (TCP and Unix connections; the rule is
// canReadDirectly). A caller that would otherwise wait for the reader
// goroutine to read its packet and wake it reads the frame itself: that
// saves a goroutine hand-off per packet, most of the cost of a round trip.
// ReadPacket (Peer.ReadPacket) copies the frame straight into the buffer it
// returns; AppendPacket and ReadVar (WaitPacket) queue it. Meanwhile the
// reader goroutine parks (park) and takes the stream back when the callers
// stop reading it directly, or when a caller needs it to read.
type direct struct {
	want         atomic.Bool   // callers read directly: the reader goroutine parks
	active       atomic.Bool   // a direct read started since park last looked
	queueWaiters atomic.Int32  // callers waiting for someone else to read
	resume       chan struct{} // cap 1: the reader goroutine should take the stream back
	parkTimer    *time.Timer   // the parked reader goroutine's next look at the stream
	armOnLeave   atomic.Bool   // the parked reader goroutine waits for a direct reader to leave
}

func (rd *reader) init(stream io.Reader) {
	rd.r = bufio.NewReaderSize(stream, readBufferSize)
}

func (d *direct) init() {
	d.resume = make(chan struct{}, 1)
	d.parkTimer = time.NewTimer(readerResume)
	d.parkTimer.Stop() // armed by park
}

// readerResume and maxReaderResume bound how long the reader goroutine
// stays parked while callers read the stream directly (see park).
const (
	readerResume    = time.Millisecond
	maxReaderResume = 16 * time.Millisecond
)

// readLoop decodes frames from the stream into the receive queue until the
// stream ends, fails or sends a frame larger than InputBufferMaxSize. While
// ReadPacket callers read the stream themselves (direct.want) it stays out
// of the way.
func (c *conn) readLoop() {
	defer close(c.readDone)
	for {
		if c.dr.want.Load() {
			if !c.park() {
				return
			}
			continue
		}
		c.rd.mu.Lock()
		ok := c.readLocked()
		c.rd.mu.Unlock()
		if !ok {
			return
		}
	}
}

// readLocked reads frames into the queue, with rd.mu held, until the stream
// ends (false) or callers want to read directly and packets arrive one at a
// time: a read from the stream brought exactly one frame (true). When reads
// bring several frames the remote end is streaming, and the reader
// goroutine keeps the stream: decoding frames in parallel with the callers
// popping them beats a direct read per packet.
func (c *conn) readLocked() bool {
	for {
		fresh := c.rd.r.Buffered() == 0 // this frame needs a read from the stream
		if !c.readOne() {
			return false
		}
		if fresh && c.rd.r.Buffered() == 0 && c.dr.want.Load() {
			return true
		}
	}
}

// park keeps the reader goroutine out of the stream while callers read it
// directly. It takes the stream back (readLocked) once no direct read has
// started for a while (parkTimer: readerResume, doubling up to
// maxReaderResume while direct reads go on), or when a caller waits on the
// queue and nobody reads for it or the direct reader found the remote end
// streaming (resume). It reports false when the reader is done. The direct
// readers themselves touch no timer: arming one can wake an idle thread,
// which would cost them about what they save.
func (c *conn) park() bool {
	d := &c.dr
	d.active.Store(false)
	wait := readerResume
	d.parkTimer.Reset(wait)
	for {
		select {
		case <-c.ctx.Done():
			return false
		case <-d.resume:
		case <-d.parkTimer.C:
			if d.active.Swap(false) {
				wait = min(2*wait, maxReaderResume)
				d.parkTimer.Reset(wait)
				continue
			}
		}
		if c.rd.mu.TryLock() {
			break
		}
		// A direct reader is in the stream, maybe waiting long for the
		// remote end: it re-arms parkTimer when it leaves (or signals
		// resume).
		d.armOnLeave.Store(true)
		if c.rd.mu.TryLock() {
			break
		}
	}
	d.armOnLeave.Store(false)
	d.want.Store(false)
	ok := c.readLocked()
	c.rd.mu.Unlock()
	return ok
}

// readOne reads the next frame from the stream into the queue, with rd.mu
// held. It reports false, having closed the queue, once the stream ended or
// failed (Close included).
func (c *conn) readOne() bool {
	p, ok := c.nextFrame()
	if !ok {
		return false
	}
	// Block policy: a full queue stops reading here, and the transport's
	// flow control slows the sender down.
	if err := c.in.Push(c.ctx, p); err != nil {
		c.end(err)
		return false
	}
	return true
}

// nextFrame reads the next frame from the stream, with rd.mu held. The
// payload is valid until the next read (see readFrame). It reports false,
// having closed the queue, once the stream ended or failed.
func (c *conn) nextFrame() ([]byte, bool) {
	if c.rd.ended.Load() {
		return nil, false
	}
	p, err := readFrame(c.rd.r, c.cfg.InputBufferMaxSize, &c.rd.scratch)
	if err != nil {
		c.end(err)
		return nil, false
	}
	if c.raw != nil && c.rd.r.Buffered() == 0 {
		// Caught up with the remote end: the reply to this packet may be
		// written through (set before the packet is handed out).
		c.wr.token.Store(true)
	}
	return p, true
}

// end records why the stream can no longer be read, with rd.mu held, and
// closes the queue with it: queued packets are still read, then err.
func (c *conn) end(err error) {
	c.rd.ended.Store(true)
	if e := c.idle.timedOut(); e != nil {
		err = e // the watchdog closed the stream
	}
	switch {
	case c.ctx.Err() != nil:
		c.status.Store(int32(StatusNone))
		c.in.Close(nil)
		return
	case err == io.EOF:
		c.status.CompareAndSwap(int32(StatusConnected), int32(StatusNone))
	case errors.Is(err, peer.ErrInvalidData):
		// A hostile or broken peer: disconnect it.
		c.status.Store(int32(StatusError))
		c.fail(err)
		c.rwc.Close()
	default:
		c.status.Store(int32(StatusError))
		if op := (*peer.OpError)(nil); !errors.As(err, &op) {
			// The stream failed: connection reset, TLS alert, ...
			err = &peer.OpError{Op: "read packet", Transport: "stream", Code: peer.ErrConnectionError, Err: err}
		}
	}
	if c.ln != nil {
		c.ln.peerEnded(c, err) // counted before the reads see err
	}
	c.in.Close(err)
}

// canReadDirectly is the rule for direct reads: the stream is a TCP or
// Unix socket, and the caller's context can never end (ctx.Done() == nil:
// context.Background(), context.TODO(), and contexts derived from them
// without a cancel, deadline or timeout). A read from the socket cannot be
// interrupted by a context, only by Close, so a caller whose context can
// end waits on the queue instead, where it sees the end at once.
func (c *conn) canReadDirectly(ctx context.Context) bool {
	return c.raw != nil && ctx.Done() == nil
}

// enterStream takes the stream for a direct read by a caller that may
// read directly (canReadDirectly). It fails, taking nothing, when someone
// else is reading the stream, when the stream has ended or the peer is
// closing, and when a packet is queued (queued: the caller has a packet to
// take). On success rd.mu is held and the caller reads one frame, then
// calls leaveStream.
func (c *conn) enterStream() (entered, queued bool) {
	if c.rd.ended.Load() || c.ctx.Err() != nil || !c.rd.mu.TryLock() {
		return false, false
	}
	if c.in.Len() > 0 {
		c.unlockStream()
		return false, true
	}
	// Stores only on a change: an atomic store costs what a lock does.
	d := &c.dr
	if !d.want.Load() {
		d.want.Store(true)
	}
	if !d.active.Load() {
		d.active.Store(true)
	}
	if h := directReadHook.Load(); h != nil {
		(*h)(c)
	}
	return true, false
}

// leaveStream ends a direct read: ok reports that it brought a frame. When
// more is already buffered the remote end is streaming, and the reader
// goroutine is better at that (see readLocked): it takes the stream back,
// as it does when the stream ended or a caller waits on the queue.
func (c *conn) leaveStream(ok bool) {
	d := &c.dr
	streaming := ok && c.rd.r.Buffered() > 0
	if streaming {
		d.want.Store(false)
	}
	c.unlockStream()
	if !ok || streaming || d.queueWaiters.Load() > 0 {
		signal(d.resume)
	}
}

// unlockStream releases rd.mu after a direct read, or after taking it to
// find a packet queued, and re-arms the parked reader goroutine's timer if
// it found the stream taken (see park).
func (c *conn) unlockStream() {
	c.rd.mu.Unlock()
	if d := &c.dr; d.armOnLeave.Load() && d.armOnLeave.CompareAndSwap(true, false) {
		d.parkTimer.Reset(readerResume)
	}
}

// directReadHook, set only by this package's tests (export_test.go), is
// called as each direct read starts.
var directReadHook atomic.Pointer[func(c *conn)]

// ReadPacket is peer.Peer's ReadPacket (the packet belongs to the caller;
// see there). A caller that may read directly (see the package
// documentation) and finds nothing queued reads the next frame from the
// stream itself, into a buffer of the packet's exact size: the packet is
// copied once, from the read buffer, as a plain bufio read would.
func (p *Peer) ReadPacket(ctx context.Context) ([]byte, error) {
	c := p.t
	// PacketError must become nil on success: the shortcut leaves it to
	// peer.Peer when it is not nil already.
	if c.canReadDirectly(ctx) && !p.IsClosed() && p.PacketError() == nil {
		if entered, _ := c.enterStream(); entered {
			b, ok := c.nextFrame()
			if ok {
				b = append(make([]byte, 0, len(b)), b...)
			}
			c.leaveStream(ok)
			if ok {
				return b, nil
			}
		}
	}
	return p.Peer.ReadPacket(ctx)
}

// WaitPacket implements peer.Waiter. A caller that may read directly
// (canReadDirectly) and finds nothing queued and the stream free reads the
// next frame itself into the queue. The reader goroutine then stays parked
// until the stream has been left unread for readerResume. Any other caller
// waits on the queue, and the reader goroutine reads for it.
func (c *conn) WaitPacket(ctx context.Context) error {
	d := &c.dr
	if !c.canReadDirectly(ctx) {
		if c.raw == nil {
			return c.in.WaitPacket(ctx)
		}
		// Make sure the reader goroutine reads for this caller.
		d.queueWaiters.Add(1)
		if d.want.Load() {
			d.want.Store(false)
			signal(d.resume)
		}
		err := c.in.WaitPacket(ctx)
		d.queueWaiters.Add(-1)
		return err
	}
	if c.in.Len() > 0 {
		return nil
	}
	entered, queued := c.enterStream()
	if queued {
		return nil
	}
	if !entered {
		// Someone is reading the stream and will queue its next frame
		// (or the queue is being closed). The reader goroutine parks
		// after that frame, and the next call reads directly. Should a
		// direct reader's frame go to another caller, the reader
		// leaving the stream signals resume for this one.
		d.want.Store(true)
		return c.waitQueue(ctx)
	}
	// The queue is empty: Push does not block.
	c.leaveStream(c.readOne())
	return nil
}

// waitQueue waits on the receive queue, counted in queueWaiters so that a
// direct reader leaving the stream hands it to the reader goroutine.
func (c *conn) waitQueue(ctx context.Context) error {
	c.dr.queueWaiters.Add(1)
	err := c.in.WaitPacket(ctx)
	c.dr.queueWaiters.Add(-1)
	return err
}

// GetPacket implements peer.Transport.
func (c *conn) GetPacket() ([]byte, error) { return c.in.GetPacket() }

// TakePacket implements peer.PacketTaker.
func (c *conn) TakePacket() ([]byte, error) { return c.in.TakePacket() }

// AvailablePacketCount implements peer.Transport.
func (c *conn) AvailablePacketCount() int { return c.in.Len() }
