package scene

import (
	"encoding/binary"
	"strconv"
)

// SysCommand is byte 1 of a SYS message (Godot's SYS_COMMAND_*).
type SysCommand uint8

// The SYS commands, with Godot's values.
const (
	SysAuth    SysCommand = 0 // SYS_COMMAND_AUTH: auth data, or (empty) "authentication completed"
	SysAddPeer SysCommand = 1 // SYS_COMMAND_ADD_PEER: server → client, a peer joined
	SysDelPeer SysCommand = 2 // SYS_COMMAND_DEL_PEER: server → client, a peer left
	SysRelay   SysCommand = 3 // SYS_COMMAND_RELAY: a message relayed through the server
)

func (c SysCommand) String() string {
	switch c {
	case SysAuth:
		return "AUTH"
	case SysAddPeer:
		return "ADD_PEER"
	case SysDelPeer:
		return "DEL_PEER"
	case SysRelay:
		return "RELAY"
	}
	return "SysCommand(" + strconv.Itoa(int(c)) + ")"
}

// Sizes Godot checks on receive.
const (
	sysHeaderSize = 6 // SYS_CMD_SIZE: command, sys command, i32 peer id
	minRelaySize  = 7 // a relay carries at least one byte
)

// Sys is a decoded SYS message.
type Sys struct {
	Command SysCommand
	// Peer is the peer id of ADD_PEER, DEL_PEER and RELAY: the peer that
	// joined or left; for RELAY the destination when a client sends it (0 =
	// everyone, -id = everyone but id) and the original sender when the
	// server forwards it. Zero for AUTH.
	Peer int32
	// Data is the auth payload (empty for the "completed" notice) or the
	// relayed message. It aliases the parsed packet.
	Data []byte
}

// ParseSys decodes a SYS message with the checks a Godot receiver makes: at
// least 2 bytes; AUTH takes the rest as its payload; ADD_PEER and DEL_PEER
// need 6 bytes and ignore extra ones; RELAY needs 7; any other sys command is
// an error. The command bits of byte 0 are not checked.
func ParseSys(p []byte) (Sys, error) {
	if len(p) < 2 {
		return Sys{}, invalid(CommandSys, len(p), "SYS of "+strconv.Itoa(len(p))+" bytes, need at least 2")
	}
	m := Sys{Command: SysCommand(p[1])}
	if m.Command == SysAuth {
		m.Data = p[2:]
		return m, nil
	}
	if len(p) < sysHeaderSize {
		return Sys{}, invalid(CommandSys, len(p), "SYS "+m.Command.String()+" of "+strconv.Itoa(len(p))+" bytes, need at least 6")
	}
	m.Peer = int32(binary.LittleEndian.Uint32(p[2:]))
	switch m.Command {
	case SysAddPeer, SysDelPeer:
	case SysRelay:
		if len(p) < minRelaySize {
			return Sys{}, invalid(CommandSys, len(p), "RELAY without a message")
		}
		m.Data = p[sysHeaderSize:]
	default:
		return Sys{}, invalid(CommandSys, 1, "unknown sys command "+strconv.Itoa(int(p[1])))
	}
	return m, nil
}

func appendSysHeader(dst []byte, c SysCommand, id int32) []byte {
	dst = append(dst, byte(CommandSys), byte(c))
	return binary.LittleEndian.AppendUint32(dst, uint32(id))
}

// AppendAddPeer appends ADD_PEER (07 01 <id>): "peer id is now connected".
func AppendAddPeer(dst []byte, id int32) []byte { return appendSysHeader(dst, SysAddPeer, id) }

// AppendDelPeer appends DEL_PEER (07 02 <id>): "peer id left".
func AppendDelPeer(dst []byte, id int32) []byte { return appendSysHeader(dst, SysDelPeer, id) }

// AppendRelay appends RELAY (07 03 <id> <msg>) wrapping the message msg: id is
// the destination when a client sends it and the original sender when the
// server forwards it. An empty msg is an error (Godot drops such relays).
func AppendRelay(dst []byte, id int32, msg []byte) ([]byte, error) {
	if len(msg) == 0 {
		return dst, badParam(CommandSys, "RELAY of an empty message")
	}
	return append(appendSysHeader(dst, SysRelay, id), msg...), nil
}

// AppendAuth appends AUTH (07 00 <data>): auth data for the peer's auth
// callback, or with empty data the "I have completed authentication of you"
// notice (07 00).
func AppendAuth(dst []byte, data []byte) []byte {
	return append(append(dst, byte(CommandSys), byte(SysAuth)), data...)
}
