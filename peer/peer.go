package peer

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/variant"
)

// Transport is what a transport implements: Godot's PacketPeer virtuals, the
// interface a PacketPeerExtension fills in. Wrap one with New to get a *Peer
// with PutVar, GetVar, ReadPacket and the rest.
//
// Implementations must be safe for concurrent PutPacket calls, and for
// GetPacket running beside them. Peer never runs two GetPacket calls at once.
type Transport interface {
	// PutPacket sends p as one packet. p must not be retained after return.
	// Peer never passes an empty packet (Godot sends nothing for those).
	PutPacket(p []byte) error
	// GetPacket returns the next queued packet without blocking. The slice
	// may be reused by the transport on the next GetPacket. With nothing
	// queued it returns an error matching ErrUnavailable; after the remote end
	// is gone and the queue is drained, io.EOF or the transport's error.
	GetPacket() ([]byte, error)
	// AvailablePacketCount is the number of whole packets queued.
	AvailablePacketCount() int
	// MaxPacketSize is the largest packet the transport carries.
	MaxPacketSize() int
	// Close releases the transport. Peer calls it once.
	Close() error
}

// Waiter is implemented by transports that can block until a packet is
// queued. WaitPacket returns nil as soon as GetPacket has something to report
// (a packet, or the error that ended the connection), at once if it already
// has, ctx's error when ctx ends, and must return promptly once the transport
// is closed. ReadPacket calls it before GetPacket. Several goroutines may wait
// at once, each with its own ctx; each must return when its own ctx ends. A
// wait may return nil and the packet go to another reader: Peer then waits
// again. Transports without it are polled by ReadPacket at a short interval.
type Waiter interface {
	WaitPacket(ctx context.Context) error
}

// PacketTaker is implemented by transports that can hand out a packet the
// caller owns without an extra copy. TakePacket is GetPacket, except that
// the transport never touches the returned slice again; it may run
// concurrently with GetPacket, TakePacket and WaitPacket. ReadPacket uses it
// when present; otherwise it copies what GetPacket returns.
type PacketTaker interface {
	TakePacket() ([]byte, error)
}

// ContextWriter is implemented by transports whose send can wait (for room in
// a send queue, for flow control) and can stop waiting when ctx ends.
// Peer.WritePacket uses it when present; otherwise it checks ctx and calls
// PutPacket. Peer checks ctx and the closed state before calling it, and
// never passes an empty packet.
type ContextWriter interface {
	WritePacket(ctx context.Context, p []byte) error
}

// Namer is implemented by transports that name themselves in errors: with
// it, the errors Peer makes read "udp: put var: ...", as the transport's own;
// without it, "peer: put var: ...".
type Namer interface {
	TransportName() string
}

// StatsReporter is implemented by transports that count the packets they
// drop. Peer.PeerStats returns its counters; without it they are zero.
type StatsReporter interface {
	PeerStats() PeerStats
}

// PeerStats are the drop counters every peer reports, whatever its transport
// (as ListenerStats are for listeners). Transports with richer counters embed
// it in their own stats type.
type PeerStats struct {
	// DroppedFull counts received packets discarded because the receive
	// queue was full (unreliable transports; reliable ones apply
	// back-pressure instead).
	DroppedFull uint64
	// DroppedOversize counts received packets discarded because they
	// exceeded MaxPacketSize.
	DroppedOversize uint64
	// DroppedLate counts unreliable-ordered packets discarded because a
	// later one had already arrived.
	DroppedLate uint64
}

// Dropped is the sum of the drop counters.
func (s PeerStats) Dropped() uint64 { return s.DroppedFull + s.DroppedOversize + s.DroppedLate }

// PacketPeer is the API every peer type in this module has: Godot's PacketPeer
// plus Go's blocking reads. *Peer implements it, and so does every transport's
// peer type, because they embed *Peer. Write code against it to switch
// transports by changing an import.
type PacketPeer interface {
	PutPacket(p []byte) error
	WritePacket(ctx context.Context, p []byte) error
	GetPacket() ([]byte, error)
	AvailablePacketCount() int
	MaxPacketSize() int
	ReadPacket(ctx context.Context) ([]byte, error)
	AppendPacket(ctx context.Context, dst []byte) ([]byte, error)
	PutVar(v any) error
	WriteVar(ctx context.Context, v any) error
	GetVar() (any, error)
	ReadVar(ctx context.Context) (any, error)
	ReadVarInto(ctx context.Context, ptr any) error
	PacketError() error
	EncodeBufferMaxSize() int
	SetEncodeBufferMaxSize(n int) error
	PeerStats() PeerStats
	Close() error
}

// Peer gives a Transport the behaviour Godot's PacketPeer base class gives
// every subclass: Variant encoding into a bounded, reused buffer
// (PutVar/GetVar), the last-get error, blocking reads with a context, and
// uniform behaviour after Close. Transports embed *Peer in their own peer type.
//
// A Peer is safe for concurrent use by multiple goroutines: any number may
// put, and any number may read with ReadPacket, ReadVar and GetVar at once,
// each getting whole packets and values of its own (each packet goes to one
// reader). Who owns the bytes a read returns: see Buffers in the package
// documentation.
type Peer struct {
	t      Transport
	waiter Waiter
	taker  PacketTaker
	writer ContextWriter
	stats  StatsReporter
	name   string // OpError.Transport of the errors Peer makes
	done   chan struct{}
	closed atomic.Bool

	// getMu serialises the transport's GetPacket with the use of the slice
	// it returns: GetVar and ReadVar decode, and ReadPacket copies, under it.
	getMu sync.Mutex

	encMu   sync.Mutex
	encBuf  []byte
	encMax  int
	encOpts variant.EncodeOptions

	decMu   sync.Mutex
	decOpts variant.DecodeOptions

	// lastErr is PacketError, under errMu; hasErr is lastErr != nil, read
	// without errMu so that a read that succeeds after another did takes
	// no lock.
	errMu   sync.Mutex
	lastErr error
	hasErr  atomic.Bool
}

// New returns a Peer on top of t with Godot's defaults: an 8 MiB encode buffer
// limit, objects encoded as instance ids and full objects refused on decode.
func New(t Transport) *Peer {
	p := &Peer{t: t, done: make(chan struct{}), encMax: DefaultEncodeBufferMaxSize}
	p.waiter, _ = t.(Waiter)
	p.taker, _ = t.(PacketTaker)
	p.writer, _ = t.(ContextWriter)
	p.stats, _ = t.(StatsReporter)
	p.name = "peer"
	if n, ok := t.(Namer); ok {
		p.name = n.TransportName()
	}
	return p
}

// Transport returns the transport p wraps.
func (p *Peer) Transport() Transport { return p.t }

func (p *Peer) closedError(op string) error {
	return &OpError{Op: op, Transport: p.name, Err: ErrClosed}
}

// ctxError is the error of an operation cut short by its context: it
// matches both the context's error and ErrTimeout.
func (p *Peer) ctxError(op string, err error) error {
	return &OpError{Op: op, Transport: p.name, Code: ErrTimeout, Err: err}
}

// codeOf returns the Godot error err carries, nil if none.
func codeOf(err error) *Error {
	var e *Error
	errors.As(err, &e)
	return e
}

// PutPacket sends data as one packet (Godot's put_packet). An empty packet is
// not sent and returns nil, as in Godot.
func (p *Peer) PutPacket(data []byte) error {
	if p.closed.Load() {
		return p.closedError("put packet")
	}
	if len(data) == 0 {
		return nil
	}
	return p.t.PutPacket(data)
}

// WritePacket sends data as one packet, as PutPacket, but waits at most until
// ctx ends: a transport with a bounded send queue or flow control waits for
// room instead of failing or blocking without end. When ctx has ended, or ends
// while waiting, the error matches both ctx.Err() and ErrTimeout. An empty
// packet is not sent and returns nil.
func (p *Peer) WritePacket(ctx context.Context, data []byte) error {
	if p.closed.Load() {
		return p.closedError("write packet")
	}
	if err := ctx.Err(); err != nil {
		return p.ctxError("write packet", err)
	}
	if len(data) == 0 {
		return nil
	}
	if p.writer == nil {
		return p.t.PutPacket(data)
	}
	err := p.writer.WritePacket(ctx, data)
	switch {
	case err == nil || errors.Is(err, ErrTimeout):
	case p.closed.Load() && !errors.Is(err, ErrClosed):
		return p.closedError("write packet")
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return p.ctxError("write packet", err)
	}
	return err
}

// PeerStats returns the peer's drop counters: those of the transport, or
// zero when the transport drops nothing.
func (p *Peer) PeerStats() PeerStats {
	if p.stats == nil {
		return PeerStats{}
	}
	return p.stats.PeerStats()
}

// GetPacket returns the next queued packet without blocking (Godot's
// get_packet), or an error matching ErrUnavailable when none is queued. The
// error is also kept for PacketError. As in Godot, the slice is the
// transport's reused buffer, valid until the next read (see Buffers in the
// package documentation).
func (p *Peer) GetPacket() ([]byte, error) {
	p.getMu.Lock()
	b, err := p.getLocked("get packet")
	p.getMu.Unlock()
	return b, err
}

// getLocked is GetPacket with getMu held.
func (p *Peer) getLocked(op string) ([]byte, error) {
	if p.closed.Load() {
		err := p.closedError(op)
		p.setPacketError(err)
		return nil, err
	}
	b, err := p.t.GetPacket()
	p.setPacketError(err)
	return b, err
}

// takePacket is GetPacket returning a packet the caller owns.
func (p *Peer) takePacket() ([]byte, error) {
	if p.taker == nil {
		p.getMu.Lock()
		defer p.getMu.Unlock()
		b, err := p.getLocked("read packet")
		if err != nil {
			return nil, err
		}
		return append(make([]byte, 0, len(b)), b...), nil
	}
	if p.closed.Load() {
		err := p.closedError("read packet")
		p.setPacketError(err)
		return nil, err
	}
	b, err := p.taker.TakePacket()
	p.setPacketError(err)
	return b, err
}

func (p *Peer) setPacketError(err error) {
	if err == nil && !p.hasErr.Load() {
		return
	}
	p.errMu.Lock()
	p.lastErr = err
	p.hasErr.Store(err != nil)
	p.errMu.Unlock()
}

// PacketError returns the error of the last GetPacket or ReadPacket, nil if it
// succeeded (Godot's get_packet_error).
func (p *Peer) PacketError() error {
	if !p.hasErr.Load() {
		return nil
	}
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.lastErr
}

// AvailablePacketCount returns the number of packets that GetPacket can
// return without waiting (Godot's get_available_packet_count); 0 after Close.
func (p *Peer) AvailablePacketCount() int {
	if p.closed.Load() {
		return 0
	}
	return p.t.AvailablePacketCount()
}

// MaxPacketSize returns the transport's largest packet (Godot's
// get_max_packet_size).
func (p *Peer) MaxPacketSize() int { return p.t.MaxPacketSize() }

// ReadPacket waits for the next packet and returns it. It returns ctx's error
// when ctx ends first, and an error matching ErrClosed when the peer is
// closed, even while waiting. The packet belongs to the caller (see Buffers
// in the package documentation); several goroutines may read at once, each
// packet going to one of them.
func (p *Peer) ReadPacket(ctx context.Context) ([]byte, error) {
	b, _, err := p.read(ctx, readTake, nil)
	return b, err
}

// AppendPacket waits for the next packet, as ReadPacket, and appends it to
// dst, which allocates nothing once dst is big enough (see Buffers in the
// package documentation); like ReadPacket, it is safe beside other readers.
func (p *Peer) AppendPacket(ctx context.Context, dst []byte) ([]byte, error) {
	b, _, err := p.read(ctx, readAppend, dst)
	if err != nil {
		return dst, err
	}
	return b, nil
}

// What read does with the packet.
const (
	readTake   = iota // return a packet of the caller's own
	readAppend        // append it to dst
	readDecode        // decode it
)

// get gets the next packet without waiting and does mode with it.
func (p *Peer) get(mode int, dst []byte) ([]byte, any, error) {
	switch mode {
	case readTake:
		b, err := p.takePacket()
		return b, nil, err
	case readAppend:
		p.getMu.Lock()
		defer p.getMu.Unlock()
		b, err := p.getLocked("read packet")
		if err != nil {
			return nil, nil, err
		}
		return append(dst, b...), nil, nil
	}
	v, err := p.getVar("read var")
	return nil, v, err
}

// read waits for a packet and does mode with it, retrying while nothing is
// queued (another reader took the packet).
func (p *Peer) read(ctx context.Context, mode int, dst []byte) ([]byte, any, error) {
	if p.waiter != nil {
		return p.readWaiting(ctx, mode, dst)
	}
	// A transport without Waiter is polled, backing off to 10ms.
	var poll *time.Timer
	delay := 100 * time.Microsecond
	for {
		b, v, err := p.get(mode, dst)
		if err == nil || !errors.Is(err, ErrUnavailable) {
			return b, v, err
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, p.ctxError("read packet", err)
		}
		if poll == nil {
			poll = time.NewTimer(delay)
			defer poll.Stop()
		} else {
			poll.Reset(delay)
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
			return nil, nil, p.ctxError("read packet", ctx.Err())
		case <-p.done:
			return nil, nil, p.closedError("read packet")
		}
		if delay < 10*time.Millisecond {
			delay *= 2
		}
	}
}

// readWaiting waits first and gets after: WaitPacket returns at once when
// something is queued, and a transport that polls its socket in GetPacket
// (UDP) then reads each datagram with one system call instead of two. A
// PacketTaker's queue is in memory: ReadPacket takes a queued packet first,
// and waits only when there is none.
func (p *Peer) readWaiting(ctx context.Context, mode int, dst []byte) ([]byte, any, error) {
	take := mode == readTake && p.taker != nil
	for {
		if p.closed.Load() {
			err := p.closedError("read packet")
			p.setPacketError(err)
			return nil, nil, err
		}
		if take {
			b, err := p.taker.TakePacket()
			if err == nil || !errors.Is(err, ErrUnavailable) {
				p.setPacketError(err)
				return b, nil, err
			}
		}
		if err := p.waiter.WaitPacket(ctx); err != nil {
			if p.closed.Load() {
				return nil, nil, p.closedError("read packet")
			}
			// Something queued still wins over an ended context.
			if b, v, gerr := p.get(mode, dst); gerr == nil {
				return b, v, nil
			}
			if cerr := ctx.Err(); cerr != nil {
				return nil, nil, p.ctxError("read packet", cerr)
			}
			return nil, nil, err
		}
		if take {
			continue
		}
		b, v, err := p.get(mode, dst)
		if err == nil || !errors.Is(err, ErrUnavailable) {
			return b, v, err
		}
	}
}

// PutVar encodes v with Godot's binary Variant format (package variant) and
// sends it as one packet (Godot's put_var). An encoding larger than
// EncodeBufferMaxSize fails with an error matching ErrOutOfMemory and sends
// nothing. Objects are encoded as instance ids unless SetEncodeOptions asks
// for full objects.
func (p *Peer) PutVar(v any) error {
	if p.closed.Load() {
		return p.closedError("put var")
	}
	p.encMu.Lock()
	defer p.encMu.Unlock()
	buf, err := p.encOpts.Append(p.encBuf[:0], v)
	if err != nil {
		return &OpError{Op: "put var", Transport: p.name, Code: codeOf(err), Err: err}
	}
	if len(buf) > p.encMax {
		return &OpError{Op: "put var", Transport: p.name, Code: ErrOutOfMemory,
			Detail: fmt.Sprintf("encoded size %d exceeds encode buffer max size %d", len(buf), p.encMax)}
	}
	if cap(buf) > cap(p.encBuf) {
		// Keep a buffer of the next power of two, never above the limit.
		nb := make([]byte, len(buf), min(nextPowerOfTwo(len(buf)), p.encMax))
		copy(nb, buf)
		p.encBuf, buf = nb, nb
	}
	return p.t.PutPacket(buf)
}

// GetVar decodes the next queued packet as a Variant without blocking
// (Godot's get_var). Full objects are refused (ErrUnauthorized) unless
// SetDecodeOptions allows them. Decoding errors match Godot's codes, e.g.
// ErrInvalidData.
//
// The value shares no memory with the packet it was decoded from. Several
// goroutines may call GetVar and ReadVar (and ReadPacket) at once.
func (p *Peer) GetVar() (any, error) { return p.getVar("get var") }

// ReadVar waits for the next packet, as ReadPacket, and decodes it as GetVar.
// ReadVarInto decodes into a struct instead.
func (p *Peer) ReadVar(ctx context.Context) (any, error) {
	_, v, err := p.read(ctx, readDecode, nil)
	return v, err
}

// getVar gets and decodes the next packet, holding getMu so that no other
// read reuses the transport's buffer before the decoder is done with it.
func (p *Peer) getVar(op string) (any, error) {
	p.decMu.Lock()
	opts := p.decOpts
	p.decMu.Unlock()
	p.getMu.Lock()
	defer p.getMu.Unlock()
	b, err := p.getLocked(op)
	if err != nil {
		return nil, err
	}
	v, _, err := opts.Decode(b)
	if err != nil {
		return nil, &OpError{Op: op, Transport: p.name, Code: codeOf(err), Err: err}
	}
	return v, nil
}

// EncodeBufferMaxSize returns the largest encoding PutVar sends (Godot's
// encode_buffer_max_size, default 8 MiB).
func (p *Peer) EncodeBufferMaxSize() int {
	p.encMu.Lock()
	defer p.encMu.Unlock()
	return p.encMax
}

// SetEncodeBufferMaxSize sets the PutVar limit, rounded up to a power of two,
// and frees the cached encode buffer. Values below 1 KiB or above 256 MiB are
// refused with ErrInvalidParameter and change nothing, as in Godot.
func (p *Peer) SetEncodeBufferMaxSize(n int) error {
	if n < MinEncodeBufferMaxSize || n > MaxEncodeBufferMaxSize {
		return &OpError{Op: "set encode buffer max size", Transport: p.name, Code: ErrInvalidParameter,
			Detail: fmt.Sprintf("%d is outside [%d, %d]", n, MinEncodeBufferMaxSize, MaxEncodeBufferMaxSize)}
	}
	p.encMu.Lock()
	defer p.encMu.Unlock()
	p.encMax = nextPowerOfTwo(n)
	p.encBuf = nil
	return nil
}

// SetEncodeOptions sets how PutVar encodes (full objects, double precision).
func (p *Peer) SetEncodeOptions(o variant.EncodeOptions) {
	p.encMu.Lock()
	p.encOpts = o
	p.encMu.Unlock()
}

// SetDecodeOptions sets how GetVar and ReadVar decode. Allowing objects
// (Godot's allow_objects) only makes them decodable; they are decoded into
// inert values.
func (p *Peer) SetDecodeOptions(o variant.DecodeOptions) {
	p.decMu.Lock()
	p.decOpts = o
	p.decMu.Unlock()
}

// Close closes the transport. Afterwards every call returns an error matching
// ErrClosed (net.ErrClosed), including reads already waiting. Calling Close
// again returns nil.
func (p *Peer) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(p.done)
	return p.t.Close()
}

// Done returns a channel closed when Close is called.
func (p *Peer) Done() <-chan struct{} { return p.done }

// IsClosed reports whether Close has been called.
func (p *Peer) IsClosed() bool { return p.closed.Load() }

func nextPowerOfTwo(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// OpError is the error of every operation on a peer or listener, whatever
// the transport. It reads "transport: op: detail: cause (CODE)", each part
// present when set (the code is left out when the cause already names it):
//
//	udp: put packet: packet of 70000 bytes exceeds MaxPacketSize 65507 (ERR_INVALID_PARAMETER)
//	stream: read packet: use of closed network connection
//	quic: get var: variant: ERR_INVALID_DATA: string length 9 exceeds the 4 bytes left (at byte 4)
//
// errors.Is matches both Code (Godot's sentinel, such as ErrInvalidParameter)
// and Err (the cause: ErrClosed, a net error, io.ErrUnexpectedEOF, a
// *variant.Error, a context error); errors.As finds the cause's type.
type OpError struct {
	Op        string // "put packet", "read packet", "dial", ...
	Transport string // "udp", "dtls", "stream", ...; "peer" when empty
	Code      *Error // Godot's error, nil when there is none (e.g. a closed peer)
	Err       error  // the cause, nil when Code says everything
	Detail    string // a short phrase naming the problem
}

func (e *OpError) Error() string {
	t := e.Transport
	if t == "" {
		t = "peer"
	}
	s := t + ": " + e.Op
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	code, cause := e.Code, e.Err
	if c, ok := cause.(*Error); ok && code == nil {
		code, cause = c, nil // Godot's code given as the cause
	}
	if cause != nil {
		s += ": " + cause.Error()
	}
	if code != nil && (cause == nil || !errors.Is(cause, code)) {
		s += " (" + code.Name() + ")"
	}
	return s
}

// Unwrap returns Code and Err, those that are set.
func (e *OpError) Unwrap() []error {
	switch {
	case e.Code == nil && e.Err == nil:
		return nil
	case e.Code == nil:
		return []error{e.Err}
	case e.Err == nil:
		return []error{e.Code}
	}
	return []error{e.Code, e.Err}
}
