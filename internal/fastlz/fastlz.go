// Package fastlz is the FastLZ block format (levels 1 and 2), as Godot's
// Compression MODE_FASTLZ uses it for ENetConnection.COMPRESS_FASTLZ.
//
// Compress writes level 1 (what FastLZ picks for inputs under 64 KiB, so
// for every datagram). Decompress reads both levels and never writes more
// than its limit: at most limit bytes of output whatever the input.
package fastlz

import "errors"

// ErrCorrupt reports a block that is truncated, refers before the start of
// the output, or has an unknown level.
var ErrCorrupt = errors.New("fastlz: corrupt block")

// ErrTooLarge reports a block that decompresses to more than the limit.
var ErrTooLarge = errors.New("fastlz: block exceeds the output limit")

const (
	maxLiteral  = 32
	maxMatch1   = 264  // level 1: 3 + 6 + 255
	maxDistance = 8192 // level 1 reach
	hashLog     = 13
)

// Compress appends the level-1 block of src to dst. src must not be empty.
func Compress(dst, src []byte) []byte {
	var table [1 << hashLog]int32
	lit := 0 // start of pending literals
	i := 0
	for i+3 <= len(src) {
		v := uint32(src[i]) | uint32(src[i+1])<<8 | uint32(src[i+2])<<16
		h := (v * 2654435761) >> (32 - hashLog)
		ref := int(table[h]) - 1
		table[h] = int32(i + 1)
		if ref < 0 || i-ref > maxDistance || src[ref] != src[i] || src[ref+1] != src[i+1] || src[ref+2] != src[i+2] {
			i++
			continue
		}
		n := 3
		for n < maxMatch1 && i+n < len(src) && src[ref+n] == src[i+n] {
			n++
		}
		dst = literals(dst, src[lit:i])
		d := i - ref - 1
		code := n - 2
		if code < 7 {
			dst = append(dst, byte(code<<5|d>>8), byte(d))
		} else {
			dst = append(dst, byte(7<<5|d>>8), byte(n-9), byte(d))
		}
		i += n
		lit = i
	}
	return literals(dst, src[lit:])
}

func literals(dst, b []byte) []byte {
	for len(b) > 0 {
		n := min(len(b), maxLiteral)
		dst = append(dst, byte(n-1))
		dst = append(dst, b[:n]...)
		b = b[n:]
	}
	return dst
}

// Decompress appends the decompressed block src to dst, failing with
// ErrTooLarge once the output would pass limit bytes.
func Decompress(dst, src []byte, limit int) ([]byte, error) {
	if len(src) == 0 {
		return dst, ErrCorrupt
	}
	level := src[0]>>5 + 1
	if level > 2 {
		return dst, ErrCorrupt
	}
	base := len(dst)
	ctrl := int(src[0] & 31)
	ip := 1
	for {
		if ctrl >= 32 {
			n := ctrl>>5 - 1
			ofs := (ctrl & 31) << 8
			if n == 6 {
				for {
					if ip >= len(src) {
						return dst, ErrCorrupt
					}
					c := int(src[ip])
					ip++
					n += c
					if level == 1 || c != 255 {
						break
					}
				}
			}
			if ip >= len(src) {
				return dst, ErrCorrupt
			}
			c := int(src[ip])
			ip++
			dist := ofs + c + 1
			if level == 2 && c == 255 && ofs == 31<<8 {
				if ip+2 > len(src) {
					return dst, ErrCorrupt
				}
				dist = int(src[ip])<<8 | int(src[ip+1]) + 8191 + 1
				ip += 2
			}
			n += 3
			if len(dst)-base+n > limit {
				return dst, ErrTooLarge
			}
			ref := len(dst) - dist
			if ref < base {
				return dst, ErrCorrupt
			}
			for k := range n {
				dst = append(dst, dst[ref+k])
			}
		} else {
			n := ctrl + 1
			if ip+n > len(src) {
				return dst, ErrCorrupt
			}
			if len(dst)-base+n > limit {
				return dst, ErrTooLarge
			}
			dst = append(dst, src[ip:ip+n]...)
			ip += n
		}
		if ip >= len(src) {
			return dst, nil
		}
		ctrl = int(src[ip])
		ip++
	}
}
