package replication

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkTick is one 20 Hz frame of a server where n players move every
// frame and each sees all others: n SYNC packets of n entries, plus one
// DELTA per peer when a health changes. It reports the time per frame and
// per client, and the bytes each client is sent per second at 20 Hz.
func BenchmarkTick(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		b.Run("clients="+strconv.Itoa(n), func(b *testing.B) {
			r, pls := world(b, n)
			sess := r.s.(*memSession)
			now := time.Unix(0, 0)
			r.Tick(now)
			sess.bytes = 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				for _, p := range pls {
					p.Pos.X++
				}
				pls[i%n].Health++
				now = now.Add(50 * time.Millisecond)
				r.Tick(now)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/client")
			b.ReportMetric(float64(sess.bytes)/float64(b.N)/float64(n)*20, "B/client/s")
		})
	}
}

// BenchmarkTickAreaOfInterest is BenchmarkTick with 500 clients of which
// each sees only the 20 others nearest to it (a visibility Filter on a
// line: client i sees clients i-10 ... i+10).
func BenchmarkTickAreaOfInterest(b *testing.B) {
	const n = 500
	r, pls := world(b, n)
	for i, p := range pls {
		p.sync.Filter = func(peer int32) bool {
			d := int(peer) - 100 - i
			return d >= -10 && d <= 10
		}
	}
	sess := r.s.(*memSession)
	now := time.Unix(0, 0)
	r.Tick(now)
	sess.bytes = 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for _, p := range pls {
			p.Pos.X++
		}
		pls[i%n].Health++
		now = now.Add(50 * time.Millisecond)
		r.Tick(now)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/client")
	b.ReportMetric(float64(sess.bytes)/float64(b.N)/n*20, "B/client/s")
}
