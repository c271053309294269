package rooms

import (
	"strconv"

	"github.com/packetpeer/packetpeer/peer"
)

// Error is a room a Server refused to open, join or close. Err is one of
// package peer's Godot error sentinels, so errors.Is(err, peer.ErrBusy)
// matches MaxRooms reached.
type Error struct {
	Op     string // "join", "open ENet" or "close"
	Room   string // the room's name as asked for
	Reason string // what was wrong, e.g. "1024 rooms open, MaxRooms reached"
	Err    error  // Godot's error: peer.ErrBusy, peer.ErrInvalidParameter, ...
}

func (e *Error) Error() string {
	name := e.Room
	if len(name) > MaxNameBytes {
		name = name[:MaxNameBytes] + "..."
	}
	s := "rooms: " + e.Op + " " + strconv.Quote(name) + ": " + e.Reason
	if g, ok := e.Err.(*peer.Error); ok {
		s += " (" + g.Name() + ")"
	}
	return s
}

// Unwrap returns the Godot error sentinel.
func (e *Error) Unwrap() error { return e.Err }
