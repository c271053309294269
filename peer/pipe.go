package peer

import (
	"context"
	"fmt"
	"io"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
)

// PipeConfig configures Pipe. A nil *PipeConfig, and each zero field, means
// the default.
type PipeConfig struct {
	// MaxPacketSize is the largest packet; bigger ones fail with
	// ErrInvalidParameter. Default 65536.
	MaxPacketSize int
	// QueueBytes bounds each direction's queue in bytes (4 bytes of overhead
	// per packet). Default 1 MiB, raised if needed to hold one MaxPacketSize packet.
	QueueBytes int
	// QueuePackets bounds each direction's queue in packets. Default 4096.
	QueuePackets int
}

// Pipe returns two connected in-memory peers, like net.Pipe for packets:
// what one puts the other gets, reliably, in order. When a queue is full,
// PutPacket waits for the reader (back-pressure). After one end closes, the
// other reads what was queued, then io.EOF; its puts fail with
// io.ErrClosedPipe.
//
// It is meant for tests and examples, and its source (pipe.go) is the worked
// example of a user-written transport: implement Transport (and Waiter for
// efficient blocking reads), wrap it with New.
func Pipe(cfg *PipeConfig) (*Peer, *Peer) {
	var c PipeConfig
	if cfg != nil {
		c = *cfg
	}
	if c.MaxPacketSize <= 0 {
		c.MaxPacketSize = 65536
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = 1 << 20
	}
	c.QueueBytes = max(c.QueueBytes, c.MaxPacketSize+4)
	rc := ringbuf.Config{MaxBytes: c.QueueBytes, MaxPackets: c.QueuePackets, Policy: ringbuf.Block}
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

func (e *pipeEnd) PutPacket(p []byte) error {
	if len(p) > e.max {
		return &OpError{Op: "put packet", Err: ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds max packet size %d", len(p), e.max)}
	}
	err := e.out.Push(e.ctx, p)
	switch {
	case err == nil:
		return nil
	case e.ctx.Err() != nil:
		return &OpError{Op: "put packet", Err: ErrClosed}
	case err == ringbuf.ErrClosed:
		return io.ErrClosedPipe
	}
	return err
}

func (e *pipeEnd) MaxPacketSize() int { return e.max }

func (e *pipeEnd) Close() error {
	e.cancel()
	e.out.Close(io.EOF) // the other end drains, then reads io.EOF
	e.Inbox.Close(nil)  // wakes our own waiting reads and the other end's puts
	return nil
}
