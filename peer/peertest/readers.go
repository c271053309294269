package peertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

// Concurrent readers: several goroutines read one peer at once, each mixing
// ReadPacket, AppendPacket, ReadVar and GetVar, while a writer sends distinct values whose
// content follows from their sequence number. Every value must arrive whole,
// once, and stay intact after later reads (nothing returned may alias a
// buffer another read reuses).

const (
	readersN      = 6
	readersValues = 1000
	readersWindow = 32 // values in flight: keeps lossy transports' queues from overflowing
)

// readersValue is value seq: [seq, a string and a PackedByteArray whose
// lengths and bytes depend on seq].
func readersValue(seq int) []any {
	n := 1 + seq*37%400
	s := make([]byte, n)
	b := make([]byte, n)
	for i := range s {
		s[i] = 'a' + byte((seq+i)%26)
		b[i] = byte(seq*13 + i*7)
	}
	return []any{int64(seq), string(s), b}
}

// checkReadersValue returns the sequence number of v, or an error saying how
// it differs from what was sent.
func checkReadersValue(v any) (int, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) != 3 {
		return -1, fmt.Errorf("got %T %v, want a 3-element Array", v, v)
	}
	seq64, ok := arr[0].(int64)
	if !ok || seq64 < 0 || seq64 >= readersValues {
		return -1, fmt.Errorf("got sequence number %T %v", arr[0], arr[0])
	}
	seq := int(seq64)
	if want := readersValue(seq); !variantsEqual(want, v) {
		return seq, fmt.Errorf("value %d corrupt: got %q", seq, abbrevAny(v))
	}
	return seq, nil
}

func abbrevAny(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

func testConcurrentReaders(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	ctx := ctxFor(t, cfg)
	rctx, stopReaders := context.WithCancel(ctx)
	defer stopReaders()

	var (
		mu       sync.Mutex
		seen     = make([]int, readersValues)
		received atomic.Int64
		progress = make(chan struct{}, 1)
		failures = make(chan error, readersN+1)
	)
	fail := func(err error) {
		select {
		case failures <- err:
		default:
		}
		stopReaders()
	}
	record := func(seq int) {
		mu.Lock()
		seen[seq]++
		dup := seen[seq] > 1
		mu.Unlock()
		if dup {
			fail(fmt.Errorf("value %d received twice", seq))
			return
		}
		received.Add(1)
		select {
		case progress <- struct{}{}:
		default:
		}
	}

	// kept holds what each reader got, to check again at the end.
	type kept struct {
		packets [][]byte
		values  []any
		counts  [4]int // ReadPacket, ReadVar, GetVar, AppendPacket successes
	}
	results := make([]kept, readersN)
	var wg sync.WaitGroup
	for g := range readersN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := &results[g]
			poll := time.NewTimer(time.Hour)
			defer poll.Stop()
			var buf []byte
			for i := g; rctx.Err() == nil; i++ {
				switch i % 4 {
				case 0, 3:
					name := "ReadPacket"
					var p []byte
					var err error
					if i%4 == 0 {
						p, err = b.ReadPacket(rctx)
					} else {
						name = "AppendPacket"
						p, err = b.AppendPacket(rctx, buf[:0])
					}
					if err != nil {
						if rctx.Err() == nil {
							fail(fmt.Errorf("reader %d: %s: %w", g, name, err))
						}
						return
					}
					v, _, err := variant.Decode(p)
					if err != nil {
						fail(fmt.Errorf("reader %d: packet from %s does not decode: %w", g, name, err))
						return
					}
					seq, err := checkReadersValue(v)
					if err != nil {
						fail(fmt.Errorf("reader %d: %s: %w", g, name, err))
						return
					}
					if i%4 == 0 {
						k.packets = append(k.packets, p)
					} else {
						buf = p // the caller's buffer, reused
					}
					k.counts[i%4]++
					record(seq)
				case 1, 2:
					var v any
					var err error
					if i%4 == 1 {
						v, err = b.ReadVar(rctx)
					} else {
						v, err = b.GetVar()
						if errors.Is(err, peer.ErrUnavailable) {
							// Nothing queued: give the others a moment (Godot's polling).
							poll.Reset(200 * time.Microsecond)
							select {
							case <-poll.C:
							case <-rctx.Done():
							}
							continue
						}
					}
					if err != nil {
						if rctx.Err() == nil || !errors.Is(err, rctx.Err()) {
							fail(fmt.Errorf("reader %d: %s: %w", g, [4]string{"", "ReadVar", "GetVar"}[i%4], err))
						}
						return
					}
					seq, err := checkReadersValue(v)
					if err != nil {
						fail(fmt.Errorf("reader %d: %s: %w", g, [4]string{"", "ReadVar", "GetVar"}[i%4], err))
						return
					}
					k.values = append(k.values, v)
					k.counts[i%4]++
					record(seq)
				}
			}
		}()
	}

	// The writer keeps at most readersWindow values in flight. On a lossy
	// transport a lost value would stall it: it then goes on after a second.
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		wait := time.NewTimer(time.Hour)
		defer wait.Stop()
		for seq := range readersValues {
			for int64(seq)-received.Load() >= readersWindow {
				if !cfg.Unreliable {
					select {
					case <-progress:
					case <-rctx.Done():
						return
					}
					continue
				}
				wait.Reset(time.Second)
				select {
				case <-progress:
					continue
				case <-wait.C:
				case <-rctx.Done():
					return
				}
				break
			}
			if err := a.PutVar(readersValue(seq)); err != nil {
				fail(fmt.Errorf("PutVar(value %d): %w", seq, err))
				return
			}
		}
		// Everything sent: stop the readers once everything arrived, or
		// (lossy transports) after a second without progress.
		for received.Load() < readersValues {
			wait.Reset(time.Second)
			select {
			case <-progress:
				continue
			case <-wait.C:
				if !cfg.Unreliable {
					continue
				}
			case <-rctx.Done():
				return
			}
			break
		}
		stopReaders()
	}()
	wg.Wait()
	// The readers are done: a writer blocked by back-pressure (after a
	// failure) needs its peer closed to return.
	a.Close()
	<-writerDone

	close(failures)
	for err := range failures {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("timed out with %d of %d values received", received.Load(), readersValues)
	}
	// Everything kept must still be intact after all the reads that followed.
	var counts [4]int
	for g, k := range results {
		for _, p := range k.packets {
			v, _, err := variant.Decode(p)
			if err == nil {
				_, err = checkReadersValue(v)
			}
			if err != nil {
				t.Fatalf("reader %d: a packet returned by ReadPacket changed after later reads: %v", g, err)
			}
		}
		for _, v := range k.values {
			if _, err := checkReadersValue(v); err != nil {
				t.Fatalf("reader %d: a value returned by ReadVar/GetVar changed after later reads: %v", g, err)
			}
		}
		for i := range counts {
			counts[i] += k.counts[i]
		}
	}
	got := int(received.Load())
	t.Logf("%d values received: %d by ReadPacket, %d by ReadVar, %d by GetVar, %d by AppendPacket", got, counts[0], counts[1], counts[2], counts[3])
	if !cfg.Unreliable && got != readersValues {
		t.Fatalf("received %d values, want %d", got, readersValues)
	}
	if cfg.Unreliable && got < readersValues/2 {
		t.Fatalf("received only %d of %d values on loopback", got, readersValues)
	}
	if counts[0] == 0 || counts[1] == 0 || counts[3] == 0 {
		t.Fatalf("ReadPacket got %d values, ReadVar %d and AppendPacket %d: the check needs each to have read", counts[0], counts[1], counts[3])
	}
}

// testConcurrentWaiters checks that readers waiting at once each keep their
// own context: a reader without a deadline (which some transports let read
// the socket itself) must not hold up readers whose deadline passes, and
// must still get the next packet; Close ends every waiting read.
func testConcurrentWaiters(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	ctx := ctxFor(t, cfg)
	type result struct {
		p   []byte
		err error
	}
	first := make(chan result, 1)
	go func() {
		p, err := b.ReadPacket(context.Background())
		first <- result{p, err}
	}()
	// Several rounds, so that most find the first reader already waiting.
	for i := range 6 {
		dctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		done := make(chan error, 1)
		go func() {
			var err error
			if i%2 == 0 {
				_, err = b.ReadPacket(dctx)
			} else {
				_, err = b.ReadVar(dctx)
			}
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("round %d: read with a 20ms deadline beside a waiting reader = %v, want context.DeadlineExceeded", i, err)
			}
		case <-ctx.Done():
			t.Fatalf("round %d: a read with a 20ms deadline did not return while another goroutine waited without one", i)
		}
		cancel()
	}
	resend := time.NewTicker(500 * time.Millisecond)
	defer resend.Stop()
	for sent := false; ; {
		if !sent || cfg.Unreliable {
			if err := a.PutPacket([]byte("wake")); err != nil {
				t.Fatalf("PutPacket: %v", err)
			}
			sent = true
		}
		select {
		case r := <-first:
			if r.err != nil || string(r.p) != "wake" {
				t.Fatalf("the reader without a deadline got %q, %v; want \"wake\"", r.p, r.err)
			}
		case <-resend.C:
			continue
		case <-ctx.Done():
			t.Fatal("the reader without a deadline never got the packet sent after the others gave up")
		}
		break
	}

	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := b.ReadPacket(context.Background())
			errs <- err
		}()
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range 2 {
		select {
		case err := <-errs:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("a read waiting beside another when Close was called = %v, want net.ErrClosed", err)
			}
		case <-ctx.Done():
			t.Fatal("Close did not end every waiting read")
		}
	}
}
