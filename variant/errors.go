package variant

import (
	"reflect"
	"strconv"

	"github.com/packetpeer/packetpeer/internal/godoterr"
)

// Error is a failure to encode or decode a Variant: what was wrong, where,
// and Godot's error for it (Err: ErrInvalidData, ErrOutOfMemory, ...), which
// Unwrap returns, so errors.Is(err, variant.ErrInvalidData) and
// errors.Is(err, peer.ErrInvalidData) both hold: they are the same value.
type Error struct {
	Err    error  // Godot's error, one of the sentinels below
	Offset int    // byte offset in the input where decoding failed; -1 when encoding
	Reason string // what was wrong, e.g. "string length 9 exceeds the 4 bytes left"
}

// Godot's errors the codec reports: the same values as package peer's
// sentinels (variant.ErrInvalidData == peer.ErrInvalidData). Match them with
// errors.Is; the codec returns them inside an *Error that says what was wrong.
var (
	ErrUnavailable      = godoterr.ErrUnavailable
	ErrUnauthorized     = godoterr.ErrUnauthorized
	ErrOutOfMemory      = godoterr.ErrOutOfMemory
	ErrFileEOF          = godoterr.ErrFileEOF
	ErrInvalidData      = godoterr.ErrInvalidData
	ErrInvalidParameter = godoterr.ErrInvalidParameter
	ErrBug              = godoterr.ErrBug
)

func (e *Error) Error() string {
	s := "variant: "
	if g, ok := e.Err.(*godoterr.Error); ok {
		s += g.Name()
	} else if e.Err != nil {
		s += e.Err.Error()
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Offset >= 0 {
		s += " (at byte " + strconv.Itoa(e.Offset) + ")"
	}
	return s
}

// Unwrap returns Godot's error.
func (e *Error) Unwrap() error { return e.Err }

// newError returns an *Error of Godot's kind with a reason and offset.
func newError(kind *godoterr.Error, offset int, reason string) *Error {
	return &Error{Err: kind, Offset: offset, Reason: reason}
}

// UnmarshalTypeError is a decoded value that does not fit the Go value
// Unmarshal (or Assign) stores it in: a String for an int field, an int too
// big for a uint8, an Array for a struct. The input itself was valid, so it
// has no offset. It matches ErrInvalidData (and peer.ErrInvalidData) with
// errors.Is, as Godot reports ERR_INVALID_DATA; errors.As tells it from
// malformed input, which is an *Error.
type UnmarshalTypeError struct {
	Field  string       // where in the destination, e.g. "Players[2].Pos"; "" for the value itself
	Value  string       // the Variant type decoded, e.g. "String", "Vector2"
	Type   reflect.Type // the Go type it did not fit
	Reason string       // more detail, e.g. "value 300 overflows uint8"; may be empty
}

func (e *UnmarshalTypeError) Error() string {
	where := e.Field
	if where == "" {
		where = "value"
	}
	s := "variant: " + ErrInvalidData.Name() + ": " + where + ": cannot store " + e.Value + " in Go " + e.Type.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns ErrInvalidData.
func (e *UnmarshalTypeError) Unwrap() error { return ErrInvalidData }
