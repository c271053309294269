package enet

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/packetpeer/packetpeer/internal/fastlz"
	"github.com/packetpeer/packetpeer/internal/rangecoder"
	"github.com/packetpeer/packetpeer/peer"
)

// CompressionMode is Godot's ENetConnection.CompressionMode. Both ends must
// use the same mode: the wire only says that a datagram is compressed.
type CompressionMode int

// Compression modes, numbered as in Godot. CompressRangeCoder is ENet's
// own (libenet's enet_host_compress_with_range_coder). CompressFastLZ and
// CompressZlib are Godot's: the datagram's commands compressed as one
// FastLZ block (inputs under 16 bytes zero-padded to 16, as Godot does;
// the same bytes as Godot 4.6's FastLZ 0.5.0) or one zlib stream (RFC 1950,
// default level), and CompressZstd one zstd frame (Godot's default level
// 3). Decoders write at most one datagram's worth (4 KiB) whatever they
// are given.
const (
	CompressNone CompressionMode = iota
	CompressRangeCoder
	CompressFastLZ
	CompressZlib
	CompressZstd
)

// rangeCoder adapts internal/rangecoder to the host's compressor hook. The
// host calls it with its lock held, so one model serves both directions.
type rangeCoder struct{ c rangecoder.Coder }

func (r *rangeCoder) Compress(dst, src []byte) ([]byte, bool) {
	out, ok := r.c.Compress(dst, src, len(src))
	if !ok || len(out)-len(dst) >= len(src) || len(out) == len(dst) {
		return dst, false
	}
	return out, true
}

func (r *rangeCoder) Decompress(dst, src []byte, limit int) ([]byte, error) {
	return r.c.Decompress(dst, src, limit)
}

// Compress selects the datagram compression (Godot's compress). The
// default is CompressNone.
func (h *Host) Compress(mode CompressionMode) error {
	var c compressor
	switch mode {
	case CompressNone:
	case CompressRangeCoder:
		c = &rangeCoder{}
	case CompressFastLZ:
		c = fastLZ{}
	case CompressZlib:
		c = &zlibCodec{}
	case CompressZstd:
		z, err := newZstd()
		if err != nil {
			return &peer.OpError{Op: "compress", Transport: "enet", Code: peer.ErrCantCreate, Err: err}
		}
		c = z
	default:
		return &peer.OpError{Op: "compress", Transport: "enet", Code: peer.ErrUnavailable,
			Detail: fmt.Sprintf("compression mode %d is not implemented (NONE..ZSTD are 0..4)", mode)}
	}
	h.mu.Lock()
	old := h.compressor
	h.compressor = c
	h.mu.Unlock()
	if z, ok := old.(*zstdCodec); ok {
		z.close()
	}
	return nil
}

// fastLZ is Godot's COMPRESS_FASTLZ (Compression::compress in
// MODE_FASTLZ): byte for byte what Godot sends.
type fastLZ struct{}

func (fastLZ) Compress(dst, src []byte) ([]byte, bool) {
	var pad [16]byte
	in := src
	if len(src) < len(pad) {
		copy(pad[:], src)
		in = pad[:]
	}
	out := fastlz.Compress(dst, in)
	return out, len(out)-len(dst) < len(src)
}

func (fastLZ) Decompress(dst, src []byte, limit int) ([]byte, error) {
	return fastlz.Decompress(dst, src, limit)
}

// zlibCodec is Godot's COMPRESS_ZLIB (Compression::MODE_DEFLATE: zlib
// window bits 15, so an RFC 1950 stream). Its buffers are reused.
type zlibCodec struct {
	w   *zlib.Writer
	out bytes.Buffer
	in  bytes.Reader
	r   io.ReadCloser
}

func (z *zlibCodec) Compress(dst, src []byte) ([]byte, bool) {
	z.out.Reset()
	if z.w == nil {
		z.w = zlib.NewWriter(&z.out)
	} else {
		z.w.Reset(&z.out)
	}
	if _, err := z.w.Write(src); err != nil || z.w.Close() != nil || z.out.Len() >= len(src) {
		return dst, false
	}
	return append(dst, z.out.Bytes()...), true
}

func (z *zlibCodec) Decompress(dst, src []byte, limit int) ([]byte, error) {
	z.in.Reset(src)
	if z.r == nil {
		r, err := zlib.NewReader(&z.in)
		if err != nil {
			return dst, err
		}
		z.r = r
	} else if err := z.r.(zlib.Resetter).Reset(&z.in, nil); err != nil {
		return dst, err
	}
	base := len(dst)
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := z.r.Read(dst[len(dst):min(cap(dst), base+limit+1)])
		dst = dst[:len(dst)+n]
		if len(dst)-base > limit {
			return dst[:base], errDecompressLimit
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst[:base], err
		}
	}
}

var errDecompressLimit = &peer.OpError{Op: "decompress", Transport: "enet", Code: peer.ErrInvalidData,
	Detail: "datagram decompresses beyond the MTU limit"}

// zstdCodec is Godot's COMPRESS_ZSTD (Compression::MODE_ZSTD, level 3:
// SpeedDefault). The decoder refuses windows and outputs above 64 KiB.
type zstdCodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

const zstdMaxMemory = 64 << 10

func newZstd() (*zstdCodec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false), zstd.WithWindowSize(zstdMaxMemory))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(zstdMaxMemory), zstd.WithDecoderMaxWindow(zstdMaxMemory))
	if err != nil {
		enc.Close()
		return nil, err
	}
	return &zstdCodec{enc: enc, dec: dec}, nil
}

func (z *zstdCodec) Compress(dst, src []byte) ([]byte, bool) {
	out := z.enc.EncodeAll(src, dst)
	return out, len(out)-len(dst) < len(src)
}

func (z *zstdCodec) Decompress(dst, src []byte, limit int) ([]byte, error) {
	base := len(dst)
	out, err := z.dec.DecodeAll(src, dst)
	if err != nil {
		return dst[:base], err
	}
	if len(out)-base > limit {
		return dst[:base], errDecompressLimit
	}
	return out, nil
}

func (z *zstdCodec) close() {
	z.enc.Close()
	z.dec.Close()
}
