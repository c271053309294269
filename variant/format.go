package variant

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Format returns v in Godot's text form on one line, as var_to_str writes
// it but without line breaks: null, 1, 1.5, "text", &"name", ^"path",
// Vector2(1, 2), [1, "x"], {"a": 1}, PackedByteArray(1, 2, 3)... It accepts
// every value Decode returns and any other Go value (via fmt as a last
// resort).
func Format(v any) string {
	var sb strings.Builder
	formatTo(&sb, v, 0)
	return sb.String()
}

func quote(s string) string { return strconv.Quote(s) }

// num formats a real component: 1, 1.5, 1e+300, inf, nan.
func num(f float64, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// floatText formats a FLOAT the way Godot prints it, keeping ".0" on whole
// numbers.
func floatText(f float64) string {
	s := num(f, 64)
	if strings.ContainsAny(s, ".en") || strings.HasSuffix(s, "inf") {
		return s
	}
	return s + ".0"
}

func call(sb *strings.Builder, name string, parts ...string) {
	sb.WriteString(name)
	sb.WriteByte('(')
	for i, p := range parts {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(p)
	}
	sb.WriteByte(')')
}

func reals(fs ...float64) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = num(f, 64)
	}
	return out
}

func ints(is ...int32) []string {
	out := make([]string, len(is))
	for i, v := range is {
		out[i] = itoa(int64(v))
	}
	return out
}

func colorParts(c Color) []string {
	return []string{num(float64(c.R), 32), num(float64(c.G), 32), num(float64(c.B), 32), num(float64(c.A), 32)}
}

func (t ContainerType) name() string {
	switch {
	case t.Script != "":
		return quote(t.Script)
	case t.ClassName != "":
		return t.ClassName
	case t.Builtin == TypeNil:
		return "Variant"
	}
	return t.Builtin.String()
}

// maxFormat bounds the text Format produces, so that cyclic or huge values
// cannot make it run away.
const maxFormat = 1 << 24

func formatTo(sb *strings.Builder, v any, depth int) {
	if depth > MaxDepth || sb.Len() > maxFormat {
		sb.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		sb.WriteString(strconv.FormatBool(x))
	case int64:
		sb.WriteString(itoa(x))
	case int:
		sb.WriteString(itoa(int64(x)))
	case float64:
		sb.WriteString(floatText(x))
	case float32:
		sb.WriteString(floatText(float64(x)))
	case string:
		sb.WriteString(quote(x))
	case StringName:
		sb.WriteString("&" + quote(string(x)))
	case NodePath:
		sb.WriteString("^" + quote(x.String()))
	case *NodePath:
		if x == nil {
			sb.WriteString("null")
			return
		}
		sb.WriteString("^" + quote(x.String()))
	case Vector2:
		call(sb, "Vector2", reals(x.X, x.Y)...)
	case Vector2i:
		call(sb, "Vector2i", ints(x.X, x.Y)...)
	case Rect2:
		call(sb, "Rect2", reals(x.Position.X, x.Position.Y, x.Size.X, x.Size.Y)...)
	case Rect2i:
		call(sb, "Rect2i", ints(x.Position.X, x.Position.Y, x.Size.X, x.Size.Y)...)
	case Vector3:
		call(sb, "Vector3", reals(x.X, x.Y, x.Z)...)
	case Vector3i:
		call(sb, "Vector3i", ints(x.X, x.Y, x.Z)...)
	case Transform2D:
		call(sb, "Transform2D", reals(x.X.X, x.X.Y, x.Y.X, x.Y.Y, x.Origin.X, x.Origin.Y)...)
	case Vector4:
		call(sb, "Vector4", reals(x.X, x.Y, x.Z, x.W)...)
	case Vector4i:
		call(sb, "Vector4i", ints(x.X, x.Y, x.Z, x.W)...)
	case Plane:
		call(sb, "Plane", reals(x.Normal.X, x.Normal.Y, x.Normal.Z, x.D)...)
	case Quaternion:
		call(sb, "Quaternion", reals(x.X, x.Y, x.Z, x.W)...)
	case AABB:
		call(sb, "AABB", reals(x.Position.X, x.Position.Y, x.Position.Z, x.Size.X, x.Size.Y, x.Size.Z)...)
	case Basis:
		call(sb, "Basis", basisParts(x)...)
	case Transform3D:
		call(sb, "Transform3D", append(basisParts(x.Basis), reals(x.Origin.X, x.Origin.Y, x.Origin.Z)...)...)
	case Projection:
		var parts []string
		for _, c := range x.Columns {
			parts = append(parts, reals(c.X, c.Y, c.Z, c.W)...)
		}
		call(sb, "Projection", parts...)
	case Color:
		call(sb, "Color", colorParts(x)...)
	case RID:
		call(sb, "RID", strconv.FormatUint(uint64(x), 10))
	case ObjectID:
		call(sb, "ObjectID", strconv.FormatUint(uint64(x), 10))
	case *Object:
		if x == nil {
			sb.WriteString("null")
			return
		}
		sb.WriteString("Object(" + x.Class)
		for _, p := range x.Properties {
			sb.WriteString(", " + quote(p.Name) + ": ")
			formatTo(sb, p.Value, depth+1)
		}
		sb.WriteByte(')')
	case Callable:
		sb.WriteString("Callable()")
	case Signal:
		call(sb, "Signal", quote(x.Name), strconv.FormatUint(uint64(x.Object), 10))
	case []any:
		formatList(sb, x, depth)
	case TypedArray:
		sb.WriteString("Array[" + x.Type.name() + "](")
		formatList(sb, x.Values, depth)
		sb.WriteByte(')')
	case *TypedArray:
		if x == nil {
			sb.WriteString("null")
			return
		}
		formatTo(sb, *x, depth)
	case *Dictionary:
		typed := x != nil && (x.KeyType.IsTyped() || x.ValueType.IsTyped())
		if typed {
			sb.WriteString("Dictionary[" + x.KeyType.name() + ", " + x.ValueType.name() + "](")
		}
		sb.WriteByte('{')
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			formatTo(sb, x.keys[i], depth+1)
			sb.WriteString(": ")
			formatTo(sb, x.values[i], depth+1)
		}
		sb.WriteByte('}')
		if typed {
			sb.WriteByte(')')
		}
	case []byte:
		parts := make([]string, len(x))
		for i, b := range x {
			parts[i] = itoa(int64(b))
		}
		call(sb, "PackedByteArray", parts...)
	case []int32:
		call(sb, "PackedInt32Array", ints(x...)...)
	case []int64:
		parts := make([]string, len(x))
		for i, b := range x {
			parts[i] = itoa(b)
		}
		call(sb, "PackedInt64Array", parts...)
	case []float32:
		parts := make([]string, len(x))
		for i, f := range x {
			parts[i] = num(float64(f), 32)
		}
		call(sb, "PackedFloat32Array", parts...)
	case []float64:
		call(sb, "PackedFloat64Array", reals(x...)...)
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = quote(s)
		}
		call(sb, "PackedStringArray", parts...)
	case []Vector2:
		var parts []string
		for _, p := range x {
			parts = append(parts, reals(p.X, p.Y)...)
		}
		call(sb, "PackedVector2Array", parts...)
	case []Vector3:
		var parts []string
		for _, p := range x {
			parts = append(parts, reals(p.X, p.Y, p.Z)...)
		}
		call(sb, "PackedVector3Array", parts...)
	case []Vector4:
		var parts []string
		for _, p := range x {
			parts = append(parts, reals(p.X, p.Y, p.Z, p.W)...)
		}
		call(sb, "PackedVector4Array", parts...)
	case []Color:
		var parts []string
		for _, c := range x {
			parts = append(parts, colorParts(c)...)
		}
		call(sb, "PackedColorArray", parts...)
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			sb.WriteString(itoa(rv.Int()))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			sb.WriteString(strconv.FormatUint(rv.Uint(), 10))
		default:
			fmt.Fprintf(sb, "%v", v)
		}
	}
}

func formatList(sb *strings.Builder, vs []any, depth int) {
	sb.WriteByte('[')
	for i, e := range vs {
		if i > 0 {
			sb.WriteString(", ")
		}
		formatTo(sb, e, depth+1)
	}
	sb.WriteByte(']')
}

func basisParts(b Basis) []string {
	var parts []string
	for _, r := range b.Rows {
		parts = append(parts, reals(r.X, r.Y, r.Z)...)
	}
	return parts
}

// String returns the path in Godot's syntax, e.g. "/root/Node:prop:sub".
func (p NodePath) String() string {
	var sb strings.Builder
	if p.Absolute {
		sb.WriteByte('/')
	}
	sb.WriteString(strings.Join(p.Names, "/"))
	for _, s := range p.Subnames {
		sb.WriteByte(':')
		sb.WriteString(s)
	}
	return sb.String()
}

// ParseNodePath splits a Godot node path such as "/root/Node:prop:sub".
func ParseNodePath(s string) NodePath {
	var p NodePath
	if strings.HasPrefix(s, "/") {
		p.Absolute = true
		s = s[1:]
	}
	path, subs, hasSubs := strings.Cut(s, ":")
	if path != "" {
		p.Names = strings.Split(path, "/")
	}
	if hasSubs {
		p.Subnames = strings.Split(subs, ":")
	}
	return p
}

// String methods return Godot's text form (see Format).

func (v Vector2) String() string     { return Format(v) }
func (v Vector2i) String() string    { return Format(v) }
func (v Rect2) String() string       { return Format(v) }
func (v Rect2i) String() string      { return Format(v) }
func (v Vector3) String() string     { return Format(v) }
func (v Vector3i) String() string    { return Format(v) }
func (v Transform2D) String() string { return Format(v) }
func (v Vector4) String() string     { return Format(v) }
func (v Vector4i) String() string    { return Format(v) }
func (v Plane) String() string       { return Format(v) }
func (v Quaternion) String() string  { return Format(v) }
func (v AABB) String() string        { return Format(v) }
func (v Basis) String() string       { return Format(v) }
func (v Transform3D) String() string { return Format(v) }
func (v Projection) String() string  { return Format(v) }
func (v Color) String() string       { return Format(v) }
func (v RID) String() string         { return Format(v) }
func (v ObjectID) String() string    { return Format(v) }
func (v *Object) String() string     { return Format(v) }
func (v Callable) String() string    { return Format(v) }
func (v Signal) String() string      { return Format(v) }
func (v TypedArray) String() string  { return Format(v) }
