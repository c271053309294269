package scene

import (
	"errors"
	"strconv"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

// Error is a SceneMultiplayer message that could not be decoded or built, or
// a state change the protocol forbids. Err is one of package peer's Godot
// error sentinels, so errors.Is(err, peer.ErrInvalidData) matches a malformed
// packet whatever its command.
type Error struct {
	Command Command // the message's command
	Offset  int     // byte offset in the packet where decoding failed; -1 when not decoding
	Reason  string  // what was wrong, e.g. "SIMPLIFY_PATH of 20 bytes, need at least 38"
	Err     error   // Godot's error: peer.ErrInvalidData, peer.ErrInvalidParameter, ...
}

func (e *Error) Error() string {
	s := "scene: " + e.Command.String() + ": " + e.Reason
	if e.Offset >= 0 {
		s += " (at byte " + strconv.Itoa(e.Offset) + ")"
	}
	return s
}

// Unwrap returns the Godot error sentinel.
func (e *Error) Unwrap() error { return e.Err }

func invalid(c Command, off int, reason string) error {
	return &Error{Command: c, Offset: off, Reason: reason, Err: peer.ErrInvalidData}
}

func badParam(c Command, reason string) error {
	return &Error{Command: c, Offset: -1, Reason: reason, Err: peer.ErrInvalidParameter}
}

// wrap returns err as an *Error of command c whose reason starts with what,
// keeping err (a scene or variant error) as the cause.
func wrap(c Command, what string, err error) error {
	reason := err.Error()
	var se *Error
	var ve *variant.Error
	switch {
	case errors.As(err, &se):
		reason = se.Reason
	case errors.As(err, &ve):
		if g, ok := ve.Err.(*peer.Error); ok {
			reason = g.Name() + ": " + ve.Reason
		}
	}
	return &Error{Command: c, Offset: -1, Reason: what + ": " + reason, Err: err}
}
