package enet

import (
	"encoding/binary"
	"fmt"

	"github.com/packetpeer/packetpeer/peer"
)

// Protocol constants (ENet 1.3, spec §9).
const (
	minMTU          = 576
	maxMTU          = 4096
	maxPacketCmds   = 32
	minWindowSize   = 4096
	maxWindowSize   = 65536
	maxChannelCount = 255
	maxPeerID       = 0xFFF
	maxFragmentCnt  = 1 << 20

	flagSentTime   = 0x8000
	flagCompressed = 0x4000
	sessionMask    = 0x3000
	sessionShift   = 12

	cmdFlagAck   = 0x80
	cmdFlagUnseq = 0x40
	cmdMask      = 0x0F

	windowSizeScale = 65536

	reliableWindows     = 16
	reliableWindowSize  = 0x1000
	freeReliableWindows = 8
	unseqWindowSize     = 1024
	freeUnseqWindows    = 32

	throttleScale = 32
	timeOverflow  = 86400000
)

// Command numbers.
const (
	cmdNone = iota
	cmdAcknowledge
	cmdConnect
	cmdVerifyConnect
	cmdDisconnect
	cmdPing
	cmdSendReliable
	cmdSendUnreliable
	cmdSendFragment
	cmdSendUnsequenced
	cmdBandwidthLimit
	cmdThrottleConfigure
	cmdSendUnreliableFragment
	cmdCount
)

// cmdSizes is each command's fixed size, 4-byte command header included.
var cmdSizes = [cmdCount]int{0, 8, 48, 44, 8, 4, 6, 8, 24, 8, 12, 16, 24}

// cmdHasPayload reports whether dataLength bytes follow the fixed part.
func cmdHasPayload(n byte) bool {
	switch n {
	case cmdSendReliable, cmdSendUnreliable, cmdSendFragment, cmdSendUnsequenced, cmdSendUnreliableFragment:
		return true
	}
	return false
}

// header is a decoded protocol header.
type header struct {
	peerID     uint16
	session    uint8
	compressed bool
	hasTime    bool
	sentTime   uint16
	size       int // 2 or 4
}

func parseHeader(b []byte) (header, bool) {
	if len(b) < 2 {
		return header{}, false
	}
	w := binary.BigEndian.Uint16(b)
	h := header{
		peerID:     w & maxPeerID,
		session:    uint8((w & sessionMask) >> sessionShift),
		compressed: w&flagCompressed != 0,
		hasTime:    w&flagSentTime != 0,
		size:       2,
	}
	if h.hasTime {
		if len(b) < 4 {
			return header{}, false
		}
		h.sentTime = binary.BigEndian.Uint16(b[2:])
		h.size = 4
	}
	return h, true
}

// command is one decoded command. Fields are those of its kind; payload
// aliases the datagram.
type command struct {
	raw     byte // command byte as sent, flags included
	number  byte
	channel uint8
	seq     uint16 // header reliableSequenceNumber

	// ACKNOWLEDGE
	ackSeq  uint16
	ackTime uint16

	// CONNECT / VERIFY_CONNECT
	outgoingPeerID             uint16
	inSession, outSession      uint8
	mtu, windowSize, channels  uint32
	inBandwidth, outBandwidth  uint32
	throttleInterval           uint32
	throttleAccel, throttleDec uint32
	connectID                  [4]byte
	data                       uint32 // CONNECT, DISCONNECT

	// data commands
	unreliableSeq  uint16 // SEND_UNRELIABLE; unsequenced group; fragment start
	fragmentCount  uint32
	fragmentNumber uint32
	totalLength    uint32
	fragmentOffset uint32
	payload        []byte
}

func (c *command) acked() bool { return c.raw&cmdFlagAck != 0 }

// malformed is the error of a command that ENet would treat as an error in
// the datagram.
func malformed(f string, a ...any) error {
	return &peer.OpError{Op: "parse command", Transport: "enet", Code: peer.ErrInvalidData, Detail: fmt.Sprintf(f, a...)}
}

func u16(b []byte, off int) uint16      { return binary.BigEndian.Uint16(b[off:]) }
func u32(b []byte, off int) uint32      { return binary.BigEndian.Uint32(b[off:]) }
func put16(b []byte, off int, v uint16) { binary.BigEndian.PutUint16(b[off:], v) }
func put32(b []byte, off int, v uint32) { binary.BigEndian.PutUint32(b[off:], v) }
func commandName(n byte) string         { return commandNames[n&cmdMask] }

var commandNames = [16]string{"NONE", "ACKNOWLEDGE", "CONNECT", "VERIFY_CONNECT", "DISCONNECT", "PING",
	"SEND_RELIABLE", "SEND_UNRELIABLE", "SEND_FRAGMENT", "SEND_UNSEQUENCED", "BANDWIDTH_LIMIT",
	"THROTTLE_CONFIGURE", "SEND_UNRELIABLE_FRAGMENT", "13", "14", "15"}

// decodeCommand decodes the command at the start of b into c and returns its
// total length (payload included). done reports the clean end of the
// datagram (fewer than 4 bytes left, command 0 or >= 13, or a truncated
// fixed part: ENet stops there silently); err a payload running past the end.
func decodeCommand(b []byte, c *command) (n int, done bool, err error) {
	if len(b) < 4 {
		return 0, true, nil
	}
	num := b[0] & cmdMask
	if num == cmdNone || num >= cmdCount {
		return 0, true, nil
	}
	size := cmdSizes[num]
	if len(b) < size {
		return 0, true, nil
	}
	*c = command{raw: b[0], number: num, channel: b[1], seq: u16(b, 2)}
	switch num {
	case cmdAcknowledge:
		c.ackSeq, c.ackTime = u16(b, 4), u16(b, 6)
	case cmdConnect, cmdVerifyConnect:
		c.outgoingPeerID = u16(b, 4)
		c.inSession, c.outSession = b[6], b[7]
		c.mtu, c.windowSize, c.channels = u32(b, 8), u32(b, 12), u32(b, 16)
		c.inBandwidth, c.outBandwidth = u32(b, 20), u32(b, 24)
		c.throttleInterval, c.throttleAccel, c.throttleDec = u32(b, 28), u32(b, 32), u32(b, 36)
		copy(c.connectID[:], b[40:44])
		if num == cmdConnect {
			c.data = u32(b, 44)
		}
	case cmdDisconnect:
		c.data = u32(b, 4)
	case cmdBandwidthLimit:
		c.inBandwidth, c.outBandwidth = u32(b, 4), u32(b, 8)
	case cmdThrottleConfigure:
		c.throttleInterval, c.throttleAccel, c.throttleDec = u32(b, 4), u32(b, 8), u32(b, 12)
	}
	if !cmdHasPayload(num) {
		return size, false, nil
	}
	var dataLen int
	switch num {
	case cmdSendReliable:
		dataLen = int(u16(b, 4))
	case cmdSendUnreliable, cmdSendUnsequenced:
		c.unreliableSeq = u16(b, 4)
		dataLen = int(u16(b, 6))
	case cmdSendFragment, cmdSendUnreliableFragment:
		c.unreliableSeq = u16(b, 4)
		dataLen = int(u16(b, 6))
		c.fragmentCount, c.fragmentNumber = u32(b, 8), u32(b, 12)
		c.totalLength, c.fragmentOffset = u32(b, 16), u32(b, 20)
	}
	if len(b)-size < dataLen {
		return 0, false, malformed("%s payload of %d bytes runs past the datagram (%d left)", commandName(num), dataLen, len(b)-size)
	}
	c.payload = b[size : size+dataLen]
	return size + dataLen, false, nil
}
