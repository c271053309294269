package webrtc

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	pion "github.com/pion/webrtc/v4"
)

// Defaults for zero Config fields.
const (
	// DefaultMaxMessageSize is the largest message sent or accepted: 65535
	// bytes, the size a peer is assumed to accept when its SDP carries no
	// max-message-size (pion's "unset" value; RFC 8841 says 64 KiB). Every
	// browser, pion and libdatachannel (Godot's native plugin) accept it.
	DefaultMaxMessageSize = 65535
	// DefaultReceiveBufferBytes bounds each channel's receive queue.
	DefaultReceiveBufferBytes = 1 << 20
	// DefaultReceiveBufferPackets bounds each channel's receive queue in packets.
	DefaultReceiveBufferPackets = 4096
	// DefaultMaxBufferedAmount is the send-queue size above which PutPacket
	// waits.
	DefaultMaxBufferedAmount = 1 << 20
	// DefaultHandshakeTimeout bounds Listen's join of the signalling lobby.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxPendingConnections bounds a Listener's connected members
	// waiting for Accept: peer.DefaultMaxPendingConnections, Godot's 16.
	DefaultMaxPendingConnections = peer.DefaultMaxPendingConnections
	// Unset is what MaxPacketLifeTime, MaxRetransmits and ID report when the
	// value is not set or not known yet, as Godot's getters.
	Unset = 65535
)

// ICEServer is one entry of Godot's "iceServers" initialize option: a STUN
// or TURN server ("stun:host:port", "turn:host:port?transport=udp", ...) with
// the username and credential TURN needs.
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// Config configures a PeerConnection (Godot's initialize dictionary plus the
// signal handlers) and, for Dial and Listen, the lobby and channels. A nil
// *Config and every zero field mean the documented default.
type Config struct {
	// ICEServers are Godot's "iceServers": STUN/TURN servers. Default none:
	// only host candidates, which is what a LAN or a public-IP server needs.
	ICEServers []ICEServer

	// OnSessionDescription is Godot's session_description_created(type,
	// sdp): called after CreateOffer with ("offer", sdp) and after
	// SetRemoteDescription("offer", ...) with ("answer", sdp). As in Godot the
	// handler must pass them to SetLocalDescription and send them to the
	// remote peer.
	OnSessionDescription func(typ, sdp string)
	// OnICECandidate is Godot's ice_candidate_created(media, index, name):
	// a local candidate (sdpMid, sdpMLineIndex, candidate line) to send to
	// the remote peer, which passes it to AddICECandidate.
	OnICECandidate func(media string, index int, name string)
	// OnDataChannel is Godot's data_channel_received(channel): a channel the
	// remote peer created in-band (not negotiated). Keep a reference and
	// Close it when done. When OnDataChannel is nil, such channels are
	// closed at once, so a remote cannot make us hold unread queues.
	OnDataChannel func(dc *DataChannel)
	// OnConnectionStateChange is called on every ConnectionState change.
	OnConnectionStateChange func(s ConnectionState)
	// All handlers run one at a time on one goroutine per PeerConnection,
	// in the order pion reported the events (Godot emits them from poll).
	// They may call any method of the PeerConnection.

	// LoopbackOnly gathers only 127.0.0.1 UDP candidates: loopback candidates
	// included, UDP over IPv4 only, no STUN/TURN, no mDNS. Meant for tests
	// and benchmarks on one machine (also inside a network namespace that
	// has nothing but lo). ICEServers are ignored.
	LoopbackOnly bool
	// SettingEngine, when set, is the base pion SettingEngine (copied; the
	// options above are applied on top). For advanced tuning only.
	SettingEngine *pion.SettingEngine

	// MaxMessageSize caps the messages sent and received on every channel.
	// Default DefaultMaxMessageSize (65535). The effective limit is the
	// smaller of this and what the remote peer advertises; MaxPacketSize
	// reports it and PutPacket refuses larger packets with
	// ErrInvalidParameter.
	MaxMessageSize int
	// ReceiveBufferBytes and ReceiveBufferPackets bound each channel's
	// receive queue. Defaults 1 MiB and 4096. When a reliable channel's queue
	// is full, reading from the association pauses until the application
	// reads (SCTP flow control then slows the sender); an unreliable
	// channel drops the newest message instead and counts it (Dropped).
	ReceiveBufferBytes   int
	ReceiveBufferPackets int
	// MaxBufferedAmount is the send-queue size (BufferedAmount, bytes) above
	// which PutPacket waits for the queue to drain to half of it. Default
	// 1 MiB.
	MaxBufferedAmount int

	// Lobby is the signalling lobby Dial joins (required) and Listen opens
	// (empty: the server makes up a name, see Listener.Lobby).
	Lobby string
	// Channels are the data channels Dial and Listen create on each
	// connection; the first is the one Dial and Accept return, the others
	// are reached with Channel. Default DefaultChannels(), the layout of
	// Godot's WebRTCMultiplayerPeer.
	Channels []ChannelConfig
	// HandshakeTimeout bounds Listen's wait for the signalling server (Dial
	// uses its context). Default 10 s.
	HandshakeTimeout time.Duration
	// MaxPendingConnections bounds a Listener's members connected but not
	// yet taken by Accept or TakeConnection; a member joining while that
	// many wait, or connecting when the queue is full, is refused (counted
	// in ListenerStats.Refused). Members still being set up do not count:
	// silent ones cannot crowd out honest ones, and each is dropped after
	// HandshakeTimeout. 0 means DefaultMaxPendingConnections; negative
	// refuses every member.
	MaxPendingConnections int
	// Logger, when set, logs each lobby member a Listener drops (failed,
	// timed out, evicted, refused) at Info level. Nil logs nothing;
	// Listener.Stats counts the drops either way.
	Logger *slog.Logger
}

// ChannelConfig names one data channel for Dial and Listen.
type ChannelConfig struct {
	Label string
	DataChannelConfig
}

// DataChannelConfig is Godot's create_data_channel options dictionary. The
// zero value is a reliable, ordered, in-band channel (Godot's defaults).
type DataChannelConfig struct {
	// Negotiated channels are created identically by both sides out of band
	// (no data_channel_received); ID is then mandatory. Default false.
	Negotiated bool
	// ID is the SCTP stream id of a negotiated channel (0..65534).
	ID int
	// Ordered: nil means true (Godot's default).
	Ordered *bool
	// MaxPacketLifeTime (milliseconds) or MaxRetransmits (not both) make the
	// channel unreliable. nil means unset (reliable).
	MaxPacketLifeTime *int
	MaxRetransmits    *int
	// Protocol is the sub-protocol name. Default "".
	Protocol string
}

// Ptr returns a pointer to v, for the optional DataChannelConfig fields:
//
//	webrtc.DataChannelConfig{Ordered: webrtc.Ptr(false), MaxRetransmits: webrtc.Ptr(0)}
func Ptr[T any](v T) *T { return &v }

// DefaultChannels returns the channels of Godot's WebRTCMultiplayerPeer
// (add_peer with unreliable_lifetime 1), all negotiated: id 1 "reliable"
// (reliable, ordered), id 2 "ordered" (ordered, maxPacketLifeTime 1 ms) and
// id 3 "unreliable" (unordered, maxPacketLifeTime 1 ms). A Godot game using
// WebRTCMultiplayerPeer can therefore talk to Dial/Listen peers: put_packet
// in TRANSFER_MODE_RELIABLE arrives on the first channel.
func DefaultChannels() []ChannelConfig {
	return []ChannelConfig{
		{Label: "reliable", DataChannelConfig: DataChannelConfig{Negotiated: true, ID: 1}},
		{Label: "ordered", DataChannelConfig: DataChannelConfig{Negotiated: true, ID: 2, MaxPacketLifeTime: Ptr(1)}},
		{Label: "unreliable", DataChannelConfig: DataChannelConfig{Negotiated: true, ID: 3, Ordered: Ptr(false), MaxPacketLifeTime: Ptr(1)}},
	}
}

func (c *Config) withDefaults() Config {
	var o Config
	if c != nil {
		o = *c
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.ReceiveBufferBytes <= 0 {
		o.ReceiveBufferBytes = DefaultReceiveBufferBytes
	}
	o.ReceiveBufferBytes = max(o.ReceiveBufferBytes, o.MaxMessageSize+8)
	if o.ReceiveBufferPackets <= 0 {
		o.ReceiveBufferPackets = DefaultReceiveBufferPackets
	}
	if o.MaxBufferedAmount <= 0 {
		o.MaxBufferedAmount = DefaultMaxBufferedAmount
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.MaxPendingConnections == 0 {
		o.MaxPendingConnections = DefaultMaxPendingConnections
	}
	if len(o.Channels) == 0 {
		o.Channels = DefaultChannels()
	}
	return o
}

// init converts the options to pion's, checking them as Godot does.
func (c DataChannelConfig) pion() (*pion.DataChannelInit, error) {
	bad := func(format string, a ...any) error {
		return &peer.OpError{Op: "create data channel", Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf(format, a...)}
	}
	if c.MaxPacketLifeTime != nil && c.MaxRetransmits != nil {
		return nil, bad("maxPacketLifeTime and maxRetransmits are both set; set at most one")
	}
	init := &pion.DataChannelInit{Ordered: c.Ordered}
	if c.MaxPacketLifeTime != nil {
		if *c.MaxPacketLifeTime < 0 || *c.MaxPacketLifeTime > 65535 {
			return nil, bad("maxPacketLifeTime %d is outside [0, 65535]", *c.MaxPacketLifeTime)
		}
		v := uint16(*c.MaxPacketLifeTime)
		init.MaxPacketLifeTime = &v
	}
	if c.MaxRetransmits != nil {
		if *c.MaxRetransmits < 0 || *c.MaxRetransmits > 65535 {
			return nil, bad("maxRetransmits %d is outside [0, 65535]", *c.MaxRetransmits)
		}
		v := uint16(*c.MaxRetransmits)
		init.MaxRetransmits = &v
	}
	if c.Negotiated {
		if c.ID < 0 || c.ID > 65534 {
			return nil, bad("id %d is outside [0, 65534]", c.ID)
		}
		id := uint16(c.ID)
		init.Negotiated = &c.Negotiated
		init.ID = &id
	}
	if len(c.Protocol) > 65535 {
		return nil, bad("protocol of %d bytes is longer than 65535", len(c.Protocol))
	}
	if c.Protocol != "" {
		p := c.Protocol
		init.Protocol = &p
	}
	return init, nil
}
