package multiplayer

import (
	"context"
	"io"
	"sync"

	"github.com/packetpeer/packetpeer/peer"
)

// The helpers below are the client bookkeeping every transport's
// multiplayer peer shares: the outcome of connecting (Connecting, Await)
// and the error that ends a client's session (SessionEnded).

// SessionEnded returns the error a client's reads return once its session
// has ended and the packets it had received are drained: it matches
// peer.ErrUnconfigured (Godot's error when not connected) and io.EOF.
// transport names the package, e.g. "websocket"; detail says why.
func SessionEnded(transport, detail string) error {
	return &peer.OpError{Op: "read packet", Transport: transport, Code: peer.ErrUnconfigured, Err: io.EOF, Detail: detail}
}

// Connecting is the outcome of a client's connection attempt: the
// transport calls Finish once (nil when the client has its id and is
// ConnectionConnected), and a DialClient function waits for it with Await.
// The zero value is not ready; use NewConnecting.
type Connecting struct {
	transport string
	done      chan struct{}
	once      sync.Once
	err       error
}

// NewConnecting returns an attempt in progress of a client of transport
// (e.g. "websocket"), which names it in errors.
func NewConnecting(transport string) *Connecting {
	return &Connecting{transport: transport, done: make(chan struct{})}
}

// Finish records the outcome: nil for connected, else why connecting
// failed. Only the first call counts; it reports whether it was the first.
func (c *Connecting) Finish(err error) bool {
	first := false
	c.once.Do(func() {
		c.err = err
		close(c.done)
		first = true
	})
	return first
}

// Done is closed once Finish was called.
func (c *Connecting) Done() <-chan struct{} { return c.done }

// Wait waits for the outcome and returns it. When ctx ends first it returns
// an error matching peer.ErrTimeout and ctx's error.
func (c *Connecting) Wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return &peer.OpError{Op: "dial", Transport: c.transport, Code: peer.ErrTimeout, Err: ctx.Err()}
	}
}

// Await waits until the client p is connected (c finished with nil) and
// returns p. When connecting fails or ctx ends first it closes p and
// returns the error: the common tail of every DialClient.
func Await[P io.Closer](ctx context.Context, p P, c *Connecting) (P, error) {
	if err := c.Wait(ctx); err != nil {
		p.Close()
		var none P
		return none, err
	}
	return p, nil
}
