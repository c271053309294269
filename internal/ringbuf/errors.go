package ringbuf

import "net"

// bufError is a ringbuf error. Errors that correspond to a Godot error carry
// its code, so errors.Is matches them against peer's sentinels (for example
// ErrEmpty against peer.ErrUnavailable).
type bufError struct {
	code int // Godot error code, 0 for none
	msg  string
	wrap error
}

func (e *bufError) Error() string  { return e.msg }
func (e *bufError) Unwrap() error  { return e.wrap }
func (e *bufError) GodotCode() int { return e.code }
func (e *bufError) Is(t error) bool {
	c, ok := t.(interface{ GodotCode() int })
	return ok && e.code != 0 && c.GodotCode() == e.code
}

var (
	// ErrEmpty: no packet is queued (Godot's ERR_UNAVAILABLE).
	ErrEmpty error = &bufError{code: 2, msg: "no packet available (ERR_UNAVAILABLE)"}
	// ErrFull: a DropNewest buffer was full and the packet was dropped.
	ErrFull error = &bufError{msg: "receive queue full, packet dropped"}
	// ErrTooLarge: the packet is larger than the whole buffer (ERR_OUT_OF_MEMORY).
	ErrTooLarge error = &bufError{code: 6, msg: "packet larger than the whole receive queue (ERR_OUT_OF_MEMORY)"}
	// ErrClosed: the buffer is closed; it matches net.ErrClosed.
	ErrClosed error = &bufError{msg: "queue closed", wrap: net.ErrClosed}
)
