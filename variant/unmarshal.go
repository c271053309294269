package variant

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"sync/atomic"
	"unsafe"
)

// The direct Unmarshal path walks the encoded bytes and the destination
// reflect.Value together, so bools, numbers, strings, Vector2/Vector3,
// structs, slices and string-keyed maps are stored without first building
// the decoded `any` tree. It performs exactly the checks Decode performs, in
// the same order, so decoding errors (kind, offset, reason) are identical.
//
// Everything it does not handle itself (interfaces, typed containers, packed
// arrays, the other Godot types, unusual conversions) is decoded with
// decoder.value and stored with assign, which is what the old path does for
// that sub-value. When storing fails in any way (type mismatch, overflow,
// depth) or a Dictionary repeats a struct field or map key, the direct path
// gives up: the destination is restored and the whole input is decoded and
// assigned the old way, which produces Unmarshal's documented result and
// error messages. Restoring is exact for destinations that hold no pointers
// or maps before the call (e.g. a zero struct), which is the usual case.

// errFallback asks Unmarshal to redo the work with Decode + Assign.
var errFallback = errors.New("variant: direct unmarshal fallback")

// unmarshalViaAny is the reference path: decode to any, then assign.
func (o DecodeOptions) unmarshalViaAny(data []byte, ptr any) error {
	v, _, err := o.Decode(data)
	if err != nil {
		return err
	}
	return Assign(ptr, v)
}

// Unmarshal decodes one Variant under o into the value ptr points to.
func (o DecodeOptions) Unmarshal(data []byte, ptr any) error {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return o.unmarshalViaAny(data, ptr)
	}
	h := unmarshalHintFor(rv.Type())
	if h.viaAny {
		return o.unmarshalViaAny(data, ptr)
	}
	dst := rv.Elem()
	zero := memIsZero(rv.UnsafePointer(), h.size)
	var saved reflect.Value
	if !zero {
		saved = reflect.New(h.elem).Elem()
		saved.Set(dst)
	}
	// Only string bytes go to the arena here, usually a small part of a
	// message: it starts at 8 words and doubles.
	d := decoder{data: data, allowObjects: o.AllowObjects, maxDepth: o.MaxDepth, top: h}
	d.sl.firstWords = 8
	if d.maxDepth <= 0 {
		d.maxDepth = MaxDepth
	}
	var err error
	if h.si != nil && !h.si.known && len(data) >= 4 && Type(data[0]) == TypeDictionary {
		// What into does for a struct destination, without its checks
		// (all pass at depth 0).
		_, err = d.intoStruct(dst, h.si, getU32(data), 4, 0, 0)
	} else {
		_, err = d.into(dst, 0, 0, 0)
	}
	if err == nil {
		return nil
	}
	if zero {
		dst.SetZero()
	} else {
		dst.Set(saved)
	}
	if err != errFallback {
		return err
	}
	return o.unmarshalViaAny(data, ptr)
}

// memIsZero reports whether the n bytes at p are all zero (then the value
// stored there is its type's zero value).
func memIsZero(p unsafe.Pointer, n uintptr) bool {
	b := unsafe.Slice((*byte)(p), n)
	for len(b) >= 32 {
		w := (*[4]uint64)(unsafe.Pointer(&b[0]))
		if w[0]|w[1]|w[2]|w[3] != 0 {
			return false
		}
		b = b[32:]
	}
	for len(b) >= 8 {
		if *(*uint64)(unsafe.Pointer(&b[0])) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// unmarshalHint is what Unmarshal needs to know about a pointer type. The
// last one used is kept for the next call (messages usually come in runs of
// one type); one hint per type, so alternating types do not allocate.
type unmarshalHint struct {
	ptr    unsafe.Pointer // typeKey of the pointer type
	elem   reflect.Type
	size   uintptr
	viaAny bool        // an Unmarshaler may be called: decode to any, then Assign
	si     *structInfo // elem's fields, when elem is a struct
}

var (
	unmarshalHints typeCache[*unmarshalHint]
	lastUnmarshal  atomic.Pointer[unmarshalHint]
)

func unmarshalHintFor(pt reflect.Type) *unmarshalHint {
	if h := lastUnmarshal.Load(); h != nil && h.ptr == typeKey(pt) {
		return h
	}
	h, ok := unmarshalHints.load(pt)
	if !ok {
		h = &unmarshalHint{ptr: typeKey(pt), elem: pt.Elem(), size: pt.Elem().Size(), viaAny: treeHasUnmarshaler(pt.Elem())}
		if pt.Elem().Kind() == reflect.Struct {
			h.si = decodeFieldsOf(pt.Elem())
		}
		unmarshalHints.store(pt, h)
	}
	lastUnmarshal.Store(h)
	return h
}

var deepUnmarshalerCache typeCache[bool]

// treeHasUnmarshaler reports whether assigning into t may call an
// Unmarshaler anywhere (t itself, elements, fields, map keys).
func treeHasUnmarshaler(t reflect.Type) bool {
	if v, ok := deepUnmarshalerCache.load(t); ok {
		return v
	}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type) bool
	walk = func(t reflect.Type) bool {
		if seen[t] {
			return false
		}
		seen[t] = true
		if hasUnmarshaler(t) {
			return true
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			return walk(t.Elem())
		case reflect.Map:
			return walk(t.Key()) || walk(t.Elem())
		case reflect.Struct:
			for _, f := range structFields(t) {
				if walk(t.FieldByIndex(f.index).Type) {
					return true
				}
			}
		}
		return false
	}
	r := walk(t)
	deepUnmarshalerCache.store(t, r)
	return r
}

// generic decodes the value at off into any and assigns it, as the old path
// does for this sub-value.
func (d *decoder) generic(dst reflect.Value, off, dd, ad int) (int, error) {
	v, end, err := d.value(off, dd)
	if err != nil {
		return 0, err
	}
	if assign(dst, v, ad) != nil {
		return 0, errFallback
	}
	return end, nil
}

// into decodes the value at off into dst. dd is the decoding depth (as in
// decoder.value), ad the assignment depth (as in assign).
func (d *decoder) into(dst reflect.Value, off, dd, ad int) (int, error) {
	if ad > MaxDepth {
		return 0, errFallback
	}
	if dd > d.maxDepth {
		return 0, newError(ErrOutOfMemory, off, "nesting deeper than "+itoa(int64(d.maxDepth))+" levels")
	}
	if d.rem(off) < 4 {
		return 0, d.short(off, 4, "Variant header")
	}
	hdr := getU32(d.data[off:])
	t := Type(hdr & 0xff)
	if t >= TypeMax {
		return 0, d.invalid(off, "unknown Variant type id "+itoa(int64(t)))
	}
	if t == TypeNil {
		dst.SetZero()
		return off + 4, nil
	}
	wide := hdr&flag64 != 0
	p := off + 4
	switch k := dst.Kind(); k {
	case reflect.Bool:
		if t == TypeBool {
			if d.rem(p) < 4 {
				return 0, d.short(p, 4, "bool")
			}
			dst.SetBool(getU32(d.data[p:]) != 0)
			return p + 4, nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		i, end, st, err := d.wireInt(t, wide, p)
		if err != nil {
			return 0, err
		}
		if st == wireOther {
			break
		}
		if st == wireBad {
			return 0, errFallback
		}
		if k <= reflect.Int64 {
			if dst.OverflowInt(i) {
				return 0, errFallback
			}
			dst.SetInt(i)
		} else {
			if i < 0 || dst.OverflowUint(uint64(i)) {
				return 0, errFallback
			}
			dst.SetUint(uint64(i))
		}
		return end, nil
	case reflect.Float32, reflect.Float64:
		var f float64
		var end int
		switch t {
		case TypeFloat:
			var err error
			if f, end, err = d.wireFloat(wide, p); err != nil {
				return 0, err
			}
		case TypeInt:
			i, e, _, err := d.wireInt(t, wide, p)
			if err != nil {
				return 0, err
			}
			f, end = float64(i), e
		default:
			return d.generic(dst, off, dd, ad)
		}
		if k == reflect.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return 0, errFallback
		}
		dst.SetFloat(f)
		return end, nil
	case reflect.String:
		what := "String"
		switch t {
		case TypeStringName:
			what = "StringName"
		case TypeString:
		default:
			return d.generic(dst, off, dd, ad)
		}
		raw, end, err := d.strBytes(p, what)
		if err != nil {
			return 0, err
		}
		dst.SetString(d.sl.string(raw))
		return end, nil
	case reflect.Struct:
		st := dst.Type()
		switch {
		case st == typeVector2 && t == TypeVector2:
			var f [2]float64
			end, err := d.reals(p, wide, f[:], "Vector2")
			if err != nil {
				return 0, err
			}
			*(*Vector2)(dst.Addr().UnsafePointer()) = Vector2{f[0], f[1]}
			return end, nil
		case st == typeVector3 && t == TypeVector3:
			var f [3]float64
			end, err := d.reals(p, wide, f[:], "Vector3")
			if err != nil {
				return 0, err
			}
			*(*Vector3)(dst.Addr().UnsafePointer()) = Vector3{f[0], f[1], f[2]}
			return end, nil
		case t == TypeDictionary:
			var si *structInfo
			if d.top != nil && st == d.top.elem {
				si = d.top.si
			} else {
				si = decodeFieldsOf(st)
			}
			if !si.known {
				return d.intoStruct(dst, si, hdr, p, dd, ad)
			}
		}
	case reflect.Slice:
		if t == TypeArray && (hdr>>16)&3 == 0 && dst.Type().Elem().Kind() != reflect.Interface {
			return d.intoSlice(dst, p, dd, ad)
		}
	case reflect.Map:
		mt := dst.Type()
		if t == TypeDictionary && dst.IsNil() && mt.Key().Kind() == reflect.String {
			return d.intoMap(dst, hdr, p, dd, ad)
		}
	case reflect.Pointer:
		pt := dst.Type()
		if pt == typeDictPtr || pt == typeObjectPtr || pt == typeNodePathPtr || pt == typeTypedArrayPtr {
			break
		}
		if dst.IsNil() {
			dst.Set(reflect.New(pt.Elem()))
		}
		return d.into(dst.Elem(), off, dd, ad+1)
	}
	return d.generic(dst, off, dd, ad)
}

var (
	typeDictPtr       = reflect.TypeFor[*Dictionary]()
	typeObjectPtr     = reflect.TypeFor[*Object]()
	typeNodePathPtr   = reflect.TypeFor[*NodePath]()
	typeTypedArrayPtr = reflect.TypeFor[*TypedArray]()
)

const (
	wireOK    = iota // an integer was read
	wireOther        // not an int-like Variant: use the generic path
	wireBad          // a float that is not a whole int64: assignment fails
)

// wireInt reads an int, bool or whole float at p as assign's toInt does.
func (d *decoder) wireInt(t Type, wide bool, p int) (int64, int, int, error) {
	switch t {
	case TypeInt:
		if wide {
			if d.rem(p) < 8 {
				return 0, 0, 0, d.short(p, 8, "int64")
			}
			return int64(getU64(d.data[p:])), p + 8, wireOK, nil
		}
		if d.rem(p) < 4 {
			return 0, 0, 0, d.short(p, 4, "int32")
		}
		return int64(int32(getU32(d.data[p:]))), p + 4, wireOK, nil
	case TypeBool:
		if d.rem(p) < 4 {
			return 0, 0, 0, d.short(p, 4, "bool")
		}
		if getU32(d.data[p:]) != 0 {
			return 1, p + 4, wireOK, nil
		}
		return 0, p + 4, wireOK, nil
	case TypeFloat:
		x, end, err := d.wireFloat(wide, p)
		if err != nil {
			return 0, 0, 0, err
		}
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), end, wireOK, nil
		}
		return 0, end, wireBad, nil
	}
	return 0, 0, wireOther, nil
}

func (d *decoder) wireFloat(wide bool, p int) (float64, int, error) {
	if wide {
		if d.rem(p) < 8 {
			return 0, 0, d.short(p, 8, "float64")
		}
		return getF64(d.data[p:]), p + 8, nil
	}
	if d.rem(p) < 4 {
		return 0, 0, d.short(p, 4, "float32")
	}
	return float64(getF32(d.data[p:])), p + 4, nil
}

// keyName reads a Dictionary key at off. For a String or StringName key it
// returns its bytes (aliasing the input) and ok; for any other key it
// decodes (and checks) it with decoder.value and returns ok false.
func (d *decoder) keyName(off, dd int) ([]byte, int, bool, error) {
	if dd <= d.maxDepth && d.rem(off) >= 4 {
		switch Type(getU32(d.data[off:]) & 0xff) {
		case TypeString:
			raw, end, err := d.strBytes(off+4, "String")
			return raw, end, true, err
		case TypeStringName:
			raw, end, err := d.strBytes(off+4, "StringName")
			return raw, end, true, err
		}
	}
	_, end, err := d.value(off, dd)
	return nil, end, false, err
}

// dictHeader reads a Dictionary's container types and count.
func (d *decoder) dictHeader(hdr uint32, p int) (int, int, error) {
	_, p, err := d.containerType((hdr>>16)&3, p)
	if err != nil {
		return 0, 0, err
	}
	_, p, err = d.containerType((hdr>>18)&3, p)
	if err != nil {
		return 0, 0, err
	}
	cnt, err := d.u32(p, "Dictionary count")
	if err != nil {
		return 0, 0, err
	}
	return int(cnt & 0x7fffffff), p + 4, nil
}

func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (d *decoder) intoStruct(dst reflect.Value, si *structInfo, hdr uint32, p, dd, ad int) (int, error) {
	c, p, err := d.dictHeader(hdr, p)
	if err != nil {
		return 0, err
	}
	fields := si.fields
	var hit uint64
	var hits []bool
	var base unsafe.Pointer // dst's address, once needed
	next := 0
	if len(fields) > 64 {
		hits = make([]bool, len(fields))
	}
	for i := 0; i < c; i++ {
		fi, end := -1, 0
		if next < len(fields) && dd+1 <= d.maxDepth && p <= len(d.data) {
			// The usual case: the next field's key, encoded exactly as we
			// would encode its name or its lowercase form, is next in the
			// input. Those bytes pass every check strBytes makes.
			rest := d.data[p:]
			if k := si.lowerKeys[next]; k != nil && hasKey(rest, k) {
				fi, end = next, p+len(k)
			} else if k := si.enc[next].key; si.enc[next].keyErr == nil && hasKey(rest, k) {
				fi, end = next, p+len(k)
			}
		}
		if fi < 0 {
			raw, e, ok, err := d.keyName(p, dd+1)
			if err != nil {
				return 0, err
			}
			end = e
			if ok {
				fi = si.findAt(raw, next)
			}
		}
		if fi < 0 {
			// Not a field: check the value and drop it.
			if _, p, err = d.value(end, dd+1); err != nil {
				return 0, err
			}
			continue
		}
		// A repeated field: Decode keeps only the last duplicate key (at
		// the first one's position); leave that ordering to the old path.
		if hits != nil {
			if hits[fi] {
				return 0, errFallback
			}
			hits[fi] = true
		} else {
			if hit&(1<<fi) != 0 {
				return 0, errFallback
			}
			hit |= 1 << fi
		}
		next = fi + 1
		if ef := &si.enc[fi]; ef.mode != modeGeneric {
			if base == nil {
				base = dst.Addr().UnsafePointer()
			}
			q, ok, err := d.intoFixed(unsafe.Add(base, ef.offset), ef, end, dd+1, ad+1)
			if err != nil {
				return 0, err
			}
			if ok {
				p = q
				continue
			}
		}
		f := &fields[fi]
		var fv reflect.Value
		if len(f.index) == 1 {
			fv = dst.Field(f.index[0])
		} else {
			fv, _ = fieldByIndexAlloc(dst, f.index)
		}
		if p, err = d.into(fv, end, dd+1, ad+1); err != nil {
			return 0, err
		}
	}
	return p, nil
}

// findFieldIndex is findField returning an index (-1 when absent).
func findFieldIndex(fields []field, name string) int {
	for i := range fields {
		if fields[i].name == name {
			return i
		}
	}
	for i := range fields {
		if strings.EqualFold(fields[i].name, name) {
			return i
		}
	}
	return -1
}

func (d *decoder) intoSlice(dst reflect.Value, p, dd, ad int) (int, error) {
	cnt, err := d.u32(p, "Array count")
	if err != nil {
		return 0, err
	}
	p += 4
	c := int(cnt & 0x7fffffff)
	n := d.reserve(c, p, 4, max(int(dst.Type().Elem().Size()), 1))
	if n == 0 {
		dst.Set(reflect.MakeSlice(dst.Type(), 0, 0))
	} else {
		// A fresh backing array, as Decode+Assign would make.
		dst.SetZero()
		dst.Grow(n)
		dst.SetLen(n)
	}
	plain := dst.Type().Elem().Kind() == reflect.String // elements laid out as string
	for i := 0; i < c; i++ {
		if i == dst.Len() { // past the reservation: double
			if i == dst.Cap() {
				dst.Grow(i + 4)
			}
			dst.SetLen(i + 1)
		}
		if plain && ad+1 <= MaxDepth && dd+1 <= d.maxDepth && d.rem(p) >= 4 {
			// String elements (the common case) are stored in place.
			if t := Type(getU32(d.data[p:]) & 0xff); t == TypeString || t == TypeStringName {
				what := "String"
				if t == TypeStringName {
					what = "StringName"
				}
				raw, end, err := d.strBytes(p+4, what)
				if err != nil {
					return 0, err
				}
				*(*string)(unsafe.Add(dst.UnsafePointer(), uintptr(i)*unsafe.Sizeof(""))) = d.sl.string(raw)
				p = end
				continue
			}
		}
		if p, err = d.into(dst.Index(i), p, dd+1, ad+1); err != nil {
			return 0, err
		}
	}
	return p, nil
}

func (d *decoder) intoMap(dst reflect.Value, hdr uint32, p, dd, ad int) (int, error) {
	c, p, err := d.dictHeader(hdr, p)
	if err != nil {
		return 0, err
	}
	mt := dst.Type()
	m := reflect.MakeMapWithSize(mt, d.reserve(c, p, 8, mapEntryCost(mt)))
	kv := reflect.New(mt.Key()).Elem()
	ev := reflect.New(mt.Elem()).Elem()
	for i := 0; i < c; i++ {
		raw, end, ok, err := d.keyName(p, dd+1)
		if err != nil {
			return 0, err
		}
		if !ok || ad+1 > MaxDepth {
			return 0, errFallback
		}
		ev.SetZero()
		if p, err = d.into(ev, end, dd+1, ad+1); err != nil {
			return 0, err
		}
		kv.SetString(string(raw))
		n := m.Len()
		m.SetMapIndex(kv, ev)
		if m.Len() == n { // a repeated key: leave the ordering to the old path
			return 0, errFallback
		}
	}
	dst.Set(m)
	return p, nil
}

// structInfo is the per-type field table of the direct path.
type structInfo struct {
	fields []field
	// fold maps the ASCII-lowercased field name to the first field with
	// that folded name; used when every field name is ASCII.
	fold      map[string]int
	ascii     bool
	multiple  map[string]bool // folded names shared by several fields
	unique    []bool          // the field's folded name is its own
	known     bool            // a type of this package (Vector2, Dictionary...)
	enc       []encField      // offsets and fixed-layout modes, parallel to fields
	lowerKeys [][]byte
}

var structInfoCache typeCache[*structInfo]

func decodeFieldsOf(t reflect.Type) *structInfo {
	if v, ok := structInfoCache.load(t); ok {
		return v
	}
	si := &structInfo{fields: structFields(t), fold: map[string]int{}, ascii: true, multiple: map[string]bool{}, known: isKnownType(t)}
	for i, f := range si.fields {
		if !isASCII(f.name) {
			si.ascii = false
		}
		l := strings.ToLower(f.name)
		if _, ok := si.fold[l]; ok {
			si.multiple[l] = true
			continue
		}
		si.fold[l] = i
	}
	si.enc = encFieldsOf(t)
	// lowerKeys[i] is the encoded String key of field i's lowercase name
	// when that key finds field i (ASCII names, no other field folds alike,
	// no field named exactly that), else nil.
	si.lowerKeys = make([][]byte, len(si.fields))
	for i, f := range si.fields {
		l := strings.ToLower(f.name)
		if !si.ascii || si.multiple[l] {
			continue
		}
		if k, err := appendStr(appendU32(nil, uint32(TypeString)), l); err == nil {
			si.lowerKeys[i] = k
		}
	}
	si.unique = make([]bool, len(si.fields))
	for i, f := range si.fields {
		si.unique[i] = !si.multiple[strings.ToLower(f.name)]
	}
	structInfoCache.store(t, si)
	return si
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// findAt is find with a guess: messages usually list their keys in field
// order, so the field after the previous one is tried first.
func (si *structInfo) findAt(key []byte, guess int) int {
	if guess < len(si.fields) {
		name := si.fields[guess].name
		if name == bytesString(key) {
			return guess // exact matches come first, and names are unique
		}
		if si.ascii && si.unique[guess] && len(name) == len(key) && equalFoldASCII(name, key) {
			return guess // the only field with this folded name
		}
	}
	return si.find(key)
}

// equalFoldASCII compares an ASCII name with key ignoring ASCII case; a
// non-ASCII byte in key never matches.
func equalFoldASCII(name string, key []byte) bool {
	for i := 0; i < len(key); i++ {
		a, b := name[i], key[i]
		if a == b {
			continue
		}
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// find returns the index of the field a key names, as findField does (an
// exact match first, then the first case-insensitive one), or -1.
func (si *structInfo) find(key []byte) int {
	if si.ascii && len(key) <= 64 {
		var buf [64]byte
		lower := buf[:len(key)]
		for i, c := range key {
			if c >= 0x80 {
				return findFieldIndex(si.fields, bytesString(key))
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		i, ok := si.fold[string(lower)]
		if !ok {
			return -1
		}
		if si.fields[i].name == bytesString(key) || !si.multiple[string(lower)] {
			return i
		}
	}
	return findFieldIndex(si.fields, bytesString(key))
}

// intoFixed is into for a struct field of fixed layout (see encField) stored
// at ptr. It reports false, having consumed nothing, for anything but the
// common wire types of its mode; into then handles the value.
func (d *decoder) intoFixed(ptr unsafe.Pointer, f *encField, off, dd, ad int) (int, bool, error) {
	if ad > MaxDepth || dd > d.maxDepth || d.rem(off) < 4 {
		return 0, false, nil
	}
	hdr := getU32(d.data[off:])
	t := Type(hdr & 0xff)
	wide := hdr&flag64 != 0
	p := off + 4
	switch f.mode {
	case modeBool:
		switch t {
		case TypeNil:
			*(*bool)(ptr) = false
			return p, true, nil
		case TypeBool:
			if d.rem(p) < 4 {
				return 0, false, d.short(p, 4, "bool")
			}
			*(*bool)(ptr) = getU32(d.data[p:]) != 0
			return p + 4, true, nil
		}
	case modeInt, modeUint:
		if t == TypeNil {
			clear(unsafe.Slice((*byte)(ptr), f.size))
			return p, true, nil
		}
		i, end, st, err := d.wireInt(t, wide, p)
		if err != nil {
			return 0, false, err
		}
		switch st {
		case wireOther:
			return 0, false, nil
		case wireBad:
			return 0, false, errFallback
		}
		bits := 8 * f.size
		if f.mode == modeInt {
			if bits < 64 && (i < -1<<(bits-1) || i >= 1<<(bits-1)) {
				return 0, false, errFallback
			}
		} else if i < 0 || bits < 64 && i >= 1<<bits {
			return 0, false, errFallback
		}
		switch f.size {
		case 1:
			*(*int8)(ptr) = int8(i)
		case 2:
			*(*int16)(ptr) = int16(i)
		case 4:
			*(*int32)(ptr) = int32(i)
		default:
			*(*int64)(ptr) = i
		}
		return end, true, nil
	case modeFloat:
		var x float64
		var end int
		var err error
		switch t {
		case TypeNil:
			clear(unsafe.Slice((*byte)(ptr), f.size))
			return p, true, nil
		case TypeFloat:
			x, end, err = d.wireFloat(wide, p)
		case TypeInt:
			var i int64
			i, end, _, err = d.wireInt(t, wide, p)
			x = float64(i)
		default:
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		if f.size == 4 {
			if !math.IsInf(x, 0) && math.Abs(x) > math.MaxFloat32 {
				return 0, false, errFallback
			}
			*(*float32)(ptr) = float32(x)
		} else {
			*(*float64)(ptr) = x
		}
		return end, true, nil
	case modeString:
		what := "String"
		switch t {
		case TypeNil:
			*(*string)(ptr) = ""
			return p, true, nil
		case TypeStringName:
			what = "StringName"
		case TypeString:
		default:
			return 0, false, nil
		}
		raw, end, err := d.strBytes(p, what)
		if err != nil {
			return 0, false, err
		}
		*(*string)(ptr) = d.sl.string(raw)
		return end, true, nil
	case modeVector2:
		switch t {
		case TypeNil:
			*(*Vector2)(ptr) = Vector2{}
			return p, true, nil
		case TypeVector2:
			if !wide && d.rem(p) >= 8 {
				b := d.data[p : p+8]
				*(*Vector2)(ptr) = Vector2{float64(getF32(b)), float64(getF32(b[4:]))}
				return p + 8, true, nil
			}
			var v [2]float64
			end, err := d.reals(p, wide, v[:], "Vector2")
			if err != nil {
				return 0, false, err
			}
			*(*Vector2)(ptr) = Vector2{v[0], v[1]}
			return end, true, nil
		}
	case modeStrings:
		if f.plainStrings && (t == TypeArray && (hdr>>16)&3 == 0 || t == TypePackedStringArray) {
			return d.intoStrings(ptr, t, p, dd+1, ad+1)
		}
	case modeVector3:
		switch t {
		case TypeNil:
			*(*Vector3)(ptr) = Vector3{}
			return p, true, nil
		case TypeVector3:
			if !wide && d.rem(p) >= 12 {
				b := d.data[p : p+12]
				*(*Vector3)(ptr) = Vector3{float64(getF32(b)), float64(getF32(b[4:])), float64(getF32(b[8:]))}
				return p + 12, true, nil
			}
			var v [3]float64
			end, err := d.reals(p, wide, v[:], "Vector3")
			if err != nil {
				return 0, false, err
			}
			*(*Vector3)(ptr) = Vector3{v[0], v[1], v[2]}
			return end, true, nil
		}
	}
	return 0, false, nil
}

// intoStrings stores an untyped Array of Strings or a PackedStringArray at p
// into the []string at ptr, as intoSlice or the generic path would. It
// reports false, having stored nothing, for anything else (other elements,
// a count the input cannot hold); the caller then takes the general path.
// dd and ad are the elements' depths.
func (d *decoder) intoStrings(ptr unsafe.Pointer, t Type, p, dd, ad int) (int, bool, error) {
	if ad > MaxDepth || dd > d.maxDepth || d.rem(p) < 4 {
		return 0, false, nil
	}
	cnt := getU32(d.data[p:])
	p += 4
	c := int(cnt & 0x7fffffff)
	if t == TypePackedStringArray {
		c = max(int(int32(cnt)), 0) // negative: empty, as in Godot
	}
	if d.reserve(c, p, 8, 16) < c {
		return 0, false, nil
	}
	out := make([]string, c)
	for i := range out {
		var raw []byte
		var err error
		if t == TypePackedStringArray {
			raw, p, err = d.strBytes(p, "PackedStringArray element")
		} else {
			h := getU32(d.data[p:])
			if h != uint32(TypeString) && h != uint32(TypeStringName) {
				return 0, false, nil
			}
			what := "String"
			if h == uint32(TypeStringName) {
				what = "StringName"
			}
			raw, p, err = d.strBytes(p+4, what)
		}
		if err != nil {
			return 0, false, err
		}
		out[i] = d.sl.string(raw)
		if i+1 < c && d.rem(p) < 4 {
			return 0, false, nil
		}
	}
	*(*[]string)(ptr) = out
	return p, true, nil
}

// mapEntryCost is what a map of type mt sized for n entries allocates per
// entry, at most: its slots (keys and elements over 128 bytes are stored
// as pointers) with a load factor and a power-of-two table.
func mapEntryCost(mt reflect.Type) int {
	slot := func(t reflect.Type) int {
		if t.Size() > 128 {
			return 8
		}
		return int(t.Size())
	}
	return 3*(slot(mt.Key())+slot(mt.Elem())) + 8
}

// hasKey reports whether rest starts with the encoded key k (the usual
// 12-byte keys compare as two words).
func hasKey(rest, k []byte) bool {
	if len(k) == 12 && len(rest) >= 12 {
		return getU64(rest) == getU64(k) && getU32(rest[8:]) == getU32(k[8:])
	}
	return len(rest) >= len(k) && string(rest[:len(k)]) == string(k)
}
