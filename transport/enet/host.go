package enet

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/internal/udpsock"
	"github.com/packetpeer/packetpeer/peer"
)

// PacketFlags are ENet's packet flags, as Godot's ENetPacketPeer.FLAG_*.
type PacketFlags uint32

// Packet flags accepted by Send.
const (
	FlagReliable           PacketFlags = 1
	FlagUnsequenced        PacketFlags = 2
	FlagUnreliableFragment PacketFlags = 8
)

// EventType is the kind of an Event (Godot's ENetConnection.EventType).
type EventType int

// Event types, numbered as in Godot.
const (
	EventError      EventType = -1
	EventNone       EventType = 0
	EventConnect    EventType = 1
	EventDisconnect EventType = 2
	EventReceive    EventType = 3
)

// Event is what Service returns (Godot's [type, peer, data, channel]).
// For EventReceive the packet is queued on Peer: read it with
// Peer.GetPacket.
type Event struct {
	Type    EventType
	Peer    *Peer
	Data    uint32 // CONNECT or DISCONNECT data
	Channel int    // EventReceive: the packet's channel
}

// Statistic selects a host counter for PopStatistic (Godot's
// ENetConnection.HostStatistic).
type Statistic int

// Host statistics, numbered as in Godot.
const (
	StatSentData Statistic = iota
	StatSentPackets
	StatReceivedData
	StatReceivedPackets
)

type hostStats struct {
	sentData, sentPackets, receivedData, receivedPackets uint64
	sendErrors, refusedData                              uint64
}

// Host is an ENet host, Godot's ENetConnection: one UDP socket and a table
// of peer slots. It runs the protocol in the background (one goroutine
// reads the socket, one runs timers and sends), so nothing needs polling;
// Service returns the events in order.
type Host struct {
	cfg  Config
	sock *udpsock.Conn

	mu           sync.Mutex
	slots        []*slot
	serviceTime  uint32
	start        time.Time
	sendBuf      []byte
	compBuf      []byte
	decompBuf    []byte
	requeue      []*outCmd
	freeList     []*outCmd
	pktFree      [][]byte
	pktFreeBytes int // capacity held in pktFree
	dirty        []*slot
	refusing     atomic.Bool // read by the DTLS layer without h.mu
	urgent       bool        // an event was raised: send before unlocking
	inPass       bool        // writeTo queues datagrams (socket.go)
	queued       int         // datagrams queued by this pass
	chanLimit    int
	compressor   compressor
	stats        hostStats
	closed       bool
	dtls         atomic.Pointer[dtlsLayer] // set by DTLSServerSetup / DTLSClientSetup
	bwEpoch      uint32                    // service time of the last bandwidth throttle run
	bwRecalc     bool                      // BANDWIDTH_LIMIT is due to every connected peer

	waiting atomic.Int64 // all received data held, in every peer's inbox too
	stored  int64        // the part held in channels and fragment groups
	wakeAt  time.Time    // earliest deadline noted since the timer last ran
	inTimer bool         // the timer goroutine is running every peer's timers

	// Events, when the Host is used directly (not through Dial/Listen).
	events    []Event
	evReady   chan struct{}
	autoMode  bool
	onConnect func(*Peer) // auto mode
	onTimeout func(*slot) // auto mode: s timed out; called before it is reset
	onClose   func()      // Listen: closes the accept queue, without h.mu held

	kick       chan struct{}
	done       chan struct{}
	readerDone chan struct{}
	timerDone  chan struct{}
}

// compressor is a datagram codec plugged into the host (ENet's
// ENetCompressor).
type compressor interface {
	Compress(dst, src []byte) ([]byte, bool)
	Decompress(dst, src []byte, limit int) ([]byte, error)
}

// NewHost creates a host bound to addr ("host:port"; "" = unbound, an
// ephemeral port; "*" or an empty host = every address), Godot's
// create_host_bound / create_host.
func NewHost(addr string, cfg *Config) (*Host, error) {
	c := cfg.withDefaults()
	if err := c.check("create host"); err != nil {
		return nil, err
	}
	conn, err := openSocket(addr, c.MaxPeers)
	if err != nil {
		return nil, &peer.OpError{Op: "create host", Transport: "enet", Code: peer.ErrCantCreate, Err: err}
	}
	return newHost(conn, c), nil
}

func newHost(sock *udpsock.Conn, c Config) *Host {
	h := &Host{
		cfg:        c,
		sock:       sock,
		start:      time.Now(),
		sendBuf:    make([]byte, 0, maxMTU+8),
		compBuf:    make([]byte, 0, maxMTU+8),
		decompBuf:  make([]byte, 0, maxMTU+8),
		chanLimit:  c.ChannelLimit,
		evReady:    make(chan struct{}, 1),
		kick:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		timerDone:  make(chan struct{}),
	}
	h.slots = make([]*slot, c.MaxPeers)
	for i := range h.slots {
		s := &slot{h: h, index: uint16(i), inSess: 0xFF, outSess: 0xFF}
		s.reset()
		h.slots[i] = s
	}
	h.serviceTime = h.clock()
	go h.readLoop()
	go h.timerLoop()
	return h
}

// clock is the u32 millisecond service clock; it never reads 0, which ENet
// uses as "unset".
func (h *Host) clock() uint32 {
	t := uint32(time.Since(h.start).Milliseconds()) + 1
	if t == 0 {
		t = 1
	}
	return t
}

// checksumLen is the size of the checksum field in each datagram: 4 with
// Config.Checksum, else 0.
func (h *Host) checksumLen() int {
	if h.cfg.Checksum {
		return 4
	}
	return 0
}

func (h *Host) channelLimit() int {
	if h.chanLimit == 0 {
		return MaxChannels
	}
	return h.chanLimit
}

func (h *Host) newOut() *outCmd {
	if n := len(h.freeList); n > 0 {
		c := h.freeList[n-1]
		h.freeList = h.freeList[:n-1]
		return c
	}
	return &outCmd{}
}

func (h *Host) freeOut(c *outCmd) {
	if c.pooled && len(h.pktFree) < maxPktFree && h.pktFreeBytes+cap(c.data) <= maxPktFreeBytes {
		h.pktFree = append(h.pktFree, c.data[:0])
		h.pktFreeBytes += cap(c.data)
	}
	*c = outCmd{}
	if len(h.freeList) < maxFreeCmds {
		h.freeList = append(h.freeList, c)
	}
}

// Free-list bounds: commands (about 150 bytes each) and single-datagram
// packet buffers (at most 4 KiB each, at most 256 KiB in all, ENet's
// socket buffer size) a host keeps for reuse, so that a burst of a thousand
// small packets in flight recycles its buffers.
const (
	maxFreeCmds     = 4096
	maxPktFree      = 4096
	maxPktFreeBytes = 256 << 10
)

// packetBuffer returns a copy of p, in a recycled buffer when one fits; p
// fits one datagram.
func (h *Host) packetBuffer(p []byte) []byte {
	if n := len(h.pktFree); n > 0 && cap(h.pktFree[n-1]) >= len(p) {
		b := h.pktFree[n-1]
		h.pktFree[n-1] = nil
		h.pktFree = h.pktFree[:n-1]
		h.pktFreeBytes -= cap(b)
		return append(b, p...)
	}
	return append(make([]byte, 0, roundBuf(len(p))), p...)
}

func (h *Host) markDirty(s *slot) {
	if !s.dirty {
		s.dirty = true
		h.dirty = append(h.dirty, s)
	}
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// tickInterval is how often a peer with queued or pending work (a full
// window, a DISCONNECT_LATER) is polled; otherwise the timer goroutine
// sleeps until the next retransmission or ping is due (at most maxSleep),
// and a host without live peers does not wake up.
const tickInterval = 5 * time.Millisecond

func (h *Host) timerLoop() {
	defer close(h.timerDone)
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	var armed time.Time
	rearm := func(at time.Time) {
		if at.IsZero() || (!armed.IsZero() && !at.Before(armed)) {
			return
		}
		armed = at
		t.Reset(time.Until(at))
	}
	for {
		select {
		case <-h.done:
			return
		case <-h.kick:
			h.lockPass()
			h.serviceTime = h.clock()
			h.bandwidthThrottle()
			h.flushDirty()
			at := h.wakeAt
			h.unlockPass()
			rearm(at)
		case <-t.C:
			armed = time.Time{}
			h.lockPass()
			h.serviceTime = h.clock()
			h.wakeAt = time.Time{}
			h.inTimer = true
			h.bandwidthThrottle()
			h.flushDirty()
			for _, s := range h.slots {
				if s.live() {
					h.sendSlot(s, true)
				}
			}
			h.inTimer = false
			at := h.wakeAt
			h.unlockPass()
			rearm(at)
		}
	}
}

func (h *Host) flushDirty() {
	for i := 0; i < len(h.dirty); i++ {
		s := h.dirty[i]
		h.dirty[i] = nil
		s.dirty = false
		h.sendSlot(s, false)
	}
	h.dirty = h.dirty[:0]
}

// addrInUse reports whether a slot other than s has a connection with s's
// remote address.
func (h *Host) addrInUse(s *slot) bool {
	for _, x := range h.slots {
		if x != s && x.state != StateDisconnected && x.addr == s.addr {
			return true
		}
	}
	return false
}

// notifyConnect marks s connected and reports it.
func (h *Host) notifyConnect(s *slot) {
	s.state = StateConnected
	h.bwRecalc = true
	p := s.pub
	p.t.markConnected()
	h.emit(Event{Type: EventConnect, Peer: p, Data: s.eventData})
}

// zombie ends s's connection: the DISCONNECT event is raised and, once the
// application has seen it (at once through Dial/Listen), the slot is reset.
func (h *Host) zombie(s *slot, reason error) {
	if s.state >= StateConnectionPending {
		h.bwRecalc = true
	}
	s.state = StateZombie
	p := s.pub
	data := s.eventData
	if p != nil {
		p.t.end(reason)
	}
	if h.autoMode || p == nil {
		s.reset()
		return
	}
	p.t.zombieSlot = s
	h.emit(Event{Type: EventDisconnect, Peer: p, Data: data})
}

// eventCost is what a queued EventReceive is charged against
// MaxHostWaitingData: an Event is 32 bytes, and the queue's slice may hold
// twice its length.
const eventCost = 64

func (h *Host) emit(e Event) {
	if e.Type != EventReceive {
		h.urgent = true
	}
	if h.autoMode {
		if e.Type == EventConnect && h.onConnect != nil {
			h.onConnect(e.Peer)
		}
		return
	}
	if e.Type == EventReceive {
		h.waiting.Add(eventCost)
	}
	h.events = append(h.events, e)
	select {
	case h.evReady <- struct{}{}:
	default:
	}
}

// deliverable reports whether n more bytes may be queued for s's application.
func (h *Host) deliverable(s *slot, n int) bool {
	c := int64(n) + inCmdOverhead
	ev := int64(0)
	if !h.autoMode {
		ev = eventCost
	}
	return s.waiting+s.pub.t.in.bytes.Load()+c <= int64(h.cfg.MaxWaitingData) &&
		h.waiting.Load()+c+ev <= int64(h.cfg.MaxHostWaitingData)
}

// deliver queues a packet for the application.
func (h *Host) deliver(s *slot, ch uint8, data []byte, flags PacketFlags, owned bool) {
	p := s.pub
	if !owned {
		data = p.t.in.buffer(data)
	}
	n := int64(len(data)) + inCmdOverhead
	p.t.in.push(packet{data: data, channel: ch, flags: flags}, n, &h.waiting)
	if !h.autoMode {
		h.emit(Event{Type: EventReceive, Peer: p, Channel: int(ch)})
	}
}

// ConnectToHost starts connecting to addr ("host:port") with channels
// channels (0 = 255) and data in the CONNECT command (Godot's
// connect_to_host). The peer is CONNECTING; an EventConnect follows, or an
// EventDisconnect if the remote never answers.
func (h *Host) ConnectToHost(addr string, channels int, data uint32) (*Peer, error) {
	if channels < 0 || channels > MaxChannels {
		return nil, &peer.OpError{Op: "connect to host", Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("channel count %d outside 0..%d", channels, MaxChannels)}
	}
	if channels == 0 {
		channels = MaxChannels
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, &peer.OpError{Op: "connect to host", Transport: "enet", Code: peer.ErrCantResolve, Err: err}
	}
	ap := ua.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if ap.Port() == 0 || !ap.Addr().IsValid() || ap.Addr().IsUnspecified() {
		return nil, &peer.OpError{Op: "connect to host", Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: "remote " + addr + " needs an address and a port in 1..65535"}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, &peer.OpError{Op: "connect to host", Transport: "enet", Err: peer.ErrClosed}
	}
	var s *slot
	for _, x := range h.slots {
		if x.state == StateDisconnected {
			s = x
			break
		}
	}
	if s == nil {
		return nil, &peer.OpError{Op: "connect to host", Transport: "enet", Code: peer.ErrCantCreate, Detail: "no free peer slot"}
	}
	h.serviceTime = h.clock()
	s.channels = make([]channel, channels)
	s.state = StateConnecting
	s.addr = ap
	var id [4]byte
	_, _ = crand.Read(id[:])
	s.connID = id
	s.mtu = uint32(min(h.cfg.MTU, 1400))
	s.pub = newPeer(s)
	c := h.newOut()
	c.number, c.channel, c.headLen = cmdConnect, 0xFF, 48
	c.head[0], c.head[1] = cmdConnect|cmdFlagAck, 0xFF
	put16(c.head[:], 4, s.index)
	c.head[6], c.head[7] = s.inSess, s.outSess
	put32(c.head[:], 8, s.mtu)
	w := uint32(maxWindowSize)
	if h.cfg.OutgoingBandwidth != 0 {
		w = min(max((h.cfg.OutgoingBandwidth/windowSizeScale)*minWindowSize, minWindowSize), maxWindowSize)
	}
	s.window = w
	put32(c.head[:], 12, w)
	put32(c.head[:], 16, uint32(channels))
	put32(c.head[:], 20, h.cfg.IncomingBandwidth)
	put32(c.head[:], 24, h.cfg.OutgoingBandwidth)
	put32(c.head[:], 28, s.throttleInterval)
	put32(c.head[:], 32, s.throttleAccel)
	put32(c.head[:], 36, s.throttleDecel)
	copy(c.head[40:44], id[:])
	put32(c.head[:], 44, data)
	s.queueOut(c)
	return s.pub, nil
}

// Service waits for the next event and returns it (Godot's service, as a
// blocking call). It returns ctx's error when ctx ends first and an error
// matching ErrClosed once the host is closed.
func (h *Host) Service(ctx context.Context) (Event, error) {
	for {
		if e, ok, err := h.popEvent(); ok || err != nil {
			return e, err
		}
		select {
		case <-h.evReady:
		case <-ctx.Done():
			return Event{}, &peer.OpError{Op: "service", Transport: "enet", Code: peer.ErrTimeout, Err: ctx.Err()}
		case <-h.done:
			return Event{}, &peer.OpError{Op: "service", Transport: "enet", Err: peer.ErrClosed}
		}
	}
}

// ServiceTimeout is Godot's service(timeout) polling form: it returns the
// next event, waiting at most timeout (0 = do not wait), or an EventNone.
func (h *Host) ServiceTimeout(timeout time.Duration) (Event, error) {
	if timeout <= 0 {
		e, _, err := h.popEvent()
		return e, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	e, err := h.Service(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return Event{}, nil
	}
	return e, err
}

func (h *Host) popEvent() (Event, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return Event{}, false, &peer.OpError{Op: "service", Transport: "enet", Err: peer.ErrClosed}
	}
	if len(h.events) == 0 {
		return Event{}, false, nil
	}
	e := h.events[0]
	if e.Type == EventReceive {
		h.waiting.Add(-eventCost)
	}
	h.events[0] = Event{}
	h.events = h.events[1:]
	if len(h.events) == 0 {
		h.events = nil
	} else {
		select {
		case h.evReady <- struct{}{}:
		default:
		}
	}
	if e.Type == EventDisconnect {
		if s := e.Peer.t.zombieSlot; s != nil && s.state == StateZombie && s.pub == e.Peer {
			s.reset()
		}
		e.Peer.t.zombieSlot = nil
	}
	return e, true, nil
}

// Flush sends everything queued now (Godot's flush).
func (h *Host) Flush() {
	h.lockPass()
	defer h.unlockPass()
	if h.closed {
		return
	}
	h.serviceTime = h.clock()
	h.flushDirty()
	for _, s := range h.slots {
		if s.live() && s.queued() > 0 {
			h.sendSlot(s, false)
		}
	}
}

// Broadcast sends data to every connected peer (Godot's broadcast). A peer
// whose send queue is full (Config.SendQueueBytes), or whose
// MaxPacketSize is smaller than data, is skipped and the packet counted as
// dropped on it.
func (h *Host) Broadcast(channel int, data []byte, flags PacketFlags) error {
	if err := checkFlags("broadcast", flags); err != nil {
		return err
	}
	if len(data) > h.cfg.MaxPacketSize {
		return tooLarge("broadcast", len(data), h.cfg.MaxPacketSize)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return &peer.OpError{Op: "broadcast", Transport: "enet", Err: peer.ErrClosed}
	}
	if channel < 0 || channel >= h.channelLimit() {
		return &peer.OpError{Op: "broadcast", Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("channel %d outside 0..%d", channel, h.channelLimit()-1)}
	}
	for _, s := range h.slots {
		if s.state == StateConnected && channel < len(s.channels) {
			if len(data) > h.sendLimit(s) || !h.sendRoom(s, len(data)) {
				s.pub.t.stats.refused.Add(1)
				continue
			}
			h.sendPacket(s, channel, data, flags)
		}
	}
	return nil
}

// sendLimit is the largest packet that may be sent to s: MaxPacketSize, or
// what maxFragmentCnt fragments carry at s's MTU (Config.MTU before a
// connection; s may be nil). Called with h.mu held.
func (h *Host) sendLimit(s *slot) int {
	mtu := h.cfg.MTU
	if s != nil {
		mtu = int(s.mtu)
	}
	fragLen := int64(mtu - 28 - h.checksumLen())
	return int(min(int64(h.cfg.MaxPacketSize), fragLen*maxFragmentCnt))
}

func checkFlags(op string, f PacketFlags) error {
	if f&^(FlagReliable|FlagUnsequenced|FlagUnreliableFragment) != 0 {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: "flags " + strconv.Itoa(int(f)) + " outside FLAG_RELIABLE|FLAG_UNSEQUENCED|FLAG_UNRELIABLE_FRAGMENT"}
	}
	return nil
}

func tooLarge(op string, n, limit int) error {
	return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrInvalidParameter,
		Detail: fmt.Sprintf("packet of %d bytes exceeds max packet size %d", n, limit)}
}

// SetChannelLimit limits the channels of future incoming connections; 0
// means 255 (Godot's channel_limit).
func (h *Host) SetChannelLimit(n int) error {
	if n < 0 || n > MaxChannels {
		return &peer.OpError{Op: "channel limit", Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("%d outside 0..%d", n, MaxChannels)}
	}
	h.mu.Lock()
	h.chanLimit = n
	h.mu.Unlock()
	return nil
}

// MaxChannels returns the channel limit (Godot's get_max_channels).
func (h *Host) MaxChannels() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.channelLimit()
}

// RefuseNewConnections makes the host ignore CONNECT commands (the remote
// times out), or accept them again. A DTLS server also starts no new DTLS
// sessions meanwhile, as Godot's (its UDPServer's max pending goes to 0).
func (h *Host) RefuseNewConnections(refuse bool) {
	h.refusing.Store(refuse)
}

// Peers returns the peers with a live connection (Godot's get_peers).
func (h *Host) Peers() []*Peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ps []*Peer
	for _, s := range h.slots {
		if s.state != StateDisconnected && s.pub != nil {
			ps = append(ps, s.pub)
		}
	}
	return ps
}

// PopStatistic returns a host counter and zeroes it (Godot's pop_statistic).
func (h *Host) PopStatistic(st Statistic) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var p *uint64
	switch st {
	case StatSentData:
		p = &h.stats.sentData
	case StatSentPackets:
		p = &h.stats.sentPackets
	case StatReceivedData:
		p = &h.stats.receivedData
	case StatReceivedPackets:
		p = &h.stats.receivedPackets
	default:
		return 0
	}
	v := *p
	*p = 0
	return v
}

// Close disconnects every peer at once (an unreliable DISCONNECT each, as
// DisconnectNow, so remotes see a disconnect instead of timing out),
// closes the socket and waits for the host's goroutines (Godot's destroy).
// Calling it again returns nil.
func (h *Host) Close() error {
	h.mu.Lock()
	onClose := h.onClose
	h.mu.Unlock()
	if onClose != nil {
		onClose()
	}
	h.lockPass()
	if h.closed {
		h.unlockPass()
		return nil
	}
	h.serviceTime = h.clock()
	for _, s := range h.slots {
		if s.state != StateDisconnected {
			if s.pub != nil {
				s.pub.t.end(&peer.OpError{Op: "read packet", Transport: "enet", Err: peer.ErrClosed, Detail: "host closed"})
			}
			h.disconnectNow(s, 0)
		}
	}
	h.closed = true
	for _, e := range h.events {
		if e.Type == EventReceive {
			h.waiting.Add(-eventCost)
		}
	}
	h.events = nil
	h.unlockPass()
	close(h.done)
	<-h.timerDone
	if d := h.dtls.Load(); d != nil {
		d.close()
	}
	h.sock.Drain() // the DISCONNECTs, whichever goroutine sends them
	err := h.sock.Close()
	<-h.readerDone
	if z, ok := h.compressor.(*zstdCodec); ok {
		z.close()
	}
	return err
}
