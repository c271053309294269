package multiplayer

import (
	"context"
	"fmt"
	"sync"

	"github.com/packetpeer/packetpeer/peer"
)

// EventType is what happened to a remote peer.
type EventType int

const (
	// PeerConnected: Godot's peer_connected signal.
	PeerConnected EventType = iota + 1
	// PeerDisconnected: Godot's peer_disconnected signal.
	PeerDisconnected
)

// String returns Godot's signal name.
func (t EventType) String() string {
	switch t {
	case PeerConnected:
		return "peer_connected"
	case PeerDisconnected:
		return "peer_disconnected"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one peer_connected or peer_disconnected signal.
type Event struct {
	Type EventType
	ID   int32
}

func (e Event) String() string { return fmt.Sprintf("%v(%d)", e.Type, e.ID) }

// MaxQueuedEvents bounds an Events queue: a program that never reads events
// holds at most this many (16 bytes each, 1 MiB in all); older ones are
// dropped first and counted by Dropped.
const MaxQueuedEvents = 1 << 16

// Events is the queue of peer events a Transport fills (PeerConnected,
// PeerDisconnected) and Peer drains (PollEvent, ReadEvent). The zero value
// is ready to use; it is safe for concurrent use.
type Events struct {
	mu      sync.Mutex
	q       []Event // ring of len MaxQueuedEvents at most
	head, n int
	dropped uint64
	closed  bool
	ready   chan struct{} // cap 1: an event may be queued
	done    chan struct{} // closed by close
}

func (e *Events) init() {
	if e.ready == nil {
		e.ready = make(chan struct{}, 1)
		e.done = make(chan struct{})
	}
}

// PeerConnected queues a PeerConnected event for id.
func (e *Events) PeerConnected(id int32) { e.push(Event{PeerConnected, id}) }

// PeerDisconnected queues a PeerDisconnected event for id.
func (e *Events) PeerDisconnected(id int32) { e.push(Event{PeerDisconnected, id}) }

func (e *Events) push(ev Event) {
	e.mu.Lock()
	e.init()
	if e.closed {
		e.mu.Unlock()
		return
	}
	if e.n == MaxQueuedEvents {
		e.head = (e.head + 1) % len(e.q)
		e.n--
		e.dropped++
	}
	if e.n == len(e.q) {
		nq := make([]Event, min(max(8, 2*len(e.q)), MaxQueuedEvents))
		for i := range e.n {
			nq[i] = e.q[(e.head+i)%len(e.q)]
		}
		e.q, e.head = nq, 0
	}
	e.q[(e.head+e.n)%len(e.q)] = ev
	e.n++
	e.mu.Unlock()
	select {
	case e.ready <- struct{}{}:
	default:
	}
}

// Len returns the number of queued events.
func (e *Events) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

// Dropped returns how many events were dropped because MaxQueuedEvents were
// already queued.
func (e *Events) Dropped() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

func (e *Events) pop() (Event, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		return Event{}, false
	}
	ev := e.q[e.head]
	e.head = (e.head + 1) % len(e.q)
	e.n--
	if e.n == 0 {
		e.head = 0
		if len(e.q) > 64 {
			e.q = nil // give back what a burst grew
		}
	}
	return ev, true
}

// wait returns the next event, waiting for one until ctx ends or the queue
// is closed.
func (e *Events) wait(ctx context.Context) (Event, error) {
	e.mu.Lock()
	e.init()
	ready, done := e.ready, e.done
	e.mu.Unlock()
	for {
		if ev, ok := e.pop(); ok {
			return ev, nil
		}
		select {
		case <-ready:
		case <-done:
			return Event{}, &peer.OpError{Op: "read event", Transport: "multiplayer", Err: peer.ErrClosed}
		case <-ctx.Done():
			return Event{}, &peer.OpError{Op: "read event", Transport: "multiplayer", Code: peer.ErrTimeout, Err: ctx.Err()}
		}
	}
}

// waitReady waits until an event is queued, without taking it, until ctx
// ends or the queue is closed.
func (e *Events) waitReady(ctx context.Context) error {
	e.mu.Lock()
	e.init()
	ready, done := e.ready, e.done
	e.mu.Unlock()
	for {
		e.mu.Lock()
		n, closed := e.n, e.closed
		e.mu.Unlock()
		if closed {
			return &peer.OpError{Op: "wait event", Transport: "multiplayer", Err: peer.ErrClosed}
		}
		if n > 0 {
			return nil
		}
		select {
		case <-ready:
		case <-done:
		case <-ctx.Done():
			return &peer.OpError{Op: "wait event", Transport: "multiplayer", Code: peer.ErrTimeout, Err: ctx.Err()}
		}
	}
}

// close discards queued events and wakes waiters.
func (e *Events) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.init()
	if !e.closed {
		e.closed = true
		e.q, e.n, e.head = nil, 0, 0
		close(e.done)
	}
}
