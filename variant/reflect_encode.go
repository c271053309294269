package variant

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

var (
	marshalerType   = reflect.TypeFor[Marshaler]()
	unmarshalerType = reflect.TypeFor[Unmarshaler]()
)

// reflectValue encodes values the type switch in value does not know:
// pointers, named scalar types, slices, arrays, maps and structs.
func (e *encoder) reflectValue(b []byte, rv reflect.Value, depth int) ([]byte, error) {
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if h := lastStructPtr.Load(); h != nil && h.typ == typeKey(rv.Type()) {
			return e.structAt(b, rv.Elem(), rv.UnsafePointer(), h.fields, depth)
		}
	}
	// Follow pointers and interfaces; a chain longer than MaxDepth is cyclic.
	for hops := 0; rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface; hops++ {
		if rv.IsNil() {
			return appendU32(b, 0), nil
		}
		if hops > MaxDepth {
			return b, encErr(ErrOutOfMemory, "pointer chain deeper than 1024 (cyclic value?)")
		}
		if rv.Kind() == reflect.Pointer && rv.Type().Implements(marshalerType) {
			return e.value(b, rv.Interface(), depth)
		}
		pt := rv.Type()
		rv = rv.Elem()
		if rv.Kind() != reflect.Pointer && rv.Kind() != reflect.Interface {
			// Known concrete types (Vector2, []any, ...) take the fast path.
			if isKnownType(rv.Type()) || rv.Type().Implements(marshalerType) {
				return e.value(b, rv.Interface(), depth)
			}
			if pt.Kind() == reflect.Pointer && rv.Kind() == reflect.Struct {
				// One hint per type, so alternating types do not allocate.
				h, ok := structPtrHints.load(pt)
				if !ok {
					h = &structPtrHint{typeKey(pt), encFieldsOf(rv.Type())}
					structPtrHints.store(pt, h)
				}
				lastStructPtr.Store(h)
			}
		}
	}
	if !rv.IsValid() {
		return appendU32(b, 0), nil
	}
	switch rv.Kind() {
	case reflect.Bool:
		return e.value(b, rv.Bool(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendInt(b, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return appendUint(b, rv.Uint())
	case reflect.Float32, reflect.Float64:
		return appendFloat(b, rv.Float()), nil
	case reflect.String:
		return appendStr(appendU32(b, uint32(TypeString)), rv.String())
	case reflect.Slice:
		return e.reflectSlice(b, rv, depth)
	case reflect.Array:
		return e.reflectList(b, rv, depth)
	case reflect.Map:
		return e.reflectMap(b, rv, depth)
	case reflect.Struct:
		return e.reflectStruct(b, rv, depth)
	}
	return b, encErr(ErrInvalidParameter, "cannot encode Go type "+rv.Type().String()+" as a Variant")
}

var knownTypes = map[unsafe.Pointer]bool{}

func init() {
	for _, v := range []any{
		Vector2{}, Vector2i{}, Rect2{}, Rect2i{}, Vector3{}, Vector3i{}, Transform2D{}, Vector4{},
		Vector4i{}, Plane{}, Quaternion{}, AABB{}, Basis{}, Transform3D{}, Projection{}, Color{},
		NodePath{}, Callable{}, Signal{}, TypedArray{}, Dictionary{},
		[]any(nil), []byte(nil), []int32(nil), []int64(nil), []float32(nil), []float64(nil),
		[]string(nil), []Vector2(nil), []Vector3(nil), []Vector4(nil), []Color(nil),
	} {
		knownTypes[typeKey(reflect.TypeOf(v))] = true
	}
}

func isKnownType(t reflect.Type) bool { return knownTypes[typeKey(t)] }

var (
	typeVector2 = reflect.TypeFor[Vector2]()
	typeVector3 = reflect.TypeFor[Vector3]()
	typeVector4 = reflect.TypeFor[Vector4]()
	typeColor   = reflect.TypeFor[Color]()
)

func (e *encoder) reflectSlice(b []byte, rv reflect.Value, depth int) ([]byte, error) {
	et := rv.Type().Elem()
	n := rv.Len()
	switch et.Kind() {
	case reflect.Uint8:
		return e.value(b, rv.Bytes(), depth)
	case reflect.Int32:
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(rv.Index(i).Int())
		}
		return e.value(b, s, depth)
	case reflect.Int64:
		s := make([]int64, n)
		for i := range s {
			s[i] = rv.Index(i).Int()
		}
		return e.value(b, s, depth)
	case reflect.Float32:
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rv.Index(i).Float())
		}
		return e.value(b, s, depth)
	case reflect.Float64:
		s := make([]float64, n)
		for i := range s {
			s[i] = rv.Index(i).Float()
		}
		return e.value(b, s, depth)
	case reflect.String:
		// Any slice of a string kind has the layout of []string.
		return appendPackedStrings(b, unsafe.Slice((*string)(rv.UnsafePointer()), n))
	}
	if !et.Implements(marshalerType) {
		switch et {
		case typeVector2, typeVector3, typeVector4, typeColor:
			return e.value(b, rv.Convert(reflect.SliceOf(et)).Interface(), depth)
		}
	}
	return e.reflectList(b, rv, depth)
}

// reflectList encodes a Go slice or array as an untyped Array.
func (e *encoder) reflectList(b []byte, rv reflect.Value, depth int) ([]byte, error) {
	n := rv.Len()
	if n > maxCount {
		return b, countErr("Array", n)
	}
	b = appendU32(appendU32(b, uint32(TypeArray)), uint32(n))
	var err error
	for i := 0; i < n; i++ {
		if b, err = e.elem(b, rv.Index(i), depth+1); err != nil {
			return b, err
		}
	}
	return b, nil
}

// elem encodes a struct field, slice element or map entry, encoding scalar
// kinds directly to avoid boxing them into an interface.
func (e *encoder) elem(b []byte, v reflect.Value, depth int) ([]byte, error) {
	t := v.Type()
	if t.Kind() <= reflect.Complex128 || t.Kind() == reflect.String {
		if !t.Implements(marshalerType) && !(v.CanAddr() && reflect.PointerTo(t).Implements(marshalerType)) {
			switch t.Kind() {
			case reflect.Bool:
				b = appendU32(b, uint32(TypeBool))
				return appendU32(b, uint32(boolInt(v.Bool()))), nil
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				return appendInt(b, v.Int()), nil
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				return appendUint(b, v.Uint())
			case reflect.Float32, reflect.Float64:
				return appendFloat(b, v.Float()), nil
			case reflect.String:
				typ := TypeString
				if t == stringNameType {
					typ = TypeStringName
				}
				return appendStr(appendU32(b, uint32(typ)), v.String())
			}
		}
	}
	if v.CanAddr() && reflect.PointerTo(t).Implements(marshalerType) && !t.Implements(marshalerType) {
		return e.value(b, v.Addr().Interface(), depth)
	}
	return e.value(b, v.Interface(), depth)
}

var stringNameType = reflect.TypeFor[StringName]()

func (e *encoder) reflectMap(b []byte, rv reflect.Value, depth int) ([]byte, error) {
	if depth+1 > MaxDepth {
		return b, encErr(ErrOutOfMemory, "nesting deeper than 1024 levels (cyclic value?)")
	}
	type entry struct{ k, v reflect.Value }
	entries := make([]entry, 0, rv.Len())
	for it := rv.MapRange(); it.Next(); { // MapRange also reaches NaN keys
		entries = append(entries, entry{it.Key(), it.Value()})
	}
	if len(entries) > maxCount {
		return b, countErr("Dictionary", len(entries))
	}
	keys := make([]reflect.Value, len(entries))
	for i := range entries {
		keys[i] = entries[i].k
	}
	order := sortKeys(keys)
	b = appendU32(appendU32(b, uint32(TypeDictionary)), uint32(len(entries)))
	var err error
	for _, i := range order {
		if b, err = e.elem(b, entries[i].k, depth+1); err != nil {
			return b, err
		}
		if b, err = e.elem(b, entries[i].v, depth+1); err != nil {
			return b, err
		}
	}
	return b, nil
}

// sortKeys returns the order in which to write map keys: natural order for
// strings, numbers and bools, encoding order otherwise, so output is
// deterministic.
func sortKeys(keys []reflect.Value) []int {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	if len(keys) < 2 {
		return order
	}
	var less func(a, b reflect.Value) int
	switch keys[0].Kind() {
	case reflect.String:
		less = func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		less = func(a, b reflect.Value) int { return cmp.Compare(a.Int(), b.Int()) }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		less = func(a, b reflect.Value) int { return cmp.Compare(a.Uint(), b.Uint()) }
	case reflect.Float32, reflect.Float64:
		less = func(a, b reflect.Value) int { return cmp.Compare(a.Float(), b.Float()) }
	case reflect.Bool:
		less = func(a, b reflect.Value) int { return cmp.Compare(boolInt(a.Bool()), boolInt(b.Bool())) }
	default:
		enc := make([]string, len(keys))
		for i, k := range keys {
			enc[i] = keyString(k.Interface())
		}
		slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(enc[a], enc[b]) })
		return order
	}
	slices.SortStableFunc(order, func(a, b int) int { return less(keys[a], keys[b]) })
	return order
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// field describes one encoded struct field.
type field struct {
	name      string
	index     []int
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type → []field

// structFields lists the exported fields of t like encoding/json does:
// `godot:"name,omitempty"` renames, `godot:"-"` skips, untagged embedded
// structs are flattened.
func structFields(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var fields []field
	seen := map[string]bool{}
	var walk func(t reflect.Type, index []int, level int)
	walk = func(t reflect.Type, index []int, level int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("godot")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct && level < 8 && sf.Type.Kind() != reflect.Pointer && sf.IsExported() {
					walk(ft, idx, level+1)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			fields = append(fields, field{name: name, index: idx, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
		}
	}
	walk(t, nil, 0)
	fieldCache.Store(t, fields)
	return fields
}

func (e *encoder) reflectStruct(b []byte, rv reflect.Value, depth int) ([]byte, error) {
	if depth+1 > MaxDepth {
		return b, encErr(ErrOutOfMemory, "nesting deeper than 1024 levels (cyclic value?)")
	}
	var base unsafe.Pointer
	if rv.CanAddr() {
		base = rv.Addr().UnsafePointer()
	}
	return e.structAt(b, rv, base, encFieldsOf(rv.Type()), depth)
}

// structPtrHint remembers the last pointer-to-struct type that needed the
// plain struct encoder (no Marshaler, not a type of this package), so that
// encoding many messages of one type skips those checks.
type structPtrHint struct {
	typ    unsafe.Pointer // typeKey of the *T
	fields []encField     // of T
}

var (
	lastStructPtr  atomic.Pointer[structPtrHint]
	structPtrHints typeCache[*structPtrHint]
)

// structAt encodes struct rv; base is its address when addressable, else nil.
func (e *encoder) structAt(b []byte, rv reflect.Value, base unsafe.Pointer, fields []encField, depth int) ([]byte, error) {
	if depth+1 > MaxDepth {
		return b, encErr(ErrOutOfMemory, "nesting deeper than 1024 levels (cyclic value?)")
	}
	countAt := len(b) + 4
	b = appendU32(appendU32(b, uint32(TypeDictionary)), 0)
	n := 0
	var err error
	for i := range fields {
		f := &fields[i]
		if f.keyErr != nil && !f.omitEmpty {
			return b, f.keyErr
		}
		if base != nil && f.mode != modeGeneric && !f.omitEmpty {
			// Fixed-layout field of an addressable struct: read it in place.
			b = appendKey(b, f.key)
			if b, err = e.fastField(b, unsafe.Add(base, f.offset), f); err != nil {
				return b, err
			}
			n++
			continue
		}
		var fv reflect.Value
		if len(f.index) == 1 {
			fv = rv.Field(f.index[0])
		} else {
			fv = rv.FieldByIndex(f.index)
		}
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		if f.keyErr != nil {
			return b, f.keyErr
		}
		b = append(b, f.key...)
		if b, err = e.elem(b, fv, depth+1); err != nil {
			return b, err
		}
		n++
	}
	putU32(b[countAt:], uint32(n))
	return b, nil
}

// Encoding modes of struct fields whose type needs no reflection at run time
// (and implements no Marshaler).
const (
	modeGeneric = iota
	modeBool
	modeInt
	modeUint
	modeFloat
	modeString
	modeStringName
	modeVector2
	modeVector3
	modeStrings // a slice of a string kind: PackedStringArray
)

// encField is a struct field with its key encoded once.
type encField struct {
	field
	key    []byte // String header and str primitive of the name
	keyErr error
	mode   int
	size   uintptr // of the field, for ints, uints and floats
	offset uintptr // from the start of the struct (fields reached through embedded pointers use modeGeneric)

	plainStrings bool // modeStrings with element type string
}

var encFieldCache typeCache[[]encField]

func encFieldsOf(t reflect.Type) []encField {
	if v, ok := encFieldCache.load(t); ok {
		return v
	}
	var out []encField
	for _, f := range structFields(t) {
		ef := encField{field: f}
		ef.key, ef.keyErr = appendStr(appendU32(nil, uint32(TypeString)), f.name)
		sf := t.FieldByIndex(f.index)
		ft := sf.Type
		// Offset through embedded (non-pointer) structs.
		ct := t
		for _, x := range f.index {
			ef.offset += ct.Field(x).Offset
			ct = ct.Field(x).Type
		}
		ef.size = ft.Size()
		if !ft.Implements(marshalerType) && !reflect.PointerTo(ft).Implements(marshalerType) {
			switch k := ft.Kind(); {
			case ft == typeVector2:
				ef.mode = modeVector2
			case ft == typeVector3:
				ef.mode = modeVector3
			case ft == stringNameType:
				ef.mode = modeStringName
			case k == reflect.String:
				ef.mode = modeString
			case k == reflect.Slice && ft.Elem().Kind() == reflect.String:
				ef.mode = modeStrings
				ef.plainStrings = ft.Elem() == reflect.TypeFor[string]()
			case k == reflect.Bool:
				ef.mode = modeBool
			case k >= reflect.Int && k <= reflect.Int64:
				ef.mode = modeInt
			case k >= reflect.Uint && k <= reflect.Uintptr:
				ef.mode = modeUint
			case k == reflect.Float32 || k == reflect.Float64:
				ef.mode = modeFloat
			}
		}
		out = append(out, ef)
	}
	encFieldCache.store(t, out)
	return out
}

// fastField encodes the field of fixed mode f stored at p.
func (e *encoder) fastField(b []byte, p unsafe.Pointer, f *encField) ([]byte, error) {
	switch f.mode {
	case modeBool:
		return appendBoolValue(b, *(*bool)(p)), nil
	case modeInt:
		var i int64
		switch f.size {
		case 1:
			i = int64(*(*int8)(p))
		case 2:
			i = int64(*(*int16)(p))
		case 4:
			i = int64(*(*int32)(p))
		default:
			i = *(*int64)(p)
		}
		return appendIntValue(b, i), nil
	case modeUint:
		var u uint64
		switch f.size {
		case 1:
			u = uint64(*(*uint8)(p))
		case 2:
			u = uint64(*(*uint16)(p))
		case 4:
			u = uint64(*(*uint32)(p))
		default:
			u = *(*uint64)(p)
		}
		return appendUint(b, u)
	case modeFloat:
		if f.size == 4 {
			return appendFloat(b, float64(*(*float32)(p))), nil
		}
		return appendFloat(b, *(*float64)(p)), nil
	case modeString:
		return appendTaggedStr(b, uint32(TypeString), *(*string)(p))
	case modeStringName:
		return appendTaggedStr(b, uint32(TypeStringName), *(*string)(p))
	case modeVector2:
		return e.vector2(b, (*Vector2)(p)), nil
	case modeVector3:
		return e.vector3(b, (*Vector3)(p)), nil
	case modeStrings:
		return appendPackedStrings(b, *(*[]string)(p))
	}
	panic("unreachable")
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
