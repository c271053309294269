package peer

// Defaults for zero configuration fields.
const (
	// DefaultEncodeBufferMaxSize is Godot's PacketPeer.encode_buffer_max_size
	// default (8 MiB); SetEncodeBufferMaxSize accepts MinEncodeBufferMaxSize
	// to MaxEncodeBufferMaxSize.
	DefaultEncodeBufferMaxSize = 8 << 20
	MinEncodeBufferMaxSize     = 1 << 10   // 1 KiB
	MaxEncodeBufferMaxSize     = 256 << 20 // 256 MiB

	// DefaultMaxPendingConnections is how many connections a listener holds
	// for Accept/TakeConnection unless its config says otherwise: Godot's
	// default max_pending_connections (UDPServer, and the UDPServer inside
	// DTLSServer).
	DefaultMaxPendingConnections = 16

	// DefaultPipeMaxPacketSize is PipeConfig.MaxPacketSize's default.
	DefaultPipeMaxPacketSize = 65536
	// DefaultPipeReceiveQueueBytes is PipeConfig.ReceiveQueueBytes's default.
	DefaultPipeReceiveQueueBytes = 1 << 20
	// DefaultPipeReceiveQueuePackets is PipeConfig.ReceiveQueuePackets's default.
	DefaultPipeReceiveQueuePackets = 4096
)

// PipeConfig configures Pipe. A nil *PipeConfig, and each zero field, means
// the default.
type PipeConfig struct {
	// MaxPacketSize is the largest packet; bigger ones fail with
	// ErrInvalidParameter. Default DefaultPipeMaxPacketSize.
	MaxPacketSize int
	// ReceiveQueueBytes bounds each end's receive queue in bytes (4 bytes of
	// overhead per packet). Default DefaultPipeReceiveQueueBytes, raised if
	// needed to hold one MaxPacketSize packet.
	ReceiveQueueBytes int
	// ReceiveQueuePackets bounds each end's receive queue in packets.
	// Default DefaultPipeReceiveQueuePackets.
	ReceiveQueuePackets int
}

// withDefaults returns a copy of c with every zero (or negative) field
// defaulted and the queue raised to hold one packet. c may be nil.
func (c *PipeConfig) withDefaults() PipeConfig {
	var r PipeConfig
	if c != nil {
		r = *c
	}
	if r.MaxPacketSize <= 0 {
		r.MaxPacketSize = DefaultPipeMaxPacketSize
	}
	if r.ReceiveQueueBytes <= 0 {
		r.ReceiveQueueBytes = DefaultPipeReceiveQueueBytes
	}
	r.ReceiveQueueBytes = max(r.ReceiveQueueBytes, r.MaxPacketSize+4)
	if r.ReceiveQueuePackets <= 0 {
		r.ReceiveQueuePackets = DefaultPipeReceiveQueuePackets
	}
	return r
}
