package ringbuf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

func TestFIFOAndWrap(t *testing.T) {
	b := New(Config{MaxBytes: 64, MaxPackets: 100})
	rng := rand.New(rand.NewPCG(1, 2))
	var queue [][]byte
	var dst []byte
	var taken, sent [][]byte // what TryTake returned, and a copy of it then
	for i := 0; i < 5000; i++ {
		if rng.IntN(2) == 0 {
			p := make([]byte, rng.IntN(20))
			for j := range p {
				p[j] = byte(rng.Uint32())
			}
			err := b.Push(context.Background(), p)
			if err == nil {
				queue = append(queue, p)
			} else if err != ErrFull {
				t.Fatalf("Push: %v", err)
			}
		} else {
			take := rng.IntN(2) == 0 // TryTake or TryPop
			var got []byte
			var err error
			if take {
				got, err = b.TryTake()
			} else {
				got, err = b.TryPop(dst)
			}
			if len(queue) == 0 {
				if err != ErrEmpty {
					t.Fatalf("TryPop on empty = %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("TryPop: %v", err)
			}
			if !bytes.Equal(got, queue[0]) || got == nil {
				t.Fatalf("step %d: got %x, want %x", i, got, queue[0])
			}
			queue = queue[1:]
			if take {
				taken = append(taken, got)
				sent = append(sent, bytes.Clone(got))
			} else {
				dst = got
			}
		}
		if b.Len() != len(queue) {
			t.Fatalf("Len = %d, want %d", b.Len(), len(queue))
		}
	}
	// What TryTake returned is the caller's: later pushes and pops (which
	// wrapped the ring many times) left it alone.
	if len(taken) < 100 {
		t.Fatalf("only %d packets taken", len(taken))
	}
	for i := range taken {
		if !bytes.Equal(taken[i], sent[i]) {
			t.Fatalf("taken packet %d changed: %x, was %x", i, taken[i], sent[i])
		}
	}
}

func TestWaitOrReturnsWhenStopCloses(t *testing.T) {
	b := New(Config{})
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- b.WaitOr(context.Background(), stop) }()
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("WaitOr after stop closed = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.WaitOr(ctx, make(chan struct{})); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitOr with a cancelled context = %v", err)
	}
	b.Push(context.Background(), []byte("x"))
	if err := b.WaitOr(ctx, nil); err != nil {
		t.Fatalf("WaitOr with a packet queued = %v, want nil", err)
	}
}

func TestDropNewestCounts(t *testing.T) {
	b := New(Config{MaxBytes: 1 << 10, MaxPackets: 2})
	for i := 0; i < 5; i++ {
		err := b.Push(context.Background(), []byte{byte(i)})
		if i < 2 && err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		if i >= 2 && err != ErrFull {
			t.Fatalf("push %d into a full buffer = %v, want ErrFull", i, err)
		}
	}
	if b.Dropped() != 3 {
		t.Fatalf("Dropped = %d, want 3", b.Dropped())
	}
	for i := 0; i < 2; i++ { // the oldest packets were kept
		p, _ := b.TryPop(nil)
		if len(p) != 1 || p[0] != byte(i) {
			t.Fatalf("pop %d = %x", i, p)
		}
	}
}

func TestByteLimit(t *testing.T) {
	b := New(Config{MaxBytes: 20})
	if err := b.Push(context.Background(), make([]byte, 17)); err != ErrTooLarge {
		t.Fatalf("packet bigger than the ring = %v, want ErrTooLarge", err)
	}
	if b.MaxPacketSize() != 16 {
		t.Fatalf("MaxPacketSize = %d", b.MaxPacketSize())
	}
	if err := b.Push(context.Background(), make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := b.Push(context.Background(), make([]byte, 3)); err != ErrFull {
		t.Fatalf("push beyond the byte limit = %v, want ErrFull", err)
	}
	if b.Bytes() != 14 {
		t.Fatalf("Bytes = %d, want 14", b.Bytes())
	}
}

func TestBlockWaitsForRoom(t *testing.T) {
	b := New(Config{MaxPackets: 1, Policy: Block})
	if err := b.Push(context.Background(), []byte("a")); err != nil {
		t.Fatal(err)
	}
	pushed := make(chan error, 1)
	go func() { pushed <- b.Push(context.Background(), []byte("b")) }()
	p, err := b.Pop(context.Background(), nil)
	if err != nil || string(p) != "a" {
		t.Fatalf("Pop = %q, %v", p, err)
	}
	if err := <-pushed; err != nil {
		t.Fatalf("blocked Push = %v", err)
	}
	p, _ = b.TryPop(nil)
	if string(p) != "b" {
		t.Fatalf("second packet = %q", p)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	b.Push(context.Background(), []byte("c"))
	if err := b.Push(ctx, []byte("d")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Push into a full Block buffer past the deadline = %v", err)
	}
}

func TestPopHonoursContext(t *testing.T) {
	b := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := b.Pop(ctx, nil)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Pop after cancel = %v", err)
	}
}

func TestCloseDrainsThenReportsError(t *testing.T) {
	b := New(Config{Policy: Block})
	b.Push(context.Background(), []byte("queued"))
	cause := errors.New("remote went away")
	waiting := make(chan error, 1)
	b2 := New(Config{})
	go func() { waiting <- b2.Wait(context.Background()) }()
	b2.Close(nil)
	if err := <-waiting; err != nil {
		t.Fatalf("Wait on close = %v, want nil", err)
	}

	b.Close(cause)
	b.Close(errors.New("ignored: only the first Close counts"))
	if err := b.Push(context.Background(), []byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Push after Close = %v, want net.ErrClosed", err)
	}
	p, err := b.TryPop(nil)
	if err != nil || string(p) != "queued" {
		t.Fatalf("TryPop after Close = %q, %v; want the queued packet", p, err)
	}
	if _, err := b.Pop(context.Background(), nil); err != cause {
		t.Fatalf("Pop after draining = %v, want %v", err, cause)
	}
}

func TestManyWaitersAllWake(t *testing.T) {
	b := New(Config{})
	const n = 4
	got := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			p, err := b.Pop(context.Background(), nil)
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(p)
		}()
	}
	for i := 0; i < n; i++ {
		b.Push(context.Background(), []byte(fmt.Sprint(i)))
	}
	seen := map[string]bool{}
	timeout := time.After(5 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case s := <-got:
			seen[s] = true
		case <-timeout:
			t.Fatalf("only %d of %d waiters woke", i, n)
		}
	}
	if len(seen) != n {
		t.Fatalf("waiters got %v", seen)
	}
}

func TestSteadyStateDoesNotAllocate(t *testing.T) {
	b := New(Config{})
	p := make([]byte, 200)
	dst := make([]byte, 0, 256)
	b.Push(context.Background(), p) // allocates the ring once
	b.TryPop(dst)
	allocs := testing.AllocsPerRun(1000, func() {
		b.Push(context.Background(), p)
		dst, _ = b.TryPop(dst)
	})
	if allocs != 0 {
		t.Fatalf("Push+TryPop allocate %.1f times per packet, want 0", allocs)
	}
}

func BenchmarkPushPop(b *testing.B) {
	for _, size := range []int{64, 1200} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			buf := New(Config{})
			p := make([]byte, size)
			dst := make([]byte, 0, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				buf.Push(context.Background(), p)
				dst, _ = buf.TryPop(dst)
			}
		})
	}
}

// BenchmarkChannelBaseline is the same work through a buffered channel of
// copied slices, the obvious alternative.
func BenchmarkChannelBaseline(b *testing.B) {
	for _, size := range []int{64, 1200} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			ch := make(chan []byte, 4096)
			p := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				ch <- append([]byte(nil), p...)
				<-ch
			}
		})
	}
}

func BenchmarkProducerConsumer(b *testing.B) {
	buf := New(Config{Policy: Block})
	p := make([]byte, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		dst := make([]byte, 0, 64)
		for {
			var err error
			dst, err = buf.Pop(context.Background(), dst)
			if err != nil {
				return
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		buf.Push(context.Background(), p)
	}
	buf.Close(nil)
	<-done
}

func TestInboxReusesItsBuffer(t *testing.T) {
	in := NewInbox(Config{}, nil)
	in.Push(context.Background(), []byte("first packet"))
	in.Push(context.Background(), []byte("second"))
	if in.AvailablePacketCount() != 2 {
		t.Fatalf("AvailablePacketCount = %d", in.AvailablePacketCount())
	}
	a, err := in.GetPacket()
	if err != nil || string(a) != "first packet" {
		t.Fatalf("GetPacket = %q, %v", a, err)
	}
	b, _ := in.GetPacket()
	if string(b) != "second" || &a[0] != &b[0] {
		t.Fatalf("second GetPacket = %q; want it in the same buffer as the first", b)
	}
	if _, err := in.GetPacket(); err != ErrEmpty {
		t.Fatalf("GetPacket on empty = %v, want ErrEmpty", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := in.WaitPacket(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitPacket with a cancelled context = %v", err)
	}
}

// With InitialBytes the ring starts small and doubles as packets queue up,
// keeping FIFO order across growths that happen while the ring is wrapped,
// and never exceeds MaxBytes.
func TestGrowKeepsOrder(t *testing.T) {
	b := New(Config{MaxBytes: 300, MaxPackets: 100, InitialBytes: 16})
	if b.Cap() != 0 {
		t.Fatalf("Cap before the first Push = %d, want 0", b.Cap())
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var queue [][]byte
	var dst []byte
	for i := 0; i < 20000; i++ {
		if rng.IntN(3) != 0 { // push more than pop: the ring fills and grows
			p := make([]byte, rng.IntN(40))
			for j := range p {
				p[j] = byte(rng.Uint32())
			}
			switch err := b.Push(context.Background(), p); err {
			case nil:
				queue = append(queue, p)
			case ErrFull:
			default:
				t.Fatalf("Push: %v", err)
			}
		} else if len(queue) > 0 {
			got, err := b.TryPop(dst)
			if err != nil {
				t.Fatalf("TryPop: %v", err)
			}
			if !bytes.Equal(got, queue[0]) {
				t.Fatalf("step %d: got %x, want %x", i, got, queue[0])
			}
			queue = queue[1:]
			dst = got
		}
		if c := b.Cap(); c > 300 || c < b.Bytes() {
			t.Fatalf("Cap %d with %d bytes queued, MaxBytes 300", c, b.Bytes())
		}
	}
	if b.Cap() != 300 {
		t.Fatalf("Cap = %d after filling, want MaxBytes", b.Cap())
	}
}

// The ring follows what was queued: one small packet costs a small ring,
// not MaxBytes, a big one grows it, and closing a drained buffer frees it.
func TestGrowFollowsQueuedBytes(t *testing.T) {
	b := New(Config{MaxBytes: 1 << 16, InitialBytes: 256})
	if err := b.Push(context.Background(), make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if b.Cap() != 256 {
		t.Fatalf("Cap after a 10-byte packet = %d, want 256", b.Cap())
	}
	if err := b.Push(context.Background(), make([]byte, 1100)); err != nil {
		t.Fatal(err)
	}
	if b.Cap() != 2048 {
		t.Fatalf("Cap with 14+1104 bytes queued = %d, want 2048", b.Cap())
	}
	if err := b.Push(context.Background(), make([]byte, 1<<16-1118-4)); err != nil {
		t.Fatal(err)
	}
	if b.Cap() != 1<<16 {
		t.Fatalf("Cap when full = %d, want MaxBytes", b.Cap())
	}
	b.Close(nil)
	if b.Cap() != 1<<16 {
		t.Fatal("Close freed a ring that still holds packets")
	}
	for range 3 {
		if _, err := b.TryPop(nil); err != nil {
			t.Fatal(err)
		}
	}
	if b.Cap() != 0 {
		t.Fatalf("Cap after the closed buffer drained = %d, want 0", b.Cap())
	}
}

func TestGrownSteadyStateDoesNotAllocate(t *testing.T) {
	b := New(Config{InitialBytes: 64})
	p := make([]byte, 200)
	dst := make([]byte, 0, 256)
	b.Push(context.Background(), p) // grows the ring once
	b.TryPop(dst)
	allocs := testing.AllocsPerRun(1000, func() {
		b.Push(context.Background(), p)
		dst, _ = b.TryPop(dst)
	})
	if allocs != 0 {
		t.Fatalf("Push+TryPop allocate %.1f times per packet, want 0", allocs)
	}
}

// A zero Config grows from DefaultInitialBytes, so that a peer queueing one
// small packet does not pin a whole ring; a negative InitialBytes allocates
// MaxBytes at once.
func TestDefaultRingGrows(t *testing.T) {
	b := New(Config{MaxBytes: 1 << 16})
	if err := b.Push(context.Background(), make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if b.Cap() != DefaultInitialBytes {
		t.Fatalf("Cap after one small packet = %d, want %d", b.Cap(), DefaultInitialBytes)
	}
	if err := b.Push(context.Background(), make([]byte, 40000)); err != nil {
		t.Fatal(err)
	}
	if c := b.Cap(); c < 40014 || c > 1<<16 {
		t.Fatalf("Cap after a 40000-byte packet = %d", c)
	}
	whole := New(Config{MaxBytes: 1 << 16, InitialBytes: -1})
	if err := whole.Push(context.Background(), make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if whole.Cap() != 1<<16 {
		t.Fatalf("Cap with InitialBytes -1 = %d, want MaxBytes", whole.Cap())
	}
}
