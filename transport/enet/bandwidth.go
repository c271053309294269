package enet

// SetBandwidthLimit changes the host's bandwidth in bytes per second, 0 =
// unlimited (Godot's bandwidth_limit(in, out), ENet's
// enet_host_bandwidth_limit). Within a second every connected peer gets a
// BANDWIDTH_LIMIT with the new outgoing bandwidth and its share of the
// incoming one; connections made later advertise the new values in their
// handshake.
func (h *Host) SetBandwidthLimit(incoming, outgoing uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cfg.IncomingBandwidth, h.cfg.OutgoingBandwidth = incoming, outgoing
	h.bwRecalc = true
}

// BandwidthThrottle runs the bandwidth throttle now if a second has passed
// since its last run (Godot's bandwidth_throttle). The host runs it on its
// own about once a second; calling it is never needed.
func (h *Host) BandwidthThrottle() {
	h.lockPass()
	defer h.unlockPass()
	if h.closed {
		return
	}
	h.serviceTime = h.clock()
	h.bandwidthThrottle()
	h.flushDirty()
}

// bandwidthThrottle is ENet's enet_host_bandwidth_throttle, run at most
// once per bandwidthThrottleInterval. It shares the host's outgoing
// bandwidth among the connected peers by lowering their packet throttle
// limits (which drop unreliable packets and shrink the reliable window),
// first for peers whose own incoming bandwidth is the tighter bound, then
// evenly for the rest. When a connect, a disconnect or SetBandwidthLimit
// asked for it, it then queues a BANDWIDTH_LIMIT to every connected peer:
// the host's outgoing bandwidth, and as incoming bandwidth either an even
// share of the host's or, for a peer whose outgoing bandwidth is below that
// share, that peer's outgoing bandwidth (so a peer with unlimited outgoing
// bandwidth is told 0, unlimited, as ENet does). Products are computed in
// 64 bits, where ENet's 32-bit ones overflow above about 4 MB/s.
// Called with h.mu held.
func (h *Host) bandwidthThrottle() {
	now := h.serviceTime
	elapsed := timeDiff(now, h.bwEpoch)
	if elapsed < bandwidthThrottleInterval {
		return
	}
	h.bwEpoch = now
	remaining := 0
	for _, s := range h.slots {
		if s.connected() {
			remaining++
		}
	}
	if remaining == 0 {
		return
	}
	bandwidth, dataTotal := uint64(1<<64-1), uint64(1<<64-1)
	if out := h.cfg.OutgoingBandwidth; out != 0 {
		bandwidth = uint64(out) * uint64(elapsed) / 1000
		dataTotal = 0
		for _, s := range h.slots {
			if s.connected() {
				dataTotal += s.outDataTotal
			}
		}
	}
	share := func() uint64 {
		if dataTotal <= bandwidth {
			return throttleScale
		}
		return bandwidth * throttleScale / dataTotal
	}
	for adjusted := true; adjusted && remaining > 0; {
		adjusted = false
		throttle := share()
		for _, s := range h.slots {
			if !s.connected() || s.inBandwidth == 0 || s.outBwEpoch == now {
				continue
			}
			peerBandwidth := uint64(s.inBandwidth) * uint64(elapsed) / 1000
			if throttle*s.outDataTotal/throttleScale <= peerBandwidth {
				continue
			}
			s.throttleLimit = uint32(max(peerBandwidth*throttleScale/s.outDataTotal, 1))
			s.throttle = min(s.throttle, s.throttleLimit)
			s.outBwEpoch = now
			s.outDataTotal = 0
			adjusted = true
			remaining--
			bandwidth -= min(bandwidth, peerBandwidth)
			dataTotal -= min(dataTotal, peerBandwidth)
		}
	}
	if remaining > 0 {
		throttle := uint32(share())
		for _, s := range h.slots {
			if !s.connected() || s.outBwEpoch == now {
				continue
			}
			s.throttleLimit = throttle
			s.throttle = min(s.throttle, throttle)
			s.outDataTotal = 0
		}
	}
	if !h.bwRecalc {
		return
	}
	h.bwRecalc = false
	var limit uint32
	if in := h.cfg.IncomingBandwidth; in != 0 {
		remaining = 0
		for _, s := range h.slots {
			if s.connected() {
				remaining++
			}
		}
		for adjusted := true; adjusted && remaining > 0; {
			adjusted = false
			limit = in / uint32(remaining)
			for _, s := range h.slots {
				if !s.connected() || s.inBwEpoch == now || (s.outBandwidth > 0 && s.outBandwidth >= limit) {
					continue
				}
				s.inBwEpoch = now
				adjusted = true
				remaining--
				in -= s.outBandwidth
			}
		}
	}
	for _, s := range h.slots {
		if !s.connected() {
			continue
		}
		c := h.newOut()
		c.number, c.channel, c.headLen = cmdBandwidthLimit, 0xFF, 12
		c.head[0], c.head[1] = cmdBandwidthLimit|cmdFlagAck, 0xFF
		peerIn := limit
		if s.inBwEpoch == now {
			peerIn = s.outBandwidth
		}
		put32(c.head[:], 4, peerIn)
		put32(c.head[:], 8, h.cfg.OutgoingBandwidth)
		s.queueOut(c)
	}
}
