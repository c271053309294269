package scene

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/packetpeer/packetpeer/variant"
)

// Args reads the arguments of a RemoteCall one at a time, with typed
// methods that allocate nothing for bools, ints and floats. Each method
// consumes one argument; a type other than the one asked for is an error
// matching peer.ErrInvalidData and consumes nothing.
type Args struct {
	data []byte
	left int
	i    int
	raw  bool
	opts variant.DecodeOptions
}

// Arguments returns a reader of c's arguments decoded under opts.
func (c *RemoteCall) Arguments(opts variant.DecodeOptions) Args {
	return Args{data: c.Args, left: c.Argc, raw: c.Raw, opts: opts}
}

// Len returns the number of arguments not read yet.
func (a *Args) Len() int { return a.left }

func (a *Args) start(want string) ([]byte, error) {
	if a.left == 0 {
		return nil, invalid(CommandRemoteCall, -1, "no argument "+strconv.Itoa(a.i)+" ("+want+")")
	}
	if a.raw && want != "PackedByteArray" && want != "value" {
		return nil, a.mismatch(want, "PackedByteArray")
	}
	if len(a.data) == 0 {
		return nil, invalid(CommandRemoteCall, -1, "argument "+strconv.Itoa(a.i)+" missing")
	}
	return a.data, nil
}

func (a *Args) mismatch(want, got string) error {
	return invalid(CommandRemoteCall, -1, "argument "+strconv.Itoa(a.i)+" is "+got+", want "+want)
}

func (a *Args) advance(n int) {
	a.data = a.data[n:]
	a.left--
	a.i++
}

// Bool reads a bool argument.
func (a *Args) Bool() (bool, error) {
	d, err := a.start("bool")
	if err != nil {
		return false, err
	}
	if d[0]&metaTypeMask != typeBool {
		return false, a.mismatch("bool", typeName(d[0]))
	}
	a.advance(1)
	return d[0]&metaBoolTrue != 0, nil
}

// Int reads an int argument (any width).
func (a *Args) Int() (int64, error) {
	d, err := a.start("int")
	if err != nil {
		return 0, err
	}
	if d[0]&metaTypeMask != typeInt {
		return 0, a.mismatch("int", typeName(d[0]))
	}
	v, n, err := decodeCompressedInt(d)
	if err != nil {
		return 0, err
	}
	a.advance(n)
	return v, nil
}

// Float reads a float argument (binary32 or binary64 on the wire).
func (a *Args) Float() (float64, error) {
	d, err := a.start("float")
	if err != nil {
		return 0, err
	}
	if len(d) < 4 || d[0] != typeFloat || d[1] != 0 || d[3] != 0 || d[2] > 1 {
		return 0, a.mismatch("float", typeName(d[0]))
	}
	if d[2] == 1 { // FLAG_64
		if len(d) < 12 {
			return 0, invalid(CommandRemoteCall, -1, "argument "+strconv.Itoa(a.i)+": float truncated")
		}
		a.advance(12)
		return math.Float64frombits(binary.LittleEndian.Uint64(d[4:])), nil
	}
	if len(d) < 8 {
		return 0, invalid(CommandRemoteCall, -1, "argument "+strconv.Itoa(a.i)+": float truncated")
	}
	a.advance(8)
	return float64(math.Float32frombits(binary.LittleEndian.Uint32(d[4:]))), nil
}

// Bytes reads a PackedByteArray argument: the raw bytes of a byte-only call,
// or a full-encoded PackedByteArray. The slice aliases the packet.
func (a *Args) Bytes() ([]byte, error) {
	d, err := a.start("PackedByteArray")
	if err != nil {
		return nil, err
	}
	if a.raw {
		a.advance(len(d))
		return d, nil
	}
	if len(d) < 8 || binary.LittleEndian.Uint32(d) != typePackedByteArray {
		return nil, a.mismatch("PackedByteArray", typeName(d[0]))
	}
	size := int(binary.LittleEndian.Uint32(d[4:]) & 0x7fffffff)
	if size > len(d)-8 {
		return nil, invalid(CommandRemoteCall, -1, "argument "+strconv.Itoa(a.i)+": PackedByteArray of "+strconv.Itoa(size)+" bytes truncated")
	}
	a.advance(min(8+size+(4-size%4)%4, len(d)))
	return d[8 : 8+size], nil
}

// Value reads any argument as DecodeCompressed (or, for a byte-only call, a
// copy of the bytes) would.
func (a *Args) Value() (any, error) {
	d, err := a.start("value")
	if err != nil {
		return nil, err
	}
	if a.raw {
		a.advance(len(d))
		return append([]byte(nil), d...), nil
	}
	v, n, err := DecodeCompressed(d, a.opts)
	if err != nil {
		return nil, err
	}
	a.advance(n)
	return v, nil
}

const typeFloat = 3

func typeName(b byte) string {
	t := variant.Type(b & metaTypeMask)
	if t >= variantMax {
		return "type " + strconv.Itoa(int(t))
	}
	return t.String()
}
