package ringbuf

import (
	"net"

	"github.com/packetpeer/packetpeer/internal/godoterr"
)

// bufError is a ringbuf error: a message, and the Godot error (or
// net.ErrClosed) it unwraps to, so that errors.Is matches it against peer's
// sentinels (ErrEmpty against peer.ErrUnavailable).
type bufError struct {
	msg string
	err error // nil when no Godot error applies
}

func (e *bufError) Error() string { return e.msg }
func (e *bufError) Unwrap() error { return e.err }

var (
	// ErrEmpty: no packet is queued (Godot's ERR_UNAVAILABLE).
	ErrEmpty error = &bufError{"no packet available (ERR_UNAVAILABLE)", godoterr.ErrUnavailable}
	// ErrFull: a DropNewest buffer was full and the packet was dropped.
	ErrFull error = &bufError{"receive queue full, packet dropped", nil}
	// ErrTooLarge: the packet is larger than the whole buffer (ERR_OUT_OF_MEMORY).
	ErrTooLarge error = &bufError{"packet larger than the whole receive queue (ERR_OUT_OF_MEMORY)", godoterr.ErrOutOfMemory}
	// ErrClosed: the buffer is closed; it matches net.ErrClosed.
	ErrClosed error = &bufError{"queue closed", net.ErrClosed}
)
