package quic

import (
	"encoding/binary"
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

// next reads one frame and appends its payload to dst, growing dst only when
// its capacity is too small. It returns io.EOF when the stream ends cleanly
// between frames, an error matching peer.ErrInvalidData for a frame longer
// than max, and one matching both peer.ErrConnectionError and
// io.ErrUnexpectedEOF for a stream that ends inside a frame. Other errors are the reader's.
func (d *frameDecoder) next(dst []byte) ([]byte, error) {
	if n, err := io.ReadFull(d.r, d.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return dst, &peer.OpError{Op: "read packet", Transport: "quic", Code: peer.ErrConnectionError, Err: io.ErrUnexpectedEOF,
				Detail: fmt.Sprintf("the stream ended %d bytes into a %d-byte frame header", n, frameHeaderSize)}
		}
		return dst, err
	}
	n := uint64(binary.LittleEndian.Uint32(d.hdr[:]))
	if n > uint64(d.max) {
		return dst, &peer.OpError{Op: "read packet", Transport: "quic", Code: peer.ErrInvalidData,
			Detail: fmt.Sprintf("frame of %d bytes exceeds MaxPacketSize %d", n, d.max)}
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
			return dst[:start], &peer.OpError{Op: "read packet", Transport: "quic", Code: peer.ErrConnectionError, Err: io.ErrUnexpectedEOF,
				Detail: fmt.Sprintf("the stream ended %d bytes into a frame of %d bytes", got, n)}
		}
		return dst[:start], err
	}
	return dst, nil
}
