package scene

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode/utf8"

	"github.com/packetpeer/packetpeer/variant"
)

// Flags of a REMOTE_CALL meta byte (bits 4-7).
const (
	nodeWidthShift   = 4    // bits 4-5: node id 8/16/32 bits (3 is invalid)
	methodWidthShift = 6    // bit 6: method id 8/16 bits
	flagByteOnly     = 0x80 // bit 7: BYTE_ONLY_OR_NO_ARGS
	pathFlag         = 0x80000000
	maxArgs          = 255
)

// RemoteCall is a REMOTE_CALL message (an RPC) without its decoded arguments.
//
// The node is named either by the sender's cache id (Node; see SIMPLIFY_PATH)
// or, before the receiver has confirmed that id, in full (Path, relative to
// the multiplayer root). Method is the method id of the receiver's RPC table
// for that node (see Methods).
type RemoteCall struct {
	Node   uint32 // sender's cache id of the node; 0 when Path is set
	Path   string // the node's path, when the call names it in full
	Wide   bool   // the cache id is written in 32 bits whatever its value
	Method uint16 // method id

	// Set by ParseRemoteCall; AppendRemoteCall derives them from its args.
	Raw  bool   // BYTE_ONLY_OR_NO_ARGS: no argc byte; Args is the one PackedByteArray, or empty for none
	Argc int    // argument count: the argc byte, or for Raw 0 or 1
	Args []byte // the argument bytes, undecoded; aliases the parsed packet
}

// ParseRemoteCall decodes a REMOTE_CALL header with Godot's checks: node id
// width 3 is an error; the packet must hold the meta byte, the node id, the
// method id and (unless raw) the argc byte. A node id with bit 31 set is a
// full path at the given byte offset, which must lie after the header and
// inside the packet; the arguments then end at that offset and the path runs
// to its NUL or the end. Arguments are not decoded (see DecodeArgs), and
// trailing bytes after them are ignored, as Godot does.
func ParseRemoteCall(p []byte) (RemoteCall, error) {
	if len(p) == 0 {
		return RemoteCall{}, invalid(CommandRemoteCall, 0, "empty packet")
	}
	meta := p[0]
	nodeW := (meta >> nodeWidthShift) & 3
	if nodeW == 3 {
		return RemoteCall{}, invalid(CommandRemoteCall, 0, "node id width 3 is invalid")
	}
	nb := 1 << nodeW
	mb := 1 + int(meta>>methodWidthShift&1)
	hdr := 1 + nb + mb
	if len(p) < hdr {
		return RemoteCall{}, invalid(CommandRemoteCall, len(p), "REMOTE_CALL of "+strconv.Itoa(len(p))+" bytes, need at least "+strconv.Itoa(hdr))
	}
	var c RemoteCall
	switch nb {
	case 1:
		c.Node = uint32(p[1])
	case 2:
		c.Node = uint32(binary.LittleEndian.Uint16(p[1:]))
	case 4:
		c.Node = binary.LittleEndian.Uint32(p[1:])
		c.Wide = true
	}
	if mb == 1 {
		c.Method = uint16(p[1+nb])
	} else {
		c.Method = binary.LittleEndian.Uint16(p[1+nb:])
	}
	end := len(p)
	if c.Node&pathFlag != 0 {
		off := int(c.Node &^ pathFlag)
		if off >= len(p) || off < hdr {
			return RemoteCall{}, invalid(CommandRemoteCall, 1, "path offset "+strconv.Itoa(off)+" outside the packet's "+strconv.Itoa(len(p))+" bytes")
		}
		path := p[off:]
		if i := bytes.IndexByte(path, 0); i >= 0 {
			path = path[:i]
		}
		if !utf8.Valid(path) {
			return RemoteCall{}, invalid(CommandRemoteCall, off, "path is not valid UTF-8")
		}
		c.Path, c.Node, c.Wide, end = string(path), 0, false, off
	}
	c.Args = p[hdr:end]
	if meta&flagByteOnly != 0 {
		c.Raw = true
		if len(c.Args) > 0 {
			c.Argc = 1
		}
		return c, nil
	}
	if len(c.Args) == 0 {
		return RemoteCall{}, invalid(CommandRemoteCall, hdr, "no argument count")
	}
	c.Argc = int(c.Args[0])
	c.Args = c.Args[1:]
	return c, nil
}

// DecodeArgs decodes c's arguments and appends them to dst: for a raw call
// the one PackedByteArray ([]byte, a copy) or nothing, otherwise Argc values
// in the compressed encoding (DecodeCompressed). On a decode error it returns
// the values decoded so far and the error; Godot would call the method anyway
// with the failed argument and those after it set to null.
//
// Memory: a call allocates at most 64 bytes per byte of c.Args plus 16 KiB,
// whatever the count and the values claim (growth of dst included). Each
// full-encoded value is decoded from a window of the input a few times its
// size, so package variant's per-decode bound applies to the value's bytes,
// not to the rest of the packet.
func (c *RemoteCall) DecodeArgs(dst []any, opts variant.DecodeOptions) ([]any, error) {
	if c.Raw {
		if c.Argc == 1 {
			dst = append(dst, bytes.Clone(c.Args))
		}
		return dst, nil
	}
	data := c.Args
	off := 0
	for i := 0; i < c.Argc; i++ {
		v, n, err := DecodeCompressed(data[off:], opts)
		if err != nil {
			return dst, wrap(CommandRemoteCall, "argument "+strconv.Itoa(i), err)
		}
		dst = append(dst, v)
		off += n
	}
	return dst, nil
}

// AppendRemoteCall appends a REMOTE_CALL of method c.Method on the node named
// by c with args, byte for byte as Godot's rpc() writes it:
//   - c.Path set: a 32-bit node field with bit 31 and the offset of the path,
//     which follows the arguments as a NUL-terminated string;
//   - c.Wide: the cache id c.Node in 32 bits (Godot's form for a target that
//     confirmed the path when another target of the same call has not);
//   - otherwise c.Node in 8, 16 or 32 bits, the smallest that fits.
//
// The method id takes 8 bits up to 255, else 16. No arguments, or exactly one
// []byte, set BYTE_ONLY_OR_NO_ARGS and write no count (the bytes go as they
// are); otherwise a count byte and each argument in the compressed encoding
// (AppendCompressed). More than 255 arguments are an error. c's Raw, Argc and
// Args are ignored. On error dst is returned unchanged.
func AppendRemoteCall(dst []byte, c RemoteCall, opts variant.EncodeOptions, args ...any) ([]byte, error) {
	if len(args) > maxArgs {
		return dst, badParam(CommandRemoteCall, strconv.Itoa(len(args))+" arguments, at most 255")
	}
	if c.Path != "" {
		if err := checkPath(CommandRemoteCall, c.Path); err != nil {
			return dst, err
		}
	} else if c.Node > MaxNodeID {
		return dst, badParam(CommandRemoteCall, "node id "+strconv.FormatUint(uint64(c.Node), 10)+" above MaxNodeID would read as a path offset")
	}
	start := len(dst)
	var nodeW byte
	dst = append(dst, 0)
	switch {
	case c.Path != "":
		nodeW = 2
		dst = append(dst, 0, 0, 0, 0) // the path offset, written below
	case c.Wide || c.Node > math16:
		nodeW = 2
		dst = binary.LittleEndian.AppendUint32(dst, c.Node)
	case c.Node > math8:
		nodeW = 1
		dst = binary.LittleEndian.AppendUint16(dst, uint16(c.Node))
	default:
		dst = append(dst, byte(c.Node))
	}
	var methodW byte
	if c.Method > math8 {
		methodW = 1
		dst = binary.LittleEndian.AppendUint16(dst, c.Method)
	} else {
		dst = append(dst, byte(c.Method))
	}
	var raw bool
	var err error
	switch {
	case len(args) == 0:
		raw = true
	case len(args) == 1:
		if b, ok := args[0].([]byte); ok {
			raw = true
			dst = append(dst, b...)
			break
		}
		dst, raw, err = appendOneArg(dst, args[0], opts)
	default:
		dst = append(dst, byte(len(args)))
		for _, a := range args {
			if dst, err = AppendCompressed(dst, a, opts); err != nil {
				break
			}
		}
	}
	if err != nil {
		return dst[:start], wrap(CommandRemoteCall, "argument", err)
	}
	meta := byte(CommandRemoteCall) | nodeW<<nodeWidthShift | methodW<<methodWidthShift
	if raw {
		meta |= flagByteOnly
	}
	dst[start] = meta
	if c.Path != "" {
		binary.LittleEndian.PutUint32(dst[start+1:], pathFlag|uint32(len(dst)-start))
		dst = append(append(dst, c.Path...), 0)
	}
	return dst, nil
}

const (
	math8  = 0xff
	math16 = 0xffff
)

// appendOneArg writes a single argument: a value that encodes as a
// PackedByteArray goes raw (its bytes only), anything else with a count of 1.
func appendOneArg(dst []byte, a any, opts variant.EncodeOptions) ([]byte, bool, error) {
	n := len(dst)
	out, err := AppendCompressed(append(dst, 1), a, opts)
	if err != nil {
		return dst, false, err
	}
	v := out[n+1:]
	if v[0]&metaTypeMask == typePackedByteArray && len(v) >= 8 {
		size := int(binary.LittleEndian.Uint32(v[4:]))
		copy(out[n:], v[8:8+size])
		return out[:n+size], true, nil
	}
	return out, false, nil
}
