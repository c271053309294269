package multiplayer

import (
	"fmt"
	"math/rand/v2"
)

// TransferMode says how a packet travels (Godot's
// MultiplayerPeer.TransferMode, same names and values).
type TransferMode int

const (
	// TransferModeUnreliable: may be lost or arrive out of order.
	TransferModeUnreliable TransferMode = 0
	// TransferModeUnreliableOrdered: may be lost; a packet older than one
	// already delivered on the same channel is dropped.
	TransferModeUnreliableOrdered TransferMode = 1
	// TransferModeReliable: delivered once, in order, per channel. The
	// default.
	TransferModeReliable TransferMode = 2
)

// String returns Godot's constant name, e.g. "TRANSFER_MODE_RELIABLE".
func (m TransferMode) String() string {
	switch m {
	case TransferModeUnreliable:
		return "TRANSFER_MODE_UNRELIABLE"
	case TransferModeUnreliableOrdered:
		return "TRANSFER_MODE_UNRELIABLE_ORDERED"
	case TransferModeReliable:
		return "TRANSFER_MODE_RELIABLE"
	}
	return fmt.Sprintf("TransferMode(%d)", int(m))
}

// Valid reports whether m is one of the three modes.
func (m TransferMode) Valid() bool {
	return m == TransferModeUnreliable || m == TransferModeUnreliableOrdered || m == TransferModeReliable
}

// ConnectionStatus is Godot's MultiplayerPeer.ConnectionStatus.
type ConnectionStatus int

// Connection statuses, with Godot's values.
const (
	ConnectionDisconnected ConnectionStatus = 0 // no session: before it, after it ended, after Close
	ConnectionConnecting   ConnectionStatus = 1 // a client waiting for its id
	ConnectionConnected    ConnectionStatus = 2 // a server from creation; a client once it has its id
)

// String returns Godot's constant name, e.g. "CONNECTION_CONNECTED".
func (s ConnectionStatus) String() string {
	switch s {
	case ConnectionDisconnected:
		return "CONNECTION_DISCONNECTED"
	case ConnectionConnecting:
		return "CONNECTION_CONNECTING"
	case ConnectionConnected:
		return "CONNECTION_CONNECTED"
	}
	return fmt.Sprintf("ConnectionStatus(%d)", int(s))
}

// Target peers with a meaning of their own (Godot's TARGET_PEER_*
// constants). Any other positive id targets that peer alone; a negative id
// targets every peer except -id.
const (
	TargetPeerBroadcast int32 = 0
	TargetPeerServer    int32 = 1
)

// MaxTransferChannel is the highest transfer channel (Godot's range hint
// 0..255). Channel 0 is the default channel of each transfer mode.
const MaxTransferChannel = 255

// GenerateUniqueID returns a random id in [2, 2^31-1], the range Godot's
// generate_unique_id draws client ids from: 0 means broadcast, 1 is the
// server, negative ids mean "all but". Godot hashes clock and address bits;
// this draws from math/rand/v2's generator, which is seeded from the
// operating system.
func GenerateUniqueID() int32 {
	for {
		id := int32(rand.Uint32() & 0x7FFFFFFF)
		if id > 1 {
			return id
		}
	}
}

// PacketInfo describes a received packet: who sent it, on which channel and
// in which transfer mode (Godot's get_packet_peer, get_packet_channel,
// get_packet_mode).
type PacketInfo struct {
	From    int32
	Channel int
	Mode    TransferMode
}
