package scene

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Checksum is the RPC methods checksum of a node as SIMPLIFY_PATH carries it:
// the 32 lowercase hex digits (ASCII) of an MD5 digest. A received checksum
// holds the 32 bytes as sent, whatever they are; Godot compares them with its
// own as text, and so does ==.
type Checksum [32]byte

// String returns the checksum as text.
func (c Checksum) String() string { return string(c[:]) }

const (
	simplifyHeaderSize = 38 // command, 32 hex digits, NUL, u32 id
	confirmPathSize    = 6
)

// SimplifyPath is a SIMPLIFY_PATH message: the sender will name the node at
// Path (relative to the multiplayer root, "Main/Player") by the cache id ID.
type SimplifyPath struct {
	Checksum Checksum // the sender's RPC methods checksum of the node
	ID       uint32   // the sender's cache id of the node
	Path     string   // node path relative to the multiplayer root path
}

// ParseSimplifyPath decodes a SIMPLIFY_PATH message as Godot does: at least 38
// bytes; the checksum is the 32 bytes at offset 1 (its NUL is not checked);
// the path runs from offset 38 to the first NUL or the end of the packet. A
// path that is not valid UTF-8 is an error (Godot would fail to find the
// node, with the same effect: no CONFIRM_PATH).
func ParseSimplifyPath(p []byte) (SimplifyPath, error) {
	if len(p) < simplifyHeaderSize {
		return SimplifyPath{}, invalid(CommandSimplifyPath, len(p), "SIMPLIFY_PATH of "+strconv.Itoa(len(p))+" bytes, need at least 38")
	}
	var m SimplifyPath
	copy(m.Checksum[:], p[1:33])
	m.ID = binary.LittleEndian.Uint32(p[34:])
	path := p[simplifyHeaderSize:]
	if i := bytes.IndexByte(path, 0); i >= 0 {
		path = path[:i]
	}
	if !utf8.Valid(path) {
		return SimplifyPath{}, invalid(CommandSimplifyPath, simplifyHeaderSize, "path is not valid UTF-8")
	}
	m.Path = string(path)
	return m, nil
}

// AppendSimplifyPath appends m as Godot writes it: 01, the checksum, 00, the
// u32 id, the path and a NUL. The path must be non-empty UTF-8 without NUL.
func AppendSimplifyPath(dst []byte, m SimplifyPath) ([]byte, error) {
	if err := checkPath(CommandSimplifyPath, m.Path); err != nil {
		return dst, err
	}
	dst = append(dst, byte(CommandSimplifyPath))
	dst = append(dst, m.Checksum[:]...)
	dst = append(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, m.ID)
	dst = append(dst, m.Path...)
	return append(dst, 0), nil
}

func checkPath(c Command, path string) error {
	switch {
	case path == "":
		return badParam(c, "empty node path")
	case strings.IndexByte(path, 0) >= 0:
		return badParam(c, "node path contains NUL")
	case !utf8.ValidString(path):
		return badParam(c, "node path is not valid UTF-8")
	}
	return nil
}

// checkNodePath checks a path the program declares a node at: checkPath's
// checks, and relative to the multiplayer root, as SIMPLIFY_PATH carries
// it, since Godot's absolute form would match nothing a peer sends.
func checkNodePath(c Command, path string) error {
	if err := checkPath(c, path); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(path, "/"):
		rel := strings.TrimPrefix(path, "/")
		rel = strings.TrimPrefix(rel, "root/")
		return badParam(c, "node path "+strconv.Quote(path)+" is absolute: write it relative to the multiplayer root ("+strconv.Quote(rel)+" for /root/"+rel+")")
	case strings.HasSuffix(path, "/"):
		return badParam(c, "node path "+strconv.Quote(path)+" ends with /")
	}
	return nil
}

// ConfirmPath is a CONFIRM_PATH message: the receiver of SIMPLIFY_PATH ID
// stored it; Valid reports whether the checksums matched.
type ConfirmPath struct {
	Valid bool
	ID    uint32
}

// ParseConfirmPath decodes a CONFIRM_PATH message, which is exactly 6 bytes.
// Any non-zero valid byte means true, as in Godot.
func ParseConfirmPath(p []byte) (ConfirmPath, error) {
	if len(p) != confirmPathSize {
		return ConfirmPath{}, invalid(CommandConfirmPath, min(len(p), confirmPathSize), "CONFIRM_PATH of "+strconv.Itoa(len(p))+" bytes, need exactly 6")
	}
	return ConfirmPath{Valid: p[1] != 0, ID: binary.LittleEndian.Uint32(p[2:])}, nil
}

// AppendConfirmPath appends m (02 <valid> <id>).
func AppendConfirmPath(dst []byte, m ConfirmPath) []byte {
	v := byte(0)
	if m.Valid {
		v = 1
	}
	return binary.LittleEndian.AppendUint32(append(dst, byte(CommandConfirmPath), v), m.ID)
}
