package multiplayer

import (
	"context"
	"sync"

	"github.com/packetpeer/packetpeer/peer"
)

// Queue is the receive-side bookkeeping of a transport whose packets stay
// in per-connection queues (ENet peers, WebRTC channels): a FIFO of notes
// saying whose packet comes next, the error that ended a client's session
// (reported once the notes are drained), and the wake-up of WaitPacket.
// It is safe for concurrent use. Create one with NewQueue.
type Queue[T any] struct {
	mu    sync.Mutex
	q     []T
	head  int
	ended error
	ready chan struct{} // cap 1: a note or the end may be there
	done  chan struct{} // closed by Close
	once  sync.Once
}

// NewQueue returns an empty queue.
func NewQueue[T any]() *Queue[T] {
	return &Queue[T]{ready: make(chan struct{}, 1), done: make(chan struct{})}
}

// Push appends a note and wakes a waiter.
func (q *Queue[T]) Push(v T) {
	q.mu.Lock()
	q.q = append(q.q, v)
	q.mu.Unlock()
	q.signal()
}

func (q *Queue[T]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Pop removes the oldest note. With none it returns ok false and the error
// End recorded (nil while the session goes on).
func (q *Queue[T]) Pop() (v T, ok bool, ended error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.q) {
		return v, false, q.ended
	}
	v = q.q[q.head]
	var zero T
	q.q[q.head] = zero
	q.head++
	switch {
	case q.head == len(q.q):
		q.q, q.head = q.q[:0], 0
	case q.head > 64 && q.head*2 > len(q.q):
		n := copy(q.q, q.q[q.head:])
		clear(q.q[n:])
		q.q, q.head = q.q[:n], 0
	}
	return v, true, nil
}

// GetPacket is a Transport's GetPacket on the queue: it pops notes until
// read returns a packet for one (ok false skips a note whose packet is
// gone). With no note left it returns the error End recorded, else one
// matching peer.ErrUnavailable.
func (q *Queue[T]) GetPacket(read func(T) ([]byte, PacketInfo, bool)) ([]byte, PacketInfo, error) {
	for {
		v, ok, err := q.Pop()
		if !ok {
			if err == nil {
				err = errNoPacket
			}
			return nil, PacketInfo{}, err
		}
		if b, info, ok := read(v); ok {
			return b, info, nil
		}
	}
}

var errNoPacket = &peer.OpError{Op: "get packet", Transport: "multiplayer", Code: peer.ErrUnavailable, Detail: "no packet queued"}

// Len returns the number of notes.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.q) - q.head
}

// End records why a client's session ended (the first call counts) and
// wakes waiters: Pop reports it once the notes are drained.
func (q *Queue[T]) End(err error) {
	q.mu.Lock()
	if q.ended == nil {
		q.ended = err
	}
	q.mu.Unlock()
	q.signal()
}

// Wait waits until there is a note or an end to report. It returns ctx's
// error when ctx ends first and an error matching peer.ErrClosed after
// Close.
func (q *Queue[T]) Wait(ctx context.Context) error {
	for {
		q.mu.Lock()
		ok := q.head < len(q.q) || q.ended != nil
		q.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return ctx.Err()
		case <-q.done:
			return errQueueClosed
		}
	}
}

var errQueueClosed = &peer.OpError{Op: "wait packet", Transport: "multiplayer", Err: peer.ErrClosed}

// Close drops the notes and makes Wait return ErrClosed. Calling it again
// does nothing.
func (q *Queue[T]) Close() {
	q.once.Do(func() { close(q.done) })
	q.mu.Lock()
	q.q, q.head = nil, 0
	q.mu.Unlock()
}
