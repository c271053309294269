package quic

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
)

func TestFrameDecoder(t *testing.T) {
	var wire []byte
	for _, p := range []string{"a", "", "hello", string(make([]byte, 100))} {
		wire = appendFrame(wire, []byte(p))
	}
	require.Equal(t, []byte{1, 0, 0, 0, 'a', 0, 0, 0, 0, 5, 0, 0, 0}, wire[:13], "4-byte little-endian length, as PacketPeerStream")
	d := frameDecoder{r: bytes.NewReader(wire), max: 100}
	var got []string
	for {
		b, err := d.next(nil)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, string(b))
	}
	require.Equal(t, []string{"a", "", "hello", string(make([]byte, 100))}, got)
}

func TestFrameDecoderHostileLength(t *testing.T) {
	// A 2 GiB length is refused before anything is allocated for it.
	wire := binary.LittleEndian.AppendUint32(nil, 2<<30)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		d := frameDecoder{r: bytes.NewReader(wire), max: DefaultMaxPacketSize}
		b, err := d.next(make([]byte, 1, 64))
		require.ErrorIs(t, err, peer.ErrInvalidData)
		require.Equal(t, 64, cap(b))
	}
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(10*4096), "only small error values are allocated")
	_, err := (&frameDecoder{r: bytes.NewReader(wire), max: 100}).next(nil)
	require.ErrorIs(t, err, peer.ErrInvalidData)
	require.EqualError(t, err, "quic: read packet: frame of 2147483648 bytes exceeds MaxPacketSize 100 (ERR_INVALID_DATA)")
}

func TestFrameDecoderTruncated(t *testing.T) {
	for _, wire := range [][]byte{{5, 0}, {5, 0, 0, 0, 'a', 'b'}, {5, 0, 0, 0}} {
		_, err := (&frameDecoder{r: bytes.NewReader(wire), max: 100}).next(nil)
		require.ErrorIs(t, err, peer.ErrConnectionError, "%x", wire)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, "%x", wire)
		require.Contains(t, err.Error(), "the stream ended")
	}
	_, err := (&frameDecoder{r: bytes.NewReader(nil), max: 100}).next(nil)
	require.Equal(t, io.EOF, err, "a clean end between frames")
}

// FuzzFrameDecoder feeds arbitrary bytes to the reliable-stream decoder: it
// must return frames no longer than its limit, allocate nothing beyond that
// limit, end with io.EOF, ErrInvalidData (a frame over the limit) or a
// truncated-frame error (ErrConnectionError and io.ErrUnexpectedEOF), and
// the frames it returns must
// re-encode to exactly the bytes it consumed.
func FuzzFrameDecoder(f *testing.F) {
	f.Add([]byte{})
	f.Add(appendFrame(appendFrame(nil, []byte("hi")), nil))
	f.Add(binary.LittleEndian.AppendUint32(nil, 0xffffffff))
	f.Add([]byte{3, 0, 0, 0, 'a', 'b'})
	const max = 1024
	f.Fuzz(func(t *testing.T, data []byte) {
		d := frameDecoder{r: bytes.NewReader(data), max: max}
		var reencoded []byte
		buf := make([]byte, 1, 16)
		for {
			b, err := d.next(buf[:1])
			if err != nil {
				truncated := errors.Is(err, peer.ErrConnectionError) && errors.Is(err, io.ErrUnexpectedEOF)
				if err != io.EOF && !errors.Is(err, peer.ErrInvalidData) && !truncated {
					t.Fatalf("unexpected error %v", err)
				}
				if err == io.EOF && !bytes.Equal(reencoded, data) {
					t.Fatalf("clean EOF but frames re-encode to %x, input %x", reencoded, data)
				}
				break
			}
			if len(b)-1 > max || cap(b) > max+1 && cap(b) > 16 {
				t.Fatalf("frame of %d bytes (cap %d) beyond the limit %d", len(b)-1, cap(b), max)
			}
			reencoded = appendFrame(reencoded, b[1:])
			if !bytes.HasPrefix(data, reencoded) {
				t.Fatalf("frames re-encode to %x, not a prefix of %x", reencoded, data)
			}
			buf = b
		}
	})
}
