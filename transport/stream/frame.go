package stream

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/packetpeer/packetpeer/peer"
)

// headerSize is the size of the little-endian uint32 length before each
// payload, as Godot's PacketPeerStream writes it.
const headerSize = 4

// appendFrame appends p framed as Godot's PacketPeerStream frames it: a 4-byte
// little-endian payload length, then the payload.
func appendFrame(dst, p []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p)))
	return append(dst, p...)
}

// readFrame reads one frame from r and returns its payload. The payload either
// aliases r's buffer (frames that fit in it) or *scratch; it is valid until
// the next call. A frame announcing more than limit bytes fails with an error
// matching peer.ErrInvalidData before anything is allocated for it.
//
// *scratch grows with the bytes that actually arrive, never with the length
// announced: nothing is allocated until r's buffer is full of the frame, and
// then *scratch at most doubles what has arrived so far, up to the frame's
// length (so at most limit). A frame announced and never sent costs nothing
// beyond r's buffer.
//
// io.EOF is returned only at a frame boundary; a stream that ends inside a
// frame (its header included) gives a truncated error (see truncated).
func readFrame(r *bufio.Reader, limit int, scratch *[]byte) ([]byte, error) {
	hdr, err := r.Peek(headerSize)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			return nil, truncated(fmt.Sprintf("the stream ended %d bytes into a %d-byte frame header", len(hdr), headerSize))
		}
		return nil, err
	}
	n64 := uint64(binary.LittleEndian.Uint32(hdr))
	if n64 > uint64(limit) {
		return nil, &peer.OpError{Op: "read packet", Transport: "stream", Code: peer.ErrInvalidData,
			Detail: fmt.Sprintf("peer announced a packet of %d bytes, more than the input buffer max size %d", n64, limit)}
	}
	n := int(n64)
	r.Discard(headerSize)
	if n <= r.Size() {
		// Fits in the reader's buffer: no copy.
		p, err := r.Peek(n)
		if err != nil {
			return nil, cut(err, len(p), n)
		}
		r.Discard(n)
		return p, nil
	}
	if cap(*scratch) < n {
		// Let r's buffer fill with the frame before allocating anything.
		if b, err := r.Peek(r.Size()); err != nil {
			return nil, cut(err, len(b), n)
		}
	}
	p := (*scratch)[:0]
	for len(p) < n {
		if len(p) == cap(p) {
			// Everything p holds has arrived, and r's buffer was full:
			// at most double it.
			np := make([]byte, len(p), min(n, 2*max(len(p), r.Size())))
			copy(np, p)
			p = np
			*scratch = np
		}
		m, err := io.ReadFull(r, p[len(p):min(cap(p), n)])
		p = p[:len(p)+m]
		if err != nil {
			return nil, cut(err, len(p), n)
		}
	}
	return p, nil
}

// cut turns the end of the stream, got bytes into an n-byte frame, into a
// truncated error; other errors are returned as they are.
func cut(err error, got, n int) error {
	if err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	return truncated(fmt.Sprintf("the stream ended %d bytes into a frame of %d bytes", got, n))
}

// truncated is the error of a frame cut short by the end of the stream,
// detail saying where: it matches both peer.ErrConnectionError (Godot's
// ERR_CONNECTION_ERROR) and io.ErrUnexpectedEOF, never io.EOF.
func truncated(detail string) error {
	return &peer.OpError{Op: "read packet", Transport: "stream", Code: peer.ErrConnectionError,
		Err: io.ErrUnexpectedEOF, Detail: detail}
}
