package enet

import (
	"fmt"

	"github.com/packetpeer/packetpeer/internal/rangecoder"
	"github.com/packetpeer/packetpeer/peer"
)

// CompressionMode is Godot's ENetConnection.CompressionMode. Both ends must
// use the same mode: the wire only says that a datagram is compressed.
type CompressionMode int

// Compression modes, numbered as in Godot. Only CompressNone and
// CompressRangeCoder (ENet's own, what libenet's
// enet_host_compress_with_range_coder enables) are implemented; Godot's
// FASTLZ, ZLIB and ZSTD framings are not yet.
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
	default:
		return &peer.OpError{Op: "compress", Err: peer.ErrUnavailable,
			Detail: fmt.Sprintf("compression mode %d is not implemented (only NONE and RANGE_CODER)", mode)}
	}
	h.mu.Lock()
	h.compressor = c
	h.mu.Unlock()
	return nil
}
