package peer

import (
	"context"
	"fmt"
	"io"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
)

// Pipe returns two connected in-memory peers, like net.Pipe for packets:
// what one puts the other gets, reliably, in order. When a queue is full,
// PutPacket waits for the reader (back-pressure). After one end closes, the
// other reads what was queued, then io.EOF; its puts fail with
// io.ErrClosedPipe.
//
// It is meant for tests and examples, and its source (pipe.go) is the worked
// example of a user-written transport: implement Transport (and Waiter for
// efficient blocking reads, ContextWriter for sends that wait), wrap it with
// New.
func Pipe(cfg *PipeConfig) (*Peer, *Peer) {
	c := cfg.withDefaults()
	rc := ringbuf.Config{MaxBytes: c.ReceiveQueueBytes, MaxPackets: c.ReceiveQueuePackets, Policy: ringbuf.Block}
	ab, ba := ringbuf.NewInbox(rc, ErrUnavailable), ringbuf.NewInbox(rc, ErrUnavailable)
	a := &pipeEnd{Inbox: ba, out: ab, max: c.MaxPacketSize}
	b := &pipeEnd{Inbox: ab, out: ba, max: c.MaxPacketSize}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return New(a), New(b)
}

// pipeEnd is one side of a Pipe: it reads from its own inbox (which gives it
// GetPacket, TakePacket, WaitPacket and AvailablePacketCount) and pushes to
// the other's.
type pipeEnd struct {
	*ringbuf.Inbox
	out    *ringbuf.Inbox
	max    int
	ctx    context.Context // cancelled by Close, to abort a blocked push
	cancel context.CancelFunc
}

// PutPacket waits for room in the other end's queue until either end closes.
func (e *pipeEnd) PutPacket(p []byte) error { return e.push("put packet", e.ctx, p) }

// WritePacket is PutPacket that also stops waiting when ctx ends.
func (e *pipeEnd) WritePacket(ctx context.Context, p []byte) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(e.ctx, cancel)
	defer stop()
	return e.push("write packet", ctx, p)
}

func (e *pipeEnd) push(op string, ctx context.Context, p []byte) error {
	if len(p) > e.max {
		return &OpError{Op: op, Transport: "pipe", Code: ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds MaxPacketSize %d", len(p), e.max)}
	}
	err := e.out.Push(ctx, p)
	switch {
	case err == nil:
		return nil
	case e.ctx.Err() != nil:
		return &OpError{Op: op, Transport: "pipe", Err: ErrClosed}
	case err == ringbuf.ErrClosed:
		return &OpError{Op: op, Transport: "pipe", Err: io.ErrClosedPipe, Detail: "the other end is closed"}
	}
	return err // ctx ended: Peer.WritePacket adds ErrTimeout
}

// TransportName implements Namer.
func (e *pipeEnd) TransportName() string { return "pipe" }

func (e *pipeEnd) MaxPacketSize() int { return e.max }

func (e *pipeEnd) Close() error {
	e.cancel()
	e.out.Close(io.EOF) // the other end drains, then reads io.EOF
	e.Inbox.Close(nil)  // wakes our own waiting reads and the other end's puts
	return nil
}
