//go:build unix

package udp

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/packetpeer/packetpeer/internal/udpsock"
	"github.com/packetpeer/packetpeer/peer"
)

// Direct read (a Dial peer without Config.BackgroundRead): no reader
// goroutine; the socket of a connected peer is read on the caller's
// goroutine, the way Godot polls it, through a udpsock.Reader: a blocked
// read takes the one datagram that woke it (one recvfrom, as raw), a poll
// that finds many queued takes them in batches (recvmmsg).

const maxDrain = 4096 // datagrams read per non-blocking drain, to bound one call

type directState struct {
	rd     *udpsock.Reader
	dl     time.Time   // read deadline set on the socket
	dirty  bool        // a context's AfterFunc may have changed the deadline
	stale  atomic.Bool // an AfterFunc moved the deadline to the past
	failed atomic.Bool // a fatal read error closed the ring: stop reading

	// Readers that find the socket taken wait for the packet its holder
	// queues, or for left, closed when the holder lets go of the socket.
	waiters atomic.Int32
	lmu     sync.Mutex
	left    chan struct{} // under lmu; nil while nobody waits for it
}

// setupDirect switches t to direct reads through rd; it reports false
// where the system does not allow them (not on unix).
func (t *transport) setupDirect(rd *udpsock.Reader) bool {
	t.direct = &directState{rd: rd}
	return true
}

// queue puts datagrams read from the socket in the ring.
func (t *transport) queue(ms []udpsock.Message) {
	r := t.remote.Load()
	if r == nil {
		return
	}
	for i := range ms {
		t.receive(ms[i].Buf, ms[i].N, *r)
	}
}

// readFailed accounts for a read that failed in the socket (not in the
// poller: the socket closed or a deadline passed) and reports whether it
// was one.
func (t *transport) readFailed(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	if transientReadError(err) {
		t.stats.readErr.Add(1)
	} else {
		t.fail(&peer.OpError{Op: "read packet", Transport: "udp", Code: peer.ErrConnectionError, Err: err})
	}
	return true
}

// fail ends the ring with err after a fatal read error; GetPacket reports
// it once the queued packets are read, and nothing reads the socket again.
func (t *transport) fail(err error) {
	t.direct.failed.Store(true)
	t.ring.Close(err)
}

// drain reads every datagram the socket has now, without blocking (Godot's
// poll), unless another goroutine is reading it.
func (t *transport) drain() {
	d := t.direct
	if d.failed.Load() || !t.sockMu.TryLock() {
		return
	}
	defer t.unlockSocket()
	if d.stale.Swap(false) || !d.dl.IsZero() {
		// A wait's deadline, past by now or moved there by its context:
		// a poll must not fail on it.
		t.conn.SetReadDeadline(time.Time{})
		d.dl = time.Time{}
	}
	for n := 0; n < maxDrain; {
		ms, err := d.rd.Poll()
		if err != nil {
			if t.readFailed(err) && !d.failed.Load() {
				n++ // a transient error (counted): read on
				continue
			}
			return
		}
		if len(ms) == 0 {
			return
		}
		t.queue(ms)
		n += len(ms)
	}
}

// waitDirect blocks reading the socket until a packet is queued, the peer is
// closed or ctx ends.
func (t *transport) waitDirect(ctx context.Context) error {
	d := t.direct
	for {
		if t.ring.Len() > 0 || t.closed.Load() || d.failed.Load() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !t.lockSocket(ctx) {
			continue
		}
		if t.ring.Len() > 0 || d.failed.Load() {
			t.unlockSocket()
			return nil
		}
		dl, _ := ctx.Deadline()
		if d.dirty || !dl.Equal(d.dl) {
			t.conn.SetReadDeadline(dl)
			d.dl, d.dirty = dl, false
		}
		var stop func() bool
		if ctx.Done() != nil {
			d.dirty = true
			stop = context.AfterFunc(ctx, func() {
				t.conn.SetReadDeadline(aLongTimeAgo)
				d.stale.Store(true)
			})
		}
		ms, err := d.rd.Read()
		if stop != nil {
			stop()
		}
		if err == nil {
			t.queue(ms)
		} else if t.readFailed(err) {
			err = nil
		}
		t.unlockSocket()
		if err != nil {
			if t.closed.Load() {
				return nil
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if !isTimeout(err) {
				t.fail(&peer.OpError{Op: "read packet", Transport: "udp", Code: peer.ErrConnectionError, Err: err})
				return nil
			}
		}
	}
}

// lockSocket takes sockMu, or, while another reader holds it, waits until a
// packet is queued, the holder lets go, or ctx ends, and reports false: the
// caller looks again. A reader blocked on the socket may wait a long time
// (its context may have no deadline): the others must not queue behind it.
func (t *transport) lockSocket(ctx context.Context) bool {
	if t.sockMu.TryLock() {
		return true
	}
	d := t.direct
	d.waiters.Add(1)
	defer d.waiters.Add(-1)
	d.lmu.Lock()
	if d.left == nil {
		d.left = make(chan struct{})
	}
	left := d.left
	d.lmu.Unlock()
	if t.sockMu.TryLock() {
		return true
	}
	t.ring.WaitOr(ctx, left)
	return false
}

// unlockSocket releases sockMu and wakes the readers waiting for it.
func (t *transport) unlockSocket() {
	t.sockMu.Unlock()
	d := t.direct
	if d.waiters.Load() == 0 {
		return
	}
	d.lmu.Lock()
	if d.left != nil {
		close(d.left)
		d.left = nil
	}
	d.lmu.Unlock()
}
