package scene

import "strconv"

// ParseRaw returns the payload of a RAW message (Godot's send_bytes; the
// receiver emits peer_packet). It aliases p. Godot requires at least one
// payload byte.
func ParseRaw(p []byte) ([]byte, error) {
	if len(p) < 2 {
		return nil, invalid(CommandRaw, len(p), "RAW of "+strconv.Itoa(len(p))+" bytes, need at least 2")
	}
	return p[1:], nil
}

// AppendRaw appends a RAW message (03 <payload>). Godot's send_bytes refuses
// empty data, and so does AppendRaw.
func AppendRaw(dst, payload []byte) ([]byte, error) {
	if len(payload) == 0 {
		return dst, badParam(CommandRaw, "empty payload")
	}
	return append(append(dst, byte(CommandRaw)), payload...), nil
}
