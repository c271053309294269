package stream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// writer is the send side. A put appends its frame to buf; the writer
// goroutine (writeLoop) swaps buf with spare and writes everything queued
// so far in one Write, so packets put in a burst share a system call.
//
// Write-through (TCP and Unix connections): a put that finds the send path
// idle (nothing queued, no batch in flight) while holding token writes its
// frame itself with one non-blocking write, under mu, and queues only what
// the kernel did not take. The token is handed back each time the receive
// side has read everything the remote end sent so far (conn.nextFrame): in an
// exchange of requests and replies every reply is written through, while a
// one-way stream of puts is still batched by the writer goroutine.
type writer struct {
	mu          sync.Mutex
	buf         []byte        // under mu: frames put, not yet written
	spare       []byte        // under mu: the other buffer (nil while a batch is in flight)
	err         error         // under mu, sticky: the stream failed or the remote end broke the framing
	closing     bool          // under mu: Close has begun
	stuck       bool          // under mu: a put timed out, so Close does not linger
	writing     bool          // under mu: the writer goroutine has a batch in flight
	roomWaiters int           // under mu: puts waiting for room in buf
	room        chan struct{} // closed and replaced when room is made and someone waits
	wake        chan struct{} // cap 1: buf is not empty, or the writer should look at closing/err

	token    atomic.Bool           // a put may write through (TCP and Unix only)
	rawWrite func(fd uintptr) bool // c.tryWrite, bound once: no allocation per put
	rawN     int                   // under mu: bytes tryWrite wrote
}

// writeThroughHook, set only by this package's tests (export_test.go), is
// called after each write-through; partial reports that the kernel did not
// take the whole frame.
var writeThroughHook atomic.Pointer[func(c *conn, partial bool)]

func (w *writer) init(c *conn) {
	w.room = make(chan struct{})
	w.wake = make(chan struct{}, 1)
	if c.raw != nil {
		w.rawWrite = c.tryWrite
		w.token.Store(true)
	}
}

// writeLoop writes queued frames, everything queued so far in one Write.
func (c *conn) writeLoop() {
	defer close(c.writeDone)
	w := &c.wr
	for {
		w.mu.Lock()
		for len(w.buf) == 0 {
			if w.closing || w.err != nil {
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
			<-w.wake
			w.mu.Lock()
		}
		batch := w.buf
		w.buf, w.spare = w.spare[:0], nil
		w.writing = true
		w.wakeRoomLocked()
		w.mu.Unlock()

		_, err := c.rwc.Write(batch)

		w.mu.Lock()
		w.spare = batch[:0]
		w.writing = false
		if err != nil {
			if w.err == nil {
				w.err = &peer.OpError{Op: "put packet", Transport: "stream", Code: peer.ErrFailed, Err: err,
					Detail: "writing to the stream failed"}
			}
			if !w.closing {
				c.status.Store(int32(StatusError))
			}
			w.buf = w.buf[:0]
			w.wakeRoomLocked()
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
}

func (w *writer) wakeRoomLocked() {
	if w.roomWaiters > 0 {
		close(w.room)
		w.room = make(chan struct{})
		w.roomWaiters = 0
	}
}

// fail makes err the answer to every later put and stops the writer
// goroutine once it has written what is queued.
func (c *conn) fail(err error) {
	w := &c.wr
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.wakeRoomLocked()
	w.mu.Unlock()
	signal(w.wake)
}

// close marks the send side closing (later puts fail, waiting ones return)
// and reports whether a put has timed out.
func (w *writer) close() (stuck bool) {
	w.mu.Lock()
	w.closing = true
	w.wakeRoomLocked()
	stuck = w.stuck
	w.mu.Unlock()
	signal(w.wake)
	return stuck
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

// put queues p for the writer goroutine, or writes it through, waiting for
// room in the send queue until ctx ends or the WriteTimeout passes.
func (c *conn) put(ctx context.Context, p []byte) error {
	if len(p) > c.cfg.OutputBufferMaxSize {
		return &peer.OpError{Op: "put packet", Transport: "stream", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds output buffer max size %d", len(p), c.cfg.OutputBufferMaxSize)}
	}
	w := &c.wr
	need := headerSize + len(p)
	var timer *time.Timer
	w.mu.Lock()
	for {
		if w.closing {
			w.mu.Unlock()
			return &peer.OpError{Op: "put packet", Transport: "stream", Err: peer.ErrClosed}
		}
		if w.err != nil {
			err := w.err
			w.mu.Unlock()
			return err
		}
		if len(w.buf) == 0 || len(w.buf)+need <= c.cfg.SendQueueBytes {
			break
		}
		// The queue is full: the stream is not keeping up.
		room := w.room
		w.roomWaiters++
		w.mu.Unlock()
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
		case <-ctx.Done():
			return &peer.OpError{Op: "write packet", Transport: "stream", Code: peer.ErrTimeout, Err: ctx.Err()}
		case <-timeout:
			w.mu.Lock()
			w.stuck = true
			w.mu.Unlock()
			return &peer.OpError{Op: "put packet", Transport: "stream", Code: peer.ErrTimeout,
				Detail: fmt.Sprintf("remote end did not read for %v; packet not sent", c.cfg.WriteTimeout)}
		case <-c.ctx.Done():
			return &peer.OpError{Op: "put packet", Transport: "stream", Err: peer.ErrClosed}
		}
		w.mu.Lock()
	}
	wasEmpty := len(w.buf) == 0
	w.buf = appendFrame(w.buf, p)
	if wasEmpty && !w.writing && w.rawWrite != nil && w.token.Swap(false) {
		// Write-through: the frame is alone in the queue and nothing is in
		// flight, so writing it now keeps the order. The write never
		// blocks, so back-pressure and WriteTimeout are unchanged: what
		// the kernel does not take stays queued for the writer goroutine,
		// and any error is left for it to meet too.
		w.rawN = 0
		c.raw.Write(w.rawWrite)
		w.buf = w.buf[:copy(w.buf, w.buf[w.rawN:])]
		if h := writeThroughHook.Load(); h != nil {
			(*h)(c, len(w.buf) > 0)
		}
		if len(w.buf) == 0 {
			w.mu.Unlock()
			return nil
		}
	}
	w.mu.Unlock()
	if wasEmpty {
		signal(w.wake)
	}
	return nil
}
