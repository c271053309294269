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
// goroutine to read its packet and wake it reads the frame itself, into
// the slot: that saves a goroutine hand-off per packet, most of the cost of
// a round trip, and the queue's copy. Meanwhile the reader goroutine parks
// (park) and takes the stream back when the callers stop reading it
// directly, or when a caller needs it to read.
type direct struct {
	want         atomic.Bool   // callers read directly: the reader goroutine parks
	active       atomic.Bool   // a direct read started since park last looked
	queueWaiters atomic.Int32  // callers waiting for someone else to read
	resume       chan struct{} // cap 1: the reader goroutine should take the stream back
	parkTimer    *time.Timer   // the parked reader goroutine's next look at the stream
	armOnLeave   atomic.Bool   // the parked reader goroutine waits for a direct reader to leave
}

// slot holds the packet a direct read brought until GetPacket or
// TakePacket hands it out. Only reader.mu's holder fills it, and only while
// the receive queue and the slot are empty, so it always comes before
// everything queued.
//
// TakePacket (ReadPacket) gives the packet's buffer away: it is made for
// the packet, at its exact size, and the packet is copied once, from the
// read buffer. GetPacket (AppendPacket, ReadVar) only lends it: its result
// is valid until the next GetPacket, which peer.Peer never runs
// concurrently, so the next GetPacket gives the buffer back (spare) for a
// later direct read to reuse, and those loops allocate nothing.
//
// It takes no lock, being on the path of every direct read: state moves
// slotEmpty -> slotFull (fill, the one filler) -> slotTaking (the one
// taker that won the swap) -> slotEmpty, and p belongs to whoever moved
// state last. spare is handed from GetPacket to the filler the same way,
// by spareSet.
type slot struct {
	state    atomic.Int32
	p        []byte
	lent     []byte // the packet the last GetPacket returned; GetPacket only
	spare    []byte // a lent buffer given back: GetPacket's while !spareSet, the filler's while spareSet
	spareSet atomic.Bool
}

// slot states.
const (
	slotEmpty = iota
	slotFull
	slotTaking
)

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

// WaitPacket implements peer.Waiter. A caller that may read directly
// (canReadDirectly) and finds nothing queued and the stream free reads the
// next frame itself into the slot (readDirect). The reader goroutine then
// stays parked until the stream has been left unread for readerResume. Any
// other caller waits on the queue, and the reader goroutine reads for it.
func (c *conn) WaitPacket(ctx context.Context) error {
	d := &c.dr
	if c.slot.full() {
		return nil
	}
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
	if c.rd.ended.Load() || c.ctx.Err() != nil || !c.rd.mu.TryLock() {
		// Someone is reading the stream and will queue its next frame
		// (or the queue is being closed). The reader goroutine parks
		// after that frame, and the next call reads directly. Should a
		// direct reader's frame go to another caller, the reader
		// leaving the stream signals resume for this one.
		d.want.Store(true)
		return c.waitQueue(ctx)
	}
	// Stores only on a change: an atomic store costs what a lock does.
	if !d.want.Load() {
		d.want.Store(true)
	}
	if !d.active.Load() {
		d.active.Store(true)
	}
	if h := directReadHook.Load(); h != nil {
		(*h)(c)
	}
	ok, streaming := true, false
	if c.in.Len() == 0 && c.slot.empty() {
		ok = c.readDirect()
		// More already buffered: the remote end is streaming, and the
		// reader goroutine is better at that (see readLocked).
		streaming = ok && c.rd.r.Buffered() > 0
	}
	if streaming {
		d.want.Store(false)
	}
	c.rd.mu.Unlock()
	if d.armOnLeave.Load() && d.armOnLeave.CompareAndSwap(true, false) {
		d.parkTimer.Reset(readerResume)
	}
	if !ok || streaming || d.queueWaiters.Load() > 0 {
		signal(d.resume)
	}
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

// readDirect reads the next frame into the slot, with rd.mu held and the
// queue and the slot empty. It reports false, having closed the queue, once
// the stream ended or failed.
func (c *conn) readDirect() bool {
	p, ok := c.nextFrame()
	if !ok {
		return false
	}
	c.slot.fill(p)
	return true
}

// directReadHook, set only by this package's tests (export_test.go), is
// called as each direct read starts.
var directReadHook atomic.Pointer[func(c *conn)]

// full reports whether the slot holds a packet.
func (s *slot) full() bool { return s.state.Load() == slotFull }

// empty reports whether the slot may be filled: no packet, and no taker
// still reading p.
func (s *slot) empty() bool { return s.state.Load() == slotEmpty }

// fill puts a copy of p in the slot, which is empty: in the spare buffer if
// it is big enough, else in a new one of exactly len(p) bytes.
func (s *slot) fill(p []byte) {
	var buf []byte
	if s.spareSet.Load() {
		buf, s.spare = s.spare, nil
		s.spareSet.Store(false)
	}
	if cap(buf) < len(p) {
		buf = make([]byte, 0, len(p))
	}
	s.p = append(buf[:0], p...)
	s.state.Store(slotFull)
}

// take empties the slot, giving its packet away; ok is false when it was
// empty (or another caller is taking it).
func (s *slot) take() (p []byte, ok bool) {
	if s.state.Load() != slotFull || !s.state.CompareAndSwap(slotFull, slotTaking) {
		return nil, false
	}
	p, s.p = s.p, nil
	s.state.Store(slotEmpty)
	return p, true
}

// lend is take for GetPacket: it gives back the packet lent before and
// lends this one until the next lend.
func (s *slot) lend() (p []byte, ok bool) {
	if s.lent != nil {
		if !s.spareSet.Load() {
			s.spare = s.lent
			s.spareSet.Store(true)
		}
		s.lent = nil
	}
	p, ok = s.take()
	if ok {
		s.lent = p
	}
	return p, ok
}

// GetPacket implements peer.Transport: the slot's packet, lent, else the
// oldest queued one.
func (c *conn) GetPacket() ([]byte, error) {
	if p, ok := c.slot.lend(); ok {
		return p, nil
	}
	return c.in.GetPacket()
}

// TakePacket implements peer.PacketTaker: the slot's packet, else the
// oldest queued one, in a buffer the caller keeps.
func (c *conn) TakePacket() ([]byte, error) {
	if p, ok := c.slot.take(); ok {
		return p, nil
	}
	return c.in.TakePacket()
}

// AvailablePacketCount implements peer.Transport.
func (c *conn) AvailablePacketCount() int {
	n := c.in.Len()
	if c.slot.full() {
		n++
	}
	return n
}
