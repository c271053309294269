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
// aliases r's buffer (frames that fit in it) or *scratch, which readFrame grows
// to at most max bytes; it is valid until the next call. A frame announcing
// more than max bytes fails with an error matching peer.ErrInvalidData before
// anything is allocated for it. io.EOF is returned only at a frame boundary; a
// stream that ends inside a frame gives io.ErrUnexpectedEOF.
func readFrame(r *bufio.Reader, max int, scratch *[]byte) ([]byte, error) {
	hdr, err := r.Peek(headerSize)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n64 := uint64(binary.LittleEndian.Uint32(hdr))
	if n64 > uint64(max) {
		return nil, &peer.OpError{Op: "read packet", Err: peer.ErrInvalidData,
			Detail: fmt.Sprintf("peer announced a packet of %d bytes, more than the input buffer max size %d", n64, max)}
	}
	n := int(n64)
	r.Discard(headerSize)
	if n <= r.Size() {
		// Fits in the reader's buffer: no copy.
		p, err := r.Peek(n)
		if err != nil {
			return nil, unexpected(err)
		}
		r.Discard(n)
		return p, nil
	}
	if cap(*scratch) < n {
		*scratch = make([]byte, n)
	}
	p := (*scratch)[:n]
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, unexpected(err)
	}
	return p, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
