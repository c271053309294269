package stream

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// idleChecks is how many times per IdleTimeout the watchdog looks at the
// stream.
const idleChecks = 4

// idleWatch is the idle timeout (Config.IdleTimeout > 0). The stream is
// read through watchedStream, which counts reads in rxSeq, on entry and on
// return, so that rxSeq is odd while a read waits for the remote end. A
// timer looks at it idleChecks times per IdleTimeout (check): the readers
// themselves pay two atomic increments per Read and touch no timer.
type idleWatch struct {
	c     *conn
	rxSeq atomic.Uint64
	timer *time.Timer
	err   atomic.Pointer[error] // set when the watchdog closed the stream

	mu      sync.Mutex
	stopped bool   // under mu
	seq     uint64 // under mu: rxSeq at the last check
	ticks   int    // under mu: checks that found the same read waiting
}

func newIdleWatch(c *conn) *idleWatch {
	w := &idleWatch{c: c}
	w.timer = time.AfterFunc(c.cfg.IdleTimeout/idleChecks, w.check)
	return w
}

// watchedStream is the stream as the frame reader sees it when an idle
// timeout applies.
type watchedStream struct{ c *conn }

func (s watchedStream) Read(p []byte) (int, error) {
	s.c.idle.rxSeq.Add(1)
	n, err := s.c.rwc.Read(p)
	s.c.idle.rxSeq.Add(1)
	return n, err
}

// check closes the peer once the same read has waited for the remote end
// through idleChecks checks in a row, that is for IdleTimeout to 1.25
// IdleTimeout.
func (w *idleWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	seq := w.rxSeq.Load()
	if seq != w.seq || seq%2 == 0 {
		w.seq, w.ticks = seq, 0
	} else if w.ticks++; w.ticks >= idleChecks {
		w.stopped = true
		var err error = &peer.OpError{Op: "read packet", Transport: "stream", Code: peer.ErrTimeout,
			Detail: fmt.Sprintf("the remote end sent nothing for %v (Config.IdleTimeout)", w.c.cfg.IdleTimeout)}
		w.err.Store(&err)
		w.c.fail(err)
		w.c.rwc.Close() // the waiting read returns; the reader reports err
		return
	}
	w.timer.Reset(w.c.cfg.IdleTimeout / idleChecks)
}

// timedOut returns the error the watchdog closed the stream with, or nil.
func (w *idleWatch) timedOut() error {
	if w == nil {
		return nil
	}
	if e := w.err.Load(); e != nil {
		return *e
	}
	return nil
}

func (w *idleWatch) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
}
