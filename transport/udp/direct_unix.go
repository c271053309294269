//go:build unix

package udp

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// Direct read (a Dial peer without Config.BackgroundRead): no reader
// goroutine; the socket of a connected peer is read on the caller's
// goroutine, the way Godot polls it. A connected socket needs no source address, so a plain read(2) through
// syscall.RawConn does it without allocating.

const maxDrain = 4096 // datagrams read per non-blocking drain, to bound one call

var aLongTimeAgo = time.Unix(1, 0)

type directState struct {
	rc      syscall.RawConn
	scratch []byte
	nb, bl  func(fd uintptr) bool // non-blocking and blocking read callbacks
	n       int
	err     error
	dl      time.Time   // read deadline set on the socket
	dirty   bool        // a context's AfterFunc may have changed the deadline
	failed  atomic.Bool // a fatal read error closed the ring: stop reading

	// Readers that find the socket taken wait for the packet its holder
	// queues, or for left, closed when the holder lets go of the socket.
	waiters atomic.Int32
	lmu     sync.Mutex
	left    chan struct{} // under lmu; nil while nobody waits for it
}

// setupDirect switches t to direct reads; it reports false when the socket
// does not allow it.
func (t *transport) setupDirect() bool {
	rc, err := t.conn.SyscallConn()
	if err != nil {
		return false
	}
	d := &directState{rc: rc, scratch: make([]byte, recordHeader+scratchSize)}
	d.nb = func(fd uintptr) bool {
		d.n, d.err = readFD(fd, d.scratch[recordHeader:])
		return true
	}
	d.bl = func(fd uintptr) bool {
		d.n, d.err = readFD(fd, d.scratch[recordHeader:])
		return d.err != syscall.EAGAIN
	}
	t.direct = d
	return true
}

func readFD(fd uintptr, b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), b)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// handle queues or accounts for the result of one read. It reports whether
// reading should go on.
func (t *transport) handle(d *directState) bool {
	switch {
	case d.err == nil:
		if r := t.remote.Load(); r != nil {
			t.receive(d.scratch, d.n, *r)
		}
		return true
	case d.err == syscall.EAGAIN:
		return false
	case transientReadError(d.err):
		t.stats.readErr.Add(1)
		return true
	}
	t.fail(&peer.OpError{Op: "read packet", Transport: "udp", Code: peer.ErrConnectionError, Err: d.err})
	return false
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
	for range maxDrain {
		if err := d.rc.Read(d.nb); err != nil || !t.handle(d) {
			return
		}
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
			stop = context.AfterFunc(ctx, func() { t.conn.SetReadDeadline(aLongTimeAgo) })
		}
		d.n, d.err = 0, syscall.EAGAIN
		err := d.rc.Read(d.bl)
		if stop != nil {
			stop()
		}
		if err == nil {
			// One datagram is enough: GetPacket drains the rest once the
			// ring is empty again.
			t.handle(d)
		}
		t.unlockSocket()
		if err != nil && !errors.Is(err, syscall.EAGAIN) {
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

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
