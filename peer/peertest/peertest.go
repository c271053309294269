// Package peertest is the conformance suite every packetpeer transport runs,
// in the spirit of golang.org/x/net/nettest.TestConn: given a way to make a
// connected pair of peers, Run checks the whole peer.PacketPeer contract
// against the real transport.
//
// A transport's test calls it like this:
//
//	func TestConformance(t *testing.T) {
//		peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
//			a, b := dialPair(t) // real sockets on 127.0.0.1
//			return a, b
//		}, peertest.Config{})
//	}
//
// MakePair must return two peers already connected to each other; Run closes
// them (closing twice must be harmless) and fails the test if goroutines
// started by MakePair outlive Close.
package peertest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// MakePair returns two connected peers. It may use t for helpers and cleanup.
type MakePair func(t *testing.T) (a, b peer.PacketPeer)

// Config describes what the transport promises. The zero value means a
// reliable, ordered transport such as a stream, WebSocket or reliable QUIC.
type Config struct {
	// Unreliable transports may lose packets (UDP, DTLS, unreliable data
	// channels). Delivery checks then retry by resending, and loss-counting
	// checks are skipped.
	Unreliable bool
	// Unordered transports may reorder packets; ordering checks are skipped
	// and delivery is checked as a set.
	Unordered bool
	// MaxPacketSize is the largest payload to send in the maximum-size check.
	// 0 means min(a.MaxPacketSize(), 65536).
	MaxPacketSize int
	// Timeout bounds each check. 0 means 10 seconds.
	Timeout time.Duration
	// DropQueuePackets, when positive, says that b's receive queue holds at
	// most this many packets and drops what arrives beyond them (an
	// unreliable transport made with a small ReceiveQueuePackets). The
	// DroppedFull check then fills the queue without reading and expects
	// PeerStats to count the drops. 0 skips that check.
	DropQueuePackets int
	// IgnoreGoroutines lists stack substrings of goroutines a library is
	// known to leave running after Close; they are not reported as leaks.
	IgnoreGoroutines []string
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 10 * time.Second
}

// Run runs every conformance check as a subtest, each on a fresh pair.
func Run(t *testing.T, mk MakePair, cfg Config) {
	checks := []struct {
		name string
		fn   func(t *testing.T, a, b peer.PacketPeer, cfg Config)
	}{
		{"PacketBoundaries", testPacketBoundaries},
		{"BothDirections", testBothDirections},
		{"EmptyPacket", testEmptyPacket},
		{"MaxSizePacket", testMaxSizePacket},
		{"Ordering", testOrdering},
		{"Variants", testVariants},
		{"EncodeBufferLimit", testEncodeBufferLimit},
		{"GetPacketEmpty", testGetPacketEmpty},
		{"AvailablePacketCount", testAvailablePacketCount},
		{"ReadPacketCancel", testReadPacketCancel},
		{"ReadPacketDeadline", testReadPacketDeadline},
		{"CloseUnblocksRead", testCloseUnblocksRead},
		{"AfterClose", testAfterClose},
		{"ConcurrentPut", testConcurrentPut},
		{"ConcurrentReaders", testConcurrentReaders},
		{"ConcurrentWaiters", testConcurrentWaiters},
		{"WritePacket", testWritePacket},
		{"WritePacketExpired", testWritePacketExpired},
		{"PeerStats", testPeerStats},
		{"DroppedFull", testDroppedFull},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			CheckGoroutines(t, cfg.IgnoreGoroutines...)
			a, b := mk(t)
			t.Cleanup(func() {
				a.Close()
				b.Close()
			})
			c.fn(t, a, b, cfg)
		})
	}
}

func ctxFor(t *testing.T, cfg Config) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout())
	t.Cleanup(cancel)
	return ctx
}

// deliver sends each packet from a to b and checks b receives them with their
// boundaries intact (in order unless cfg.Unordered). Unreliable transports get
// the whole batch resent until every packet has been seen once.
func deliver(t *testing.T, a, b peer.PacketPeer, packets [][]byte, cfg Config) {
	t.Helper()
	deliverWith(t, a.PutPacket, b, packets, cfg)
}

// deliverWith is deliver sending with put.
func deliverWith(t *testing.T, put func([]byte) error, b peer.PacketPeer, packets [][]byte, cfg Config) {
	t.Helper()
	ctx := ctxFor(t, cfg)
	want := map[string]int{}
	for _, p := range packets {
		want[string(p)]++
	}
	seen := map[string]int{}
	missing := len(packets)
	next := 0 // index of the next expected packet when ordered and reliable
	for round := 0; missing > 0; round++ {
		if round > 0 && !cfg.Unreliable {
			break
		}
		// Send from another goroutine: a transport with back-pressure may
		// block the sender until the receiver reads.
		sent := make(chan error, 1)
		go func() {
			for _, p := range packets {
				if err := put(p); err != nil {
					sent <- fmt.Errorf("PutPacket(%d bytes): %w", len(p), err)
					return
				}
			}
			sent <- nil
		}()
		// Read until everything arrived, or (unreliable) until a short quiet spell.
		for missing > 0 {
			rctx := ctx
			var cancel context.CancelFunc = func() {}
			if cfg.Unreliable {
				rctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
			}
			got, err := b.ReadPacket(rctx)
			cancel()
			if err != nil {
				if cfg.Unreliable && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
					break // resend the batch
				}
				t.Fatalf("ReadPacket after %d of %d packets: %v", len(packets)-missing, len(packets), err)
			}
			key := string(got)
			if _, ok := want[key]; !ok {
				t.Fatalf("received a packet that was never sent (%d bytes: %q)", len(got), abbrev(got))
			}
			if !cfg.Unordered && !cfg.Unreliable {
				if !bytes.Equal(got, packets[next]) {
					t.Fatalf("packet %d: got %d bytes %q, want %d bytes %q", next, len(got), abbrev(got), len(packets[next]), abbrev(packets[next]))
				}
				next++
			}
			if seen[key] < want[key] {
				seen[key]++
				missing--
			}
		}
		select {
		case err := <-sent:
			if err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatalf("PutPacket still blocked after every packet was read")
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d packets never arrived", missing, len(packets))
	}
}

func asBytes(v any) []byte {
	b, _ := v.([]byte)
	return b
}

func abbrev(b []byte) string {
	if len(b) > 16 {
		return fmt.Sprintf("%x…", b[:16])
	}
	return fmt.Sprintf("%x", b)
}

func pattern(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7) + seed
	}
	return p
}

func testPacketBoundaries(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	var packets [][]byte
	for i, n := range []int{1, 2, 3, 4, 5, 7, 8, 100, 511, 512, 1000, 1200} {
		packets = append(packets, pattern(n, byte(i)))
	}
	deliver(t, a, b, packets, cfg)
}

func testBothDirections(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	deliver(t, a, b, [][]byte{[]byte("ping")}, cfg)
	deliver(t, b, a, [][]byte{[]byte("pong")}, cfg)
}

func testEmptyPacket(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	if err := a.PutPacket(nil); err != nil {
		t.Fatalf("PutPacket(nil) = %v, want nil (Godot sends nothing for an empty packet)", err)
	}
	if err := a.PutPacket([]byte{}); err != nil {
		t.Fatalf("PutPacket(empty) = %v, want nil", err)
	}
	deliver(t, a, b, [][]byte{[]byte("after-empty")}, cfg)
}

func testMaxSizePacket(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	n := cfg.MaxPacketSize
	if n == 0 {
		n = min(a.MaxPacketSize(), 65536)
	}
	if n <= 0 {
		t.Fatalf("MaxPacketSize() = %d, want > 0", a.MaxPacketSize())
	}
	deliver(t, a, b, [][]byte{pattern(n, 9)}, cfg)
}

func testOrdering(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	if cfg.Unordered || cfg.Unreliable {
		t.Skip("transport does not promise ordered delivery")
	}
	const n = 500
	ctx := ctxFor(t, cfg)
	errc := make(chan error, 1)
	go func() {
		var buf [4]byte
		for i := range n {
			binary.LittleEndian.PutUint32(buf[:], uint32(i))
			if err := a.PutPacket(buf[:]); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := range n {
		p, err := b.ReadPacket(ctx)
		if err != nil {
			t.Fatalf("ReadPacket %d: %v", i, err)
		}
		if len(p) != 4 || binary.LittleEndian.Uint32(p) != uint32(i) {
			t.Fatalf("packet %d: got %x", i, p)
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("PutPacket: %v", err)
	}
}

func testVariants(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	ctx := ctxFor(t, cfg)
	samples := sampleVariants()
	// Each value is checked again at the end, after the reads that followed
	// it (and a large packet that overwrites any buffer they reuse): no value
	// may share memory with a buffer the peer reuses.
	var kept []any
	defer func() {
		if t.Failed() {
			return
		}
		scribble := bytes.Repeat([]byte{0xEE}, min(a.MaxPacketSize()-8, 512)) // bigger than every sample
		for {
			if err := a.PutVar(scribble); err != nil {
				t.Fatalf("PutVar: %v", err)
			}
			rctx, cancel := ctx, context.CancelFunc(func() {})
			if cfg.Unreliable {
				rctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
			}
			got, err := b.ReadVar(rctx)
			cancel()
			if cfg.Unreliable && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				continue
			}
			if err != nil {
				t.Fatalf("ReadVar: %v", err)
			}
			if bytes.Equal(scribble, asBytes(got)) {
				break
			}
			if !cfg.Unreliable {
				t.Fatalf("got %T %v, want the %d-byte PackedByteArray", got, abbrevAny(got), len(scribble))
			}
		}
		for i, v := range samples {
			if !variantsEqual(v, kept[i]) {
				t.Fatalf("variant #%d changed after later reads: sent %T %#v, now %T %#v", i, v, v, kept[i], kept[i])
			}
		}
	}()
	for i, v := range samples {
	send:
		if err := a.PutVar(v); err != nil {
			t.Fatalf("PutVar(#%d %T %v): %v", i, v, v, err)
		}
		for {
			rctx, cancel := ctx, context.CancelFunc(func() {})
			if cfg.Unreliable {
				rctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
			}
			got, err := b.ReadVar(rctx)
			cancel()
			if err != nil {
				if cfg.Unreliable && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
					goto send // lost: send it again
				}
				t.Fatalf("ReadVar(#%d %T): %v", i, v, err)
			}
			if variantsEqual(v, got) {
				kept = append(kept, got)
				break
			}
			if cfg.Unreliable && slices.ContainsFunc(samples[:i], func(old any) bool { return variantsEqual(old, got) }) {
				continue // a late duplicate of a value resent earlier
			}
			t.Fatalf("variant #%d: sent %T %#v, got %T %#v", i, v, v, got, got)
		}
	}
}

func testEncodeBufferLimit(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	if got := a.EncodeBufferMaxSize(); got != peer.DefaultEncodeBufferMaxSize {
		t.Fatalf("default EncodeBufferMaxSize = %d, want %d", got, peer.DefaultEncodeBufferMaxSize)
	}
	for _, bad := range []int{0, 1023, peer.MaxEncodeBufferMaxSize + 1} {
		if err := a.SetEncodeBufferMaxSize(bad); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Fatalf("SetEncodeBufferMaxSize(%d) = %v, want ErrInvalidParameter", bad, err)
		}
	}
	if err := a.SetEncodeBufferMaxSize(1025); err != nil {
		t.Fatalf("SetEncodeBufferMaxSize(1025): %v", err)
	}
	if got := a.EncodeBufferMaxSize(); got != 2048 {
		t.Fatalf("EncodeBufferMaxSize after setting 1025 = %d, want 2048 (next power of two)", got)
	}
	if err := a.SetEncodeBufferMaxSize(1024); err != nil {
		t.Fatalf("SetEncodeBufferMaxSize(1024): %v", err)
	}
	// A string of 1016 bytes encodes to 4+4+1016 = 1024 bytes: exactly the limit.
	if err := a.PutVar(strings.Repeat("x", 1016)); err != nil {
		t.Fatalf("PutVar of exactly the limit: %v", err)
	}
	err := a.PutVar(strings.Repeat("y", 1017))
	if !errors.Is(err, peer.ErrOutOfMemory) {
		t.Fatalf("PutVar over the limit = %v, want ErrOutOfMemory", err)
	}
	if err := a.PutVar("after"); err != nil {
		t.Fatalf("PutVar after a refused one: %v", err)
	}
	ctx := ctxFor(t, cfg)
	var got []any
	for len(got) < 2 {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if cfg.Unreliable {
			rctx, cancel = context.WithTimeout(ctx, time.Second)
		}
		v, err := b.ReadVar(rctx)
		cancel()
		if err != nil {
			if cfg.Unreliable && errors.Is(err, context.DeadlineExceeded) {
				break
			}
			t.Fatalf("ReadVar: %v", err)
		}
		if s, _ := v.(string); strings.HasPrefix(s, "y") {
			t.Fatalf("the refused PutVar was sent anyway")
		}
		got = append(got, v)
	}
	if !cfg.Unreliable && !cfg.Unordered && (len(got) != 2 || got[1] != "after") {
		t.Fatalf("received %d values, want the 1016-byte string then \"after\"", len(got))
	}
	if len(got) == 0 {
		t.Fatalf("neither the PutVar of exactly the limit nor the one after the refused one arrived")
	}
}

func testGetPacketEmpty(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	if n := b.AvailablePacketCount(); n != 0 {
		t.Fatalf("AvailablePacketCount on a fresh peer = %d, want 0", n)
	}
	p, err := b.GetPacket()
	if !errors.Is(err, peer.ErrUnavailable) {
		t.Fatalf("GetPacket on an empty queue = %q, %v; want ErrUnavailable", p, err)
	}
	if !errors.Is(b.PacketError(), peer.ErrUnavailable) {
		t.Fatalf("PacketError after an empty GetPacket = %v, want ErrUnavailable", b.PacketError())
	}
	if _, err := b.GetVar(); !errors.Is(err, peer.ErrUnavailable) {
		t.Fatalf("GetVar on an empty queue: %v, want ErrUnavailable", err)
	}
	deliver(t, a, b, [][]byte{[]byte("x")}, cfg)
	if b.PacketError() != nil {
		t.Fatalf("PacketError after a successful read = %v, want nil", b.PacketError())
	}
}

func testAvailablePacketCount(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	if cfg.Unreliable {
		t.Skip("counts are not deterministic on a lossy transport")
	}
	const n = 3
	for i := range n {
		if err := a.PutPacket([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for arrival by reading the first, then poll the count with a deadline:
	// arrival of the rest is asynchronous and has no event to wait on.
	ctx := ctxFor(t, cfg)
	if _, err := b.ReadPacket(ctx); err != nil {
		t.Fatal(err)
	}
	for b.AvailablePacketCount() < n-1 {
		if ctx.Err() != nil {
			t.Fatalf("AvailablePacketCount = %d, want %d", b.AvailablePacketCount(), n-1)
		}
		timer := time.NewTimer(time.Millisecond)
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
	}
	if got := b.AvailablePacketCount(); got != n-1 {
		t.Fatalf("AvailablePacketCount = %d, want %d", got, n-1)
	}
	for i := 1; i < n; i++ {
		if _, err := b.GetPacket(); err != nil {
			t.Fatalf("GetPacket %d with count > 0: %v", i, err)
		}
	}
	if got := b.AvailablePacketCount(); got != 0 {
		t.Fatalf("AvailablePacketCount after draining = %d, want 0", got)
	}
}

func testReadPacketCancel(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := b.ReadPacket(ctx)
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadPacket after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(cfg.timeout()):
		t.Fatal("ReadPacket did not return after its context was cancelled")
	}
	if _, err := b.ReadVar(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadVar with a cancelled context = %v, want context.Canceled", err)
	}
}

func testReadPacketDeadline(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := b.ReadPacket(ctx)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadPacket past its deadline = %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(cfg.timeout()):
		t.Fatal("ReadPacket did not return after its deadline")
	}
}

func testCloseUnblocksRead(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	ctx := ctxFor(t, cfg)
	errc := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		_, err := b.ReadPacket(ctx)
		errc <- err
	}()
	<-started
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadPacket interrupted by Close = %v, want net.ErrClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("Close did not unblock ReadPacket")
	}
}

func testAfterClose(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	checks := map[string]error{}
	checks["PutPacket"] = a.PutPacket([]byte("x"))
	checks["WritePacket"] = a.WritePacket(ctxFor(t, cfg), []byte("x"))
	_, checks["GetPacket"] = a.GetPacket()
	_, checks["ReadPacket"] = a.ReadPacket(ctxFor(t, cfg))
	checks["PutVar"] = a.PutVar(1)
	_, checks["GetVar"] = a.GetVar()
	_, checks["ReadVar"] = a.ReadVar(ctxFor(t, cfg))
	for name, err := range checks {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close = %v, want an error matching net.ErrClosed", name, err)
		}
	}
	if n := a.AvailablePacketCount(); n > 0 {
		t.Errorf("AvailablePacketCount after Close = %d, want <= 0", n)
	}
}

func testConcurrentPut(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	const writers, each = 8, 50
	ctx := ctxFor(t, cfg)
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf [12]byte
			copy(buf[:4], "PKT!")
			for i := range each {
				binary.LittleEndian.PutUint32(buf[4:8], uint32(w))
				binary.LittleEndian.PutUint32(buf[8:], uint32(i))
				if err := a.PutPacket(buf[:]); err != nil {
					errc <- err
					return
				}
				if w%2 == 0 {
					if err := a.PutVar(int64(w)); err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	wantTotal := writers*each + (writers/2)*each
	got := 0
	next := make([]uint32, writers)
	for got < wantTotal {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if cfg.Unreliable {
			rctx, cancel = context.WithTimeout(ctx, time.Second)
		}
		p, err := b.ReadPacket(rctx)
		cancel()
		if err != nil {
			if cfg.Unreliable && errors.Is(err, context.DeadlineExceeded) {
				break
			}
			t.Fatalf("ReadPacket after %d of %d: %v", got, wantTotal, err)
		}
		got++
		switch {
		case len(p) == 12 && string(p[:4]) == "PKT!":
			w, i := binary.LittleEndian.Uint32(p[4:8]), binary.LittleEndian.Uint32(p[8:])
			if w >= writers || i >= each {
				t.Fatalf("corrupt packet %x", p)
			}
			if !cfg.Unordered && !cfg.Unreliable {
				if i != next[w] {
					t.Fatalf("writer %d: packet %d arrived when %d was expected", w, i, next[w])
				}
				next[w]++
			}
		case len(p) == 8 && binary.LittleEndian.Uint32(p) == 2: // PutVar(int64(w)): INT header + int32
			if w := binary.LittleEndian.Uint32(p[4:]); w >= writers || w%2 != 0 {
				t.Fatalf("corrupt PutVar packet %x", p)
			}
		default:
			t.Fatalf("unexpected packet %x", p)
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("concurrent PutPacket: %v", err)
	}
	if !cfg.Unreliable && got != wantTotal {
		t.Fatalf("received %d packets, want %d", got, wantTotal)
	}
	if got == 0 {
		t.Fatalf("no packet of the %d sent arrived: nothing was checked", wantTotal)
	}
}

// testWritePacket: WritePacket with a live context delivers like PutPacket.
func testWritePacket(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	ctx := ctxFor(t, cfg)
	put := func(p []byte) error { return a.WritePacket(ctx, p) }
	deliverWith(t, put, b, [][]byte{[]byte("write"), pattern(300, 5), []byte("packet")}, cfg)
	if err := a.WritePacket(ctx, nil); err != nil {
		t.Fatalf("WritePacket(empty) = %v, want nil", err)
	}
}

// testWritePacketExpired: WritePacket with an ended context sends nothing
// and fails with an error matching both the context's error and
// peer.ErrTimeout.
func testWritePacketExpired(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	err := a.WritePacket(expired, []byte("expired"))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, peer.ErrTimeout) {
		t.Fatalf("WritePacket(expired ctx) = %v, want an error matching context.DeadlineExceeded and peer.ErrTimeout", err)
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	err = a.WritePacket(cancelled, []byte("cancelled"))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, peer.ErrTimeout) {
		t.Fatalf("WritePacket(cancelled ctx) = %v, want an error matching context.Canceled and peer.ErrTimeout", err)
	}
	// Neither packet went out: the next one is the first b receives.
	deliver(t, a, b, [][]byte{[]byte("after")}, cfg)
}

// testPeerStats: a transport that applies back-pressure drops nothing, and
// the counters add up.
func testPeerStats(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	deliver(t, a, b, [][]byte{[]byte("one"), []byte("two")}, cfg)
	s := b.PeerStats()
	if s.Dropped() != s.DroppedFull+s.DroppedOversize+s.DroppedLate {
		t.Fatalf("PeerStats %+v: Dropped() = %d, not the sum of the counters", s, s.Dropped())
	}
	if !cfg.Unreliable && s.Dropped() != 0 {
		t.Fatalf("PeerStats on a reliable transport = %+v, want no drops", s)
	}
}

// testDroppedFull: packets that arrive while b's queue is full are dropped
// and counted in PeerStats().DroppedFull; the queue keeps what it held.
func testDroppedFull(t *testing.T, a, b peer.PacketPeer, cfg Config) {
	if cfg.DropQueuePackets <= 0 {
		t.Skip("the transport does not drop when its queue is full (Config.DropQueuePackets is 0)")
	}
	ctx := ctxFor(t, cfg)
	pkt := []byte("overflow")
	// Send without reading until the counter moves: the queue fills after
	// DropQueuePackets packets (fewer arrive if the network loses some).
	for sent := 0; b.PeerStats().DroppedFull == 0; sent++ {
		if ctx.Err() != nil {
			t.Fatalf("sent %d packets to a queue of %d without reading; PeerStats().DroppedFull stayed 0 (%+v)",
				sent, cfg.DropQueuePackets, b.PeerStats())
		}
		if err := a.PutPacket(pkt); err != nil {
			t.Fatalf("PutPacket: %v", err)
		}
	}
	if n := b.AvailablePacketCount(); n > cfg.DropQueuePackets {
		t.Fatalf("AvailablePacketCount = %d with a queue of %d packets", n, cfg.DropQueuePackets)
	}
	got, err := b.ReadPacket(ctx)
	if err != nil || !bytes.Equal(got, pkt) {
		t.Fatalf("ReadPacket after the overflow = %q, %v; want a queued packet", got, err)
	}
	if s := b.PeerStats(); s.Dropped() < s.DroppedFull || s.DroppedFull == 0 {
		t.Fatalf("PeerStats = %+v", s)
	}
}
