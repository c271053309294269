package enet

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// Defaults and limits.
const (
	// DefaultMTU is ENet 1.3.18's and Godot's ENET_HOST_DEFAULT_MTU.
	DefaultMTU = 1392
	// DefaultMaxPeers is Godot's create_host default.
	DefaultMaxPeers = 32
	// MaxPeers is the largest peer count (ENET_PROTOCOL_MAXIMUM_PEER_ID).
	MaxPeers = 4095
	// MaxChannels is ENet's channel limit; a ChannelLimit of 0 means it.
	MaxChannels = 255
	// DefaultMaxPacketSize is ENet's ENET_HOST_DEFAULT_MAXIMUM_PACKET_SIZE.
	DefaultMaxPacketSize = 32 << 20
	// DefaultMaxWaitingData is ENet's per-peer ENET_HOST_DEFAULT_MAXIMUM_WAITING_DATA.
	DefaultMaxWaitingData = 32 << 20
	// DefaultMaxHostWaitingData bounds, across all peers of a host, the
	// received data not yet read by the application.
	DefaultMaxHostWaitingData = 128 << 20
	// DefaultSendQueueBytes bounds, per peer, outgoing data not yet
	// acknowledged (ENet has no such bound).
	DefaultSendQueueBytes = 64 << 20
	// DefaultCloseTimeout bounds how long a Peer's Close waits for queued
	// reliable data and the disconnect handshake.
	DefaultCloseTimeout = 2 * time.Second
)

// Config configures a Host (and Dial and Listen). A nil *Config and each
// zero field mean the documented default.
type Config struct {
	// MaxPeers is the size of the peer table, 1..4095 (Godot's max_peers).
	// Default 32; Dial always uses 1.
	MaxPeers int
	// ChannelLimit is the most channels a remote may open; 0 means 255
	// (Godot's max_channels).
	ChannelLimit int
	// IncomingBandwidth and OutgoingBandwidth are in bytes per second, 0 =
	// unlimited (Godot's in_bandwidth / out_bandwidth). They set the windows
	// advertised in the handshake and drive the bandwidth throttle (see
	// the package doc); Host.SetBandwidthLimit changes them.
	IncomingBandwidth, OutgoingBandwidth uint32
	// MTU offered when connecting; default DefaultMTU (1392, Godot's), at
	// most 1400 so that a libenet 1.3.17 server never sends more.
	MTU int
	// MaxPacketSize is the largest packet sent or accepted; default 32 MiB.
	MaxPacketSize int
	// MaxWaitingData bounds, per peer, received data held for reordering,
	// fragment reassembly or the application (128 bytes of overhead per
	// stored command or packet, 64 per fragment, counted too). Beyond it,
	// data is not acknowledged, so the sender retransmits later. Default 32 MiB.
	MaxWaitingData int
	// MaxHostWaitingData is the same bound across all peers, also counting
	// 64 bytes per EventReceive that Service has not returned yet; default
	// 128 MiB.
	MaxHostWaitingData int
	// SendQueueBytes bounds, per peer, the outgoing data queued or in flight
	// (sent, not yet acknowledged); each command counts its payload plus
	// 192 bytes. A Send or PutPacket that would go beyond it fails with an
	// error matching peer.ErrOutOfMemory (Godot's code for a full outgoing
	// buffer) and is counted as dropped; WritePacket waits for room instead
	// (until its context ends); Broadcast skips such peers and counts the
	// packet on each. It fills when the remote stops
	// acknowledging (until ENet's timeout ends the connection, 5 to 30 s)
	// or when the application outpaces the link. Default 64 MiB; it is
	// raised to what one MaxPacketSize packet costs at the smallest MTU, so
	// that such a packet always fits into an empty queue. libenet and
	// Godot have no bound here.
	SendQueueBytes int
	// DuplicatePeers limits connections from one IP address; default 4095.
	DuplicatePeers int
	// Checksum adds ENet's CRC-32 to every datagram (libenet's
	// host->checksum = enet_crc32). Both ends must agree; Godot never
	// enables it, so leave it off to talk to Godot.
	Checksum bool

	// Channels is the channel count Dial asks for; 0 means 255.
	Channels int
	// ConnectData is the value Dial sends in CONNECT (Godot's connect data;
	// ENetMultiplayerPeer puts the client's unique id there).
	ConnectData uint32
	// CloseTimeout bounds how long a Peer's Close waits for queued reliable
	// data and the disconnect handshake; default DefaultCloseTimeout (2 s).
	CloseTimeout time.Duration

	// MaxPendingConnections bounds a Listener's queue of connected peers not
	// yet taken with Accept/TakeConnection (Godot's max_pending_connections).
	// Default (0) peer.DefaultMaxPendingConnections = 16; a negative value
	// refuses every connection. A connection that completes its handshake
	// while the queue is full is disconnected at once (DisconnectNow) and
	// counted in ListenerStats.Refused.
	MaxPendingConnections int
	// Logger, if not nil, gets one Info record per connection a Listener
	// drops: refused (pending queue full), timed out (the handshake did not
	// finish), evicted (still pending at Close) or expired (a peer that
	// stopped acknowledging), with its cause, remote address and reason;
	// ListenerStats counts them. Default nil: nothing is logged.
	Logger *slog.Logger
}

// withDefaults returns a copy of c (nil-safe) with every zero field set to
// its default and SendQueueBytes raised to hold one MaxPacketSize packet.
func (c *Config) withDefaults() Config {
	var v Config
	if c != nil {
		v = *c
	}
	if v.MaxPeers == 0 {
		v.MaxPeers = DefaultMaxPeers
	}
	if v.MTU == 0 {
		v.MTU = DefaultMTU
	}
	if v.MaxPacketSize <= 0 {
		v.MaxPacketSize = DefaultMaxPacketSize
	}
	if v.MaxWaitingData <= 0 {
		v.MaxWaitingData = DefaultMaxWaitingData
	}
	if v.MaxHostWaitingData <= 0 {
		v.MaxHostWaitingData = DefaultMaxHostWaitingData
	}
	if v.SendQueueBytes <= 0 {
		v.SendQueueBytes = DefaultSendQueueBytes
	}
	fragLen := minMTU - 28 - 4
	v.SendQueueBytes = max(v.SendQueueBytes, int(outCost(v.MaxPacketSize, (v.MaxPacketSize+fragLen-1)/fragLen)))
	if v.DuplicatePeers <= 0 {
		v.DuplicatePeers = MaxPeers
	}
	if v.CloseTimeout <= 0 {
		v.CloseTimeout = DefaultCloseTimeout
	}
	if v.MaxPendingConnections == 0 {
		v.MaxPendingConnections = peer.DefaultMaxPendingConnections
	}
	return v
}

// check reports a field of a defaulted Config outside its range.
func (c *Config) check(op string) error {
	bad := func(format string, args ...any) error {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.MaxPeers < 1 || c.MaxPeers > MaxPeers:
		return bad("max peers %d outside 1..%d", c.MaxPeers, MaxPeers)
	case c.ChannelLimit < 0 || c.ChannelLimit > MaxChannels:
		return bad("channel limit %d outside 0..%d", c.ChannelLimit, MaxChannels)
	case c.Channels < 0 || c.Channels > MaxChannels:
		return bad("channel count %d outside 0..%d", c.Channels, MaxChannels)
	case c.MTU < minMTU || c.MTU > maxMTU:
		return bad("MTU %d outside %d..%d", c.MTU, minMTU, maxMTU)
	}
	return nil
}
