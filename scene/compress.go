package scene

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/packetpeer/packetpeer/variant"
)

// Header byte of the compressed encoding (Godot's VARIANT_META_*).
const (
	metaTypeMask  = 0x3f // bits 0-5: Variant type id
	metaModeShift = 6    // bits 6-7: int width (ENCODE_8/16/32/64)
	metaBoolTrue  = 0x80 // bit 7 of a bool header: the value
	variantMax    = 39   // Variant::VARIANT_MAX in Godot 4.3-4.6

	typeBool            = 1
	typeInt             = 2
	typePackedByteArray = 29

	flag64 = 1 << 16 // ENCODE_FLAG_64 in a full Variant header
)

// AppendCompressed appends v in Godot's compressed Variant encoding
// (MultiplayerAPI.encode_and_compress_variant), used for RPC arguments and
// replication state: a bool is one byte (01 or 81), an int the header 02, 42,
// 82 or C2 followed by the value in the smallest of 8, 16, 32 or 64 bits, and
// anything else its full Variant encoding under opts (package variant), which
// is what Godot writes. Go values map to Variants as in package variant.
func AppendCompressed(dst []byte, v any, opts variant.EncodeOptions) ([]byte, error) {
	switch x := v.(type) {
	case bool:
		return appendCompressedBool(dst, x), nil
	case int:
		return appendCompressedInt(dst, int64(x)), nil
	case int64:
		return appendCompressedInt(dst, x), nil
	case int32:
		return appendCompressedInt(dst, int64(x)), nil
	case int16:
		return appendCompressedInt(dst, int64(x)), nil
	case int8:
		return appendCompressedInt(dst, int64(x)), nil
	case uint8:
		return appendCompressedInt(dst, int64(x)), nil
	case uint16:
		return appendCompressedInt(dst, int64(x)), nil
	case uint32:
		return appendCompressedInt(dst, int64(x)), nil
	case string, float64, float32, []byte, nil:
		return opts.Append(dst, v)
	}
	// Other types (uint, uint64, named types...) go through the full codec;
	// ints and bools it produced are rewritten in their compact form.
	n := len(dst)
	out, err := opts.Append(dst, v)
	if err != nil {
		return dst, err
	}
	full := out[n:]
	hdr := binary.LittleEndian.Uint32(full)
	switch hdr & 0xff {
	case typeBool:
		return appendCompressedBool(out[:n], binary.LittleEndian.Uint32(full[4:]) != 0), nil
	case typeInt:
		var i int64
		if hdr&flag64 != 0 {
			i = int64(binary.LittleEndian.Uint64(full[4:]))
		} else {
			i = int64(int32(binary.LittleEndian.Uint32(full[4:])))
		}
		return appendCompressedInt(out[:n], i), nil
	}
	return out, nil
}

func appendCompressedBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, typeBool|metaBoolTrue)
	}
	return append(dst, typeBool)
}

func appendCompressedInt(dst []byte, i int64) []byte {
	switch {
	case i >= math.MinInt8 && i <= math.MaxInt8:
		return append(dst, typeInt, byte(i))
	case i >= math.MinInt16 && i <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(dst, typeInt|1<<metaModeShift), uint16(i))
	case i >= math.MinInt32 && i <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(dst, typeInt|2<<metaModeShift), uint32(i))
	}
	return binary.LittleEndian.AppendUint64(append(dst, typeInt|3<<metaModeShift), uint64(i))
}

// DecodeCompressed decodes one value in the compressed encoding from the
// start of data and reports the bytes it used (Godot's
// decode_and_decompress_variant). A bool or int header is accepted with any
// int width; every other type id is a full Variant decoded by package
// variant under opts, starting at the same byte. Type ids of 39 and above are
// an error. Values are the Go values of package variant (bool, int64, ...).
// Allocation stays within package variant's bound for one Decode of the
// value's own bytes (see DecodeArgs for the figure over a whole call).
func DecodeCompressed(data []byte, opts variant.DecodeOptions) (v any, n int, err error) {
	if len(data) == 0 {
		return nil, 0, invalid(noCommand, 0, "no bytes left for a value")
	}
	switch data[0] & metaTypeMask {
	case typeBool:
		return data[0]&metaBoolTrue != 0, 1, nil
	case typeInt:
		i, n, err := decodeCompressedInt(data)
		if err != nil {
			return nil, 0, err
		}
		return i, n, nil
	}
	if t := data[0] & metaTypeMask; t >= variantMax {
		return nil, 0, invalid(noCommand, 0, "unknown Variant type "+strconv.Itoa(int(t)))
	}
	v, n, err = decodeWindowed(data, opts)
	// Godot counts the padding of a string or packed array that ends the
	// buffer without it; package variant reports the same count, so the
	// value may claim more bytes than there are.
	return v, min(n, len(data)), err
}

// firstWindow is the input the first full-Variant decode attempt sees.
const firstWindow = 64

// decodeWindowed decodes one full Variant from the start of data, first from
// a short prefix and then from prefixes four times longer until it succeeds
// or has seen all of data. Package variant sizes its first memory chunks by
// the input it is given, so decoding a small value from the start of a long
// packet would otherwise cost memory in proportion to the packet, once per
// value. A value that needs a window of W bytes is longer than W/4, so the
// attempts cost O(value size), and a decode that succeeds on a prefix
// returns what it would on all of data.
func decodeWindowed(data []byte, opts variant.DecodeOptions) (any, int, error) {
	for w := firstWindow; w < len(data); w *= 4 {
		if v, n, err := opts.Decode(data[:w]); err == nil {
			return v, n, nil
		}
	}
	return opts.Decode(data)
}

// intWidths maps the mode bits of an int header to the value's byte count.
var intWidths = [4]int{1, 2, 4, 8}

func decodeCompressedInt(data []byte) (int64, int, error) {
	w := intWidths[data[0]>>metaModeShift]
	if len(data) < 1+w {
		return 0, 0, invalid(noCommand, len(data), "int of "+strconv.Itoa(w)+" bytes truncated")
	}
	switch w {
	case 1:
		return int64(int8(data[1])), 2, nil
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(data[1:]))), 3, nil
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(data[1:]))), 5, nil
	}
	return int64(binary.LittleEndian.Uint64(data[1:])), 9, nil
}
