package variant

// Type is a Godot 4 Variant type id, the low byte of every encoded header.
type Type uint8

// Variant type ids of Godot 4.3–4.6 (core/variant/variant.h).
const (
	TypeNil Type = iota
	TypeBool
	TypeInt
	TypeFloat
	TypeString
	TypeVector2
	TypeVector2i
	TypeRect2
	TypeRect2i
	TypeVector3
	TypeVector3i
	TypeTransform2D
	TypeVector4
	TypeVector4i
	TypePlane
	TypeQuaternion
	TypeAABB
	TypeBasis
	TypeTransform3D
	TypeProjection
	TypeColor
	TypeStringName
	TypeNodePath
	TypeRID
	TypeObject
	TypeCallable
	TypeSignal
	TypeDictionary
	TypeArray
	TypePackedByteArray
	TypePackedInt32Array
	TypePackedInt64Array
	TypePackedFloat32Array
	TypePackedFloat64Array
	TypePackedStringArray
	TypePackedVector2Array
	TypePackedVector3Array
	TypePackedColorArray
	TypePackedVector4Array
	// TypeMax is VARIANT_MAX: one past the last valid id.
	TypeMax
)

var typeNames = [TypeMax]string{
	"Nil", "bool", "int", "float", "String", "Vector2", "Vector2i", "Rect2", "Rect2i",
	"Vector3", "Vector3i", "Transform2D", "Vector4", "Vector4i", "Plane", "Quaternion",
	"AABB", "Basis", "Transform3D", "Projection", "Color", "StringName", "NodePath", "RID",
	"Object", "Callable", "Signal", "Dictionary", "Array", "PackedByteArray",
	"PackedInt32Array", "PackedInt64Array", "PackedFloat32Array", "PackedFloat64Array",
	"PackedStringArray", "PackedVector2Array", "PackedVector3Array", "PackedColorArray",
	"PackedVector4Array",
}

// String returns Godot's name of the type, e.g. "Vector2" or "PackedByteArray".
func (t Type) String() string {
	if t < TypeMax {
		return typeNames[t]
	}
	return "Type(" + itoa(int64(t)) + ")"
}

// Vector2 is Godot's Vector2. Components are float64 so that payloads of
// double-precision builds decode losslessly; the default encoding writes them
// as binary32, as official Godot builds do.
type Vector2 struct{ X, Y float64 }

// Vector2i is Godot's Vector2i.
type Vector2i struct{ X, Y int32 }

// Rect2 is Godot's Rect2.
type Rect2 struct{ Position, Size Vector2 }

// Rect2i is Godot's Rect2i.
type Rect2i struct{ Position, Size Vector2i }

// Vector3 is Godot's Vector3.
type Vector3 struct{ X, Y, Z float64 }

// Vector3i is Godot's Vector3i.
type Vector3i struct{ X, Y, Z int32 }

// Transform2D is Godot's Transform2D: the X and Y axis columns and the origin.
type Transform2D struct{ X, Y, Origin Vector2 }

// Vector4 is Godot's Vector4.
type Vector4 struct{ X, Y, Z, W float64 }

// Vector4i is Godot's Vector4i.
type Vector4i struct{ X, Y, Z, W int32 }

// Plane is Godot's Plane (normal and distance from the origin).
type Plane struct {
	Normal Vector3
	D      float64
}

// Quaternion is Godot's Quaternion.
type Quaternion struct{ X, Y, Z, W float64 }

// AABB is Godot's axis-aligned bounding box.
type AABB struct{ Position, Size Vector3 }

// Basis is Godot's 3×3 Basis stored as rows, exactly as Godot stores and
// encodes it. GDScript's Basis(x_axis, y_axis, z_axis) takes columns: use
// BasisFromAxes for that.
type Basis struct{ Rows [3]Vector3 }

// BasisFromAxes builds a Basis from its column axes, like GDScript's
// Basis(x_axis, y_axis, z_axis).
func BasisFromAxes(x, y, z Vector3) Basis {
	return Basis{Rows: [3]Vector3{{x.X, y.X, z.X}, {x.Y, y.Y, z.Y}, {x.Z, y.Z, z.Z}}}
}

// Axis returns column i (0 = X, 1 = Y, 2 = Z) of the basis.
func (b Basis) Axis(i int) Vector3 {
	get := func(r Vector3) float64 {
		switch i {
		case 0:
			return r.X
		case 1:
			return r.Y
		}
		return r.Z
	}
	return Vector3{get(b.Rows[0]), get(b.Rows[1]), get(b.Rows[2])}
}

// Transform3D is Godot's Transform3D.
type Transform3D struct {
	Basis  Basis
	Origin Vector3
}

// Projection is Godot's 4×4 Projection, stored and encoded as four columns.
type Projection struct{ Columns [4]Vector4 }

// Color is Godot's Color. Godot always encodes colors as binary32.
type Color struct{ R, G, B, A float32 }

// StringName is Godot's StringName; it encodes like a String with type id 21.
type StringName string

// NodePath is Godot's NodePath: "/root/Node:prop:sub" has Names root, Node,
// Subnames prop, sub and Absolute true.
type NodePath struct {
	Names    []string
	Subnames []string
	Absolute bool
}

// RID is Godot's RID, a 64-bit id that is meaningless outside its process.
type RID uint64

// ObjectID is an Object encoded as its instance id (the default, full objects
// off). Godot decodes it into an EncodedObjectAsID; ObjectID(0) is Godot's
// null Object (type OBJECT, not NIL).
type ObjectID uint64

// Property is one stored property of a full Object.
type Property struct {
	Name  string
	Value any
}

// Object is a full Object (var_to_bytes_with_objects): its class name and its
// stored properties in order. It is inert data: decoding never instantiates or
// runs anything. Without EncodeOptions.FullObjects it encodes as ID. A nil
// *Object encodes as NIL, as Godot does for a null Object.
type Object struct {
	Class      string
	Properties []Property
	ID         ObjectID // instance id, written only when full objects are off
}

// Get returns the value of the named property.
func (o *Object) Get(name string) (any, bool) {
	for _, p := range o.Properties {
		if p.Name == name {
			return p.Value, true
		}
	}
	return nil, false
}

// Callable is Godot's Callable. Godot does not serialize Callables: it writes
// the header only and decodes an empty Callable.
type Callable struct{}

// Signal is Godot's Signal: a signal name on an object instance.
type Signal struct {
	Name   string
	Object ObjectID
}

// ContainerType is the declared element type of a typed Array, or the key or
// value type of a typed Dictionary. The zero value is untyped (Variant).
type ContainerType struct {
	// Builtin is the element's Variant type; TypeNil means untyped. It is
	// TypeObject when ClassName or Script is set.
	Builtin Type
	// ClassName is the native class of Object elements (e.g. "Node"). Without
	// full objects Godot writes and reads "EncodedObjectAsID" instead.
	ClassName string
	// Script is the res:// path of the elements' script class.
	Script string
}

// IsTyped reports whether t declares a type.
func (t ContainerType) IsTyped() bool {
	return t.Builtin != TypeNil || t.ClassName != "" || t.Script != ""
}

// TypedArray is a typed Array such as Array[int] or Array[Node]. Decoding
// keeps every element and leaves type enforcement to the caller.
type TypedArray struct {
	Type   ContainerType
	Values []any
}
