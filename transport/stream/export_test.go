package stream

import (
	"sync"
	"sync/atomic"
	"testing"
)

// Counters of the write-through shortcut, per peer, kept through
// writeThroughHook for the tests of the fast paths.
type writeThroughCounts struct {
	mu            sync.Mutex
	total, partly uint64
}

var writeThroughStats sync.Map // *conn -> *writeThroughCounts

// countWriteThroughs counts write-throughs, for writeThroughs, until the
// end of the test. Without it (in benchmarks) nothing is counted.
func countWriteThroughs(t testing.TB) {
	hook := func(c *conn, partial bool) {
		v, ok := writeThroughStats.Load(c)
		if !ok {
			v, _ = writeThroughStats.LoadOrStore(c, &writeThroughCounts{})
		}
		n := v.(*writeThroughCounts)
		n.mu.Lock()
		n.total++
		if partial {
			n.partly++
		}
		n.mu.Unlock()
	}
	writeThroughHook.Store(&hook)
	t.Cleanup(func() { writeThroughHook.Store(nil) })
}

// writeThroughs returns how many of p's puts were written through, and how
// many of those only in part, since countWriteThroughs.
func writeThroughs(p *Peer) (total, partial uint64) {
	v, ok := writeThroughStats.Load(p.t)
	if !ok {
		return 0, 0
	}
	n := v.(*writeThroughCounts)
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.total, n.partly
}

var directReadCounts sync.Map // *conn -> *atomic.Uint64

// countDirectReads counts direct reads, for directReads, until the end of
// the test.
func countDirectReads(t testing.TB) {
	hook := func(c *conn) {
		v, ok := directReadCounts.Load(c)
		if !ok {
			v, _ = directReadCounts.LoadOrStore(c, new(atomic.Uint64))
		}
		v.(*atomic.Uint64).Add(1)
	}
	directReadHook.Store(&hook)
	t.Cleanup(func() { directReadHook.Store(nil) })
}

// directReads returns how many direct reads p has started since
// countDirectReads.
func directReads(p *Peer) uint64 {
	v, ok := directReadCounts.Load(p.t)
	if !ok {
		return 0
	}
	return v.(*atomic.Uint64).Load()
}
