package enet

import (
	"hash/crc32"
	"io"
	"net/netip"
)

// timeLess is ENet's wrap-aware a < b on the u32 millisecond clock.
func timeLess(a, b uint32) bool { return a-b >= timeOverflow }

// timeDiff is |a − b| the ENet way.
func timeDiff(a, b uint32) uint32 {
	if a-b >= timeOverflow {
		return b - a
	}
	return a - b
}

// handleDatagram processes one received datagram from src (ENet
// enet_protocol_handle_incoming_commands). It returns the slot that should
// get a send pass afterwards, if any. Called with h.mu held.
func (h *Host) handleDatagram(src netip.AddrPort, b []byte) *slot {
	hd, ok := parseHeader(b)
	if !ok {
		return nil
	}
	var s *slot
	if hd.peerID != maxPeerID {
		if int(hd.peerID) >= len(h.slots) {
			return nil
		}
		s = h.slots[hd.peerID]
		if !s.live() || s.addr != src ||
			(s.remoteID < maxPeerID && hd.session != s.inSess) {
			return nil
		}
	}
	hdrSize := hd.size + h.checksumLen()
	if len(b) < hdrSize {
		return nil
	}
	full := b
	if hd.compressed {
		if h.compressor == nil {
			return nil
		}
		out, err := h.compressor.Decompress(append(h.decompBuf[:0], b[:hdrSize]...), b[hdrSize:], maxMTU-hdrSize)
		if err != nil {
			return nil
		}
		full = out
	}
	body := full[hdrSize:]
	if hdrSize > hd.size {
		want := u32(full, hd.size)
		var seed [4]byte
		if s != nil {
			seed = s.connID
		}
		copy(full[hd.size:hdrSize], seed[:])
		if crc32.ChecksumIEEE(full) != want {
			return nil
		}
	}
	h.stats.receivedPackets++
	h.stats.receivedData += uint64(len(b))
	var c command
	for len(body) > 0 {
		n, done, err := decodeCommand(body, &c)
		if done || err != nil {
			break
		}
		body = body[n:]
		if s == nil && c.number != cmdConnect {
			break
		}
		var herr bool
		switch c.number {
		case cmdAcknowledge:
			herr = !h.handleAck(s, &c)
		case cmdConnect:
			if s != nil {
				herr = true
				break
			}
			s = h.handleConnect(src, &c)
			herr = s == nil
		case cmdVerifyConnect:
			herr = !h.handleVerify(s, &c)
		case cmdDisconnect:
			h.handleDisconnect(s, &c)
		case cmdPing:
			herr = !s.connected()
		case cmdSendReliable, cmdSendUnreliable, cmdSendUnsequenced:
			herr = !h.handleSend(s, &c)
		case cmdSendFragment, cmdSendUnreliableFragment:
			herr = !h.handleFragment(s, &c)
		case cmdBandwidthLimit:
			herr = !h.handleBandwidthLimit(s, &c)
		case cmdThrottleConfigure:
			if !s.connected() {
				herr = true
				break
			}
			s.throttleInterval, s.throttleAccel, s.throttleDecel = c.throttleInterval, c.throttleAccel, c.throttleDec
		}
		if herr {
			break
		}
		if s == nil || !c.acked() {
			continue
		}
		if !hd.hasTime {
			break
		}
		switch s.state {
		case StateDisconnecting, StateAcknowledgingConnect, StateDisconnected, StateZombie:
		case StateAcknowledgingDisconnect:
			if c.number == cmdDisconnect {
				s.queueAck(&c, hd.sentTime)
			}
		default:
			s.queueAck(&c, hd.sentTime)
		}
	}
	return s
}

// queueAck queues the acknowledgement of c unless the window rule of §4.3
// suppresses it.
func (s *slot) queueAck(c *command, sentTime uint16) {
	if int(c.channel) < len(s.channels) {
		ch := &s.channels[c.channel]
		w := c.seq / reliableWindowSize
		cur := ch.inReliableSeq / reliableWindowSize
		if c.seq < ch.inReliableSeq {
			w += reliableWindows
		}
		if w >= cur+freeReliableWindows-1 && w <= cur+freeReliableWindows {
			return
		}
	}
	if len(s.acks) >= maxQueuedAcks {
		return // the sender will retransmit
	}
	s.acks = append(s.acks, pendingAck{channel: c.channel, seq: c.seq, sentTime: sentTime, number: c.number})
}

// maxQueuedAcks bounds the acknowledgements waiting for a send pass; a
// sender that overruns it retransmits.
const maxQueuedAcks = 4096

func (h *Host) handleAck(s *slot, c *command) bool {
	if s.state == StateDisconnected || s.state == StateZombie {
		return true
	}
	now := h.serviceTime
	t := uint32(c.ackTime) | now&0xFFFF0000
	if t&0x8000 > now&0x8000 {
		t -= 0x10000
	}
	if timeLess(now, t) {
		return true
	}
	rtt := max(timeDiff(now, t), 1)
	if s.lastReceiveTime > 0 {
		s.throttleUpdate(rtt)
		s.rttVar -= s.rttVar / 4
		if rtt >= s.rtt {
			d := rtt - s.rtt
			s.rttVar += d / 4
			s.rtt += d / 8
		} else {
			d := s.rtt - rtt
			s.rttVar += d / 4
			s.rtt -= d / 8
		}
	} else {
		s.rtt = rtt
		s.rttVar = (rtt + 1) / 2
	}
	if s.rtt < s.lowestRTT {
		s.lowestRTT = s.rtt
	}
	if s.rttVar > s.highestRTTVar {
		s.highestRTTVar = s.rttVar
	}
	if s.throttleEpoch == 0 || timeDiff(now, s.throttleEpoch) >= s.throttleInterval {
		s.lastRTT = s.lowestRTT
		s.lastRTTVar = max(s.highestRTTVar, 1)
		s.lowestRTT = s.rtt
		s.highestRTTVar = s.rttVar
		s.throttleEpoch = now
	}
	s.lastReceiveTime = now
	s.earliestTimeout = 0
	num := s.removeSent(c.ackSeq, c.channel)
	switch s.state {
	case StateAcknowledgingConnect:
		if num != cmdVerifyConnect {
			return false
		}
		h.notifyConnect(s)
	case StateDisconnecting:
		if num != cmdDisconnect {
			return false
		}
		h.notifyDisconnect(s, errLocalDisconnect)
	case StateDisconnectLater:
		if s.queued() == 0 && len(s.sent) == 0 {
			h.disconnect(s, s.eventData)
		}
	}
	return true
}

// throttleUpdate is ENet's enet_peer_throttle.
func (s *slot) throttleUpdate(rtt uint32) {
	switch {
	case s.lastRTT <= s.lastRTTVar:
		s.throttle = s.throttleLimit
	case rtt <= s.lastRTT:
		s.throttle = min(s.throttle+s.throttleAccel, s.throttleLimit)
	case rtt > s.lastRTT+2*s.lastRTTVar:
		if s.throttle > s.throttleDecel {
			s.throttle -= s.throttleDecel
		} else {
			s.throttle = 0
		}
	}
}

// removeSent removes the in-flight command (seq, channel) and returns its
// command number, cmdNone if there is none.
func (s *slot) removeSent(seq uint16, chID uint8) byte {
	var c *outCmd
	wasSent := true
	for i, x := range s.sent {
		if x.seq == seq && x.channel == chID {
			c = x
			copy(s.sent[i:], s.sent[i+1:])
			s.sent[len(s.sent)-1] = nil
			s.sent = s.sent[:len(s.sent)-1]
			break
		}
	}
	if c == nil {
		// Requeued for retransmission: those sit at the front of a queue.
		for _, q := range [2]*cmdQueue{&s.outData, &s.outOther} {
			for i := 0; i < q.len() && c == nil; i++ {
				x := q.at(i)
				if x.attempts == 0 {
					break
				}
				if x.reliable() && x.seq == seq && x.channel == chID {
					c = q.remove(i)
					wasSent = false
				}
			}
		}
	}
	if c == nil {
		return cmdNone
	}
	if int(chID) < len(s.channels) {
		ch := &s.channels[chID]
		w := seq / reliableWindowSize
		if ch.windows[w] > 0 {
			ch.windows[w]--
			if ch.windows[w] == 0 {
				ch.usedWindows &^= 1 << w
			}
		}
	}
	num := c.number
	if c.data != nil && wasSent {
		s.reliableInTransit -= uint32(len(c.data))
	}
	s.freeOut(c)
	return num
}

func (h *Host) handleConnect(src netip.AddrPort, c *command) *slot {
	if c.channels < 1 || c.channels > maxChannelCount {
		return nil
	}
	var free *slot
	sameIP := 0
	for _, s := range h.slots {
		if s.state == StateDisconnected {
			if free == nil {
				free = s
			}
			continue
		}
		if s.addr.Addr() == src.Addr() {
			if s.addr.Port() == src.Port() && s.connID == c.connectID && s.state != StateConnecting {
				return nil
			}
			sameIP++
		}
	}
	if free == nil || sameIP >= h.cfg.DuplicatePeers || h.refusing.Load() {
		return nil
	}
	s := free
	chans := min(int(c.channels), h.channelLimit())
	s.channels = make([]channel, chans)
	s.state = StateAcknowledgingConnect
	s.connID = c.connectID
	s.addr = src
	s.remoteID = c.outgoingPeerID
	s.inBandwidth, s.outBandwidth = c.inBandwidth, c.outBandwidth
	s.throttleInterval, s.throttleAccel, s.throttleDecel = c.throttleInterval, c.throttleAccel, c.throttleDec
	s.eventData = c.data

	a := c.inSession
	if a == 0xFF {
		a = s.outSess
	}
	a = uint8((int(a) + 1) & 3)
	if a == s.outSess {
		a = (a + 1) & 3
	}
	s.outSess = a
	b := c.outSession
	if b == 0xFF {
		b = s.inSess
	}
	b = uint8((int(b) + 1) & 3)
	if b == s.inSess {
		b = (b + 1) & 3
	}
	s.inSess = b

	s.mtu = min(max(c.mtu, minMTU), maxMTU)
	if s.mtu > uint32(h.cfg.MTU) {
		s.mtu = uint32(h.cfg.MTU)
	}
	s.window = windowFor(h.cfg.OutgoingBandwidth, s.inBandwidth)

	offer := uint32(maxWindowSize)
	if h.cfg.IncomingBandwidth != 0 {
		offer = (h.cfg.IncomingBandwidth / windowSizeScale) * minWindowSize
	}
	offer = min(offer, c.windowSize)
	offer = min(max(offer, minWindowSize), maxWindowSize)

	s.pub = newPeer(s)
	v := h.newOut()
	v.number = cmdVerifyConnect
	v.channel = 0xFF
	v.headLen = 44
	v.head[0] = cmdVerifyConnect | cmdFlagAck
	v.head[1] = 0xFF
	put16(v.head[:], 4, s.index)
	v.head[6], v.head[7] = s.outSess, s.inSess
	put32(v.head[:], 8, s.mtu)
	put32(v.head[:], 12, offer)
	put32(v.head[:], 16, uint32(chans))
	put32(v.head[:], 20, h.cfg.IncomingBandwidth)
	put32(v.head[:], 24, h.cfg.OutgoingBandwidth)
	put32(v.head[:], 28, s.throttleInterval)
	put32(v.head[:], 32, s.throttleAccel)
	put32(v.head[:], 36, s.throttleDecel)
	copy(v.head[40:44], s.connID[:])
	s.queueOut(v)
	return s
}

// windowFor is the send window from our outgoing and the remote's incoming
// bandwidth (§3.3).
func windowFor(ours, theirs uint32) uint32 {
	var w uint32
	switch {
	case ours == 0 && theirs == 0:
		w = maxWindowSize
	case ours == 0 || theirs == 0:
		w = (max(ours, theirs) / windowSizeScale) * minWindowSize
	default:
		w = (min(ours, theirs) / windowSizeScale) * minWindowSize
	}
	return min(max(w, minWindowSize), maxWindowSize)
}

func (h *Host) handleVerify(s *slot, c *command) bool {
	if s.state != StateConnecting {
		return true
	}
	if c.channels < 1 || c.channels > maxChannelCount ||
		c.throttleInterval != s.throttleInterval || c.throttleAccel != s.throttleAccel ||
		c.throttleDec != s.throttleDecel || c.connectID != s.connID {
		s.eventData = 0
		h.zombie(s, errHandshake)
		return false
	}
	s.removeSent(1, 0xFF)
	if int(c.channels) < len(s.channels) {
		s.channels = s.channels[:c.channels]
	}
	s.remoteID = c.outgoingPeerID
	s.inSess, s.outSess = c.inSession, c.outSession
	mtu := min(max(c.mtu, minMTU), maxMTU)
	s.mtu = min(s.mtu, mtu)
	w := min(max(c.windowSize, minWindowSize), maxWindowSize)
	s.window = min(s.window, w)
	s.inBandwidth, s.outBandwidth = c.inBandwidth, c.outBandwidth
	s.eventData = 0
	h.notifyConnect(s)
	return true
}

func (h *Host) handleDisconnect(s *slot, c *command) {
	switch s.state {
	case StateDisconnected, StateZombie, StateAcknowledgingDisconnect:
		return
	}
	s.resetQueues()
	switch s.state {
	case StateConnectionSucceeded, StateDisconnecting, StateConnecting:
		s.eventData = c.data
		h.zombie(s, io.EOF)
	case StateConnected, StateDisconnectLater:
		s.eventData = c.data
		if c.acked() {
			s.state = StateAcknowledgingDisconnect
		} else {
			h.zombie(s, io.EOF)
		}
	default:
		s.reset()
	}
}

func (h *Host) handleBandwidthLimit(s *slot, c *command) bool {
	if !s.connected() {
		return false
	}
	s.inBandwidth, s.outBandwidth = c.inBandwidth, c.outBandwidth
	s.window = windowFor(h.cfg.OutgoingBandwidth, s.inBandwidth)
	return true
}

// charge reserves n bytes of waiting data for s, or reports that the
// per-peer or per-host limit would be exceeded. Data that cannot be
// delivered before a gap is filled (ahead) may take only half of each
// limit: the rest stays free for the command that fills the gap, which
// would otherwise never be accepted once acknowledged data ahead of it has
// taken all the room.
func (h *Host) charge(s *slot, n int64, ahead bool) bool {
	if s.waiting+n > int64(h.cfg.MaxWaitingData) || h.waiting.Load()+n > int64(h.cfg.MaxHostWaitingData) ||
		ahead && (s.waiting+n > int64(h.cfg.MaxWaitingData/2) || h.stored+n > int64(h.cfg.MaxHostWaitingData/2)) {
		h.stats.refusedData++
		return false
	}
	s.waiting += n
	h.stored += n
	h.waiting.Add(n)
	return true
}

func (h *Host) discharge(s *slot, n int64) {
	s.waiting -= n
	h.stored -= n
	h.waiting.Add(-n)
}

// inWindow reports whether reliable sequence rs is in the 7 windows the
// receiver accepts ahead of the channel's last delivered reliable seq.
func inWindow(ch *channel, rs uint16) bool {
	w := rs / reliableWindowSize
	cur := ch.inReliableSeq / reliableWindowSize
	if rs < ch.inReliableSeq {
		w += reliableWindows
	}
	return w >= cur && w < cur+freeReliableWindows-1
}

func (h *Host) handleSend(s *slot, c *command) bool {
	if int(c.channel) >= len(s.channels) || !s.connected() {
		return false
	}
	if len(c.payload) > h.cfg.MaxPacketSize {
		s.pub.t.stats.oversize.Add(1)
		return false
	}
	ch := &s.channels[c.channel]
	if s.state == StateDisconnectLater {
		return true
	}
	switch c.number {
	case cmdSendUnsequenced:
		g := c.unreliableSeq
		idx := g % unseqWindowSize
		if g-s.unseqBase >= freeUnseqWindows*unseqWindowSize {
			return true
		}
		base := g - idx
		if base != s.unseqBase {
			s.unseqBase = base
			s.unseqWindow = [unseqWindowSize / 64]uint64{}
		} else if s.unseqWindow[idx/64]&(1<<(idx%64)) != 0 {
			return true
		}
		if !h.deliverable(s, len(c.payload)) {
			s.pub.t.stats.full.Add(1)
			return false
		}
		s.unseqWindow[idx/64] |= 1 << (idx % 64)
		h.deliver(s, c.channel, c.payload, FlagUnsequenced, false)
		return true
	case cmdSendReliable:
		if !inWindow(ch, c.seq) || c.seq == ch.inReliableSeq {
			return true
		}
		pos, dup := ch.reliablePos(c.seq)
		if dup {
			return true
		}
		if c.seq == ch.inReliableSeq+1 {
			// In order: deliver without storing, then what it unblocks.
			if !h.deliverable(s, len(c.payload)) {
				return false
			}
			ch.inReliableSeq = c.seq
			h.deliver(s, c.channel, c.payload, FlagReliable, false)
			ch.inUnreliableSeq = 0
			h.dispatchUnreliable(s, c.channel)
			h.dispatchReliable(s, c.channel)
			return true
		}
		ic := &inCmd{number: cmdSendReliable, seq: c.seq}
		if !h.store(s, ic, c.payload, true) {
			return false
		}
		ch.inReliable = insertAt(ch.inReliable, pos, ic)
		h.dispatchReliable(s, c.channel)
		return true
	default: // cmdSendUnreliable
		if !inWindow(ch, c.seq) && c.seq != ch.inReliableSeq {
			return true
		}
		if c.seq == ch.inReliableSeq && c.unreliableSeq <= ch.inUnreliableSeq {
			s.pub.t.stats.late.Add(1)
			return true
		}
		if c.seq == ch.inReliableSeq && len(ch.inUnreliable) == 0 {
			// Newer than the last delivered and nothing waiting: deliver
			// without storing, as dispatchUnreliable would at once.
			if !h.deliverable(s, len(c.payload)) {
				s.pub.t.stats.full.Add(1)
				return false
			}
			ch.inUnreliableSeq = c.unreliableSeq
			h.deliver(s, c.channel, c.payload, 0, false)
			return true
		}
		pos, dup := ch.unreliablePos(c.seq, c.unreliableSeq)
		if dup {
			return true
		}
		ic := &inCmd{number: cmdSendUnreliable, seq: c.seq, useq: c.unreliableSeq}
		if !h.store(s, ic, c.payload, c.seq != ch.inReliableSeq) {
			s.pub.t.stats.full.Add(1)
			return false
		}
		ch.inUnreliable = insertAt(ch.inUnreliable, pos, ic)
		h.dispatchUnreliable(s, c.channel)
		return true
	}
}

// store copies payload into ic, charging it against the limits.
func (h *Host) store(s *slot, ic *inCmd, payload []byte, ahead bool) bool {
	n := int64(len(payload)) + inCmdOverhead
	if !h.charge(s, n, ahead) {
		return false
	}
	ic.charged = n
	ic.data = append([]byte(nil), payload...)
	return true
}

func insertAt(l []*inCmd, i int, c *inCmd) []*inCmd {
	l = append(l, nil)
	copy(l[i+1:], l[i:])
	l[i] = c
	return l
}

// reliablePos finds where seq goes in inReliable, and whether it is there.
func (ch *channel) reliablePos(seq uint16) (int, bool) {
	d := seq - ch.inReliableSeq
	l := ch.inReliable
	i := len(l)
	for i > 0 {
		e := l[i-1].seq - ch.inReliableSeq
		if e == d {
			return i - 1, true
		}
		if e < d {
			break
		}
		i--
	}
	return i, false
}

// unreliablePos finds where (rs, us) goes in inUnreliable.
func (ch *channel) unreliablePos(rs, us uint16) (int, bool) {
	d := rs - ch.inReliableSeq
	l := ch.inUnreliable
	i := len(l)
	for i > 0 {
		x := l[i-1]
		e := x.seq - ch.inReliableSeq
		if e < d || (e == d && x.useq < us) {
			break
		}
		if e == d && x.useq == us {
			return i - 1, true
		}
		i--
	}
	return i, false
}

func (h *Host) handleFragment(s *slot, c *command) bool {
	if int(c.channel) >= len(s.channels) || !s.connected() {
		return false
	}
	reliable := c.number == cmdSendFragment
	ch := &s.channels[c.channel]
	start := c.unreliableSeq
	var rs uint16
	if reliable {
		rs = start
	} else {
		rs = c.seq
	}
	if !inWindow(ch, rs) && (reliable || rs != ch.inReliableSeq) {
		return true
	}
	if c.fragmentCount > maxFragmentCnt || c.fragmentNumber >= c.fragmentCount ||
		c.totalLength > uint32(h.cfg.MaxPacketSize) || c.fragmentOffset >= c.totalLength ||
		uint32(len(c.payload)) > c.totalLength-c.fragmentOffset ||
		c.totalLength < c.fragmentCount || len(c.payload) == 0 {
		return false
	}
	if s.state == StateDisconnectLater {
		return true
	}
	var group *inCmd
	ahead := rs != ch.inReliableSeq
	if reliable {
		ahead = start != ch.inReliableSeq+1
		if start == ch.inReliableSeq {
			return true
		}
		pos, dup := ch.reliablePos(start)
		if dup {
			group = ch.inReliable[pos]
		} else {
			if !h.charge(s, inCmdOverhead, ahead) {
				return false
			}
			group = &inCmd{number: cmdSendFragment, seq: start, fragCount: c.fragmentCount,
				remaining: c.fragmentCount, total: c.totalLength, charged: inCmdOverhead}
			ch.inReliable = insertAt(ch.inReliable, pos, group)
		}
	} else {
		if rs == ch.inReliableSeq && start <= ch.inUnreliableSeq {
			return true
		}
		pos, dup := ch.unreliablePos(rs, start)
		if dup {
			group = ch.inUnreliable[pos]
		} else {
			if !h.charge(s, inCmdOverhead, ahead) {
				return false
			}
			group = &inCmd{number: cmdSendUnreliableFragment, seq: rs, useq: start, fragCount: c.fragmentCount,
				remaining: c.fragmentCount, total: c.totalLength, charged: inCmdOverhead}
			ch.inUnreliable = insertAt(ch.inUnreliable, pos, group)
		}
	}
	if group.number != c.number || group.total != c.totalLength || group.fragCount != c.fragmentCount {
		return false
	}
	if group.remaining == 0 {
		return true
	}
	// Chunks are kept sorted by fragment number; a duplicate is ignored.
	i := len(group.chunks)
	for i > 0 && group.chunks[i-1].number > c.fragmentNumber {
		i--
	}
	if i > 0 && group.chunks[i-1].number == c.fragmentNumber {
		return true
	}
	if group.got+uint32(len(c.payload)) > group.total {
		return false
	}
	n := int64(len(c.payload)) + inCmdOverhead/2
	if !h.charge(s, n, ahead) {
		return false
	}
	group.charged += n
	group.got += uint32(len(c.payload))
	group.chunks = append(group.chunks, chunk{})
	copy(group.chunks[i+1:], group.chunks[i:])
	group.chunks[i] = chunk{number: c.fragmentNumber, offset: c.fragmentOffset, data: append([]byte(nil), c.payload...)}
	group.remaining--
	if group.remaining > 0 {
		return true
	}
	if group.got != group.total {
		// Complete in count but not in bytes: a sender out of spec.
		group.remaining = 1
		return false
	}
	buf := make([]byte, group.total)
	for _, k := range group.chunks {
		copy(buf[k.offset:], k.data)
	}
	group.chunks = nil
	group.data = buf
	if reliable {
		h.dispatchReliable(s, c.channel)
	} else {
		h.dispatchUnreliable(s, c.channel)
	}
	return true
}

// dispatchReliable delivers the reliable packets that are next in order.
func (h *Host) dispatchReliable(s *slot, chID uint8) {
	ch := &s.channels[chID]
	advanced := false
	for len(ch.inReliable) > 0 {
		ic := ch.inReliable[0]
		if ic.remaining > 0 || ic.seq != ch.inReliableSeq+1 {
			break
		}
		ch.inReliableSeq = ic.seq
		if ic.fragCount > 0 {
			ch.inReliableSeq += uint16(ic.fragCount - 1)
		}
		ch.inReliable[0] = nil
		ch.inReliable = ch.inReliable[1:]
		h.discharge(s, ic.charged)
		h.deliver(s, chID, ic.data, FlagReliable, true)
		advanced = true
	}
	if len(ch.inReliable) == 0 {
		ch.inReliable = nil
	}
	if advanced {
		ch.inUnreliableSeq = 0
		h.dispatchUnreliable(s, chID)
	}
}

// dispatchUnreliable delivers held sequenced unreliable packets whose
// reliable packet has been delivered, and drops stale ones (§4.6).
func (h *Host) dispatchUnreliable(s *slot, chID uint8) {
	ch := &s.channels[chID]
	kept := ch.inUnreliable[:0]
	for _, ic := range ch.inUnreliable {
		switch {
		case ic.seq == ch.inReliableSeq:
			if ic.useq <= ch.inUnreliableSeq && ch.inUnreliableSeq != 0 {
				h.discharge(s, ic.charged)
				s.pub.t.stats.late.Add(1)
				continue
			}
			if ic.remaining > 0 {
				kept = append(kept, ic)
				continue
			}
			// Earlier incomplete groups of this reliable seq are now stale.
			for len(kept) > 0 && kept[len(kept)-1].seq == ch.inReliableSeq {
				h.discharge(s, kept[len(kept)-1].charged)
				s.pub.t.stats.late.Add(1)
				kept = kept[:len(kept)-1]
			}
			ch.inUnreliableSeq = ic.useq
			h.discharge(s, ic.charged)
			flags := PacketFlags(0)
			if ic.number == cmdSendUnreliableFragment {
				flags = FlagUnreliableFragment
			}
			h.deliver(s, chID, ic.data, flags, true)
		case inWindow(ch, ic.seq):
			kept = append(kept, ic)
		default:
			h.discharge(s, ic.charged)
		}
	}
	for i := len(kept); i < len(ch.inUnreliable); i++ {
		ch.inUnreliable[i] = nil
	}
	ch.inUnreliable = kept
	if len(kept) == 0 {
		ch.inUnreliable = nil
	}
}
