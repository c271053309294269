package ringbuf

import (
	"context"
	"sync"
)

// Inbox is a Buffer seen from the reading side of a transport: its methods
// are the receive half of peer.Transport and peer.Waiter, so a transport
// whose reader goroutine pushes whole packets can embed *Inbox and get
// GetPacket, WaitPacket and AvailablePacketCount written once.
//
// GetPacket pops into a buffer the Inbox reuses: the packet it returns is
// valid until the next GetPacket. TakePacket returns a packet of its own
// (peer.PacketTaker), for readers that share the Inbox.
type Inbox struct {
	*Buffer
	empty error
	mu    sync.Mutex
	buf   []byte
}

// NewInbox returns an Inbox on a new Buffer bounded by cfg. GetPacket returns
// empty when nothing is queued (transports pass peer.ErrUnavailable); nil
// means ErrEmpty, which matches peer.ErrUnavailable under errors.Is too.
func NewInbox(cfg Config, empty error) *Inbox {
	if empty == nil {
		empty = ErrEmpty
	}
	return &Inbox{Buffer: New(cfg), empty: empty}
}

// GetPacket removes and returns the oldest packet without waiting.
func (in *Inbox) GetPacket() ([]byte, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	b, err := in.TryPop(in.buf)
	if err != nil {
		if err == ErrEmpty {
			err = in.empty
		}
		return nil, err
	}
	in.buf = b
	return b, nil
}

// TakePacket removes and returns the oldest packet without waiting, in a new
// slice the caller owns. It may run beside GetPacket and other TakePackets.
func (in *Inbox) TakePacket() ([]byte, error) {
	b, err := in.TryTake()
	if err != nil {
		if err == ErrEmpty {
			err = in.empty
		}
		return nil, err
	}
	return b, nil
}

// WaitPacket waits until GetPacket has a packet or the close error to
// report, or ctx ends.
func (in *Inbox) WaitPacket(ctx context.Context) error { return in.Wait(ctx) }

// AvailablePacketCount returns the number of queued packets.
func (in *Inbox) AvailablePacketCount() int { return in.Len() }
