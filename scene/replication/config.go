package replication

import (
	"encoding/binary"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// ReplicationMode is how a property is kept in sync after the spawn
// (Godot's SceneReplicationConfig.ReplicationMode, with Godot's values).
type ReplicationMode uint8

const (
	// ReplicationModeNever: only sent in SPAWN (if Spawn is set).
	ReplicationModeNever ReplicationMode = 0
	// ReplicationModeAlways: in every SYNC, unreliable (Godot's default).
	ReplicationModeAlways ReplicationMode = 1
	// ReplicationModeOnChange: in a reliable DELTA when it changed.
	ReplicationModeOnChange ReplicationMode = 2
)

func (m ReplicationMode) String() string {
	switch m {
	case ReplicationModeNever:
		return "never"
	case ReplicationModeAlways:
		return "always"
	case ReplicationModeOnChange:
		return "on change"
	}
	return "ReplicationMode(" + strconv.Itoa(int(m)) + ")"
}

// MaxWatched is the most ReplicationModeOnChange properties one
// synchronizer can have: DELTA flags them in a 64-bit mask.
const MaxWatched = 64

// Property is one entry of a synchronizer's replication config: a Godot
// property path relative to the synchronizer's root node (".:position",
// "Sprite:modulate", ".:velocity:x"), whether it is in the spawn state, its
// mode, and the Go variable that holds its value.
//
// Godot's defaults are Spawn true and ReplicationModeAlways; a Property
// literal states both. Value is a pointer (*variant.Vector2, *int64, *bool,
// *string, *float64, a pointer to any type package variant encodes); the
// Replicator reads it when it sends and, for a synchronizer owned by a
// client, writes it with variant.Assign when an update arrives. Its Go type
// decides the Variant type the game sees (variant.Vector2 for a Vector2
// property, int64 or int for an int, float64 for a float...).
type Property struct {
	Path  string
	Spawn bool
	Mode  ReplicationMode
	Value any
}

// lists are the derived property lists of §10.2: indexes into Properties.
type lists struct {
	spawn, sync, watch []int
}

func buildLists(props []Property) (lists, error) {
	var l lists
	seen := make(map[string]bool, len(props))
	for i, p := range props {
		if err := checkPropertyPath(p.Path); err != "" {
			return lists{}, badParam(scene.CommandSync, "property "+strconv.Itoa(i)+": "+err)
		}
		if seen[p.Path] {
			return lists{}, badParam(scene.CommandSync, "property "+strconv.Quote(p.Path)+" listed twice")
		}
		seen[p.Path] = true
		if p.Value == nil {
			return lists{}, badParam(scene.CommandSync, "property "+strconv.Quote(p.Path)+" has no Value")
		}
		if err := checkValue(p.Value); err != "" {
			return lists{}, badParam(scene.CommandSync, "property "+strconv.Quote(p.Path)+": "+err)
		}
		if p.Spawn {
			l.spawn = append(l.spawn, i)
		}
		switch p.Mode {
		case ReplicationModeNever:
		case ReplicationModeAlways:
			l.sync = append(l.sync, i)
		case ReplicationModeOnChange:
			l.watch = append(l.watch, i)
		default:
			return lists{}, badParam(scene.CommandSync, "property "+strconv.Quote(p.Path)+": unknown "+p.Mode.String())
		}
	}
	if len(l.watch) > MaxWatched {
		return lists{}, badParam(scene.CommandSync, strconv.Itoa(len(l.watch))+" on-change properties, at most 64")
	}
	return l, nil
}

// checkPropertyPath returns why path is not a property path of a replication
// config (node part, a colon, property part), or "".
func checkPropertyPath(path string) string {
	i := strings.IndexByte(path, ':')
	switch {
	case path == "":
		return "empty property path"
	case i < 0:
		return "property path " + strconv.Quote(path) + " has no ':' before the property name"
	case i == len(path)-1:
		return "property path " + strconv.Quote(path) + " names no property"
	case strings.IndexByte(path, 0) >= 0:
		return "property path contains NUL"
	}
	return ""
}

// appendValue appends the compressed encoding of the value v points to.
// The common types go without reflection or allocation.
func appendValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case *variant.Vector2:
		dst = binary.LittleEndian.AppendUint32(dst, uint32(variant.TypeVector2))
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(x.X)))
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(x.Y))), nil
	case *int64:
		return appendInt(dst, *x), nil
	case *int:
		return appendInt(dst, int64(*x)), nil
	case *int32:
		return appendInt(dst, int64(*x)), nil
	case *bool:
		if *x {
			return append(dst, byte(variant.TypeBool)|0x80), nil
		}
		return append(dst, byte(variant.TypeBool)), nil
	case *float64:
		return appendFloat(dst, *x), nil
	case *float32:
		return appendFloat(dst, float64(*x)), nil
	case *string:
		if !plainASCII(*x) {
			break // package variant checks the rest
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(variant.TypeString))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(*x)))
		dst = append(dst, *x...)
		return append(dst, zeros[:(4-len(*x)%4)%4]...), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return dst, badParam(scene.CommandSync, "property Value is a "+rv.Kind().String()+", not a non-nil pointer")
	}
	return scene.AppendCompressed(dst, rv.Elem().Interface(), variant.EncodeOptions{})
}

// appendInt writes an int as scene.AppendCompressed does, without boxing it.
func appendInt(dst []byte, i int64) []byte {
	const typeInt = byte(variant.TypeInt)
	switch {
	case i >= math.MinInt8 && i <= math.MaxInt8:
		return append(dst, typeInt, byte(i))
	case i >= math.MinInt16 && i <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(dst, typeInt|1<<6), uint16(i))
	case i >= math.MinInt32 && i <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(dst, typeInt|2<<6), uint32(i))
	}
	return binary.LittleEndian.AppendUint64(append(dst, typeInt|3<<6), uint64(i))
}

// appendFloat writes a float as package variant does: binary32 when that is
// exact, else binary64 with FLAG_64.
func appendFloat(dst []byte, f float64) []byte {
	if f32 := float32(f); float64(f32) == f {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(variant.TypeFloat))
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(f32))
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(variant.TypeFloat)|1<<16)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// checkValue reports whether v is a pointer the Replicator can read and write.
func checkValue(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return "Value must be a non-nil pointer, not " + reflect.TypeOf(v).String()
	}
	return ""
}

var zeros [4]byte

// plainASCII reports whether s is ASCII without NUL, which package variant
// would encode as it is.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 || s[i] >= 0x80 {
			return false
		}
	}
	return true
}
