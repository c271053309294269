package variant

import (
	"reflect"
	"strconv"
)

// Error is a failure to encode or decode a Variant. It carries Godot's error
// code and name (ERR_INVALID_DATA = 30, ...), so callers can match it with
// errors.Is against the sentinels below, or against the same-coded sentinels of
// package peer, and it says what was wrong and where.
type Error struct {
	Code   int    // Godot's Error enum value, e.g. 30
	Name   string // Godot's name for Code, e.g. "ERR_INVALID_DATA"
	Offset int    // byte offset in the input where decoding failed; -1 when encoding
	Reason string // what was wrong, e.g. "string length 9 exceeds the 4 bytes left"
}

// Sentinel errors, one per Godot error the codec reports. Match with errors.Is;
// errors returned by the codec are *Error values with the same Code and a
// Reason.
var (
	ErrUnavailable      = &Error{Code: 2, Name: "ERR_UNAVAILABLE", Offset: -1}
	ErrUnauthorized     = &Error{Code: 4, Name: "ERR_UNAUTHORIZED", Offset: -1}
	ErrOutOfMemory      = &Error{Code: 6, Name: "ERR_OUT_OF_MEMORY", Offset: -1}
	ErrFileEOF          = &Error{Code: 18, Name: "ERR_FILE_EOF", Offset: -1}
	ErrInvalidData      = &Error{Code: 30, Name: "ERR_INVALID_DATA", Offset: -1}
	ErrInvalidParameter = &Error{Code: 31, Name: "ERR_INVALID_PARAMETER", Offset: -1}
	ErrBug              = &Error{Code: 47, Name: "ERR_BUG", Offset: -1}
)

func (e *Error) Error() string {
	s := "variant: " + e.Name
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Offset >= 0 {
		s += " (at byte " + strconv.Itoa(e.Offset) + ")"
	}
	return s
}

// GodotCode returns Godot's numeric error code.
func (e *Error) GodotCode() int { return e.Code }

// Is reports whether target carries the same Godot error code, so that
// errors.Is(err, variant.ErrInvalidData) and errors.Is(err, peer.ErrInvalidData)
// both hold for a decode error with code 30.
func (e *Error) Is(target error) bool {
	t, ok := target.(interface{ GodotCode() int })
	return ok && t.GodotCode() == e.Code
}

// newError returns an error of the sentinel's kind with a reason and offset.
func newError(kind *Error, offset int, reason string) *Error {
	return &Error{Code: kind.Code, Name: kind.Name, Offset: offset, Reason: reason}
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
	s := "variant: " + ErrInvalidData.Name + ": " + where + ": cannot store " + e.Value + " in Go " + e.Type.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// GodotCode returns ErrInvalidData's code, 30.
func (e *UnmarshalTypeError) GodotCode() int { return ErrInvalidData.Code }

// Is reports whether target carries ErrInvalidData's Godot code.
func (e *UnmarshalTypeError) Is(target error) bool { return ErrInvalidData.Is(target) }
