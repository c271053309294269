package quic

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/packetpeer/packetpeer/peer"
)

// frameHeaderSize is the length prefix of a reliable frame: a little-endian
// uint32 counting the payload bytes, as Godot's PacketPeerStream writes it.
const frameHeaderSize = 4

// appendFrame appends p as one frame to dst.
func appendFrame(dst, p []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p)))
	return append(dst, p...)
}

// frameDecoder reads length-prefixed frames from a byte stream and refuses
// any frame longer than max before allocating room for it.
type frameDecoder struct {
	r   io.Reader
	max int
	hdr [frameHeaderSize]byte
}

// errFrameTooLarge is wrapped with the sizes involved.
var errFrameTooLarge = errors.New("frame exceeds max packet size")

// errTruncated is what a frame cut short by the end of the stream yields,
// wrapped in a *peer.OpError saying where it was cut: it matches both
// peer.ErrConnectionError (Godot's ERR_CONNECTION_ERROR) and
// io.ErrUnexpectedEOF.
var errTruncated = fmt.Errorf("%w: %w", peer.ErrConnectionError, io.ErrUnexpectedEOF)

// next reads one frame and appends its payload to dst, growing dst only when
// its capacity is too small. It returns io.EOF when the stream ends cleanly
// between frames, an error matching peer.ErrInvalidData for a frame longer
// than max, and one matching errTruncated for a stream that ends inside a
// frame. Other errors are the reader's.
func (d *frameDecoder) next(dst []byte) ([]byte, error) {
	if n, err := io.ReadFull(d.r, d.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return dst, &peer.OpError{Op: "read frame", Err: errTruncated,
				Detail: fmt.Sprintf("the stream ended %d bytes into a %d-byte frame header", n, frameHeaderSize)}
		}
		return dst, err
	}
	n := uint64(binary.LittleEndian.Uint32(d.hdr[:]))
	if n > uint64(d.max) {
		return dst, &peer.OpError{Op: "read frame", Err: peer.ErrInvalidData,
			Detail: fmt.Sprintf("%v: frame of %d bytes, max %d", errFrameTooLarge, n, d.max)}
	}
	start := len(dst)
	need := start + int(n)
	if cap(dst) < need {
		nb := make([]byte, need)
		copy(nb, dst)
		dst = nb
	}
	dst = dst[:need]
	if got, err := io.ReadFull(d.r, dst[start:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return dst[:start], &peer.OpError{Op: "read frame", Err: errTruncated,
				Detail: fmt.Sprintf("the stream ended %d bytes into a frame of %d bytes", got, n)}
		}
		return dst[:start], err
	}
	return dst, nil
}
