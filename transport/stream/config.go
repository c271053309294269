package stream

import (
	"log/slog"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// Defaults, Godot's where Godot has one.
const (
	// DefaultInputBufferMaxSize is Godot's input_buffer_max_size default:
	// a 2^16-byte buffer minus the 4-byte header.
	DefaultInputBufferMaxSize = 1<<16 - 4 // 65532
	// DefaultOutputBufferMaxSize is Godot's output_buffer_max_size default.
	DefaultOutputBufferMaxSize = 1<<16 - 4 // 65532
	// DefaultReceiveQueueBytes bounds the packets received but not yet read.
	// It is Godot's ring size.
	DefaultReceiveQueueBytes = 1 << 16 // 64 KiB
	// DefaultReceiveQueuePackets bounds the number of packets received but not yet read.
	DefaultReceiveQueuePackets = 4096
	// DefaultSendQueueBytes bounds the bytes put but not yet written to the stream.
	DefaultSendQueueBytes = 1 << 18 // 256 KiB
	// DefaultWriteTimeout is how long PutPacket waits for room in a full
	// send queue before failing with peer.ErrTimeout. The queue is full only
	// once the remote end has left the kernel's buffers and SendQueueBytes
	// unread; a Godot client reads every frame, so a client still not
	// reading after 10 s is stuck or gone, and a server goroutine
	// broadcasting to it should not wait on it any longer. It is the figure
	// the signaling server's WriteTimeout uses too.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultLinger is how long Close waits for queued packets to be written.
	DefaultLinger = 5 * time.Second
	// MaxBufferMaxSize caps InputBufferMaxSize and OutputBufferMaxSize
	// (256 MiB, like Godot's encode_buffer_max_size); larger values are clamped.
	MaxBufferMaxSize = 256 << 20
	// MaxQueueBytes caps ReceiveQueueBytes and SendQueueBytes; larger values are clamped.
	MaxQueueBytes = 1 << 30
	// DefaultConnectTimeout is Godot's network/limits/tcp/connect_timeout_seconds.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultMaxPendingConnections bounds a Listener's accepted-but-untaken
	// connections: peer.DefaultMaxPendingConnections, Godot's 16.
	DefaultMaxPendingConnections = peer.DefaultMaxPendingConnections
	// DefaultIdleTimeout is the IdleTimeout of a Listener's peers: one
	// from which nothing arrives for a minute is closed.
	DefaultIdleTimeout = time.Minute
)

// Config configures a Peer or a Listener (whose peers all get it). A nil
// *Config, and every zero field, means the default named in the field.
type Config struct {
	// InputBufferMaxSize is the largest packet accepted from the remote end
	// (Godot's input_buffer_max_size). A peer announcing a bigger frame is
	// disconnected with an error matching peer.ErrInvalidData. Default 65532.
	// Both sizes are used as given; Godot's setters round n+4 up to a power
	// of two (set_input_buffer_max_size(1000) gives 1020).
	InputBufferMaxSize int
	// OutputBufferMaxSize is the largest packet PutPacket sends (Godot's
	// output_buffer_max_size); bigger ones fail with peer.ErrInvalidParameter.
	// Default 65532. A Godot peer with default settings accepts at most
	// 65531-byte frames (see the package documentation).
	OutputBufferMaxSize int

	// ReceiveQueueBytes and ReceiveQueuePackets bound the packets received
	// but not yet read with GetPacket. When the queue is full the reader stops
	// reading the stream (back-pressure). Defaults 64 KiB, Godot's ring size
	// (raised to hold one InputBufferMaxSize packet), and 4096. The queue's
	// memory is allocated in full when the first packet arrives.
	ReceiveQueueBytes   int
	ReceiveQueuePackets int
	// SendQueueBytes bounds the bytes put but not yet handed to the stream
	// (besides the batch being written); the queue grows to it only as
	// needed. When it is full PutPacket waits.
	// Default 256 KiB (raised to hold one OutputBufferMaxSize packet).
	SendQueueBytes int

	// WriteTimeout bounds how long PutPacket (and WritePacket) waits for room
	// in the send queue when the remote end does not read; it then fails
	// with an error matching peer.ErrTimeout and sends nothing. Default 10 s
	// (DefaultWriteTimeout). Negative: wait as long as it takes, like Godot's
	// blocking put_packet; WritePacket's context still bounds each call.
	WriteTimeout time.Duration
	// Linger is how long Close waits for queued packets to be written before
	// closing the stream. Default 5 s; negative closes at once, dropping them.
	// Once a PutPacket has timed out (WriteTimeout) Close does not wait.
	Linger time.Duration
	// ConnectTimeout bounds Dial when its context has no earlier deadline.
	// Default 30 s, Godot's network/limits/tcp/connect_timeout_seconds.
	ConnectTimeout time.Duration

	// DisableNoDelay turns Nagle's algorithm back on for TCP connections
	// (Godot's set_no_delay(false)). By default TCP_NODELAY is set, as Go
	// does; writes are coalesced by the peer itself.
	DisableNoDelay bool

	// IdleTimeout closes a peer that has been waiting this long for the
	// remote end to send anything: no frame started, or a frame stopped
	// part way (a header announcing a large packet, then silence). Time
	// spent with a full receive queue, when the peer itself is not reading,
	// does not count. The packets received before can still be read; then
	// reads, and puts, return an error matching peer.ErrTimeout. It is
	// checked four times per IdleTimeout, so the peer is closed between
	// IdleTimeout and 1.25 times it.
	//
	// Default, for a Listener's peers: DefaultIdleTimeout (1 min), which a
	// game whose clients may stay silent longer must raise (or disable).
	// Default for Dial and New peers: none, as Godot's StreamPeerTCP; a
	// positive value applies to them too. Negative: no timeout for any
	// peer, as in Godot.
	IdleTimeout time.Duration

	// MaxPendingConnections bounds a Listener's queue of accepted connections
	// not yet taken; when it is full the Listener stops accepting and the
	// kernel's backlog holds new clients. Default 16.
	MaxPendingConnections int

	// Logger receives, at Info level, each connection a Listener drops and
	// why (the causes counted in ListenerStats). Nil: nothing is logged.
	// Dial and New peers do not use it.
	Logger *slog.Logger
}

func (c *Config) withDefaults() Config {
	var d Config
	if c != nil {
		d = *c
	}
	if d.InputBufferMaxSize <= 0 {
		d.InputBufferMaxSize = DefaultInputBufferMaxSize
	}
	d.InputBufferMaxSize = min(d.InputBufferMaxSize, MaxBufferMaxSize)
	if d.OutputBufferMaxSize <= 0 {
		d.OutputBufferMaxSize = DefaultOutputBufferMaxSize
	}
	d.OutputBufferMaxSize = min(d.OutputBufferMaxSize, MaxBufferMaxSize)
	if d.ReceiveQueueBytes <= 0 {
		d.ReceiveQueueBytes = DefaultReceiveQueueBytes
	}
	d.ReceiveQueueBytes = max(min(d.ReceiveQueueBytes, MaxQueueBytes), d.InputBufferMaxSize+headerSize)
	if d.ReceiveQueuePackets <= 0 {
		d.ReceiveQueuePackets = DefaultReceiveQueuePackets
	}
	if d.SendQueueBytes <= 0 {
		d.SendQueueBytes = DefaultSendQueueBytes
	}
	d.SendQueueBytes = max(min(d.SendQueueBytes, MaxQueueBytes), d.OutputBufferMaxSize+headerSize)
	if d.WriteTimeout == 0 {
		d.WriteTimeout = DefaultWriteTimeout
	}
	if d.Linger == 0 {
		d.Linger = DefaultLinger
	}
	if d.ConnectTimeout <= 0 {
		d.ConnectTimeout = DefaultConnectTimeout
	}
	if d.MaxPendingConnections <= 0 {
		d.MaxPendingConnections = DefaultMaxPendingConnections
	}
	return d
}
