// Package fastlz is the FastLZ block format (levels 1 and 2) as Godot 4.6
// ships it (thirdparty/misc/fastlz.c, FastLZ 0.5.0), the codec behind
// Compression::MODE_FASTLZ: ENetConnection.COMPRESS_FASTLZ and
// PackedByteArray.compress(FileAccess.COMPRESSION_FASTLZ).
//
// Compress writes the bytes FastLZ 0.5.0's fastlz_compress writes: level 1
// for inputs under 64 KiB (every ENet datagram), level 2 from 64 KiB on.
// The output is byte for byte Godot's, so a Go and a Godot peer compress a
// datagram identically; it is at most len(src)+len(src)/32+1 bytes.
// Godot's own zero padding of inputs under 16 bytes is the caller's
// (transport/enet does it).
//
// Decompress reads both levels and never writes more than its limit: at
// most limit bytes of output whatever the input, in time linear in the
// output and input.
package fastlz

import (
	"encoding/binary"
	"errors"
	"slices"
)

// ErrCorrupt reports a block that is truncated, refers before the start of
// the output, or has an unknown level.
var ErrCorrupt = errors.New("fastlz: corrupt block")

// ErrTooLarge reports a block that decompresses to more than the limit.
var ErrTooLarge = errors.New("fastlz: block exceeds the output limit")

const (
	maxLiteral = 32 // literals per run
	// level 1 splits a match longer than this (in its biased length,
	// match length - 2) into matches of maxChunk1+2 bytes.
	maxChunk1    = 262
	maxNear1     = 8192         // level 1: distances below this
	maxNear2     = 8191         // level 2: matches this far need 5 bytes; biased distances this far take 16 bits
	maxFar2      = 65535 + 8190 // level 2: distances below this
	level2Length = 65536        // fastlz_compress picks level 2 from here
	hashLog      = 13
	hashMask     = 1<<hashLog - 1
)

// Compress appends the FastLZ block of src to dst: level 1 if src is under
// 64 KiB, level 2 otherwise, the same bytes as Godot's FastLZ. An empty
// src appends nothing.
func Compress(dst, src []byte) []byte {
	if len(src) < level2Length {
		var table [1 << hashLog]uint16
		return compress(dst, src, &table, false)
	}
	var table [1 << hashLog]int32
	return compress(dst, src, &table, true)
}

// hash is FastLZ 0.5.0's hash of the three bytes at p.
func hash(src []byte, p int) int {
	return hash3(binary.LittleEndian.Uint32(src[p:]))
}

// hash3 is FastLZ 0.5.0's hash of the low three bytes of v.
func hash3(v uint32) int {
	h := v & 0xFFFF
	h ^= (v >> 8 & 0xFFFF) ^ h>>(16-hashLog)
	return int(h & hashMask)
}

// compress follows FastLZ 0.5.0's choices exactly: the table starts with
// every slot at position 0; each position from 2 below len-13 is hashed
// once and tried against the slot's last position; a match stops two bytes
// before the end of src and gives up one byte there; the two positions
// after a match are hashed. Literals go out in runs of up to 32 from the
// last match on.
func compress[T uint16 | int32](dst, src []byte, table *[1 << hashLog]T, level2 bool) []byte {
	n := len(src)
	if n < 4 {
		return literals(dst, src)
	}
	start := len(dst)
	bound := n - 2  // match extension stops here
	limit := n - 13 // match search stops here
	far := maxNear1
	if level2 {
		far = maxFar2
	}
	lit := 0 // start of the pending literals
	for ip := 2; ip < limit; {
		var ref, dist, mlen int
		for ; ip < limit; ip++ {
			v := binary.LittleEndian.Uint32(src[ip:])
			if level2 && v<<8|uint32(src[ip-1]) == uint32(src[ip-1])*0x01010101 {
				dist, mlen, ref = 1, 3, ip-1 // a run: src[ip-1:ip+3] are equal
				break
			}
			h := hash3(v)
			ref = int(table[h])
			table[h] = T(ip)
			dist = ip - ref
			if dist == 0 || dist >= far || (binary.LittleEndian.Uint32(src[ref:])^v)&0xFFFFFF != 0 {
				continue
			}
			if !level2 || dist < maxNear2 {
				mlen = 3
				break
			}
			if src[ref+3] == src[ip+3] && src[ref+4] == src[ip+4] {
				mlen = 5
				break
			}
		}
		if mlen == 0 {
			break
		}
		anchor := ip
		// Extend the match: ip ends one past the first mismatch, or at
		// bound.
		ip = anchor + mlen
		if dist == 1 {
			x := src[ip-1]
			for ip < bound && src[ip-1] == x {
				ip++
			}
		} else {
			for r := ref + mlen; ip < bound; r++ {
				ip++
				if src[r] != src[ip-1] {
					break
				}
			}
		}
		dst = literals(dst, src[lit:anchor])
		ip -= 3
		dst = appendMatch(dst, ip-anchor, dist-1, level2)
		table[hash(src, ip)] = T(ip)
		ip++
		table[hash(src, ip)] = T(ip)
		ip++
		lit = ip
	}
	dst = literals(dst, src[lit:])
	if level2 {
		dst[start] |= 1 << 5
	}
	return dst
}

// literals appends b as literal runs of up to 32 bytes.
func literals(dst, b []byte) []byte {
	for len(b) > 0 {
		k := min(len(b), maxLiteral)
		dst = append(dst, byte(k-1))
		dst = append(dst, b[:k]...)
		b = b[k:]
	}
	return dst
}

// appendMatch encodes a match of l+2 bytes at biased distance d (distance
// - 1).
func appendMatch(dst []byte, l, d int, level2 bool) []byte {
	if !level2 {
		for l > maxChunk1 {
			dst = append(dst, 7<<5|byte(d>>8), maxChunk1-7-2, byte(d))
			l -= maxChunk1
		}
		if l < 7 {
			return append(dst, byte(l<<5|d>>8), byte(d))
		}
		return append(dst, 7<<5|byte(d>>8), byte(l-7), byte(d))
	}
	far := d >= maxNear2
	code := 31
	if far {
		d -= maxNear2
	} else {
		code = d >> 8
	}
	if l < 7 {
		dst = append(dst, byte(l<<5|code))
	} else {
		dst = append(dst, byte(7<<5|code))
		for l -= 7; l >= 255; l -= 255 {
			dst = append(dst, 255)
		}
		dst = append(dst, byte(l))
	}
	if far {
		return append(dst, 255, byte(d>>8), byte(d))
	}
	return append(dst, byte(d))
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
			if dist >= n {
				dst = append(dst, dst[ref:ref+n]...)
			} else {
				// An overlapping match repeats its first dist bytes: copy
				// what is already written, doubling each time.
				o := len(dst)
				dst = slices.Grow(dst, n)[:o+n]
				for k := o; k < o+n; {
					k += copy(dst[k:o+n], dst[ref:k])
				}
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
