package dgramconn

import (
	"sync"
	"time"
)

// readDeadline is a read deadline whose Done channel closes when it
// passes. The zero value has no deadline. It is safe for concurrent use.
type readDeadline struct {
	mu    sync.Mutex
	ch    chan struct{}
	fired bool
	gen   uint64
	timer *time.Timer
}

// Done returns a channel that is closed once the current deadline has
// passed. A later Set with a new time gives a new channel.
func (d *readDeadline) Done() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ch == nil {
		d.ch = make(chan struct{})
	}
	return d.ch
}

// Set replaces the deadline: the zero time means none; a time already
// passed closes Done at once.
func (d *readDeadline) Set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.ch == nil || d.fired {
		d.ch, d.fired = make(chan struct{}), false
	}
	if t.IsZero() {
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		close(d.ch)
		d.fired = true
		return
	}
	ch, gen := d.ch, d.gen
	d.timer = time.AfterFunc(dur, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.gen == gen && d.ch == ch && !d.fired {
			close(ch)
			d.fired = true
		}
	})
}
