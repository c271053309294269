package replication

import (
	"bytes"
	"math/bits"
	"slices"
	"strconv"
	"time"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// Tick runs one replication frame at time now, as Godot does at the end of
// each SceneMultiplayer poll: visibility is evaluated (SPAWN to peers that
// can now see an object, DESPAWN to those that no longer can), then every
// peer that can see at least one synchronizer has its u16 sync time
// advanced and gets one SYNC pass (unreliable; each synchronizer whose
// ReplicationInterval has elapsed, its ALWAYS properties) and one DELTA pass
// (reliable; the ON_CHANGE properties changed since that peer's last DELTA,
// checked at most once per DeltaInterval). Packets are split as Godot
// splits them: an entry that would take a packet past the configured size
// starts a new one, and a state larger than the size itself is not sent
// (so a packet holding one state close to the size may exceed it by its
// header, as in Godot).
func (r *Replicator) Tick(now time.Time) {
	r.tick++
	r.now = now
	if len(r.despawns) > 0 {
		r.retryDespawns()
	}
	if r.visDirty || r.idle > 0 {
		r.visDirty = false
		for _, id := range r.order {
			p := r.peers[id]
			for _, o := range r.objects {
				vis := r.canSee(o, p)
				switch {
				case vis && !o.isAt(p.slot):
					if !r.sendSpawn(p, o) {
						r.visDirty = true // not sent: try again next frame
					}
				case !vis && o.isAt(p.slot):
					if r.sendDespawn(p, o) {
						r.unspawnNested(o, p.slot)
					} else {
						r.visDirty = true
					}
				}
			}
		}
		for _, id := range r.order {
			p := r.peers[id]
			p.vis = r.visible(p.vis[:0], p)
		}
	}
	for _, id := range r.order {
		r.tickPeer(r.peers[id])
	}
}

// retryDespawns sends the DESPAWNs of despawned objects that peers refused.
func (r *Replicator) retryDespawns() {
	var b [despawnSize]byte
	r.despawns = slices.DeleteFunc(r.despawns, func(d pendingDespawn) bool {
		return r.s.Send(d.peer, scene.TransferModeReliable, 0, AppendDespawn(b[:0], d.netID)) == nil
	})
}

// visible appends the server-owned synchronizers peer p gets updates of:
// those of objects spawned at p, then those added with AddSynchronizer whose
// path p confirmed, each only while visible to p. Delta bookkeeping of the
// others is dropped, so they get a full DELTA when visible again.
func (r *Replicator) visible(dst []*Synchronizer, p *peerState) []*Synchronizer {
	for _, o := range r.objects {
		at := o.isAt(p.slot)
		for _, s := range o.Syncs {
			if s.authority() != ServerID {
				continue
			}
			if at && s.IsVisibleTo(p.id) {
				dst = append(dst, s)
			} else {
				s.setSent(p.slot, 0)
			}
		}
	}
	for _, s := range r.level {
		if s.authority() != ServerID {
			continue
		}
		if s.IsVisibleTo(p.id) {
			dst = append(dst, s)
		} else {
			s.setSent(p.slot, 0)
		}
	}
	return dst
}

// wireID returns the id s goes by toward p, and false while p has not
// confirmed the path of a synchronizer that is named by its path.
func (r *Replicator) wireID(p *peerState, s *Synchronizer) (uint32, bool) {
	if s.netID != 0 {
		return s.netID, true
	}
	id, confirmed, err := r.s.NodeID(p.id, s.fullPath)
	if err != nil || !confirmed {
		return 0, false
	}
	return PathSyncFlag | id, true
}

func (r *Replicator) tickPeer(p *peerState) {
	syncs := p.vis
	if len(syncs) == 0 {
		return
	}
	p.time++

	mtu := r.cfg.MaxSyncPacketSize
	b := AppendSyncHeader(r.pkt[:0], p.time)
	for _, s := range syncs {
		state, ok := r.syncState(s)
		if !ok || len(state) > mtu {
			continue
		}
		id, ok := r.wireID(p, s)
		if !ok {
			continue
		}
		if len(b)+syncEntryHeader+len(state) > mtu {
			r.s.Send(p.id, scene.TransferModeUnreliable, 0, b)
			b = b[:syncHeaderSize]
		}
		b = AppendSyncEntry(b, id, state)
	}
	if len(b) > syncHeaderSize {
		r.s.Send(p.id, scene.TransferModeUnreliable, 0, b)
	}

	mtu = r.cfg.MaxDeltaPacketSize
	b = AppendDeltaHeader(b[:0])
	for _, s := range syncs {
		if len(s.l.watch) == 0 {
			continue
		}
		r.watch(s)
		last := s.sentAt(p.slot)
		var mask uint64
		vals := s.deltaValues[:0]
		for i, t := range s.watchTick {
			if t > last {
				mask |= 1 << i
				vals = append(vals, s.watchVals[i]...)
			}
		}
		s.deltaValues = vals
		if mask == 0 || len(vals) > mtu {
			continue
		}
		id, ok := r.wireID(p, s)
		if !ok {
			continue
		}
		if len(b)+deltaEntryHeader+len(vals) > mtu {
			r.s.Send(p.id, scene.TransferModeReliable, 0, b)
			b = b[:1]
		}
		b = AppendDeltaEntry(b, id, mask, vals)
		s.setSent(p.slot, r.tick)
	}
	if len(b) > 1 {
		r.s.Send(p.id, scene.TransferModeReliable, 0, b)
	}
	r.pkt = b[:0]
}

// syncState returns the sync-list encoding of s for this tick, and false if
// s has none or its ReplicationInterval has not elapsed. It is computed once
// per tick and shared by all peers, as Godot's per-synchronizer timestamp is.
func (r *Replicator) syncState(s *Synchronizer) ([]byte, bool) {
	if s.stateTick == r.tick {
		return s.state, s.stateOK
	}
	s.stateTick = r.tick
	s.stateOK = false
	if len(s.l.sync) == 0 {
		return nil, false
	}
	if s.synced && r.now.Before(s.lastSync.Add(s.ReplicationInterval)) {
		return nil, false
	}
	s.synced, s.lastSync = true, r.now
	b := s.state[:0]
	for _, i := range s.l.sync {
		var err error
		if b, err = appendValue(b, s.Properties[i].Value); err != nil {
			return nil, false
		}
	}
	s.state, s.stateOK = b, true
	return b, true
}

// watch compares the watch list with the last copies, at most once per
// DeltaInterval, and stamps the properties that changed with this tick.
func (r *Replicator) watch(s *Synchronizer) {
	if s.watchedTick == r.tick {
		return
	}
	s.watchedTick = r.tick
	if s.watched && r.now.Before(s.lastWatch.Add(s.DeltaInterval)) {
		return
	}
	s.watched, s.lastWatch = true, r.now
	for k, i := range s.l.watch {
		var err error
		s.scratch, err = appendValue(s.scratch[:0], s.Properties[i].Value)
		if err != nil {
			continue
		}
		if s.watchTick[k] == 0 || !bytes.Equal(s.scratch, s.watchVals[k]) {
			s.watchVals[k] = append(s.watchVals[k][:0], s.scratch...)
			s.watchTick[k] = r.tick
		}
	}
}

// Receive handles a SPAWN, DESPAWN or SYNC/DELTA packet from peer from, as
// Godot's receiver does, and reports what was wrong with it, if anything.
// Updates of a synchronizer are applied only when from is its Authority;
// everything else is dropped and counted (Stats). SPAWN and DESPAWN are
// accepted only from the Authority of the spawner (a peer's spawner, see
// Spawner.OnSpawned), with the checks of Godot's receiver; the others are
// refused.
//
// Memory: Receive keeps nothing of the packet. Decoding the values of one
// packet allocates at most 64 bytes per packet byte plus 16 KiB
// (TestReceiveAllocBound), as package scene's DecodeArgs.
func (r *Replicator) Receive(from int32, p []byte) error {
	c, err := scene.PacketCommand(p)
	if err != nil {
		r.stats.Invalid++
		return err
	}
	switch c {
	case scene.CommandSpawn:
		m, err := ParseSpawn(p)
		if err != nil {
			r.stats.Invalid++
			return err
		}
		return r.receiveSpawn(from, &m)
	case scene.CommandDespawn:
		id, err := ParseDespawn(p)
		if err != nil {
			r.stats.Invalid++
			return err
		}
		return r.receiveDespawn(from, id)
	case scene.CommandSync:
	default:
		return badParam(c, "not a replication message")
	}
	sr, err := ParseSync(p)
	if err != nil {
		r.stats.Invalid++
		return err
	}
	for sr.Next() {
		e := sr.Entry()
		s := r.findSync(from, e.ID)
		switch {
		case s == nil:
			r.stats.Unknown++
			continue
		case s.authority() != from:
			r.stats.NotOwner++
			continue
		case !sr.Delta() && !s.inbound(sr.Time()):
			r.stats.Stale++
			continue
		}
		if err := r.apply(s, sr.Delta(), e); err != nil {
			r.stats.Invalid++
			return err
		}
	}
	if err := sr.Err(); err != nil {
		r.stats.Invalid++
		return err
	}
	return nil
}

func (r *Replicator) findSync(from int32, id uint32) *Synchronizer {
	if id&PathSyncFlag == 0 {
		if rs := r.remote[from]; rs != nil {
			return rs.syncs[id] // of an object from's spawner spawned
		}
		return nil
	}
	path, ok := r.s.PeerNode(from, id&^PathSyncFlag)
	if !ok {
		return nil
	}
	return r.paths[path]
}

// inbound is update_inbound_sync_time: the first SYNC is accepted; later a
// time at or before the last one, by less than half the u16 range, is stale.
func (s *Synchronizer) inbound(t uint16) bool {
	if s.inStarted && t <= s.inTime && s.inTime-t < 32767 {
		return false
	}
	s.inStarted, s.inTime = true, t
	return true
}

// apply decodes an entry's values and stores them in the Values. A DELTA
// mask must select at least one watch-list property and the values must use
// exactly the entry's bytes; a SYNC carries the sync list and may have
// trailing bytes.
func (r *Replicator) apply(s *Synchronizer, delta bool, e SyncEntry) error {
	props := r.props[:0]
	if delta {
		for m := e.Mask; m != 0; m &= m - 1 {
			if i := bits.TrailingZeros64(m); i < len(s.l.watch) {
				props = append(props, s.l.watch[i])
			}
		}
		if len(props) == 0 {
			return invalid(scene.CommandSync, -1, "DELTA mask "+strconv.FormatUint(e.Mask, 16)+" selects no property of "+strconv.Quote(s.fullPath))
		}
	} else {
		props = append(props, s.l.sync...)
	}
	r.props = props
	vals, off, err := DecodeState(r.vals[:0], e.State, len(props))
	if err != nil {
		clear(vals)
		return &scene.Error{Command: scene.CommandSync, Offset: -1, Reason: "state of " + strconv.Quote(s.fullPath) + ": " + reasonOf(err), Err: err}
	}
	r.vals = vals[:0]
	if delta && off != len(e.State) {
		clear(vals)
		return invalid(scene.CommandSync, -1, "DELTA of "+strconv.Quote(s.fullPath)+" has "+strconv.Itoa(len(e.State)-off)+" bytes after its values")
	}
	for k, i := range props {
		if err := variant.Assign(s.Properties[i].Value, vals[k]); err != nil {
			r.stats.BadValues++
		}
	}
	clear(vals)
	r.stats.Applied++
	if s.OnUpdate != nil {
		s.OnUpdate(delta)
	}
	return nil
}
