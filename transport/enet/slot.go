package enet

import (
	"net/netip"
)

// State is an ENet peer state (Godot's ENetPacketPeer.PeerState).
type State int

// Peer states, with ENet's and Godot's numbering.
const (
	StateDisconnected State = iota
	StateConnecting
	StateAcknowledgingConnect
	StateConnectionPending
	StateConnectionSucceeded
	StateConnected
	StateDisconnectLater
	StateDisconnecting
	StateAcknowledgingDisconnect
	StateZombie
)

var stateNames = [...]string{"DISCONNECTED", "CONNECTING", "ACKNOWLEDGING_CONNECT", "CONNECTION_PENDING",
	"CONNECTION_SUCCEEDED", "CONNECTED", "DISCONNECT_LATER", "DISCONNECTING", "ACKNOWLEDGING_DISCONNECT", "ZOMBIE"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(?)"
}

// ENet per-peer defaults (spec §9).
const (
	defaultRTT              = 500
	defaultThrottle         = 32
	throttleCounterStep     = 7
	defaultThrottleAccel    = 2
	defaultThrottleDecel    = 2
	defaultThrottleInterval = 5000
	defaultTimeoutLimit     = 32
	defaultTimeoutMinimum   = 5000
	defaultTimeoutMaximum   = 30000
	defaultPingInterval     = 500
	packetLossScale         = 65536
	packetLossInterval      = 10000

	// bandwidthThrottleInterval (ms) is ENet's
	// ENET_HOST_BANDWIDTH_THROTTLE_INTERVAL.
	bandwidthThrottleInterval = 1000
)

// inCmdOverhead is what each stored incoming command or fragment is charged
// against the waiting-data limits on top of its payload: an upper bound of
// its bookkeeping (struct, slice headers, list slot).
const inCmdOverhead = 128

// outCmdOverhead is what each queued or in-flight outgoing command is
// charged against Config.SendQueueBytes on top of its payload: an upper
// bound of the command struct, its queue slots and buffer rounding.
const outCmdOverhead = 192

// outCost is the charge of n payload bytes in k commands.
func outCost(n, k int) int64 { return int64(n) + int64(k)*outCmdOverhead }

// freeOut discharges a command that leaves s's queues and recycles it.
func (s *slot) freeOut(c *outCmd) {
	s.outBytes -= outCost(len(c.data), 1)
	s.h.freeOut(c)
	if p := s.pub; p != nil && p.t.roomWaiters > 0 {
		select {
		case p.t.room <- struct{}{}:
		default:
		}
	}
}

// outCmd is one queued or in-flight outgoing command.
type outCmd struct {
	head     [48]byte // fixed part, command header included
	headLen  uint8
	number   byte
	channel  uint8
	seq      uint16 // reliable sequence number in the header
	useq     uint16 // unreliable sequence number (throttle grouping)
	fragment bool   // a fragment other than the first (not throttle-tested)
	data     []byte
	order    uint64 // enqueue order
	pooled   bool   // data is a host packet buffer, recycled with the command

	sentTime uint32
	rto      uint32
	attempts uint16
}

func (c *outCmd) reliable() bool { return c.head[0]&cmdFlagAck != 0 }
func (c *outCmd) size() int      { return int(c.headLen) + len(c.data) }

// inCmd is a received data command (or fragment group) waiting for its turn.
type inCmd struct {
	number    byte // cmdSendReliable, ... (fragment kinds for groups)
	seq       uint16
	useq      uint16
	fragCount uint32 // 0 for a plain packet
	remaining uint32 // fragments still missing
	total     uint32
	got       uint32 // payload bytes received (fragment groups)
	chunks    []chunk
	data      []byte
	charged   int64
}

type chunk struct {
	number uint32
	offset uint32
	data   []byte
}

// channel is one channel's sequencing state.
type channel struct {
	outReliableSeq   uint16
	outUnreliableSeq uint16
	usedWindows      uint16
	windows          [reliableWindows]uint16
	inReliableSeq    uint16
	inUnreliableSeq  uint16
	inReliable       []*inCmd // sorted by distance ahead of inReliableSeq
	inUnreliable     []*inCmd // sorted by (reliable seq distance, unreliable seq)
}

type pendingAck struct {
	channel  uint8
	seq      uint16
	sentTime uint16
	number   byte
}

// slot is one entry of a host's peer table: ENet's ENetPeer.
type slot struct {
	h        *Host
	index    uint16
	state    State
	addr     netip.AddrPort
	remoteID uint16
	inSess   uint8
	outSess  uint8
	connID   [4]byte
	mtu      uint32
	window   uint32
	channels []channel
	pub      *Peer // the public peer of the current connection

	inBandwidth, outBandwidth uint32
	peerSeq                   uint16 // channel 0xFF reliable sequence
	unseqGroup                uint16 // outgoing unsequenced group
	unseqBase                 uint16
	unseqWindow               [unseqWindowSize / 64]uint64

	acks []pendingAck
	// Outgoing commands, as ENet 1.3.18 keeps them: reliable commands with
	// packet data in one queue (blocked as a whole by the windows),
	// everything else in the other; merged by enqueue order.
	outData  cmdQueue
	outOther cmdQueue
	outOrder uint64
	sent     []*outCmd // reliable, in flight

	rtt, rttVar               uint32
	lowestRTT, highestRTTVar  uint32
	lastRTT, lastRTTVar       uint32
	throttle, throttleLimit   uint32
	throttleCounter           uint32
	throttleEpoch             uint32
	throttleAccel             uint32
	throttleDecel             uint32
	throttleInterval          uint32
	lastReceiveTime           uint32
	lastSendTime              uint32
	earliestTimeout           uint32
	pingInterval              uint32
	timeoutLimit              uint32
	timeoutMin, timeoutMax    uint32
	reliableInTransit         uint32
	packetsSent, packetsLost  uint32
	packetLoss, packetLossVar uint32
	packetLossEpoch           uint32
	eventData                 uint32
	continueSending           bool
	dirty                     bool // in h.dirty, waiting for a send pass

	waiting int64 // bytes held in channels and fragment groups, overhead included
	// outBytes is the outgoing data queued or in flight, outCmdOverhead
	// included, bounded by Config.SendQueueBytes.
	outBytes int64

	// Bandwidth throttle (ENet's outgoingDataTotal and throttle epochs):
	// bytes of commands queued since the host's last throttle run, and
	// the service time of the run that last singled this peer out.
	outDataTotal uint64
	outBwEpoch   uint32
	inBwEpoch    uint32
}

// reset returns the slot to DISCONNECTED, keeping its session IDs (ENet
// enet_peer_reset).
func (s *slot) reset() {
	if d := s.h.dtls.Load(); d != nil && s.addr.IsValid() && !s.h.addrInUse(s) {
		d.release(s.addr)
	}
	s.resetQueues()
	if s.pub != nil {
		s.pub.t.detach()
		s.pub = nil
	}
	s.state = StateDisconnected
	s.remoteID = maxPeerID
	s.addr = netip.AddrPort{}
	s.connID = [4]byte{}
	s.mtu = uint32(s.h.cfg.MTU)
	s.window = maxWindowSize
	s.channels = nil
	s.inBandwidth, s.outBandwidth = 0, 0
	s.peerSeq, s.unseqGroup, s.unseqBase = 0, 0, 0
	s.unseqWindow = [unseqWindowSize / 64]uint64{}
	s.rtt, s.rttVar = defaultRTT, 0
	s.lowestRTT, s.highestRTTVar = defaultRTT, 0
	s.lastRTT, s.lastRTTVar = defaultRTT, 0
	s.throttle, s.throttleLimit, s.throttleCounter, s.throttleEpoch = defaultThrottle, throttleScale, 0, 0
	s.throttleAccel, s.throttleDecel, s.throttleInterval = defaultThrottleAccel, defaultThrottleDecel, defaultThrottleInterval
	s.lastReceiveTime, s.lastSendTime, s.earliestTimeout = 0, 0, 0
	s.pingInterval = defaultPingInterval
	s.timeoutLimit, s.timeoutMin, s.timeoutMax = defaultTimeoutLimit, defaultTimeoutMinimum, defaultTimeoutMaximum
	s.reliableInTransit = 0
	s.packetsSent, s.packetsLost, s.packetLoss, s.packetLossVar, s.packetLossEpoch = 0, 0, 0, 0, 0
	s.eventData = 0
	s.continueSending = false
	s.outDataTotal, s.outBwEpoch, s.inBwEpoch = 0, 0, 0
}

// resetQueues drops every queued, in-flight and undelivered command and
// every pending acknowledgement (ENet enet_peer_reset_queues).
func (s *slot) resetQueues() {
	s.outData.drain(s.freeOut)
	s.outOther.drain(s.freeOut)
	for _, c := range s.sent {
		s.freeOut(c)
	}
	clear(s.sent)
	s.sent = s.sent[:0]
	s.acks = s.acks[:0]
	for i := range s.channels {
		ch := &s.channels[i]
		ch.inReliable = nil
		ch.inUnreliable = nil
	}
	s.h.waiting.Add(-s.waiting)
	s.h.stored -= s.waiting
	s.waiting = 0
	s.reliableInTransit = 0
}

// live reports a state in which datagrams flow.
func (s *slot) live() bool { return s.state != StateDisconnected && s.state != StateZombie }

func (s *slot) queued() int { return s.outData.len() + s.outOther.len() }

func (s *slot) connected() bool {
	return s.state == StateConnected || s.state == StateDisconnectLater
}
