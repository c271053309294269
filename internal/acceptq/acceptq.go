// Package acceptq is the accept queue every listener shares: a bounded FIFO
// of connections waiting for Accept or TakeConnection, closed once by the
// listener's Close, which evicts (closes and counts) whatever is still
// waiting.
//
// A listener pushes each connection it is ready to hand out; Push refuses
// one when the queue is full or closed, and the listener then counts the
// refusal (it alone knows how to turn the connection away). Take and Accept
// count every connection handed out as accepted. The queue starts no
// goroutine.
package acceptq

import (
	"context"
	"net"
	"sync"

	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/peer"
)

// DefaultMax is Godot's default max_pending_connections (UDPServer,
// DTLSServer's inner UDPServer, and what TCPServer holds before the game
// takes connections).
const DefaultMax = 16

// Queue is a bounded FIFO of pending connections of type T. It is safe for
// concurrent use.
type Queue[T any] struct {
	stats *listenstats.Counters
	evict func(T) net.Addr
	none  error // Take's error when nothing waits

	ready chan struct{} // cap 1: an item may be waiting
	room  chan struct{} // cap 1: an item was taken or removed
	done  chan struct{} // closed by Close or Fail

	mu     sync.Mutex
	items  []T // FIFO; items[0] is the oldest
	max    int // <= 0: every Push is refused
	closed bool
	err    error // set by Fail: returned once the queue is empty
}

// New returns a queue holding at most max items (max <= 0 refuses every
// Push). stats counts what Take hands out and what Close evicts; evict closes
// an item evicted by Close and returns its remote address for the log (nil
// when unknown).
func New[T any](max int, stats *listenstats.Counters, evict func(T) net.Addr) *Queue[T] {
	return &Queue[T]{
		stats: stats,
		evict: evict,
		none: &peer.OpError{Op: "take connection", Transport: stats.Transport(), Code: peer.ErrUnavailable,
			Detail: "no pending connection"},
		ready: make(chan struct{}, 1),
		room:  make(chan struct{}, 1),
		done:  make(chan struct{}),
		max:   max,
	}
}

// Push appends v and reports true, or reports false without keeping v when
// the queue is full or closed.
func (q *Queue[T]) Push(v T) bool {
	q.mu.Lock()
	if q.closed || q.err != nil || len(q.items) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.signal()
	return true
}

// PushWait appends v, waiting while the queue is full, and reports true; it
// reports false without keeping v once the queue is closed or failed. It
// suits a listener whose source holds connections back itself (a TCP
// listener's kernel backlog) rather than refusing them.
func (q *Queue[T]) PushWait(v T) bool {
	for {
		q.mu.Lock()
		if q.closed || q.err != nil {
			q.mu.Unlock()
			return false
		}
		if len(q.items) < q.max {
			q.items = append(q.items, v)
			q.mu.Unlock()
			q.signal()
			return true
		}
		q.mu.Unlock()
		select {
		case <-q.room:
		case <-q.done:
		}
	}
}

func (q *Queue[T]) signal() { notify(q.ready) }

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Full reports whether a Push would be refused.
func (q *Queue[T]) Full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed || q.err != nil || len(q.items) >= q.max
}

// Take returns the oldest item without blocking and counts it as accepted.
// Its error matches peer.ErrClosed (net.ErrClosed) after Close, is the
// Fail error once the queue is empty after Fail, and otherwise matches
// peer.ErrUnavailable when nothing waits.
func (q *Queue[T]) Take() (T, error) { return q.take("take connection") }

func (q *Queue[T]) take(op string) (T, error) {
	var zero T
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return zero, &peer.OpError{Op: op, Transport: q.stats.Transport(), Err: peer.ErrClosed}
	}
	if len(q.items) == 0 {
		err := q.err
		q.mu.Unlock()
		if err != nil {
			return zero, err
		}
		return zero, q.none
	}
	v := q.items[0]
	q.items[0] = zero
	q.items = q.items[1:]
	more := len(q.items) > 0
	q.mu.Unlock()
	if more {
		q.signal()
	}
	notify(q.room)
	q.stats.Accepted()
	return v, nil
}

// Accept waits for an item and returns it as Take does. It returns ctx's
// error when ctx ends first, an error matching net.ErrClosed once the queue
// is closed, and the Fail error once the queue is empty after Fail.
func (q *Queue[T]) Accept(ctx context.Context) (T, error) {
	for {
		v, err := q.take("accept")
		if err != q.none {
			return v, err
		}
		select {
		case <-q.ready:
		case <-q.done:
		case <-ctx.Done():
			return v, &peer.OpError{Op: "accept", Transport: q.stats.Transport(), Code: peer.ErrTimeout, Err: ctx.Err()}
		}
	}
}

// Available reports whether Take would return an item: the queue is open and
// holds one (Godot's is_connection_available).
func (q *Queue[T]) Available() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.closed && len(q.items) > 0
}

// Len returns how many items wait.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Max returns the cap; 0 means every Push is refused.
func (q *Queue[T]) Max() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return max(q.max, 0)
}

// SetMax changes the cap and returns the newest items beyond it, removed
// from the queue; the caller closes and counts them.
func (q *Queue[T]) SetMax(n int) []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.max = n
	keep := max(n, 0)
	if len(q.items) <= keep {
		return nil
	}
	extra := append([]T(nil), q.items[keep:]...)
	clear(q.items[keep:])
	q.items = q.items[:keep]
	return extra
}

// Remove removes the first item for which match reports true and reports
// whether there was one.
func (q *Queue[T]) Remove(match func(T) bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, v := range q.items {
		if match(v) {
			var zero T
			copy(q.items[i:], q.items[i+1:])
			q.items[len(q.items)-1] = zero
			q.items = q.items[:len(q.items)-1]
			notify(q.room)
			return true
		}
	}
	return false
}

// Fail makes the queue refuse new items and, once the items already queued
// are taken, return err from Take and Accept: the listener's source of
// connections failed for good.
func (q *Queue[T]) Fail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.err != nil {
		return
	}
	q.err = err
	close(q.done)
}

// Close closes the queue: Push refuses from now on, Take and Accept return
// an error matching net.ErrClosed, and every item still waiting is evicted
// (closed and counted as peer.DropEvicted with cause err). It returns how
// many it evicted; calling it again evicts nothing.
func (q *Queue[T]) Close(err error) int {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 0
	}
	q.closed = true
	items := q.items
	q.items = nil
	if q.err == nil {
		close(q.done)
	}
	q.mu.Unlock()
	for _, v := range items {
		var remote net.Addr
		if q.evict != nil {
			remote = q.evict(v)
		}
		q.stats.Drop(peer.DropEvicted, remote, err)
	}
	return len(items)
}
