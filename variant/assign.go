package variant

import (
	"math"
	"reflect"
	"strings"
	"sync"

	"github.com/packetpeer/packetpeer/internal/godoterr"
)

// Assign stores a decoded Variant value v (as returned by Decode) into the
// value ptr points to, converting like Unmarshal does. It is exported for
// callers that decode once and then convert.
func Assign(ptr any, v any) error {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return newError(ErrInvalidParameter, -1, "Unmarshal needs a non-nil pointer, got "+typeName(ptr))
	}
	err := assign(rv.Elem(), v, 0)
	if f, ok := err.(*assignFail); ok {
		return f.toError()
	}
	return err
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

func assignErr(v any, dst reflect.Type, why string) error {
	return &assignFail{kind: ErrInvalidData, value: variantTypeName(v), typ: dst, msg: why}
}

// variantTypeName names the Variant type of a decoded value.
func variantTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "Nil"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "String"
	case []any:
		return "Array"
	case *Dictionary:
		return "Dictionary"
	}
	return typeName(v)
}

// assignFail is an assignment error on its way up; each level prepends its
// path segment, so that successful assignments never build paths.
type assignFail struct {
	segs  []string // innermost first
	kind  *godoterr.Error
	value string       // for a mismatch: the Variant type of the value
	typ   reflect.Type // for a mismatch: the Go type it did not fit
	msg   string
}

func (f *assignFail) Error() string { return f.msg }

// at prefixes err's path with a segment: a field name, "[3]" or "[key]".
func at(err error, seg string) error {
	if f, ok := err.(*assignFail); ok {
		f.segs = append(f.segs, seg)
	}
	return err
}

func (f *assignFail) toError() error {
	var sb strings.Builder
	for i := len(f.segs) - 1; i >= 0; i-- {
		s := f.segs[i]
		if sb.Len() > 0 && !strings.HasPrefix(s, "[") {
			sb.WriteByte('.')
		}
		sb.WriteString(s)
	}
	if f.typ != nil {
		return &UnmarshalTypeError{Field: sb.String(), Value: f.value, Type: f.typ, Reason: f.msg}
	}
	where := sb.String()
	if where == "" {
		where = "value"
	}
	return newError(f.kind, -1, where+": "+f.msg)
}

var unmarshalerCache sync.Map // reflect.Type → bool

// hasUnmarshaler reports whether *t implements Unmarshaler (cached).
func hasUnmarshaler(t reflect.Type) bool {
	if v, ok := unmarshalerCache.Load(t); ok {
		return v.(bool)
	}
	ok := reflect.PointerTo(t).Implements(unmarshalerType)
	unmarshalerCache.Store(t, ok)
	return ok
}

func assign(dst reflect.Value, v any, depth int) error {
	if depth > MaxDepth {
		return &assignFail{kind: ErrOutOfMemory, msg: "nesting deeper than 1024"}
	}
	// Unmarshaler takes precedence.
	if dst.CanAddr() && hasUnmarshaler(dst.Type()) {
		if u, ok := dst.Addr().Interface().(Unmarshaler); ok {
			return u.UnmarshalVariant(v)
		}
	}
	if v != nil && reflect.TypeOf(v) == dst.Type() {
		dst.Set(reflect.ValueOf(v))
		return nil
	}
	if dst.Kind() == reflect.Pointer {
		if v == nil {
			dst.SetZero()
			return nil
		}
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return assign(dst.Elem(), v, depth+1)
	}
	if dst.Kind() == reflect.Interface {
		if v == nil {
			dst.SetZero()
			return nil
		}
		sv := reflect.ValueOf(v)
		if !sv.Type().AssignableTo(dst.Type()) {
			return assignErr(v, dst.Type(), "")
		}
		dst.Set(sv)
		return nil
	}
	if v == nil {
		dst.SetZero()
		return nil
	}
	sv := reflect.ValueOf(v)
	if sv.Type() == dst.Type() {
		dst.Set(sv)
		return nil
	}
	switch dst.Kind() {
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			dst.SetBool(b)
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := toInt(v)
		if !ok {
			break
		}
		if dst.OverflowInt(i) {
			return assignErr(v, dst.Type(), "value "+itoa(i)+" overflows "+dst.Type().String())
		}
		dst.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		i, ok := toInt(v)
		if !ok {
			break
		}
		if i < 0 || dst.OverflowUint(uint64(i)) {
			return assignErr(v, dst.Type(), "value "+itoa(i)+" overflows "+dst.Type().String())
		}
		dst.SetUint(uint64(i))
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch sv.Kind() {
		case reflect.Float32, reflect.Float64:
			f = sv.Float()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f = float64(sv.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			f = float64(sv.Uint())
		default:
			return assignErr(v, dst.Type(), "")
		}
		if dst.Kind() == reflect.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return assignErr(v, dst.Type(), "value overflows float32")
		}
		dst.SetFloat(f)
		return nil
	case reflect.String:
		switch x := v.(type) {
		case string:
			dst.SetString(x)
			return nil
		case StringName:
			dst.SetString(string(x))
			return nil
		case NodePath:
			dst.SetString(x.String())
			return nil
		}
	case reflect.Slice:
		return assignSlice(dst, v, depth)
	case reflect.Array:
		vs, ok := listOf(v)
		if !ok {
			break
		}
		if vs.Len() > dst.Len() {
			return assignErr(v, dst.Type(), itoa(int64(vs.Len()))+" elements do not fit")
		}
		for i := 0; i < dst.Len(); i++ {
			if i >= vs.Len() {
				dst.Index(i).SetZero()
				continue
			}
			if err := assign(dst.Index(i), vs.Index(i).Interface(), depth+1); err != nil {
				return at(err, "["+itoa(int64(i))+"]")
			}
		}
		return nil
	case reflect.Map:
		d, ok := v.(*Dictionary)
		if !ok {
			break
		}
		if dst.IsNil() {
			dst.Set(reflect.MakeMapWithSize(dst.Type(), d.Len()))
		}
		kt, et := dst.Type().Key(), dst.Type().Elem()
		for i := 0; i < d.Len(); i++ {
			k, val := d.At(i)
			kv := reflect.New(kt).Elem()
			if err := assign(kv, k, depth+1); err != nil {
				return at(err, "[key "+Format(k)+"]")
			}
			if !kv.Type().Comparable() {
				return at(assignErr(k, kt, "map key not comparable"), "[key "+Format(k)+"]")
			}
			ev := reflect.New(et).Elem()
			if err := assign(ev, val, depth+1); err != nil {
				return at(err, "["+Format(k)+"]")
			}
			dst.SetMapIndex(kv, ev)
		}
		return nil
	case reflect.Struct:
		d, ok := v.(*Dictionary)
		if !ok {
			break
		}
		return assignStruct(dst, d, depth)
	}
	if sv.Type().ConvertibleTo(dst.Type()) && sv.Kind() == dst.Kind() && sv.Kind() != reflect.Pointer {
		dst.Set(sv.Convert(dst.Type()))
		return nil
	}
	return assignErr(v, dst.Type(), "")
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), true
		}
		return 0, false
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u), true
		}
	case reflect.Float32:
		return toInt(rv.Float())
	}
	return 0, false
}

// listOf returns the elements of any decoded list value.
func listOf(v any) (reflect.Value, bool) {
	switch x := v.(type) {
	case TypedArray:
		return reflect.ValueOf(x.Values), true
	case []any, []byte, []int32, []int64, []float32, []float64, []string, []Vector2, []Vector3, []Vector4, []Color:
		return reflect.ValueOf(x), true
	}
	return reflect.Value{}, false
}

func assignSlice(dst reflect.Value, v any, depth int) error {
	vs, ok := listOf(v)
	if !ok {
		return assignErr(v, dst.Type(), "")
	}
	if vs.Type().ConvertibleTo(dst.Type()) && vs.Type().Elem().Kind() == dst.Type().Elem().Kind() {
		dst.Set(vs.Convert(dst.Type()))
		return nil
	}
	n := vs.Len()
	out := reflect.MakeSlice(dst.Type(), n, n)
	for i := 0; i < n; i++ {
		if err := assign(out.Index(i), vs.Index(i).Interface(), depth+1); err != nil {
			return at(err, "["+itoa(int64(i))+"]")
		}
	}
	dst.Set(out)
	return nil
}

func assignStruct(dst reflect.Value, d *Dictionary, depth int) error {
	fields := structFields(dst.Type())
	for i := 0; i < d.Len(); i++ {
		k, val := d.At(i)
		var name string
		switch x := k.(type) {
		case string:
			name = x
		case StringName:
			name = string(x)
		default:
			continue
		}
		f := findField(fields, name)
		if f == nil {
			continue
		}
		fv, err := fieldByIndexAlloc(dst, f.index)
		if err != nil {
			return err
		}
		if err := assign(fv, val, depth+1); err != nil {
			return at(err, f.name)
		}
	}
	return nil
}

func findField(fields []field, name string) *field {
	for i := range fields {
		if fields[i].name == name {
			return &fields[i]
		}
	}
	for i := range fields {
		if strings.EqualFold(fields[i].name, name) {
			return &fields[i]
		}
	}
	return nil
}

func fieldByIndexAlloc(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}
