package variant

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// Dictionary keys repeat from message to message ("id", "pos", "hp"...).
// Decode looks short String keys up in a small process-wide table and
// reuses the boxed string it finds, so a known key costs neither string
// bytes nor an interface allocation. The table is fixed-size and
// direct-mapped: a miss replaces the slot, so memory stays bounded whatever
// the input, and a hostile stream of distinct keys only costs the misses.

const (
	internSlots  = 1024
	internMaxLen = 32
)

// internEntry is immutable once published; its boxed interface points at s.
type internEntry struct {
	s string
}

var internTable [internSlots]atomic.Pointer[internEntry]

// internLookup returns the boxed key whose bytes are exactly raw, if the
// table holds it. Only checked, plain keys are stored, so input bytes equal
// to one need no checking of their own.
func internLookup(raw []byte, h uint64) (any, bool) {
	if e := internTable[h%internSlots].Load(); e != nil && e.s == string(raw) {
		return makeIface(typeString, unsafe.Pointer(&e.s)), true
	}
	return nil, false
}

// internStore returns s boxed and publishes it in the table under hash h of
// its bytes.
func internStore(s []byte, h uint64) any {
	e := &internEntry{s: string(s)}
	internTable[h%internSlots].Store(e)
	return makeIface(typeString, unsafe.Pointer(&e.s))
}

// bytesHash is a cheap, unseeded hash of a short byte string: its length and
// its first and last eight bytes. Collisions only cost speed.
func bytesHash(b []byte) uint64 {
	var x uint64
	if len(b) >= 8 {
		x = getU64(b) ^ bits.RotateLeft64(getU64(b[len(b)-8:]), 29)
	} else {
		for i, c := range b {
			x |= uint64(c) << (8 * i)
		}
	}
	x ^= uint64(len(b)) << 59
	return (x * 0x9e3779b97f4a7c15) >> 32
}
