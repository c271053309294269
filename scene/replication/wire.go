package replication

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// CustomSpawn is the scene id of a SPAWN made by MultiplayerSpawner.spawn(data)
// rather than from a spawnable scene (Godot's MultiplayerSpawner::INVALID_ID).
const CustomSpawn = 0xff

// PathSyncFlag marks a synchronizer id that is not a net id but
// 0x80000000 | the sender's path-cache id of the synchronizer node: the form
// of a synchronizer that is not part of a SPAWN (present in the scene on both
// sides, or owned by a peer other than the spawner's authority).
const PathSyncFlag = 0x80000000

// Sizes of the fixed parts, as Godot checks them.
const (
	spawnHeaderSize  = 18 // command, scene id, spawner id, net id, K, L
	despawnSize      = 5  // command, net id
	syncMinSize      = 11 // both kinds: Godot's first length check
	syncHeaderSize   = 3  // command, u16 time
	syncEntryHeader  = 8  // u32 id, u32 size
	deltaEntryHeader = 16 // u32 id, u64 mask, u32 size
	deltaFlag        = 1 << 4
)

// Packet size limits of SYNC and DELTA (SceneMultiplayer's
// max_sync_packet_size and max_delta_packet_size).
const (
	DefaultMaxSyncPacketSize  = 1350
	DefaultMaxDeltaPacketSize = 65535
	MinMaxPacketSize          = 128 // Godot refuses smaller limits
)

// Spawn is a SPAWN message: the spawner's authority created node Name (net
// id NetID) under the spawner whose path-cache id is Spawner.
type Spawn struct {
	Scene   uint8    // index of the spawnable scene, or CustomSpawn
	Spawner uint32   // the sender's path-cache id of the MultiplayerSpawner node
	NetID   uint32   // the sender's net id of the spawned node
	Syncs   []uint32 // net ids of the spawned node's synchronizers the sender has authority over, in tree order
	Name    string   // the node's name, valid for Godot (see ValidNodeName)

	// Arg is the spawn argument of a custom spawn, one value in the
	// compressed encoding (scene.AppendCompressed); nil for a scene spawn.
	Arg []byte
	// State is the spawn state: for each synchronizer of Syncs, in order,
	// the values of its spawn list in the compressed encoding, with no
	// count (DecodeState reads them).
	State []byte
}

// ParseSpawn decodes a SPAWN message with Godot's receiver checks: at least
// 18 bytes, K ids and an L-byte name inside the packet, L ≥ 1, a name Godot
// accepts as node name (parsed up to a NUL inside the L bytes), and for a
// custom spawn a u32 argument size and a non-empty argument inside the
// packet. The argument and state are not decoded; Arg and State alias p.
// Syncs is a new slice of K ids (at most len(p)/4 of them); Name a new
// string of at most L bytes.
func ParseSpawn(p []byte) (Spawn, error) {
	if len(p) < spawnHeaderSize {
		return Spawn{}, invalid(scene.CommandSpawn, len(p), "SPAWN of "+strconv.Itoa(len(p))+" bytes, need at least 18")
	}
	m := Spawn{
		Scene:   p[1],
		Spawner: binary.LittleEndian.Uint32(p[2:]),
		NetID:   binary.LittleEndian.Uint32(p[6:]),
	}
	k := uint64(binary.LittleEndian.Uint32(p[10:]))
	l := uint64(binary.LittleEndian.Uint32(p[14:]))
	rest := uint64(len(p) - spawnHeaderSize)
	if k*4+l > rest {
		return Spawn{}, invalid(scene.CommandSpawn, 10, strconv.FormatUint(k, 10)+" synchronizer ids and a name of "+strconv.FormatUint(l, 10)+" bytes do not fit in "+strconv.FormatUint(rest, 10)+" bytes")
	}
	if l < 1 {
		return Spawn{}, invalid(scene.CommandSpawn, 14, "empty node name")
	}
	off := spawnHeaderSize
	if k > 0 {
		m.Syncs = make([]uint32, k)
		for i := range m.Syncs {
			m.Syncs[i] = binary.LittleEndian.Uint32(p[off:])
			off += 4
		}
	}
	name := p[off : off+int(l)]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	if err := checkName(name); err != "" {
		return Spawn{}, invalid(scene.CommandSpawn, off, err)
	}
	m.Name = string(name)
	off += int(l)
	if m.Scene == CustomSpawn {
		if len(p)-off < 4 {
			return Spawn{}, invalid(scene.CommandSpawn, off, "custom SPAWN without argument size")
		}
		a := uint64(binary.LittleEndian.Uint32(p[off:]))
		off += 4
		if a > uint64(len(p)-off) {
			return Spawn{}, invalid(scene.CommandSpawn, off-4, "spawn argument of "+strconv.FormatUint(a, 10)+" bytes does not fit in "+strconv.Itoa(len(p)-off))
		}
		if a == 0 {
			// Godot fails to decode a value from no bytes.
			return Spawn{}, invalid(scene.CommandSpawn, off-4, "custom SPAWN with an empty argument")
		}
		m.Arg = p[off : off+int(a)]
		off += int(a)
	}
	m.State = p[off:]
	return m, nil
}

// DecodeState decodes n values in the compressed encoding from the start of
// state (spawn state, a SYNC entry's sync list, a DELTA entry's flagged
// properties), appends them to dst and reports the bytes used. Objects are
// not decoded, as in Godot. It fails, with the values decoded so far, if
// state ends before value n; trailing bytes are left to the caller (Godot
// ignores them except in DELTA, where the values must use the entry's size
// exactly).
func DecodeState(dst []any, state []byte, n int) ([]any, int, error) {
	off := 0
	for i := range n {
		v, k, err := scene.DecodeCompressed(state[off:], variant.DecodeOptions{})
		if err != nil {
			return dst, off, &scene.Error{Command: scene.CommandSync, Offset: off, Reason: "value " + strconv.Itoa(i) + ": " + reasonOf(err), Err: peer.ErrInvalidData}
		}
		dst = append(dst, v)
		off += k
	}
	return dst, off, nil
}

// invalidNameChars are the characters Godot's String.validate_node_name
// replaces; a SPAWN whose name contains one is rejected.
const invalidNameChars = ".:@/\"%"

// checkName returns why name is not a node name Godot's SPAWN receiver
// accepts, or "".
func checkName(name []byte) string {
	switch {
	case len(name) == 0:
		return "empty node name"
	case !utf8.Valid(name):
		return "node name is not valid UTF-8"
	case bytes.ContainsAny(name, invalidNameChars):
		return "node name " + strconv.Quote(string(name)) + " contains one of " + invalidNameChars
	}
	return ""
}

// ValidNodeName reports whether name can be sent in a SPAWN: non-empty UTF-8
// without NUL and without any of . : @ / " %, which Godot 4.6's receiver
// rejects (so Godot's auto-generated "@Node2D@12" names cannot be used).
func ValidNodeName(name string) bool {
	return !strings.Contains(name, "\x00") && checkName([]byte(name)) == ""
}

// AppendSpawn appends m as Godot's spawner authority writes it: the header,
// the ids, the name with its NUL, for a custom spawn the argument's size and
// bytes, then the state. A scene id of CustomSpawn needs an argument (Godot
// always writes one, if only null: 00 00 00 00) and a scene spawn must have
// none. On error dst is returned unchanged.
func AppendSpawn(dst []byte, m *Spawn) ([]byte, error) {
	if !ValidNodeName(m.Name) {
		return dst, badParam(scene.CommandSpawn, "node name "+strconv.Quote(m.Name)+" is not one Godot accepts")
	}
	switch {
	case m.Scene == CustomSpawn && len(m.Arg) == 0:
		return dst, badParam(scene.CommandSpawn, "custom SPAWN without argument")
	case m.Scene != CustomSpawn && m.Arg != nil:
		return dst, badParam(scene.CommandSpawn, "scene SPAWN with an argument")
	}
	dst = append(dst, byte(scene.CommandSpawn), m.Scene)
	dst = binary.LittleEndian.AppendUint32(dst, m.Spawner)
	dst = binary.LittleEndian.AppendUint32(dst, m.NetID)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(m.Syncs)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(m.Name)+1))
	for _, id := range m.Syncs {
		dst = binary.LittleEndian.AppendUint32(dst, id)
	}
	dst = append(append(dst, m.Name...), 0)
	if m.Scene == CustomSpawn {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(m.Arg)))
		dst = append(dst, m.Arg...)
	}
	return append(dst, m.State...), nil
}

// ParseDespawn decodes a DESPAWN message and returns the net id. Godot
// requires at least 5 bytes and ignores any after the id.
func ParseDespawn(p []byte) (netID uint32, err error) {
	if len(p) < despawnSize {
		return 0, invalid(scene.CommandDespawn, len(p), "DESPAWN of "+strconv.Itoa(len(p))+" bytes, need at least 5")
	}
	return binary.LittleEndian.Uint32(p[1:]), nil
}

// AppendDespawn appends a DESPAWN of netID (05 <u32>).
func AppendDespawn(dst []byte, netID uint32) []byte {
	return binary.LittleEndian.AppendUint32(append(dst, byte(scene.CommandDespawn)), netID)
}

// IsDelta reports whether a SYNC message is a DELTA (byte 0 has flag bit 4).
func IsDelta(p []byte) bool { return len(p) > 0 && p[0]&deltaFlag != 0 }

// SyncEntry is one synchronizer's state in a SYNC or DELTA message.
type SyncEntry struct {
	ID    uint32 // net id, or PathSyncFlag | path-cache id
	Mask  uint64 // DELTA only: bit i = i-th property of the watch list
	State []byte // compressed values; aliases the message
}

// SyncReader reads the entries of a SYNC or DELTA message in order, the way
// Godot's receiver does, without allocating:
//
//	r, err := replication.ParseSync(p)
//	for r.Next() {
//		e := r.Entry()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// A SYNC entry is read while at least 9 bytes remain, a DELTA entry while at
// least 17 do; shorter trailing bytes are ignored, as in Godot. An entry whose
// size runs past the end stops the reader with an error; the entries before
// it are valid (Godot has applied them by then).
type SyncReader struct {
	p     []byte
	off   int
	delta bool
	time  uint16
	e     SyncEntry
	err   error
}

// ParseSync starts reading a SYNC or DELTA message (both must be at least
// 11 bytes, as Godot checks).
func ParseSync(p []byte) (SyncReader, error) {
	if len(p) < syncMinSize {
		c := "SYNC"
		if IsDelta(p) {
			c = "DELTA"
		}
		return SyncReader{}, invalid(scene.CommandSync, len(p), c+" of "+strconv.Itoa(len(p))+" bytes, need at least 11")
	}
	r := SyncReader{p: p, delta: IsDelta(p), off: 1}
	if !r.delta {
		r.time = binary.LittleEndian.Uint16(p[1:])
		r.off = syncHeaderSize
	}
	return r, nil
}

// Delta reports whether the message is a DELTA.
func (r *SyncReader) Delta() bool { return r.delta }

// Time returns the sync time of a SYNC (0 for a DELTA, which has none).
func (r *SyncReader) Time() uint16 { return r.time }

// Next advances to the next entry and reports whether there is one.
func (r *SyncReader) Next() bool {
	if r.err != nil {
		return false
	}
	hdr := syncEntryHeader
	if r.delta {
		hdr = deltaEntryHeader
	}
	if r.off+hdr >= len(r.p) {
		return false
	}
	at := r.off
	r.e.ID = binary.LittleEndian.Uint32(r.p[r.off:])
	r.off += 4
	if r.delta {
		r.e.Mask = binary.LittleEndian.Uint64(r.p[r.off:])
		r.off += 8
	}
	size := uint64(binary.LittleEndian.Uint32(r.p[r.off:]))
	r.off += 4
	if size > uint64(len(r.p)-r.off) {
		r.err = invalid(scene.CommandSync, at, "entry of synchronizer "+strconv.FormatUint(uint64(r.e.ID), 10)+" claims "+strconv.FormatUint(size, 10)+" bytes, "+strconv.Itoa(len(r.p)-r.off)+" left")
		return false
	}
	r.e.State = r.p[r.off : r.off+int(size)]
	r.off += int(size)
	return true
}

// Entry returns the entry Next moved to.
func (r *SyncReader) Entry() SyncEntry { return r.e }

// Err returns the error that stopped Next, if any.
func (r *SyncReader) Err() error { return r.err }

// AppendSyncHeader appends the header of a SYNC message (06 <u16 time>);
// entries follow with AppendSyncEntry.
func AppendSyncHeader(dst []byte, time uint16) []byte {
	return binary.LittleEndian.AppendUint16(append(dst, byte(scene.CommandSync)), time)
}

// AppendSyncEntry appends one SYNC entry: the synchronizer id, the size of
// state and state (its sync list in the compressed encoding).
func AppendSyncEntry(dst []byte, id uint32, state []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, id)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(state)))
	return append(dst, state...)
}

// AppendDeltaHeader appends the header of a DELTA message (16); entries
// follow with AppendDeltaEntry.
func AppendDeltaHeader(dst []byte) []byte {
	return append(dst, byte(scene.CommandSync)|deltaFlag)
}

// AppendDeltaEntry appends one DELTA entry: the synchronizer id, the mask of
// watch-list indexes, the size of state and state (the flagged values in
// ascending bit order, compressed).
func AppendDeltaEntry(dst []byte, id uint32, mask uint64, state []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, id)
	dst = binary.LittleEndian.AppendUint64(dst, mask)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(state)))
	return append(dst, state...)
}

func invalid(c scene.Command, off int, reason string) error {
	return &scene.Error{Command: c, Offset: off, Reason: reason, Err: peer.ErrInvalidData}
}

func badParam(c scene.Command, reason string) error {
	return &scene.Error{Command: c, Offset: -1, Reason: reason, Err: peer.ErrInvalidParameter}
}

// reasonOf returns the reason of a scene or variant error without its
// prefix, to be wrapped in another message.
func reasonOf(err error) string {
	var se *scene.Error
	var ve *variant.Error
	switch {
	case errors.As(err, &se):
		return se.Reason
	case errors.As(err, &ve):
		if g, ok := ve.Err.(*peer.Error); ok {
			return g.Name() + ": " + ve.Reason
		}
		return ve.Reason
	}
	return err.Error()
}
