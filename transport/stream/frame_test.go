package stream

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
)

// refDecode is the reference: the whole stream decoded at once.
func refDecode(b []byte, max int) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < headerSize {
			return out, io.ErrUnexpectedEOF
		}
		n := uint64(binary.LittleEndian.Uint32(b))
		if n > uint64(max) {
			return out, peer.ErrInvalidData
		}
		if uint64(len(b)-headerSize) < n {
			return out, io.ErrUnexpectedEOF
		}
		out = append(out, b[headerSize:headerSize+int(n)])
		b = b[headerSize+int(n):]
	}
	return out, io.EOF
}

// splitReader returns data in chunks whose sizes come from splits.
type splitReader struct {
	data   []byte
	splits []byte
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.splits) > 0 {
		n = int(r.splits[0]) + 1
		r.splits = r.splits[1:]
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func FuzzFrameDecoder(f *testing.F) {
	f.Add(frame([]byte("hello")), []byte{0, 1, 2}, uint16(100))
	f.Add(append(frame(nil), frame([]byte{1, 2, 3})...), []byte{}, uint16(3))
	f.Add(append(frame(bytes.Repeat([]byte{7}, 40)), 0, 0, 0, 0x80), []byte{3, 250}, uint16(64))
	f.Add([]byte{1, 0, 0}, []byte{0}, uint16(1))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, []byte{}, uint16(65532))
	f.Fuzz(func(t *testing.T, data, splits []byte, max16 uint16) {
		max := int(max16)
		want, wantErr := refDecode(data, max)
		// A small reader buffer sends frames over 16 bytes through the scratch path.
		r := bufio.NewReaderSize(&splitReader{data: data, splits: splits}, 16)
		var scratch []byte
		var got [][]byte
		var err error
		for {
			var p []byte
			p, err = readFrame(r, max, &scratch)
			if err != nil {
				break
			}
			if len(got) >= len(want) || !bytes.Equal(p, want[len(got)]) {
				t.Fatalf("packet %d differs from the reference (%d packets)", len(got), len(want))
			}
			got = append(got, bytes.Clone(p))
			if cap(scratch) > max {
				t.Fatalf("scratch grew to %d, beyond the max size %d", cap(scratch), max)
			}
		}
		// The scratch buffer follows the bytes that arrived, not the
		// lengths announced: at most twice the input plus twice the
		// reader's buffer.
		if limit := 2*len(data) + 2*r.Size(); cap(scratch) > limit {
			t.Fatalf("scratch grew to %d for %d bytes of input (limit %d)", cap(scratch), len(data), limit)
		}
		if len(got) != len(want) {
			t.Fatalf("decoded %d packets, reference %d", len(got), len(want))
		}
		if !errors.Is(err, wantErr) {
			t.Fatalf("error %v, reference %v", err, wantErr)
		}
		if wantErr == io.ErrUnexpectedEOF && !errors.Is(err, peer.ErrConnectionError) {
			t.Fatalf("truncated frame: %v does not match peer.ErrConnectionError", err)
		}
	})
}

func TestReadFrameLargeThroughScratch(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 10000) // 100000 bytes > reader buffer
	r := bufio.NewReaderSize(bytes.NewReader(frame(payload)), 4096)
	var scratch []byte
	p, err := readFrame(r, len(payload), &scratch)
	if err != nil || !bytes.Equal(p, payload) {
		t.Fatalf("readFrame = %d bytes, %v", len(p), err)
	}
	if _, err := readFrame(r, len(payload), &scratch); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

// TestReadFrameGrowsWithArrivals: a frame announced at the max size whose
// bytes trickle in never makes the scratch buffer larger than twice what
// arrived (or twice the reader's buffer), and a frame cut short yields an
// error matching both peer.ErrConnectionError and io.ErrUnexpectedEOF.
func TestReadFrameGrowsWithArrivals(t *testing.T) {
	const announced = 1 << 20
	const bufSize = 4096
	for _, sent := range []int{0, 10, bufSize - 1, bufSize + 1, 3 * bufSize, 100000, announced - 1} {
		data := append(binary.LittleEndian.AppendUint32(nil, announced), make([]byte, sent)...)
		r := bufio.NewReaderSize(&splitReader{data: data, splits: bytes.Repeat([]byte{200}, len(data)/200+1)}, bufSize)
		var scratch []byte
		_, err := readFrame(r, announced, &scratch)
		if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, peer.ErrConnectionError) {
			t.Fatalf("%d of %d bytes sent: error %v, want one matching io.ErrUnexpectedEOF and peer.ErrConnectionError", sent, announced, err)
		}
		if limit := 2 * max(sent, bufSize); cap(scratch) > limit {
			t.Errorf("%d of %d bytes sent: scratch of %d bytes, want at most %d", sent, announced, cap(scratch), limit)
		}
	}
}
