package enet

import (
	"hash/crc32"
	"io"
	"time"
)

// queueOut assigns c its sequence numbers and appends it to the outgoing
// queue (ENet enet_peer_setup_outgoing_command). c.head[0:2] and the
// command-specific fields other than sequence numbers must be set.
func (s *slot) queueOut(c *outCmd) {
	reliable := c.head[0]&cmdFlagAck != 0
	switch {
	case c.channel == 0xFF:
		s.peerSeq++
		c.seq = s.peerSeq
	case reliable:
		ch := &s.channels[c.channel]
		ch.outReliableSeq++
		ch.outUnreliableSeq = 0
		c.seq = ch.outReliableSeq
	case c.head[0]&cmdFlagUnseq != 0:
		s.unseqGroup++
		c.seq = 0
	default:
		ch := &s.channels[c.channel]
		if !c.fragment {
			ch.outUnreliableSeq++
		}
		c.seq = ch.outReliableSeq
		c.useq = ch.outUnreliableSeq
	}
	switch c.number {
	case cmdSendUnreliable:
		put16(c.head[:], 4, c.useq)
	case cmdSendUnsequenced:
		put16(c.head[:], 4, s.unseqGroup)
	}
	put16(c.head[:], 2, c.seq)
	s.outDataTotal += uint64(c.headLen) + uint64(len(c.data))
	s.outBytes += outCost(len(c.data), 1)
	s.outOrder++
	c.order = s.outOrder
	if reliable && c.data != nil {
		s.outData.push(c)
	} else {
		s.outOther.push(c)
	}
	s.h.markDirty(s)
}

// windowBlocked reports whether the first send of reliable seq on ch must
// wait for older windows to drain (§4.5).
func windowBlocked(ch *channel, seq uint16) bool {
	if seq%reliableWindowSize != 0 {
		return false
	}
	w := seq / reliableWindowSize
	if ch.windows[(w+reliableWindows-1)%reliableWindows] >= reliableWindowSize {
		return true
	}
	for k := uint16(0); k < freeReliableWindows+2; k++ {
		if ch.usedWindows&(1<<((w+k)%reliableWindows)) != 0 {
			return true
		}
	}
	return false
}

// sendSlot builds and sends datagrams for s until nothing is left that may
// go now (ENet enet_protocol_send_outgoing_commands for one peer). With
// checkTimeouts it also runs the retransmission timers. Called with h.mu held.
func (h *Host) sendSlot(s *slot, checkTimeouts bool) {
	h.sendSlotNow(s, checkTimeouts)
	h.noteDeadline(s)
}

// noteDeadline asks the timer goroutine to wake by s's next deadline: the
// first retransmission timeout, else the next ping of a quiet connected
// peer; a peer with queued or pending work is polled every tickInterval.
// Called with h.mu held.
func (h *Host) noteDeadline(s *slot) {
	if !s.live() {
		return
	}
	now := h.serviceTime
	rel := int32(tickInterval / time.Millisecond)
	if s.queued() == 0 && (s.state == StateConnected || len(s.sent) > 0) {
		rel = maxSleep
		for _, c := range s.sent {
			rel = min(rel, int32(c.sentTime+c.rto-now))
		}
		if len(s.sent) == 0 {
			rel = min(rel, int32(s.lastReceiveTime+s.pingInterval-now))
		}
		rel = max(rel, 1)
	}
	at := time.Now().Add(time.Duration(rel) * time.Millisecond)
	if h.wakeAt.IsZero() || at.Before(h.wakeAt) {
		h.wakeAt = at
		if !h.inTimer {
			select {
			case h.kick <- struct{}{}:
			default:
			}
		}
	}
}

// maxSleep (ms) bounds how long the timer goroutine sleeps while peers are live.
const maxSleep = 1000

func (h *Host) sendSlotNow(s *slot, checkTimeouts bool) {
	now := h.serviceTime
	for s.live() {
		s.continueSending = false
		cs := h.checksumLen()
		buf := h.sendBuf[:4+cs]
		mtu := int(s.mtu) + cs // ENet does not count the checksum
		ncmd := 0
		hasTime := false
		zombieAfter := false

		acked := 0
		for acked < len(s.acks) && ncmd < maxPacketCmds {
			if mtu-len(buf) < 8 {
				s.continueSending = true
				break
			}
			a := s.acks[acked]
			acked++
			buf = append(buf, cmdAcknowledge, a.channel, byte(a.seq>>8), byte(a.seq),
				byte(a.seq>>8), byte(a.seq), byte(a.sentTime>>8), byte(a.sentTime))
			ncmd++
			if a.number == cmdDisconnect {
				zombieAfter = true
			}
		}
		n := copy(s.acks, s.acks[acked:])
		s.acks = s.acks[:n]
		if n > 0 {
			s.continueSending = true // the command table is full (ENet sets CONTINUE_SENDING too)
		}

		if checkTimeouts && len(s.sent) > 0 && h.checkTimeouts(s) {
			return
		}
		dataBlocked := false
		for ncmd < maxPacketCmds {
			// The older front of the two queues goes first; reliable data
			// waits while a window is full.
			var q *cmdQueue
			if !dataBlocked && s.outData.len() > 0 {
				q = &s.outData
			}
			if s.outOther.len() > 0 && (q == nil || s.outOther.at(0).order < q.at(0).order) {
				q = &s.outOther
			}
			if q == nil {
				break
			}
			c := q.at(0)
			reliable := c.reliable()
			var ch *channel
			if int(c.channel) < len(s.channels) {
				ch = &s.channels[c.channel]
			}
			if q == &s.outData {
				if ch != nil && c.attempts == 0 && windowBlocked(ch, c.seq) {
					dataBlocked = true
					continue
				}
				ws := s.throttle * s.window / throttleScale
				if s.reliableInTransit+uint32(len(c.data)) > max(ws, s.mtu) {
					dataBlocked = true
					continue
				}
			} else if !reliable && c.data != nil && !c.fragment {
				s.throttleCounter = (s.throttleCounter + throttleCounterStep) % throttleScale
				if s.throttleCounter > s.throttle {
					seq, useq := c.seq, c.useq
					s.freeOut(q.pop())
					for q.len() > 0 {
						d := q.at(0)
						if d.reliable() || !d.fragment || d.seq != seq || d.useq != useq {
							break
						}
						s.freeOut(q.pop())
					}
					continue
				}
			}
			if mtu-len(buf) < c.size() {
				s.continueSending = true
				break
			}
			q.pop()
			buf = append(buf, c.head[:c.headLen]...)
			buf = append(buf, c.data...)
			ncmd++
			if !reliable {
				s.freeOut(c)
				continue
			}
			if ch != nil && c.attempts == 0 {
				w := c.seq / reliableWindowSize
				ch.usedWindows |= 1 << w
				ch.windows[w]++
			}
			c.attempts++
			if c.rto == 0 {
				c.rto = s.rtt + 4*s.rttVar
			}
			c.sentTime = now
			s.sent = append(s.sent, c)
			s.packetsSent++
			hasTime = true
			if c.data != nil {
				s.reliableInTransit += uint32(len(c.data))
			}
		}
		if ncmd >= maxPacketCmds && s.queued() > 0 {
			s.continueSending = true
		}
		if !hasTime && len(s.sent) == 0 && s.state == StateConnected && ncmd < maxPacketCmds &&
			timeDiff(now, s.lastReceiveTime) >= s.pingInterval && mtu-len(buf) >= 4 && !s.continueSending {
			p := h.newOut()
			p.number, p.channel, p.headLen = cmdPing, 0xFF, 4
			p.head[0], p.head[1] = cmdPing|cmdFlagAck, 0xFF
			s.queueOut(p)
			continue // the next round sends it
		}
		if s.state == StateDisconnectLater && s.queued() == 0 && len(s.sent) == 0 {
			h.disconnect(s, s.eventData)
			continue
		}
		if ncmd == 0 {
			return
		}
		dg := buf
		if hasTime {
			put16(buf, 2, uint16(now))
		} else {
			dg = buf[2:]
		}
		hdr := len(dg) - (len(buf) - 4 - cs) // header bytes, checksum included
		var word uint16
		if hasTime {
			word |= flagSentTime
		}
		var packed []byte
		if h.compressor != nil {
			if out, ok := h.compressor.Compress(h.compBuf[:hdr], dg[hdr:]); ok {
				packed = out
				word |= flagCompressed
			}
		}
		if s.remoteID < maxPeerID {
			word |= uint16(s.remoteID) | uint16(s.outSess)<<sessionShift
		} else {
			word |= maxPeerID
		}
		put16(dg, 0, word)
		if cs > 0 {
			// The CRC covers the uncompressed datagram with the connectID
			// (or zeros before the remote knows us) in the checksum field.
			var seed [4]byte
			if s.remoteID < maxPeerID {
				seed = s.connID
			}
			copy(dg[hdr-4:hdr], seed[:])
			put32(dg, hdr-4, crc32.ChecksumIEEE(dg))
		}
		if packed != nil {
			copy(packed, dg[:hdr])
			dg = packed
		}
		h.writeTo(dg, s.addr)
		s.lastSendTime = now
		s.updatePacketLoss(now)
		if zombieAfter {
			h.zombie(s, io.EOF)
			return
		}
		if !s.continueSending {
			return
		}
	}
}

// checkTimeouts requeues expired reliable commands and reports whether the
// peer timed out (ENet enet_protocol_check_timeouts).
func (h *Host) checkTimeouts(s *slot) bool {
	now := h.serviceTime
	requeue := h.requeue[:0]
	kept := s.sent[:0]
	for idx, c := range s.sent {
		if timeDiff(now, c.sentTime) < c.rto {
			kept = append(kept, c)
			continue
		}
		if s.earliestTimeout == 0 || timeLess(c.sentTime, s.earliestTimeout) {
			s.earliestTimeout = c.sentTime
		}
		if s.earliestTimeout != 0 {
			since := timeDiff(now, s.earliestTimeout)
			if since >= s.timeoutMax || (uint32(1)<<(c.attempts-1) >= s.timeoutLimit && since >= s.timeoutMin) {
				// Restore the list before the peer is torn down.
				kept = append(kept, s.sent[idx:]...)
				s.sent = kept
				s.requeueFront(requeue)
				clear(requeue)
				h.requeue = requeue[:0]
				h.notifyDisconnect(s, errTimedOut)
				return true
			}
		}
		s.packetsLost++
		c.rto *= 2
		if c.data != nil {
			s.reliableInTransit -= uint32(len(c.data))
		}
		requeue = append(requeue, c)
	}
	for i := len(kept); i < len(s.sent); i++ {
		s.sent[i] = nil
	}
	s.sent = kept
	if len(requeue) > 0 {
		s.requeueFront(requeue)
		clear(requeue)
	}
	h.requeue = requeue[:0]
	return false
}

// updatePacketLoss folds the last interval's loss into the smoothed
// packet-loss statistics every 10 s (ENet's PACKET_LOSS_INTERVAL).
func (s *slot) updatePacketLoss(now uint32) {
	switch {
	case s.packetLossEpoch == 0:
		s.packetLossEpoch = now
	case timeDiff(now, s.packetLossEpoch) >= packetLossInterval && s.packetsSent > 0:
		loss := uint32(uint64(s.packetsLost) * packetLossScale / uint64(s.packetsSent))
		d := max(loss, s.packetLoss) - min(loss, s.packetLoss)
		s.packetLossVar = (s.packetLossVar*3 + d) / 4
		s.packetLoss = (s.packetLoss*7 + loss) / 8
		s.packetLossEpoch = now
		s.packetsSent, s.packetsLost = 0, 0
	}
}

// requeueFront puts expired reliable commands back at the front of their
// queues, in order, for retransmission. cs is scratch space: it is copied.
func (s *slot) requeueFront(cs []*outCmd) {
	var data, other []*outCmd
	for _, c := range cs {
		if c.data != nil {
			data = append(data, c)
		} else {
			other = append(other, c)
		}
	}
	if len(data) > 0 {
		s.outData.pushFront(data)
	}
	if len(other) > 0 {
		s.outOther.pushFront(other)
	}
}

// notifyDisconnect ends a connection that timed out or whose DISCONNECT was
// acknowledged: half-open server slots are reset silently, others raise a
// DISCONNECT event with data 0.
func (h *Host) notifyDisconnect(s *slot, reason error) {
	if reason == errTimedOut && h.onTimeout != nil {
		h.onTimeout(s)
	}
	if s.state != StateConnecting && s.state < StateConnectionSucceeded {
		s.reset()
		return
	}
	s.eventData = 0
	h.zombie(s, reason)
}

// disconnect is ENet's enet_peer_disconnect.
func (h *Host) disconnect(s *slot, data uint32) {
	switch s.state {
	case StateDisconnecting, StateDisconnected, StateAcknowledgingDisconnect, StateZombie:
		return
	}
	s.resetQueues()
	c := h.newOut()
	c.number, c.channel, c.headLen = cmdDisconnect, 0xFF, 8
	put32(c.head[:], 4, data)
	wasConnected := s.connected()
	if wasConnected {
		c.head[0] = cmdDisconnect | cmdFlagAck
	} else {
		c.head[0] = cmdDisconnect | cmdFlagUnseq
	}
	c.head[1] = 0xFF
	s.queueOut(c)
	if wasConnected {
		s.state = StateDisconnecting
		return
	}
	h.sendSlot(s, false)
	s.reset()
}

// disconnectNow is ENet's enet_peer_disconnect_now: one unreliable
// DISCONNECT, then the slot is reset without an event.
func (h *Host) disconnectNow(s *slot, data uint32) {
	if s.state == StateDisconnected {
		return
	}
	if s.state != StateZombie && s.state != StateDisconnecting {
		s.resetQueues()
		c := h.newOut()
		c.number, c.channel, c.headLen = cmdDisconnect, 0xFF, 8
		c.head[0], c.head[1] = cmdDisconnect|cmdFlagUnseq, 0xFF
		put32(c.head[:], 4, data)
		s.queueOut(c)
		h.sendSlot(s, false)
	}
	s.reset()
}

// disconnectLater is ENet's enet_peer_disconnect_later.
func (h *Host) disconnectLater(s *slot, data uint32) {
	if s.connected() && (s.queued() > 0 || len(s.sent) > 0) {
		s.state = StateDisconnectLater
		s.eventData = data
		return
	}
	h.disconnect(s, data)
}

// sendRoom reports whether n more payload bytes fit in s's send queue
// (Config.SendQueueBytes), as sendPacket would split them.
func (h *Host) sendRoom(s *slot, n int) bool {
	k := 1
	if fragLen := int(s.mtu) - 28 - h.checksumLen(); n > fragLen {
		k = (n + fragLen - 1) / fragLen
	}
	return s.outBytes+outCost(n, k) <= int64(h.cfg.SendQueueBytes)
}

// sendPacket queues data on channel chID of s, fragmenting it as ENet's
// enet_peer_send does (§4.2).
func (h *Host) sendPacket(s *slot, chID int, data []byte, flags PacketFlags) {
	ch := &s.channels[chID]
	fragLen := int(s.mtu) - 4 - 24 - h.checksumLen()
	if len(data) > fragLen {
		pkt := append([]byte(nil), data...)
		n := (len(pkt) + fragLen - 1) / fragLen
		var cmdByte, num byte
		var start uint16
		if flags&(FlagReliable|FlagUnreliableFragment) == FlagUnreliableFragment && ch.outUnreliableSeq < 0xFFFF {
			num, cmdByte = cmdSendUnreliableFragment, cmdSendUnreliableFragment
			start = ch.outUnreliableSeq + 1
		} else {
			num, cmdByte = cmdSendFragment, cmdSendFragment|cmdFlagAck
			start = ch.outReliableSeq + 1
		}
		for k := range n {
			off := k * fragLen
			end := min(off+fragLen, len(pkt))
			c := h.newOut()
			c.number, c.channel, c.headLen, c.fragment = num, uint8(chID), 24, k > 0
			c.head[0], c.head[1] = cmdByte, uint8(chID)
			put16(c.head[:], 4, start)
			put16(c.head[:], 6, uint16(end-off))
			put32(c.head[:], 8, uint32(n))
			put32(c.head[:], 12, uint32(k))
			put32(c.head[:], 16, uint32(len(pkt)))
			put32(c.head[:], 20, uint32(off))
			c.data = pkt[off:end:end]
			s.queueOut(c)
		}
		return
	}
	c := h.newOut()
	c.channel = uint8(chID)
	c.head[1] = uint8(chID)
	pkt := h.packetBuffer(data)
	c.data, c.pooled = pkt, true
	switch {
	case flags&(FlagReliable|FlagUnsequenced) == FlagUnsequenced:
		c.number, c.headLen = cmdSendUnsequenced, 8
		c.head[0] = cmdSendUnsequenced | cmdFlagUnseq
		put16(c.head[:], 6, uint16(len(pkt)))
	case flags&FlagReliable != 0 || ch.outUnreliableSeq == 0xFFFF:
		c.number, c.headLen = cmdSendReliable, 6
		c.head[0] = cmdSendReliable | cmdFlagAck
		put16(c.head[:], 4, uint16(len(pkt)))
	default:
		c.number, c.headLen = cmdSendUnreliable, 8
		c.head[0] = cmdSendUnreliable
		put16(c.head[:], 6, uint16(len(pkt)))
	}
	s.queueOut(c)
}
