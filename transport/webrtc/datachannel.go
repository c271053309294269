package webrtc

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
	"github.com/packetpeer/packetpeer/peer"
	pion "github.com/pion/webrtc/v4"
)

// DataChannel is Godot's WebRTCDataChannel: a PacketPeer over one SCTP
// stream of a PeerConnection. It embeds *peer.Peer (PutPacket, GetPacket,
// PutVar, GetVar, ReadPacket, ReadVar, ...) and adds the channel's own
// methods. Each message is one packet.
type DataChannel struct {
	*peer.Peer
	t *dcTransport
}

// Peer is the connection type Dial and Accept return, named as every
// transport of this module names it: a DataChannel on the connection's first
// channel that also owns the connection (closing it closes the connection
// and the signalling link).
type Peer = DataChannel

// dcTransport implements peer.Transport on a pion data channel.
type dcTransport struct {
	d          *pion.DataChannel
	pc         *PeerConnection
	negotiated bool
	reliable   bool
	q          *ringbuf.Inbox

	ctx    context.Context // cancelled by Close: aborts a blocked push or put
	cancel context.CancelFunc

	wasString atomic.Bool
	writeMode atomic.Int32

	scratch []byte // OnMessage is called by one goroutine at a time

	low      chan struct{} // cap 1: the send queue drained below the threshold
	gone     chan struct{} // closed when the channel or connection ends
	goneOnce sync.Once
	opened   chan struct{} // closed when the channel opens, after the open hook ran
	isOpen   atomic.Bool   // set when the channel opens, before the open hook runs
	openOnce sync.Once

	ownerMu sync.Mutex
	onClose []func() // extra clean-up run by Close (Dial/Accept)

	hook atomic.Pointer[channelHook] // set by a MultiplayerPeer
}

// channelHook tells a MultiplayerPeer about a channel: a packet was queued,
// the channel opened, the channel ended. Each runs on a pion goroutine or
// on the goroutine closing the channel, never with the channel's locks held.
type channelHook struct {
	packet, open, gone func()
}

func (p *PeerConnection) wrap(d *pion.DataChannel, negotiated bool) *DataChannel {
	c := p.cfg
	reliable := d.MaxPacketLifeTime() == nil && d.MaxRetransmits() == nil
	policy := ringbuf.DropNewest
	if reliable {
		policy = ringbuf.Block
	}
	t := &dcTransport{
		d: d, pc: p, negotiated: negotiated || d.Negotiated(), reliable: reliable,
		q:      ringbuf.NewInbox(ringbuf.Config{MaxBytes: c.ReceiveBufferBytes, MaxPackets: c.ReceiveBufferPackets, Policy: policy}, peer.ErrUnavailable),
		low:    make(chan struct{}, 1),
		gone:   make(chan struct{}),
		opened: make(chan struct{}),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.writeMode.Store(int32(WriteModeBinary))
	d.SetBufferedAmountLowThreshold(uint64(c.MaxBufferedAmount / 2))
	d.OnBufferedAmountLow(func() {
		select {
		case t.low <- struct{}{}:
		default:
		}
	})
	d.OnOpen(func() {
		// The hook runs before opened closes, so whoever waits for the
		// channel to open sees what the hook did (a multiplayer peer
		// marked connected).
		t.isOpen.Store(true)
		if h := t.hook.Load(); h != nil {
			h.open()
		}
		t.openOnce.Do(func() { close(t.opened) })
	})
	d.OnClose(func() { t.remoteClosed(io.EOF) })
	d.OnMessage(t.onMessage)
	if d.ReadyState() == pion.DataChannelStateOpen {
		t.isOpen.Store(true)
		t.openOnce.Do(func() { close(t.opened) })
	}
	dc := &DataChannel{Peer: peer.New(t), t: t}
	p.mu.Lock()
	p.channels = append(p.channels, dc)
	p.mu.Unlock()
	return dc
}

func (t *dcTransport) onMessage(m pion.DataChannelMessage) {
	flag := byte(0)
	if m.IsString {
		flag = 1
	}
	t.scratch = append(append(t.scratch[:0], flag), m.Data...)
	// Block (reliable) waits for room, pausing pion's read of this channel;
	// DropNewest (unreliable) counts the drop. Either way errors end here.
	if t.q.Push(t.ctx, t.scratch) == nil {
		if h := t.hook.Load(); h != nil {
			h.packet()
		}
	}
}

// remoteClosed ends the receive queue: queued packets can still be read,
// then GetPacket reports cause.
func (t *dcTransport) remoteClosed(cause error) {
	first := false
	t.goneOnce.Do(func() {
		t.q.Close(cause)
		close(t.gone)
		first = true
	})
	if h := t.hook.Load(); first && h != nil {
		h.gone()
	}
}

func (t *dcTransport) maxPacketSize() int {
	n := t.pc.cfg.MaxMessageSize
	if s := t.pc.pc.SCTP(); s != nil {
		if remote := int(s.GetCapabilities().MaxMessageSize); remote > 0 && remote < n {
			n = remote
		}
	}
	return n
}

func (t *dcTransport) PutPacket(p []byte) error {
	if limit := t.maxPacketSize(); len(p) > limit {
		return &peer.OpError{Op: "put packet", Transport: "webrtc", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds max packet size %d", len(p), limit)}
	}
	if st := t.d.ReadyState(); st != pion.DataChannelStateOpen {
		return &peer.OpError{Op: "put packet", Transport: "webrtc", Code: peer.ErrFailed,
			Detail: fmt.Sprintf("data channel %q is %s, not open", t.d.Label(), channelStateOf(st))}
	}
	limit := uint64(t.pc.cfg.MaxBufferedAmount)
	for t.d.BufferedAmount() > limit {
		select {
		case <-t.low:
		case <-t.ctx.Done():
			return &peer.OpError{Op: "put packet", Transport: "webrtc", Err: peer.ErrClosed}
		case <-t.gone:
			return &peer.OpError{Op: "put packet", Transport: "webrtc", Code: peer.ErrFailed, Detail: "data channel closed while waiting for the send queue"}
		}
	}
	var err error
	if WriteMode(t.writeMode.Load()) == WriteModeText {
		err = t.d.SendText(string(p))
	} else {
		err = t.d.Send(p)
	}
	if err != nil {
		if t.ctx.Err() != nil {
			return &peer.OpError{Op: "put packet", Transport: "webrtc", Err: peer.ErrClosed}
		}
		return &peer.OpError{Op: "put packet", Transport: "webrtc", Code: peer.ErrFailed, Err: err}
	}
	return nil
}

// GetPacket pops the next record: a text flag byte, then the message.
func (t *dcTransport) GetPacket() ([]byte, error) {
	b, err := t.q.GetPacket()
	if err != nil {
		return nil, err
	}
	t.wasString.Store(b[0] == 1)
	return b[1:], nil
}

func (t *dcTransport) AvailablePacketCount() int { return t.q.Len() }

// TransportName implements peer.Namer.
func (t *dcTransport) TransportName() string { return "webrtc" }

// PeerStats implements peer.StatsReporter.
func (t *dcTransport) PeerStats() peer.PeerStats { return peer.PeerStats{DroppedFull: t.q.Dropped()} }

func (t *dcTransport) MaxPacketSize() int { return t.maxPacketSize() }

func (t *dcTransport) WaitPacket(ctx context.Context) error { return t.q.Wait(ctx) }

func (t *dcTransport) Close() error {
	t.cancel()
	t.remoteClosed(io.EOF)
	err := t.d.Close()
	t.ownerMu.Lock()
	fs := t.onClose
	t.onClose = nil
	t.ownerMu.Unlock()
	for _, f := range fs {
		f()
	}
	return err
}

// SetWriteMode sets how PutPacket sends: WriteModeBinary (default) or
// WriteModeText (Godot's write_mode). Text messages arrive in a browser as
// strings; send valid UTF-8.
func (dc *DataChannel) SetWriteMode(m WriteMode) error {
	if m != WriteModeText && m != WriteModeBinary {
		return &peer.OpError{Op: "set write mode", Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("unknown write mode %d", m)}
	}
	dc.t.writeMode.Store(int32(m))
	return nil
}

// WriteMode returns the write mode (Godot's write_mode).
func (dc *DataChannel) WriteMode() WriteMode { return WriteMode(dc.t.writeMode.Load()) }

// WasStringPacket reports whether the last packet GetPacket (or ReadPacket,
// GetVar, ReadVar) returned was sent as a string (Godot's
// was_string_packet).
func (dc *DataChannel) WasStringPacket() bool { return dc.t.wasString.Load() }

// ReadyState returns the channel state (Godot's get_ready_state).
func (dc *DataChannel) ReadyState() ChannelState { return channelStateOf(dc.t.d.ReadyState()) }

// BufferedAmount returns the bytes queued to send (Godot's
// get_buffered_amount).
func (dc *DataChannel) BufferedAmount() int { return int(dc.t.d.BufferedAmount()) }

// ID returns the SCTP stream id, or Unset (65535) while it is not known yet
// (Godot's get_id).
func (dc *DataChannel) ID() int {
	if id := dc.t.d.ID(); id != nil {
		return int(*id)
	}
	return Unset
}

// Label returns the channel's label (Godot's get_label).
func (dc *DataChannel) Label() string { return dc.t.d.Label() }

// Protocol returns the channel's sub-protocol (Godot's get_protocol).
func (dc *DataChannel) Protocol() string { return dc.t.d.Protocol() }

// IsOrdered reports whether messages are delivered in order (Godot's
// is_ordered).
func (dc *DataChannel) IsOrdered() bool { return dc.t.d.Ordered() }

// IsNegotiated reports whether the channel was negotiated out of band
// (Godot's is_negotiated).
func (dc *DataChannel) IsNegotiated() bool { return dc.t.negotiated }

// MaxPacketLifeTime returns the lifetime limit in milliseconds, or Unset
// (65535) for none (Godot's get_max_packet_life_time).
func (dc *DataChannel) MaxPacketLifeTime() int {
	if v := dc.t.d.MaxPacketLifeTime(); v != nil {
		return int(*v)
	}
	return Unset
}

// MaxRetransmits returns the retransmission limit, or Unset (65535) for none
// (Godot's get_max_retransmits).
func (dc *DataChannel) MaxRetransmits() int {
	if v := dc.t.d.MaxRetransmits(); v != nil {
		return int(*v)
	}
	return Unset
}

// IsReliable reports whether neither MaxPacketLifeTime nor MaxRetransmits is
// set.
func (dc *DataChannel) IsReliable() bool { return dc.t.reliable }

// Dropped returns how many received messages were discarded because the
// receive queue was full (unreliable channels only; reliable ones apply
// back-pressure instead).
func (dc *DataChannel) Dropped() uint64 { return dc.t.q.Dropped() }

// Opened returns a channel that is closed once the data channel is open.
func (dc *DataChannel) Opened() <-chan struct{} { return dc.t.opened }

// Connection returns the PeerConnection the channel belongs to.
func (dc *DataChannel) Connection() *PeerConnection { return dc.t.pc }

// WaitOpen waits until the channel is open, ctx ends or the channel closes.
// A channel that opened and closed at once did open: WaitOpen returns nil
// and reads report the close.
func (dc *DataChannel) WaitOpen(ctx context.Context) error {
	select {
	case <-dc.t.opened:
		return nil
	case <-dc.t.gone:
		select {
		case <-dc.t.opened:
			return nil
		default:
		}
		return &peer.OpError{Op: "wait open", Transport: "webrtc", Code: peer.ErrCantConnect, Detail: "data channel closed before it opened"}
	case <-ctx.Done():
		return &peer.OpError{Op: "wait open", Transport: "webrtc", Code: peer.ErrTimeout, Err: ctx.Err()}
	}
}

// Pion returns the underlying pion DataChannel. Do not set its handlers.
func (dc *DataChannel) Pion() *pion.DataChannel { return dc.t.d }

func (dc *DataChannel) addOnClose(f func()) {
	dc.t.ownerMu.Lock()
	dc.t.onClose = append(dc.t.onClose, f)
	dc.t.ownerMu.Unlock()
}
