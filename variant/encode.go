package variant

import (
	"math"
	"reflect"
	"strings"

	"github.com/packetpeer/packetpeer/internal/godoterr"
)

const (
	flag64      = 1 << 16 // FLAG_64 / OBJECT_AS_ID
	maxCount    = math.MaxInt32
	encodedAsID = "EncodedObjectAsID"
)

type encoder struct {
	full, double bool
}

func encErr(kind *godoterr.Error, reason string) error { return newError(kind, -1, reason) }

func (e *encoder) header(b []byte, t Type, real bool) []byte {
	h := uint32(t)
	if real && e.double {
		h |= flag64
	}
	return appendU32(b, h)
}

// reals appends math components as binary32 or, in double mode, binary64.
func (e *encoder) reals(b []byte, fs ...float64) []byte {
	if e.double {
		for _, f := range fs {
			b = appendF64(b, f)
		}
		return b
	}
	for _, f := range fs {
		b = appendF32(b, float32(f))
	}
	return b
}

func appendInt(b []byte, i int64) []byte {
	if i > math.MaxInt32 || i < math.MinInt32 {
		return appendU64(appendU32(b, uint32(TypeInt)|flag64), uint64(i))
	}
	return appendU32(appendU32(b, uint32(TypeInt)), uint32(int32(i)))
}

func appendFloat(b []byte, f float64) []byte {
	if f32 := float32(f); float64(f32) == f {
		return appendF32(appendU32(b, uint32(TypeFloat)), f32)
	}
	return appendF64(appendU32(b, uint32(TypeFloat)|flag64), f)
}

func appendUint(b []byte, u uint64) ([]byte, error) {
	if u > math.MaxInt64 {
		return b, encErr(ErrInvalidParameter, "unsigned value "+itoaU(u)+" overflows Godot's int64")
	}
	return appendInt(b, int64(u)), nil
}

// appendStr appends the str primitive: length, UTF-8 bytes, zero padding.
func appendStr(b []byte, s string) ([]byte, error) {
	if !validString(s) {
		return b, encErr(ErrInvalidParameter, "string "+quote(s)+" is not valid UTF-8, contains NUL or starts with a BOM; Godot would not decode it back")
	}
	if len(s) > maxCount-3 {
		return b, encErr(ErrInvalidParameter, "string longer than 2^31-4 bytes")
	}
	b = appendU32(b, uint32(len(s)))
	b = append(b, s...)
	return append(b, zeros[:(4-len(s)&3)&3]...), nil
}

var zeros [4]byte

func pad(b []byte, n int) []byte {
	if r := n & 3; r != 0 {
		b = append(b, zeros[:4-r]...)
	}
	return b
}

func countErr(what string, n int) error {
	return encErr(ErrInvalidParameter, what+" has "+itoa(int64(n))+" elements, more than Godot's int32 sizes allow")
}

func (e *encoder) value(b []byte, v any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return b, encErr(ErrOutOfMemory, "nesting deeper than 1024 levels (cyclic value?)")
	}
	switch x := v.(type) {
	case nil:
		return appendU32(b, 0), nil
	case bool:
		return appendBoolValue(b, x), nil
	case int:
		return appendIntValue(b, int64(x)), nil
	case int64:
		return appendIntValue(b, x), nil
	case int32:
		return appendInt(b, int64(x)), nil
	case int16:
		return appendInt(b, int64(x)), nil
	case int8:
		return appendInt(b, int64(x)), nil
	case uint:
		return appendUint(b, uint64(x))
	case uint64:
		return appendUint(b, x)
	case uint32:
		return appendInt(b, int64(x)), nil
	case uint16:
		return appendInt(b, int64(x)), nil
	case uint8:
		return appendInt(b, int64(x)), nil
	case uintptr:
		return appendUint(b, uint64(x))
	case float64:
		return appendFloat(b, x), nil
	case float32:
		return appendFloat(b, float64(x)), nil
	case string:
		return appendTaggedStr(b, uint32(TypeString), x)
	case StringName:
		return appendTaggedStr(b, uint32(TypeStringName), string(x))
	case Vector2:
		return e.vector2(b, &x), nil
	case Vector2i:
		return appendI32s(appendU32(b, uint32(TypeVector2i)), x.X, x.Y), nil
	case Rect2:
		return e.reals(e.header(b, TypeRect2, true), x.Position.X, x.Position.Y, x.Size.X, x.Size.Y), nil
	case Rect2i:
		return appendI32s(appendU32(b, uint32(TypeRect2i)), x.Position.X, x.Position.Y, x.Size.X, x.Size.Y), nil
	case Vector3:
		return e.vector3(b, &x), nil
	case Vector3i:
		return appendI32s(appendU32(b, uint32(TypeVector3i)), x.X, x.Y, x.Z), nil
	case Transform2D:
		return e.reals(e.header(b, TypeTransform2D, true), x.X.X, x.X.Y, x.Y.X, x.Y.Y, x.Origin.X, x.Origin.Y), nil
	case Vector4:
		return e.reals(e.header(b, TypeVector4, true), x.X, x.Y, x.Z, x.W), nil
	case Vector4i:
		return appendI32s(appendU32(b, uint32(TypeVector4i)), x.X, x.Y, x.Z, x.W), nil
	case Plane:
		return e.reals(e.header(b, TypePlane, true), x.Normal.X, x.Normal.Y, x.Normal.Z, x.D), nil
	case Quaternion:
		return e.reals(e.header(b, TypeQuaternion, true), x.X, x.Y, x.Z, x.W), nil
	case AABB:
		return e.reals(e.header(b, TypeAABB, true), x.Position.X, x.Position.Y, x.Position.Z, x.Size.X, x.Size.Y, x.Size.Z), nil
	case Basis:
		return e.basis(e.header(b, TypeBasis, true), &x), nil
	case Transform3D:
		b = e.basis(e.header(b, TypeTransform3D, true), &x.Basis)
		return e.reals(b, x.Origin.X, x.Origin.Y, x.Origin.Z), nil
	case Projection:
		b = e.header(b, TypeProjection, true)
		for _, c := range x.Columns {
			b = e.reals(b, c.X, c.Y, c.Z, c.W)
		}
		return b, nil
	case Color:
		b = appendU32(b, uint32(TypeColor))
		return appendF32(appendF32(appendF32(appendF32(b, x.R), x.G), x.B), x.A), nil
	case NodePath:
		return e.nodePath(b, &x)
	case *NodePath:
		if x == nil {
			return appendU32(b, 0), nil
		}
		return e.nodePath(b, x)
	case RID:
		return appendU64(appendU32(b, uint32(TypeRID)), uint64(x)), nil
	case ObjectID:
		return appendU64(appendU32(b, uint32(TypeObject)|flag64), uint64(x)), nil
	case *Object:
		return e.object(b, x, depth)
	case Callable:
		return appendU32(b, uint32(TypeCallable)), nil
	case Signal:
		b, err := appendStr(appendU32(b, uint32(TypeSignal)), x.Name)
		if err != nil {
			return b, err
		}
		return appendU64(b, uint64(x.Object)), nil
	case *Dictionary:
		return e.dictionary(b, x, depth)
	case []any:
		return e.array(b, ContainerType{}, x, depth)
	case TypedArray:
		return e.array(b, x.Type, x.Values, depth)
	case *TypedArray:
		if x == nil {
			return appendU32(b, 0), nil
		}
		return e.array(b, x.Type, x.Values, depth)
	case []byte:
		if len(x) > maxCount-3 {
			return b, countErr("PackedByteArray", len(x))
		}
		b = appendU32(appendU32(b, uint32(TypePackedByteArray)), uint32(len(x)))
		return pad(append(b, x...), len(x)), nil
	case []int32:
		return packedFixed(b, TypePackedInt32Array, x)
	case []int64:
		return packedFixed(b, TypePackedInt64Array, x)
	case []float32:
		return packedFixed(b, TypePackedFloat32Array, x)
	case []float64:
		return packedFixed(b, TypePackedFloat64Array, x)
	case []string:
		return appendPackedStrings(b, x)
	case []Vector2:
		if err := e.checkPacked("PackedVector2Array", len(x), 2); err != nil {
			return b, err
		}
		b = appendU32(e.header(b, TypePackedVector2Array, true), uint32(len(x)))
		for _, p := range x {
			b = e.reals(b, p.X, p.Y)
		}
		return b, nil
	case []Vector3:
		if err := e.checkPacked("PackedVector3Array", len(x), 3); err != nil {
			return b, err
		}
		b = appendU32(e.header(b, TypePackedVector3Array, true), uint32(len(x)))
		for _, p := range x {
			b = e.reals(b, p.X, p.Y, p.Z)
		}
		return b, nil
	case []Vector4:
		if err := e.checkPacked("PackedVector4Array", len(x), 4); err != nil {
			return b, err
		}
		b = appendU32(e.header(b, TypePackedVector4Array, true), uint32(len(x)))
		for _, p := range x {
			b = e.reals(b, p.X, p.Y, p.Z, p.W)
		}
		return b, nil
	case []Color:
		if len(x) > maxCount/16 {
			return b, countErr("PackedColorArray", len(x))
		}
		b = appendU32(appendU32(b, uint32(TypePackedColorArray)), uint32(len(x)))
		for _, c := range x {
			b = appendF32(appendF32(appendF32(appendF32(b, c.R), c.G), c.B), c.A)
		}
		return b, nil
	case Dictionary:
		return e.dictionary(b, &x, depth)
	case Marshaler:
		r, err := x.MarshalVariant()
		if err != nil {
			return b, err
		}
		if _, again := r.(Marshaler); again && reflect.TypeOf(r) == reflect.TypeOf(v) {
			return b, encErr(ErrInvalidParameter, "MarshalVariant of "+reflect.TypeOf(v).String()+" returned its own type")
		}
		return e.value(b, r, depth)
	}
	return e.reflectValue(b, reflect.ValueOf(v), depth)
}

func itoaU(u uint64) string {
	if u <= math.MaxInt64 {
		return itoa(int64(u))
	}
	return itoa(int64(u/10)) + itoa(int64(u%10))
}

func appendI32s(b []byte, vs ...int32) []byte {
	for _, v := range vs {
		b = appendU32(b, uint32(v))
	}
	return b
}

func (e *encoder) basis(b []byte, x *Basis) []byte {
	for _, r := range x.Rows {
		b = e.reals(b, r.X, r.Y, r.Z)
	}
	return b
}

func (e *encoder) checkPacked(what string, n, comps int) error {
	size := comps * 4
	if e.double {
		size *= 2
	}
	if n > maxCount/size {
		return countErr(what, n)
	}
	return nil
}

func packedFixed[T int32 | int64 | float32 | float64](b []byte, t Type, x []T) ([]byte, error) {
	var zero T
	size := int(sizeOf(zero))
	if len(x) > maxCount/size {
		return b, countErr(t.String(), len(x))
	}
	b = appendU32(appendU32(b, uint32(t)), uint32(len(x)))
	if hostLE {
		return append(b, byteView(x)...), nil
	}
	switch s := any(x).(type) {
	case []int32:
		for _, v := range s {
			b = appendU32(b, uint32(v))
		}
	case []int64:
		for _, v := range s {
			b = appendU64(b, uint64(v))
		}
	case []float32:
		for _, v := range s {
			b = appendF32(b, v)
		}
	case []float64:
		for _, v := range s {
			b = appendF64(b, v)
		}
	}
	return b, nil
}

func sizeOf[T int32 | int64 | float32 | float64](z T) uintptr {
	switch any(z).(type) {
	case int32, float32:
		return 4
	}
	return 8
}

func appendPackedStrings(b []byte, x []string) ([]byte, error) {
	if len(x) > maxCount/4 {
		return b, countErr("PackedStringArray", len(x))
	}
	start := len(b)
	b = appendU32(appendU32(b, uint32(TypePackedStringArray)), uint32(len(x)))
	for _, s := range x {
		if n := len(s); n <= 64 && plainASCII(s) {
			// Length with the NUL, bytes, NUL, zero padding.
			size := 4 + (n+1+3)&^3
			var o []byte
			b, o = extend(b, size)
			le.PutUint32(o[size-4:], 0)
			le.PutUint32(o, uint32(n+1))
			copy(o[4:], s)
			continue
		}
		if !validString(s) {
			return b[:start], encErr(ErrInvalidParameter, "PackedStringArray element "+quote(s)+" is not valid UTF-8, contains NUL or starts with a BOM")
		}
		if len(s) > maxCount-4 {
			return b[:start], encErr(ErrInvalidParameter, "string longer than 2^31-5 bytes")
		}
		// Godot counts and writes a terminating NUL for each element.
		b = appendU32(b, uint32(len(s)+1))
		b = append(b, s...)
		b = pad(append(b, 0), len(s)+1)
	}
	return b, nil
}

func (e *encoder) nodePath(b []byte, p *NodePath) ([]byte, error) {
	if len(p.Names) > maxCount || len(p.Subnames) > maxCount {
		return b, countErr("NodePath", len(p.Names)+len(p.Subnames))
	}
	b = appendU32(b, uint32(TypeNodePath))
	b = appendU32(b, uint32(len(p.Names))|0x80000000)
	b = appendU32(b, uint32(len(p.Subnames)))
	var flags uint32
	if p.Absolute {
		flags = 1
	}
	b = appendU32(b, flags)
	var err error
	for _, s := range p.Names {
		if b, err = appendStr(b, s); err != nil {
			return b, err
		}
	}
	for _, s := range p.Subnames {
		if b, err = appendStr(b, s); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (e *encoder) object(b []byte, o *Object, depth int) ([]byte, error) {
	if o == nil {
		// Godot writes a null Object as a bare NIL header.
		return appendU32(b, uint32(TypeNil)), nil
	}
	if !e.full {
		return appendU64(appendU32(b, uint32(TypeObject)|flag64), uint64(o.ID)), nil
	}
	if o.Class == "" {
		return b, encErr(ErrInvalidParameter, "full Object without a class name")
	}
	if len(o.Properties) > maxCount {
		return b, countErr("Object", len(o.Properties))
	}
	b = appendU32(b, uint32(TypeObject))
	b, err := appendStr(b, o.Class)
	if err != nil {
		return b, err
	}
	b = appendU32(b, uint32(len(o.Properties)))
	for _, p := range o.Properties {
		if p.Name == "script" && p.Value != nil {
			if s, ok := p.Value.(string); !ok || !strings.HasPrefix(s, "res://") {
				return b, encErr(ErrUnavailable, "Object script property must be a res:// path string")
			}
		}
		if b, err = appendStr(b, p.Name); err != nil {
			return b, err
		}
		if b, err = e.value(b, p.Value, depth+1); err != nil {
			return b, err
		}
	}
	return b, nil
}

// containerKind returns the descriptor kind and its string for t.
func (e *encoder) containerKind(t ContainerType) (kind uint32, name string, err error) {
	switch {
	case t.Script != "":
		if !e.full {
			return 2, encodedAsID, nil
		}
		if !strings.HasPrefix(t.Script, "res://") {
			return 0, "", encErr(ErrUnavailable, "container script "+quote(t.Script)+" has no res:// path")
		}
		return 3, t.Script, nil
	case t.ClassName != "":
		if !e.full {
			return 2, encodedAsID, nil
		}
		return 2, t.ClassName, nil
	case t.Builtin >= TypeMax:
		return 0, "", encErr(ErrInvalidParameter, "container element type "+t.Builtin.String()+" out of range")
	case t.Builtin != TypeNil:
		return 1, "", nil
	}
	return 0, "", nil
}

func (e *encoder) descriptor(b []byte, t ContainerType, kind uint32, name string) ([]byte, error) {
	switch kind {
	case 1:
		return appendU32(b, uint32(t.Builtin)), nil
	case 2, 3:
		return appendStr(b, name)
	}
	return b, nil
}

func (e *encoder) array(b []byte, t ContainerType, vs []any, depth int) ([]byte, error) {
	if len(vs) > maxCount {
		return b, countErr("Array", len(vs))
	}
	kind, name, err := e.containerKind(t)
	if err != nil {
		return b, err
	}
	b = appendU32(b, uint32(TypeArray)|kind<<16)
	if b, err = e.descriptor(b, t, kind, name); err != nil {
		return b, err
	}
	b = appendU32(b, uint32(len(vs)))
	for _, v := range vs {
		if b, err = e.value(b, v, depth+1); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (e *encoder) dictionary(b []byte, d *Dictionary, depth int) ([]byte, error) {
	if d == nil {
		return appendU64(b, uint64(TypeDictionary)), nil // empty untyped dictionary
	}
	if len(d.keys) > maxCount {
		return b, countErr("Dictionary", len(d.keys))
	}
	kk, kn, err := e.containerKind(d.KeyType)
	if err != nil {
		return b, err
	}
	vk, vn, err := e.containerKind(d.ValueType)
	if err != nil {
		return b, err
	}
	b = appendU32(b, uint32(TypeDictionary)|kk<<16|vk<<18)
	if b, err = e.descriptor(b, d.KeyType, kk, kn); err != nil {
		return b, err
	}
	if b, err = e.descriptor(b, d.ValueType, vk, vn); err != nil {
		return b, err
	}
	b = appendU32(b, uint32(len(d.keys)))
	for i, k := range d.keys {
		if s, ok := k.(string); ok { // the common case: String keys
			b, err = appendTaggedStr(b, uint32(TypeString), s)
		} else {
			b, err = e.value(b, k, depth+1)
		}
		if err != nil {
			return b, err
		}
		if b, err = e.value(b, d.values[i], depth+1); err != nil {
			return b, err
		}
	}
	return b, nil
}
