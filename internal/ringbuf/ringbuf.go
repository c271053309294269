// Package ringbuf is the bounded packet queue that transports fill from their
// reader goroutine and drain from GetPacket/ReadPacket.
//
// A Buffer stores whole packets back to back in one byte ring, each behind a
// 4-byte length, so steady-state Push and Pop do not allocate. The ring is
// allocated at the first Push, small (Config.InitialBytes), and doubled as
// packets need room, so that its memory follows what is queued. It is
// bounded twice: by packet count and by bytes (payload plus 4 bytes per packet).
// When it is full, Push either drops the new packet and counts the drop (Godot's
// PacketPeerUDP behaviour, DropNewest) or waits for room (Block), which gives a
// reliable transport back-pressure: its reader stops reading the socket and the
// kernel's flow control slows the sender.
package ringbuf

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// Policy says what Push does when the buffer is full.
type Policy int

const (
	// DropNewest discards the packet being pushed, counts it in Dropped and
	// returns ErrFull. Packets already queued are kept.
	DropNewest Policy = iota
	// Block makes Push wait until there is room, the context ends or the
	// buffer is closed.
	Block
)

// Defaults used for zero Config fields.
const (
	DefaultMaxBytes   = 1 << 17 // 128 KiB, the ring Godot's PacketPeerUDP uses by default
	DefaultMaxPackets = 4096
	// DefaultInitialBytes is the ring the first Push allocates when
	// Config.InitialBytes is 0: a peer that queues little costs little.
	DefaultInitialBytes = 2048
	headerSize          = 4
)

// Config bounds a Buffer. The zero value means DefaultMaxBytes,
// DefaultMaxPackets and DropNewest.
type Config struct {
	MaxBytes   int // ring size in bytes; each packet costs len+4
	MaxPackets int // most packets queued at once
	Policy     Policy
	// InitialBytes makes the ring grow with what is queued: the first Push
	// allocates InitialBytes (or more, doubling, if the packet needs it),
	// and a Push that does not fit doubles the ring, up to MaxBytes. The
	// ring does not shrink while the buffer is open. 0 means
	// DefaultInitialBytes; negative: the first Push allocates MaxBytes.
	InitialBytes int
}

// Buffer is a bounded FIFO of packets, safe for concurrent use.
type Buffer struct {
	mu       sync.Mutex
	cfg      Config
	ring     []byte // allocated on first Push
	head     int    // read offset
	used     int    // bytes in use, headers included
	dropped  uint64
	closeErr error

	// count and closed change under mu; Len and the waits read them
	// without it.
	count  atomic.Int64
	closed atomic.Bool

	readable chan struct{} // cap 1: a packet may be available
	writable chan struct{} // cap 1: room may be available
	done     chan struct{} // closed by Close
}

// New returns an empty Buffer bounded by cfg.
func New(cfg Config) *Buffer {
	if cfg.MaxBytes <= headerSize {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxPackets <= 0 {
		cfg.MaxPackets = DefaultMaxPackets
	}
	if cfg.InitialBytes == 0 {
		cfg.InitialBytes = DefaultInitialBytes
	}
	return &Buffer{
		cfg:      cfg,
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

// MaxPacketSize is the largest packet that can ever be queued.
func (b *Buffer) MaxPacketSize() int { return b.cfg.MaxBytes - headerSize }

// Push copies p into the buffer. It returns ErrTooLarge for a packet that could
// never fit, ErrClosed after Close, and when full either ErrFull (DropNewest) or
// waits (Block; context.Background() waits without a deadline).
func (b *Buffer) Push(ctx context.Context, p []byte) error {
	need := len(p) + headerSize
	if need > b.cfg.MaxBytes {
		return ErrTooLarge
	}
	b.mu.Lock()
	for {
		if b.closed.Load() {
			b.mu.Unlock()
			return ErrClosed
		}
		if b.count.Load() < int64(b.cfg.MaxPackets) && b.used+need <= b.cfg.MaxBytes {
			break
		}
		if b.cfg.Policy == DropNewest {
			b.dropped++
			b.mu.Unlock()
			return ErrFull
		}
		b.mu.Unlock()
		if err := b.waitOn(ctx, b.writable); err != nil {
			return err
		}
		b.mu.Lock()
	}
	if len(b.ring) < b.used+need {
		b.grow(b.used + need)
	}
	var hdr [headerSize]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(p)))
	tail := (b.head + b.used) % len(b.ring)
	tail = b.write(tail, hdr[:])
	b.write(tail, p)
	b.used += need
	b.count.Add(1)
	b.mu.Unlock()
	signal(b.readable)
	return nil
}

// grow replaces the ring by one of at least need bytes (need <= MaxBytes),
// moving the queued packets to its start.
func (b *Buffer) grow(need int) {
	size := b.cfg.MaxBytes
	if b.cfg.InitialBytes > 0 {
		size = max(len(b.ring), b.cfg.InitialBytes)
		for size < need {
			size *= 2
		}
		size = min(size, b.cfg.MaxBytes)
	}
	r := make([]byte, size)
	if b.used > 0 {
		b.read(b.head, r[:b.used])
	}
	b.ring, b.head = r, 0
}

// Cap returns the bytes the ring holds allocated now: 0 before the first
// Push, MaxBytes at most.
func (b *Buffer) Cap() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.ring)
}

// write copies p into the ring at off, wrapping, and returns the next offset.
func (b *Buffer) write(off int, p []byte) int {
	n := copy(b.ring[off:], p)
	if n < len(p) {
		n2 := copy(b.ring, p[n:])
		return n2
	}
	off += n
	if off == len(b.ring) {
		off = 0
	}
	return off
}

// read copies len(p) bytes out of the ring at off, wrapping, and returns the next offset.
func (b *Buffer) read(off int, p []byte) int {
	n := copy(p, b.ring[off:])
	if n < len(p) {
		return copy(p[n:], b.ring)
	}
	off += n
	if off == len(b.ring) {
		off = 0
	}
	return off
}

// TryPop removes the oldest packet and appends it to dst[:0], growing dst only
// when it is too small. With nothing queued it returns ErrEmpty, or, once the
// buffer is closed and drained, the close error.
func (b *Buffer) TryPop(dst []byte) ([]byte, error) { return b.pop(dst, false) }

// TryTake is TryPop into a new slice of the packet's size: the caller owns
// it, and nothing else refers to it.
func (b *Buffer) TryTake() ([]byte, error) { return b.pop(nil, true) }

func (b *Buffer) pop(dst []byte, fresh bool) ([]byte, error) {
	if b.count.Load() == 0 && !b.closed.Load() {
		return dst[:0], ErrEmpty // closed only ever turns true
	}
	b.mu.Lock()
	if b.count.Load() == 0 {
		err := ErrEmpty
		if b.closed.Load() {
			err = b.closeErr
		}
		b.mu.Unlock()
		return dst[:0], err
	}
	var hdr [headerSize]byte
	off := b.read(b.head, hdr[:])
	n := int(binary.LittleEndian.Uint32(hdr[:]))
	switch {
	case fresh && n == 0:
		dst = []byte{}
		b.head = off
	case fresh && off+n <= len(b.ring):
		// Not wrapped: append allocates without zeroing what it copies.
		dst = append([]byte(nil), b.ring[off:off+n]...)
		off += n
		if off == len(b.ring) {
			off = 0
		}
		b.head = off
	default:
		if cap(dst) < n {
			dst = make([]byte, n)
		}
		dst = dst[:n]
		b.head = b.read(off, dst)
	}
	b.used -= n + headerSize
	more := b.count.Add(-1) > 0
	if !more {
		b.head, b.used = 0, 0
		if b.closed.Load() {
			b.ring = nil // nothing more will be queued
		}
	}
	b.mu.Unlock()
	signal(b.writable)
	if more {
		signal(b.readable)
	}
	return dst, nil
}

// Pop is TryPop that waits for a packet until ctx ends or the buffer is closed
// and drained. ctx may be nil.
func (b *Buffer) Pop(ctx context.Context, dst []byte) ([]byte, error) {
	for {
		p, err := b.TryPop(dst)
		if err != ErrEmpty {
			return p, err
		}
		if err := b.waitOn(ctx, b.readable); err != nil {
			return dst[:0], err
		}
	}
}

// Wait blocks until a packet is queued, the buffer is closed, or ctx ends. It
// returns nil when a packet is queued or the buffer is closed (the next TryPop
// then reports the close error), and ctx's error otherwise. Several
// goroutines may wait at once.
func (b *Buffer) Wait(ctx context.Context) error { return b.WaitOr(ctx, nil) }

// WaitOr is Wait that also returns nil once stop is closed (nil: never).
func (b *Buffer) WaitOr(ctx context.Context, stop <-chan struct{}) error {
	for {
		if b.count.Load() > 0 || b.closed.Load() {
			signal(b.readable) // pass the wake-up on to other waiters
			return nil
		}
		var ctxDone <-chan struct{}
		if ctx != nil {
			ctxDone = ctx.Done()
		}
		select {
		case <-b.readable:
		case <-b.done:
			return nil
		case <-stop:
			return nil
		case <-ctxDone:
			return ctx.Err()
		}
	}
}

func (b *Buffer) waitOn(ctx context.Context, ch chan struct{}) error {
	var ctxDone <-chan struct{}
	if ctx != nil {
		ctxDone = ctx.Done()
	}
	select {
	case <-ch:
		return nil
	case <-b.done:
		return ErrClosed
	case <-ctxDone:
		return ctx.Err()
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Len returns the number of queued packets.
func (b *Buffer) Len() int { return int(b.count.Load()) }

// Bytes returns the ring bytes in use, 4 bytes per packet included.
func (b *Buffer) Bytes() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Dropped returns how many packets DropNewest has discarded.
func (b *Buffer) Dropped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Reset discards every queued packet.
func (b *Buffer) Reset() {
	b.mu.Lock()
	b.head, b.used = 0, 0
	b.count.Store(0)
	b.mu.Unlock()
	signal(b.writable)
}

// Close stops Push (it then returns ErrClosed) and wakes every waiter. Packets
// already queued can still be popped; after them TryPop and Pop return err, or
// ErrClosed when err is nil. Only the first Close has an effect.
func (b *Buffer) Close(err error) {
	if err == nil {
		err = ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return
	}
	b.closeErr = err
	b.closed.Store(true)
	if b.count.Load() == 0 {
		b.ring = nil
	}
	close(b.done)
}
