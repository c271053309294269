package quic

// Datagram wire format: a 4-byte header, then the payload.
//
//	byte 0     transfer mode: 0 unreliable, 1 unreliable ordered
//	bytes 1-3  sequence number, 24-bit little-endian (ordered mode; 0 otherwise)
const (
	datagramHeaderSize = 4
	seqBits            = 24
	seqMask            = 1<<seqBits - 1
	seqHalf            = 1 << (seqBits - 1)
)

func putDatagramHeader(b []byte, mode TransferMode, seq uint32) {
	b[0] = byte(mode)
	b[1] = byte(seq)
	b[2] = byte(seq >> 8)
	b[3] = byte(seq >> 16)
}

func datagramSeq(b []byte) uint32 {
	return uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16
}

// orderFilter implements TransferModeUnreliableOrdered on the receiving end:
// it accepts a sequence number only if it is newer than every one accepted
// before, comparing 24-bit numbers with serial-number arithmetic (RFC 1982),
// so the counter may wrap. A number is newer when it is ahead of the last
// accepted one by less than half the number space (2^23 = 8388608 packets).
// The zero value accepts any first number. Not safe for concurrent use.
type orderFilter struct {
	last    uint32
	started bool
}

// accept reports whether seq should be delivered, and records it if so.
func (f *orderFilter) accept(seq uint32) bool {
	seq &= seqMask
	if !f.started {
		f.started, f.last = true, seq
		return true
	}
	d := (seq - f.last) & seqMask
	if d == 0 || d >= seqHalf {
		return false // a duplicate, or older than the last delivered
	}
	f.last = seq
	return true
}
