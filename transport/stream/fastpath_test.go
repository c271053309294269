package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// Tests of the two shortcuts TCP and Unix peers take when packets are
// exchanged one at a time: write-through (a put writes its frame itself when
// the send path is idle) and direct reads (a ReadPacket without a
// cancellable context reads the stream itself).

// wt returns how many of p's puts were written through.
func wt(p *Peer) uint64 {
	n, _ := writeThroughs(p)
	return n
}

// TestWriteThroughOrder: 8 goroutines put numbered packets while the remote
// end acknowledges every one, so that puts alternate between write-through
// (the ack gave the token back) and the writer goroutine's queue (a write or
// a batch was in flight). Every goroutine's packets arrive complete and in
// order.
func TestWriteThroughOrder(t *testing.T) {
	peertest.CheckGoroutines(t)
	countDirectReads(t)
	countWriteThroughs(t)
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = t.TempDir() + "/s"
			}
			a, b := pair(t, network, addr, nil)
			ctx := testCtx(t)
			const senders, each = 8, 1500
			bg := context.Background()

			// b checks the order and acknowledges each packet.
			checked := make(chan error, 1)
			go func() {
				next := make([]uint32, senders)
				for range senders * each {
					p, err := b.ReadPacket(bg)
					if err != nil {
						checked <- err
						return
					}
					g, seq := p[0], binary.LittleEndian.Uint32(p[1:])
					if seq != next[g] {
						checked <- &peer.OpError{Op: "check", Err: peer.ErrBug, Detail: "out of order"}
						return
					}
					if len(p) != 5+int(seq%700) || !bytes.Equal(p[5:], bytes.Repeat([]byte{g}, len(p)-5)) {
						checked <- &peer.OpError{Op: "check", Err: peer.ErrBug, Detail: "corrupt payload"}
						return
					}
					next[g]++
					if err := b.PutPacket([]byte{g}); err != nil {
						checked <- err
						return
					}
				}
				checked <- nil
			}()
			// a drains the acks with direct reads (this gives the token back).
			acks := make(chan error, 1)
			var acked [senders]atomic.Int64
			go func() {
				for range senders * each {
					p, err := a.ReadPacket(bg)
					if err != nil {
						acks <- err
						return
					}
					acked[p[0]].Add(1)
				}
				acks <- nil
			}()
			var wg sync.WaitGroup
			for g := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := make([]byte, 5+700)
					for seq := range uint32(each) {
						p := buf[:5+seq%700]
						p[0] = byte(g)
						binary.LittleEndian.PutUint32(p[1:], seq)
						for i := 5; i < len(p); i++ {
							p[i] = byte(g)
						}
						if err := a.PutPacket(p); err != nil {
							t.Error(err)
							return
						}
						if seq%100 == 99 {
							// Pause until acknowledged: the send path goes
							// idle, and the next puts are written through.
							for acked[g].Load() <= int64(seq) {
								waitTick(t, ctx)
							}
						}
					}
				}()
			}
			wg.Wait()
			for _, ch := range []chan error{checked, acks} {
				select {
				case err := <-ch:
					require.NoError(t, err)
				case <-ctx.Done():
					t.Fatal("timed out")
				}
			}
			t.Logf("%d of %d puts written through; %d direct reads on the sender, %d on the receiver",
				wt(a), senders*each, directReads(a), directReads(b))
			// More than the first put's (the token starts available).
			// Direct reads may not happen here: acks often arrive
			// several per read, and the reader goroutine keeps those.
			require.Greater(t, wt(a), uint64(1), "no put was written through")
		})
	}
}

// TestWriteThroughPartial: with small socket buffers a written-through
// frame does not fit in the kernel; the rest must follow from the writer
// goroutine before anything put after it.
func TestWriteThroughPartial(t *testing.T) {
	peertest.CheckGoroutines(t)
	countWriteThroughs(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c1, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	c2, err := ln.Accept()
	require.NoError(t, err)
	// Small enough for a big packet not to fit at once; a small receive
	// buffer as well can stall loopback TCP itself.
	require.NoError(t, c1.(*net.TCPConn).SetWriteBuffer(4096))
	a, b := New(c1, nil), New(c2, nil)
	defer a.Close()
	defer b.Close()
	ctx := testCtx(t)
	bg := context.Background()

	rng := rand.New(rand.NewPCG(1, 2))
	const rounds = 40
	for i := range rounds {
		// b pings, a reads it directly (token back) and answers with a
		// large packet then a small one.
		require.NoError(t, b.PutPacket([]byte{byte(i)}))
		ping, err := a.ReadPacket(bg)
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, ping)
		big := make([]byte, 40000+rng.IntN(DefaultOutputBufferMaxSize-40000))
		for j := range big {
			big[j] = byte(rng.Uint32())
		}
		require.NoError(t, a.PutPacket(big))
		require.NoError(t, a.PutPacket([]byte("after")))
		got, err := b.ReadPacket(ctx)
		require.NoError(t, err)
		require.True(t, bytes.Equal(big, got), "round %d: big packet corrupted", i)
		got, err = b.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, "after", string(got))
	}
	total, partial := writeThroughs(a)
	t.Logf("%d rounds, %d write-throughs, %d partial", rounds, total, partial)
	require.NotZero(t, partial, "the kernel took every big packet at once")
}

// TestWriteTimeoutWithWriteThrough: the remote end keeps sending but never
// reads; the puts that hold the token are written through (never blocking),
// and once the kernel buffers and the send queue are full PutPacket still
// fails with ErrTimeout.
func TestWriteTimeoutWithWriteThrough(t *testing.T) {
	peertest.CheckGoroutines(t)
	countWriteThroughs(t)
	ln, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer ln.Close()
	ctx := testCtx(t)
	a, err := Dial(ctx, ln.Addr().String(), &Config{WriteTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer a.Close()
	b, err := ln.Accept(ctx) // sends, never reads
	require.NoError(t, err)
	defer b.Close()
	bg := context.Background()

	pkt := make([]byte, 1200)
	sent := 0
	for {
		require.NoError(t, b.PutPacket([]byte("go on")))
		_, err := a.ReadPacket(bg)
		require.NoError(t, err)
		err = a.PutPacket(pkt)
		if err != nil {
			require.ErrorIs(t, err, peer.ErrTimeout)
			break
		}
		sent++
		require.Less(t, sent, 1<<20, "PutPacket never blocked")
	}
	t.Logf("sent %d packets, %d written through, before the timeout", sent, wt(a))
	require.Greater(t, wt(a), uint64(1))
	// The stuck peer closes without lingering.
	start := time.Now()
	require.NoError(t, a.Close())
	require.Less(t, time.Since(start), DefaultLinger-time.Second)
}

// TestDirectReadClose: Close wakes a ReadPacket(context.Background())
// blocked reading the stream itself (or on the queue, when the reader
// goroutine was in the stream first; repeated until the direct case has been
// seen), and no goroutine outlives it.
func TestDirectReadClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	countDirectReads(t)
	direct := false
	for attempt := 0; attempt < 20 && !direct; attempt++ {
		a, b := pair(t, "tcp", "127.0.0.1:0", nil)
		ctx := testCtx(t)
		bg := context.Background()
		// Exchanges until a reads directly: its reader goroutine parks.
		for range 3 {
			require.NoError(t, b.PutPacket([]byte("x")))
			_, err := a.ReadPacket(bg)
			require.NoError(t, err)
		}
		before := directReads(a)

		done := make(chan error, 1)
		go func() {
			_, err := a.ReadPacket(bg)
			done <- err
		}()
		for directReads(a) == before && a.t.dr.queueWaiters.Load() == 0 {
			waitTick(t, ctx)
		}
		direct = directReads(a) != before
		start := time.Now()
		require.NoError(t, a.Close())
		select {
		case err := <-done:
			require.ErrorIs(t, err, net.ErrClosed)
		case <-ctx.Done():
			t.Fatal("ReadPacket did not return after Close")
		}
		require.Less(t, time.Since(start), 2*time.Second)
		_, err := b.ReadPacket(ctx)
		require.ErrorIs(t, err, io.EOF)
	}
	require.True(t, direct, "never saw a direct read blocked")
}

// TestDirectReadThenPoll: after direct reads (the last one waiting long
// for its packet) the program switches to polling (Godot style); the reader
// goroutine takes the stream back and packets, then the remote end's close,
// show up without any ReadPacket.
func TestDirectReadThenPoll(t *testing.T) {
	peertest.CheckGoroutines(t)
	countDirectReads(t)
	a, b := pair(t, "tcp", "127.0.0.1:0", nil)
	ctx := testCtx(t)
	bg := context.Background()
	// Whether a read is direct depends on who gets to the stream first:
	// exchange (boundedly) until some were.
	for i := 0; i < 10 || i < 1000 && directReads(a) == 0; i++ {
		require.NoError(t, b.PutPacket([]byte{byte(i)}))
		p, err := a.ReadPacket(bg)
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, p)
	}
	require.NotZero(t, directReads(a))

	// A direct read waiting long for the remote end: the parked reader
	// goroutine finds it in the stream and asks to be re-armed when it
	// leaves. (Retried while the read happens to wait on the queue
	// instead, the reader goroutine having taken the stream back first.)
	sawArm := false
	for attempt := 0; attempt < 20 && !sawArm; attempt++ {
		got := make(chan []byte, 1)
		go func() {
			p, err := a.ReadPacket(bg)
			if err != nil {
				p = []byte(err.Error())
			}
			got <- bytes.Clone(p)
		}()
		for !a.t.dr.armOnLeave.Load() && a.t.dr.queueWaiters.Load() == 0 {
			waitTick(t, ctx)
		}
		sawArm = a.t.dr.armOnLeave.Load()
		require.NoError(t, b.PutPacket([]byte("late")))
		require.Equal(t, "late", string(<-got))
	}
	require.True(t, sawArm, "never saw a long direct read")

	// Now the program only polls.
	for i := range 3 {
		require.NoError(t, b.PutPacket([]byte{byte(10 + i)}))
	}
	for a.AvailablePacketCount() < 3 {
		waitTick(t, ctx)
	}
	for i := range 3 {
		p, err := a.GetPacket()
		require.NoError(t, err)
		require.Equal(t, []byte{byte(10 + i)}, p)
	}
	require.NoError(t, b.Close())
	for a.Status() != StatusNone {
		waitTick(t, ctx)
	}
	_, err := a.GetPacket()
	require.ErrorIs(t, err, io.EOF)
}

// TestMixedReaders: four goroutines read one peer at once, two reading
// directly (no cancellable context) and two on the queue (a cancellable
// context); every packet is received exactly once, without stalls.
func TestMixedReaders(t *testing.T) {
	peertest.CheckGoroutines(t)
	countDirectReads(t)
	a, b := pair(t, "tcp", "127.0.0.1:0", nil)
	ctx := testCtx(t)
	const n = 4000
	var (
		mu    sync.Mutex
		seen  = make([]bool, n)
		count atomic.Int64
		all   = make(chan struct{})
		wg    sync.WaitGroup
	)
	for r := range 4 {
		rctx := context.Background()
		if r%2 == 1 {
			rctx = ctx
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p, err := a.ReadPacket(rctx)
				if err != nil {
					if !errors.Is(err, net.ErrClosed) {
						t.Error(err)
					}
					return
				}
				// Packets are told apart by their length: the bytes
				// belong to the peer's buffer, which the next read by
				// another goroutine reuses.
				i := len(p) - 1
				mu.Lock()
				dup := seen[i]
				seen[i] = true
				mu.Unlock()
				if dup {
					t.Errorf("packet %d received twice", i)
				}
				if count.Add(1) == n {
					close(all)
				}
			}
		}()
	}
	buf := make([]byte, n)
	for i := range n {
		require.NoError(t, b.PutPacket(buf[:i+1]))
		if i%100 == 99 {
			// Let the readers catch up now and then, so that both
			// paths are taken.
			for count.Load() < int64(i-50) {
				waitTick(t, ctx)
			}
		}
	}
	select {
	case <-all:
	case <-ctx.Done():
		t.Fatalf("only %d of %d packets received", count.Load(), n)
	}
	require.NoError(t, a.Close())
	wg.Wait()
	t.Logf("%d direct reads", directReads(a))
}

// TestDirectReadSizes: packets of every size class (in the reader's
// buffer, at its edge, larger than it, the maximum) bounce between two
// peers reading directly, over TCP and Unix sockets.
func TestDirectReadSizes(t *testing.T) {
	peertest.CheckGoroutines(t)
	countDirectReads(t)
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = t.TempDir() + "/s"
			}
			a, b := pair(t, network, addr, nil)
			bg := context.Background()
			echo := echoAll(b)
			rng := rand.New(rand.NewPCG(3, 4))
			// Whether a read is direct depends on who gets to the stream
			// first; repeat (boundedly) until some were.
			for round := 0; round == 0 || round < 20 && directReads(a) == 0; round++ {
				for _, size := range []int{1, 100, readBufferSize - headerSize - 1, readBufferSize - headerSize,
					readBufferSize, readBufferSize + 1, 40000, DefaultOutputBufferMaxSize} {
					for range 3 {
						pkt := make([]byte, size)
						for i := range pkt {
							pkt[i] = byte(rng.Uint32())
						}
						require.NoError(t, a.PutPacket(pkt))
						got, err := a.ReadPacket(bg)
						require.NoError(t, err)
						require.True(t, bytes.Equal(pkt, got), "size %d", size)
					}
				}
			}
			require.NotZero(t, directReads(a))
			require.NoError(t, a.Close())
			require.ErrorIs(t, <-echo, io.EOF)
		})
	}
}

// TestDirectReadOwned: packets read directly belong to their reader. A
// loop alternating ReadPacket (which reads into the buffer it returns),
// AppendPacket and ReadVar (which read into the queue) keeps every
// ReadPacket result, and none of them changes afterwards.
func TestDirectReadOwned(t *testing.T) {
	peertest.CheckGoroutines(t)
	countDirectReads(t)
	a, b := pair(t, "tcp", "127.0.0.1:0", nil)
	bg := context.Background()
	echo := echoAll(b)
	rng := rand.New(rand.NewPCG(5, 6))
	type kept struct{ got, want []byte }
	var keep []kept
	var buf []byte
	for i := 0; i < 300 || i < 3000 && directReads(a) < 100; i++ {
		pkt := make([]byte, 1+rng.IntN(200))
		for j := range pkt {
			pkt[j] = byte(rng.Uint32())
		}
		if i%3 == 2 {
			require.NoError(t, a.PutVar(pkt))
			v, err := a.ReadVar(bg)
			require.NoError(t, err)
			require.Equal(t, pkt, v)
			continue
		}
		require.NoError(t, a.PutPacket(pkt))
		if i%3 == 1 {
			var err error
			buf, err = a.AppendPacket(bg, buf[:0])
			require.NoError(t, err)
			require.Equal(t, pkt, buf)
			continue
		}
		got, err := a.ReadPacket(bg)
		require.NoError(t, err)
		require.Equal(t, pkt, got)
		keep = append(keep, kept{got, pkt})
	}
	t.Logf("%d direct reads, %d packets kept", directReads(a), len(keep))
	require.NotZero(t, directReads(a))
	for i, k := range keep {
		require.Equal(t, k.want, k.got, "kept packet %d changed", i)
	}
	require.NoError(t, a.Close())
	require.ErrorIs(t, <-echo, io.EOF)
}

// TestExchangeAllocs: a request/reply exchange through write-through and
// direct reads allocates nothing in steady state.
func TestExchangeAllocs(t *testing.T) {
	peertest.CheckGoroutines(t)
	countDirectReads(t)
	countWriteThroughs(t)
	a, b := pair(t, "tcp", "127.0.0.1:0", nil)
	bg := context.Background()
	echo := echoAll(b)
	pkt := make([]byte, 64)
	buf := make([]byte, 0, 64)
	exchange := func() {
		if err := a.PutPacket(pkt); err != nil {
			panic(err)
		}
		if _, err := a.AppendPacket(bg, buf[:0]); err != nil {
			panic(err)
		}
	}
	for range 100 {
		exchange()
	}
	w0, dr := wt(a), directReads(a)
	allocs := testing.AllocsPerRun(1000, exchange)
	t.Logf("%d write-throughs, %d direct reads in 1000 exchanges", wt(a)-w0, directReads(a)-dr)
	require.Zero(t, allocs, "an exchange allocates")
	require.NotZero(t, wt(a)-w0)
	require.NotZero(t, directReads(a)-dr)
	require.NoError(t, a.Close())
	require.ErrorIs(t, <-echo, io.EOF)
}

// TestCloseDuringExchanges: Close while four goroutines exchange packets
// through write-through and direct reads; every call then fails with
// net.ErrClosed, promptly, and no goroutine outlives the peers.
func TestCloseDuringExchanges(t *testing.T) {
	peertest.CheckGoroutines(t)
	countDirectReads(t)
	countWriteThroughs(t)
	a, b := pair(t, "tcp", "127.0.0.1:0", nil)
	ctx := testCtx(t)
	bg := context.Background()
	go func() {
		for {
			p, err := b.ReadPacket(bg)
			if err == nil {
				err = b.PutPacket(p)
			}
			if err != nil {
				return
			}
		}
	}()
	var (
		wg        sync.WaitGroup
		exchanges atomic.Int64
		errs      = make(chan error, 4)
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkt := make([]byte, 64)
			for {
				err := a.PutPacket(pkt)
				if err == nil {
					_, err = a.ReadPacket(bg)
				}
				if err != nil {
					errs <- err
					return
				}
				exchanges.Add(1)
			}
		}()
	}
	for exchanges.Load() < 2000 {
		waitTick(t, ctx)
	}
	start := time.Now()
	require.NoError(t, a.Close())
	wg.Wait()
	require.Less(t, time.Since(start), 2*time.Second)
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, net.ErrClosed)
	}
	t.Logf("%d exchanges, %d write-throughs, %d direct reads", exchanges.Load(), wt(a), directReads(a))
	require.NoError(t, b.Close())
}

// echoAll sends back every packet b reads (directly, with a context that
// cannot be cancelled) until reading or sending fails, then reports that
// error on the returned channel.
func echoAll(b *Peer) <-chan error {
	echo := make(chan error, 1)
	go func() {
		var buf []byte
		for {
			p, err := b.AppendPacket(context.Background(), buf[:0])
			if err == nil {
				buf = p
				err = b.PutPacket(p)
			}
			if err != nil {
				echo <- err
				return
			}
		}
	}()
	return echo
}
