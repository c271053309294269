package udp

import (
	"log/slog"
	"math/bits"
	"time"
)

// Limits and defaults.
const (
	// GodotMaxPacketSize is what Godot's PacketPeerUDP.get_max_packet_size
	// returns: 512 bytes, advisory only (Godot never enforces it). Games that
	// want every datagram to cross any network unfragmented should stay at or
	// under it (or under ~1200 bytes for typical internet paths).
	GodotMaxPacketSize = 512
	// DefaultMaxPacketSize is the Go-side default of Config.MaxPacketSize:
	// the largest UDP payload over IPv4 (65535 − 20-byte IP header − 8-byte
	// UDP header).
	DefaultMaxPacketSize = 65507
	// MaxMaxPacketSize is the largest MaxPacketSize accepted.
	MaxMaxPacketSize = 65535
	// DefaultReceiveQueueBytes is Godot's default recv_buf_size of bind();
	// the receive ring is 2^nearest_shift(ReceiveQueueBytes) bytes, 131072
	// by default.
	DefaultReceiveQueueBytes = 65536
	// listenerReceiveQueueBytes gives a Listener's peers Godot's
	// 65536-byte ring.
	listenerReceiveQueueBytes = 32768
	// listenerFirstRing is the ring a Listener's peer starts with; it
	// doubles as packets need room, up to the ReceiveQueueBytes ring.
	listenerFirstRing = 128
	// DefaultMaxPendingConnections is Godot's UDPServer default.
	DefaultMaxPendingConnections = 16
	// RefuseNewConnections, as Config.MaxPendingConnections, makes a Listener
	// refuse every new remote (Godot's max_pending_connections = 0). Any
	// negative value does the same.
	RefuseNewConnections = -1
	// DefaultIdleTimeout is Config.IdleTimeout's default for a Listener's
	// peers: one from which no datagram arrives for a minute is dropped.
	DefaultIdleTimeout = time.Minute
	// KeepIdlePeers, as Config.IdleTimeout, makes a Listener keep silent
	// peers until they are closed, as Godot's UDPServer does. Any negative
	// value does the same.
	KeepIdlePeers time.Duration = -1

	// peerReadBytes bounds the read buffers of a Bind or Dial peer's
	// batched reads: up to 64 datagrams per read, 4 with the default
	// MaxPacketSize. Only the first datagram's buffer is allocated until
	// datagrams are found waiting (udpsock.Reader).
	peerReadBytes = 256 << 10
)

// Config configures Bind, Dial and Listen. A nil *Config and every zero field
// mean the documented default.
type Config struct {
	// MaxPacketSize is the largest payload PutPacket sends and the largest
	// datagram kept on receive; bigger received datagrams are dropped and
	// counted in Stats.DroppedOversize, bigger sends fail with
	// ErrInvalidParameter. Default DefaultMaxPacketSize (65507); at most
	// 65535. Godot's own figure is GodotMaxPacketSize (512, advisory).
	MaxPacketSize int

	// ReceiveQueueBytes is Godot's recv_buf_size: the receive ring holds
	// 2^nearest_shift(ReceiveQueueBytes) bytes of packets (nearest_shift =
	// index of the highest set bit + 1), so the default 65536 gives 131072
	// bytes, as in Godot. Each packet costs its length plus 22 bytes of
	// record header. The ring is raised, if needed, to hold one
	// MaxPacketSize packet. When it is full, new datagrams are dropped
	// (older ones kept) and counted in Stats.DroppedFull. A Listener's peers
	// get a 65536-byte ring by default, as Godot's UDPServer gives its
	// peers, or this size when it is set; their ring starts at 128 bytes and
	// doubles as packets need room, up to that size, so a peer costs what
	// it has queued, not the whole ring.
	ReceiveQueueBytes int

	// ReceiveQueuePackets, if > 0, also bounds the receive ring in packets
	// (Godot has no such bound); datagrams beyond it are dropped and
	// counted as for ReceiveQueueBytes. Default (0): bytes alone bound it.
	ReceiveQueuePackets int

	// SocketBuffer, if > 0, sets the kernel's SO_RCVBUF and SO_SNDBUF.
	// Default: the OS default.
	SocketBuffer int

	// Broadcast enables SO_BROADCAST (Godot's set_broadcast_enabled).
	// Default false, as in Godot (Go itself would enable it).
	Broadcast bool

	// BackgroundRead gives a Dial peer a reader goroutine that drains its
	// socket into the receive ring while the program is not reading, as Bind
	// and Listener peers always have. By default (false) a Dial peer reads
	// its socket on the caller's goroutine, inside GetPacket,
	// AvailablePacketCount, Stats, ReadPacket and Wait, the way Godot polls
	// it: a blocked ReadPacket waits in the socket itself, which saves a
	// goroutine hand-off per received datagram and so shortens round trips
	// (see BENCHMARKS.md). Without the reader goroutine, datagrams wait in
	// the kernel's socket buffer while nobody reads (size it with
	// SocketBuffer), and what the kernel drops when that buffer is full is
	// not counted in Stats; the receive ring still bounds what one poll
	// queues, and its drops are counted in Stats.DroppedFull. Set
	// BackgroundRead when the program reads rarely (once a frame) and bursts
	// larger than the kernel's buffer must be kept or counted. Direct reads
	// need a unix system; elsewhere every peer has a reader goroutine.
	BackgroundRead bool

	// LocalAddr is the local address Dial binds to, e.g. ":4000" (Godot's
	// bind followed by connect_to_host). Default: any address, an ephemeral
	// port.
	LocalAddr string

	// MaxPendingConnections bounds a Listener's queue of new remotes not yet
	// taken with Accept/TakeConnection (Godot's max_pending_connections).
	// Default (0) DefaultMaxPendingConnections = 16. A negative value (e.g.
	// RefuseNewConnections) refuses every new remote, which is Godot's 0.
	// Datagrams from further new remotes are dropped and counted in
	// ListenerStats.Refused.
	MaxPendingConnections int

	// ReuseAddress sets SO_REUSEADDR on a Listener's socket, as Godot's
	// UDPServer does. Default false, so a port already in use is an error.
	ReuseAddress bool

	// IdleTimeout makes a Listener drop a peer, pending or accepted, from
	// which no datagram has arrived for this long: UDP has no disconnect, so
	// this is how a server gets back what clients that vanished hold,
	// pending slots included. The dropped peer's queued packets can still be
	// read; then its reads, and its puts, return an error matching
	// peer.ErrTimeout, and the remote's next datagram arrives as a new
	// connection. Expiry is checked four times per IdleTimeout, so a peer
	// is dropped between IdleTimeout and 1.25 times it after its last
	// datagram. Default (0): DefaultIdleTimeout, one minute; a game whose
	// clients may stay silent longer raises it (a keep-alive datagram
	// resets it). A negative value (KeepIdlePeers) keeps peers until they
	// are closed, as Godot's UDPServer does. Bind and Dial peers are not
	// affected.
	IdleTimeout time.Duration

	// Polled makes Listen start no goroutine: the Listener reads its
	// socket only when the program calls Listener.Poll or PollContext, as
	// Godot's UDPServer does in poll(), and its peers' PutPacket calls
	// queue their datagrams, which the next Poll (or PollContext before it
	// waits, or Close) sends in one sendmmsg. A game loop polls once a
	// frame; a server loop calls PollContext, which sleeps until datagrams
	// arrive, then serves every peer that has packets on the same
	// goroutine. This spares the hand-off of each datagram from the
	// reader goroutine to the peer's reader, which costs more CPU than the
	// rest of the path on a busy server (see BENCHMARKS.md). Accept and a
	// peer's blocking reads still work, but wait for the next Poll. Idle
	// expiry (IdleTimeout) runs in Poll. Default false: a goroutine reads.
	Polled bool

	// Logger, if not nil, gets one Info record per connection a Listener
	// refuses (a datagram from a new remote beyond MaxPendingConnections),
	// evicts (a pending peer closed by SetMaxPendingConnections or Close)
	// or expires (IdleTimeout), with its cause, remote address and reason;
	// ListenerStats counts them. Default nil: nothing is logged.
	Logger *slog.Logger
}

func (c *Config) withDefaults() Config {
	var o Config
	if c != nil {
		o = *c
	}
	if o.MaxPacketSize <= 0 {
		o.MaxPacketSize = DefaultMaxPacketSize
	}
	o.MaxPacketSize = min(o.MaxPacketSize, MaxMaxPacketSize)
	if o.ReceiveQueueBytes <= 0 {
		o.ReceiveQueueBytes = DefaultReceiveQueueBytes
	}
	o.ReceiveQueueBytes = min(o.ReceiveQueueBytes, 1<<30)
	if o.MaxPendingConnections == 0 {
		o.MaxPendingConnections = DefaultMaxPendingConnections
	}
	return o
}

// ringBytes is Godot's ring size for recv_buf_size n: 2^nearest_shift(n),
// raised to hold one packet of maxPacket bytes.
func ringBytes(n, maxPacket int) int {
	size := 1 << bits.Len(uint(n))
	need := maxPacket + recordHeader + 4 // + ringbuf's own length prefix
	for size < need {
		size <<= 1
	}
	return size
}
