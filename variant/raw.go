package variant

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Low-level helpers mirroring Godot's marshalls.h (encode_uint16 ...,
// make_half_float, encode_cstring). They are little-endian on every host.

func appendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

func appendF32(b []byte, f float32) []byte { return appendU32(b, math.Float32bits(f)) }
func appendF64(b []byte, f float64) []byte { return appendU64(b, math.Float64bits(f)) }

func getU16(b []byte) uint16  { return binary.LittleEndian.Uint16(b) }
func getU32(b []byte) uint32  { return binary.LittleEndian.Uint32(b) }
func getU64(b []byte) uint64  { return binary.LittleEndian.Uint64(b) }
func getF32(b []byte) float32 { return math.Float32frombits(getU32(b)) }
func getF64(b []byte) float64 { return math.Float64frombits(getU64(b)) }

// appendCString appends s and a terminating NUL (encode_cstring).
func appendCString(b []byte, s string) []byte { return append(append(b, s...), 0) }

// appendHalf appends f as IEEE-754 binary16 (make_half_float: round to
// nearest even, overflow to infinity, subnormals kept).
func appendHalf(b []byte, f float32) []byte { return appendU16(b, halfFromFloat(f)) }

func halfFromFloat(f float32) uint16 {
	x := math.Float32bits(f)
	sign := uint16(x>>16) & 0x8000
	exp := int32(x>>23) & 0xff
	man := x & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15:
		return sign | 0x7c00
	case exp-127 >= -14: // normal
		h := uint32(exp-127+15)<<10 | man>>13
		rest := man & 0x1fff
		if rest > 0x1000 || rest == 0x1000 && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	case exp-127 >= -25: // subnormal
		man |= 0x800000
		shift := uint32(-(exp - 127) - 14 + 13)
		h := man >> shift
		rest := man & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || rest == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	return sign
}

// halfToFloat decodes IEEE-754 binary16 (halfptr2float).
func halfToFloat(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch exp {
	case 0:
		f := float32(man) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// hostLE reports whether the host is little-endian, in which case packed
// arrays are copied in bulk by reinterpreting the slice memory.
var hostLE = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// byteView returns the memory of s as bytes (little-endian hosts only).
func byteView[T int32 | int64 | float32 | float64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// validString reports whether Godot decodes s back to the same string: valid
// UTF-8, no NUL byte (decoding stops there) and no leading BOM (stripped).
func validString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i]-1 >= 0x7f { // NUL or non-ASCII
			return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) && !strings.HasPrefix(s, "\ufeff")
		}
	}
	return true
}

// appendFrame appends v as StreamPeer.put_var / FileAccess.store_var /
// PacketPeerStream write it: a uint32 LE byte length, then the Variant.
func appendFrame(dst []byte, v any, o EncodeOptions) ([]byte, error) {
	start := len(dst)
	b, err := o.Append(append(dst, 0, 0, 0, 0), v)
	if err != nil {
		return dst, err
	}
	putU32(b[start:], uint32(len(b)-start-4))
	return b, nil
}

// decodeFrame decodes one length-prefixed Variant and returns the bytes the
// whole frame used.
func decodeFrame(data []byte, o DecodeOptions) (any, int, error) {
	if len(data) < 4 {
		return nil, 0, newError(ErrUnavailable, 0, "frame length needs 4 bytes")
	}
	l := getU32(data)
	if uint64(l) > uint64(len(data)-4) {
		return nil, 0, newError(ErrUnavailable, 0, "frame of "+itoa(int64(l))+" bytes is incomplete")
	}
	v, _, err := o.Decode(data[4 : 4+int(l)])
	if err != nil {
		return nil, 0, err
	}
	return v, 4 + int(l), nil
}
