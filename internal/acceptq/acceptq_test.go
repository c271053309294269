package acceptq

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

type item struct {
	n      int
	closed bool
}

func newQ(max int) (*Queue[*item], *listenstats.Counters) {
	st := listenstats.New("test", nil)
	return New(max, st, func(it *item) net.Addr { it.closed = true; return nil }), st
}

func TestFIFOCapAndStats(t *testing.T) {
	q, st := newQ(2)
	if q.Available() {
		t.Fatal("empty queue available")
	}
	if _, err := q.Take(); !errors.Is(err, peer.ErrUnavailable) {
		t.Fatalf("Take on empty = %v, want ErrUnavailable", err)
	}
	a, b, c := &item{n: 1}, &item{n: 2}, &item{n: 3}
	if !q.Push(a) || !q.Push(b) {
		t.Fatal("Push under the cap refused")
	}
	if q.Push(c) || !q.Full() {
		t.Fatal("Push beyond the cap accepted")
	}
	if !q.Available() || q.Len() != 2 {
		t.Fatalf("Available %v Len %d, want true 2", q.Available(), q.Len())
	}
	if v, err := q.Take(); err != nil || v != a {
		t.Fatalf("Take = %v, %v; want the oldest", v, err)
	}
	if st.Stats(0).Accepted != 1 {
		t.Fatal("Take not counted as accepted")
	}
	if n := q.Close(nil); n != 1 || !b.closed {
		t.Fatalf("Close evicted %d (b closed %v), want 1 (true)", n, b.closed)
	}
	if s := st.Stats(0); s.Evicted != 1 {
		t.Fatalf("Evicted = %d, want 1", s.Evicted)
	}
	if q.Available() || q.Push(c) {
		t.Fatal("closed queue available or accepting")
	}
	if _, err := q.Take(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Take after Close = %v, want net.ErrClosed", err)
	}
	if n := q.Close(nil); n != 0 {
		t.Fatalf("second Close evicted %d", n)
	}
}

func TestSetMaxAndRemove(t *testing.T) {
	q, _ := newQ(DefaultMax)
	for i := range 4 {
		q.Push(&item{n: i})
	}
	if !q.Remove(func(it *item) bool { return it.n == 1 }) || q.Remove(func(it *item) bool { return it.n == 1 }) {
		t.Fatal("Remove did not remove exactly once")
	}
	extra := q.SetMax(1)
	if len(extra) != 2 || extra[0].n != 2 || extra[1].n != 3 || q.Max() != 1 {
		t.Fatalf("SetMax(1) trimmed %v, max %d; want the newest two, 1", extra, q.Max())
	}
	if q.SetMax(-1) == nil || q.Max() != 0 || q.Push(&item{}) {
		t.Fatal("SetMax(-1) should trim everything and refuse")
	}
}

func TestAcceptWaitsAndHonoursContextCloseAndFail(t *testing.T) {
	peertest.CheckGoroutines(t)
	q, _ := newQ(DefaultMax)
	got := make(chan *item)
	go func() {
		v, _ := q.Accept(context.Background())
		got <- v
	}()
	want := &item{n: 7}
	q.Push(want)
	if v := <-got; v != want {
		t.Fatalf("Accept = %v, want the pushed item", v)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := q.Accept(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Accept with an ending ctx = %v", err)
	}

	errc := make(chan error)
	go func() {
		_, err := q.Accept(context.Background())
		errc <- err
	}()
	q.Close(nil)
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept ended by Close = %v, want net.ErrClosed", err)
	}

	q2, _ := newQ(DefaultMax)
	q2.Push(want)
	boom := errors.New("socket gone")
	q2.Fail(boom)
	if q2.Push(&item{}) {
		t.Fatal("failed queue accepts")
	}
	if v, err := q2.Accept(context.Background()); v != want || err != nil {
		t.Fatalf("Accept after Fail = %v, %v; want the queued item first", v, err)
	}
	if _, err := q2.Accept(context.Background()); err != boom {
		t.Fatalf("Accept on a failed empty queue = %v, want the Fail error", err)
	}
	q2.Close(nil)
}

func TestConcurrentPushTake(t *testing.T) {
	peertest.CheckGoroutines(t)
	q, st := newQ(4)
	const n = 1000
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]bool{}
	for range 2 {
		wg.Go(func() {
			for {
				v, err := q.Accept(context.Background())
				if err != nil {
					return
				}
				mu.Lock()
				seen[v.n] = true
				mu.Unlock()
			}
		})
	}
	refused := 0
	for i := range n {
		if !q.Push(&item{n: i}) {
			refused++
		}
	}
	evicted := q.Close(nil)
	wg.Wait()
	if got := int(st.Stats(0).Accepted); got+evicted != n-refused || len(seen) != got {
		t.Fatalf("accepted %d (%d distinct) + evicted %d, want %d", got, len(seen), evicted, n-refused)
	}
}

func TestPushWaitWaitsForRoomAndEndsOnClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	q, _ := newQ(1)
	q.Push(&item{n: 1})
	pushed := make(chan bool)
	second := &item{n: 2}
	go func() { pushed <- q.PushWait(second) }()
	if v, _ := q.Take(); v.n != 1 {
		t.Fatalf("Take = %d, want 1", v.n)
	}
	if !<-pushed {
		t.Fatal("PushWait refused although room was made")
	}
	go func() { pushed <- q.PushWait(&item{n: 3}) }()
	q.Close(nil)
	if <-pushed {
		t.Fatal("PushWait kept an item after Close")
	}
	if !second.closed {
		t.Fatal("the waiting item was not evicted by Close")
	}
}
