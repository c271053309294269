package variant

import "math"

// Dictionary is Godot's ordered Dictionary. Keys are any Variant value; two
// keys are the same when they encode to the same Variant (compared with
// binary64 reals and full objects), so int(1) and int64(1) are one key while
// 1 and 1.0 are two, as in Godot. Iteration and
// encoding follow insertion order; setting an existing key replaces its value
// in place. KeyType and ValueType describe a typed Dictionary
// (Dictionary[K, V]); the zero values mean untyped.
//
// The zero Dictionary is empty and ready to use. A Dictionary is not safe for
// concurrent mutation.
type Dictionary struct {
	KeyType, ValueType ContainerType

	keys   []any
	values []any
	index  map[string]int // encoded key → position; built once the dictionary grows
}

// dictIndexMin is the size from which lookups use a hash index instead of a
// linear scan.
const dictIndexMin = 12

// NewDictionary returns a dictionary holding the given key, value pairs in
// order: NewDictionary("a", 1, "b", 2). It panics on an odd argument count.
func NewDictionary(kv ...any) *Dictionary {
	if len(kv)%2 != 0 {
		panic("variant: NewDictionary needs key, value pairs")
	}
	d := &Dictionary{keys: make([]any, 0, len(kv)/2), values: make([]any, 0, len(kv)/2)}
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i], kv[i+1])
	}
	return d
}

// Len returns the number of entries.
func (d *Dictionary) Len() int {
	if d == nil {
		return 0
	}
	return len(d.keys)
}

// At returns the i-th key and value in insertion order.
func (d *Dictionary) At(i int) (key, value any) { return d.keys[i], d.values[i] }

// Keys returns the keys in order. The slice is shared with the dictionary.
func (d *Dictionary) Keys() []any {
	if d == nil {
		return nil
	}
	return d.keys
}

// Values returns the values in order. The slice is shared with the dictionary.
func (d *Dictionary) Values() []any {
	if d == nil {
		return nil
	}
	return d.values
}

// Range calls f for each entry in order until f returns false.
func (d *Dictionary) Range(f func(key, value any) bool) {
	if d == nil {
		return
	}
	for i := range d.keys {
		if !f(d.keys[i], d.values[i]) {
			return
		}
	}
}

// Get returns the value stored under key.
func (d *Dictionary) Get(key any) (any, bool) {
	if d == nil {
		return nil, false
	}
	if i := d.find(key); i >= 0 {
		return d.values[i], true
	}
	return nil, false
}

// Has reports whether key is present.
func (d *Dictionary) Has(key any) bool { _, ok := d.Get(key); return ok }

// Set stores value under key, replacing an existing value in place or
// appending a new entry.
func (d *Dictionary) Set(key, value any) {
	if i := d.find(key); i >= 0 {
		d.values[i] = value
		return
	}
	d.keys = append(d.keys, key)
	d.values = append(d.values, value)
	if d.index != nil {
		d.index[keyString(key)] = len(d.keys) - 1
	} else if len(d.keys) >= dictIndexMin {
		d.buildIndex()
	}
}

// Delete removes key and reports whether it was present. Later entries keep
// their relative order.
func (d *Dictionary) Delete(key any) bool {
	i := d.find(key)
	if i < 0 {
		return false
	}
	d.keys = append(d.keys[:i], d.keys[i+1:]...)
	d.values = append(d.values[:i], d.values[i+1:]...)
	d.index = nil
	if len(d.keys) >= dictIndexMin {
		d.buildIndex()
	}
	return true
}

func (d *Dictionary) buildIndex() {
	d.index = make(map[string]int, len(d.keys)*2)
	for i, k := range d.keys {
		d.index[keyString(k)] = i
	}
}

func (d *Dictionary) find(key any) int {
	if d.index != nil {
		if i, ok := d.index[keyString(key)]; ok {
			return i
		}
		return -1
	}
	for i, k := range d.keys {
		if keyEqual(k, key) {
			return i
		}
	}
	return -1
}

// keyString is the identity of a key: its Variant encoding with binary64
// reals (so double-precision keys stay distinct) and full objects (so an
// *Object key is its content, not just its id). Values
// that cannot be encoded fall back to their formatted text, prefixed so they
// never collide with an encoding.
func keyString(k any) string {
	var buf [64]byte
	b, err := EncodeOptions{FullObjects: true, DoublePrecision: true}.Append(buf[:0], k)
	if err != nil {
		return "\xff" + Format(k)
	}
	return string(b)
}

// keyEqual reports whether a and b are the same dictionary key. It agrees
// with comparing keyString results, with fast paths for common key types.
func keyEqual(a, b any) bool {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case StringName:
		if y, ok := b.(StringName); ok {
			return x == y
		}
	case int64:
		if y, ok := b.(int64); ok {
			return x == y
		}
	case int:
		if y, ok := b.(int); ok {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	case float64:
		if y, ok := b.(float64); ok {
			return math.Float64bits(x) == math.Float64bits(y) // same bits ⇔ same encoding
		}
	}
	return keyString(a) == keyString(b)
}

// Equal reports whether d and o hold equal entries in the same order with the
// same declared types, comparing values with Equal.
func (d *Dictionary) Equal(o *Dictionary) bool {
	if d == nil {
		d = &Dictionary{}
	}
	if o == nil {
		o = &Dictionary{}
	}
	return equalDict(d, o, 0)
}

// String returns the dictionary in Godot's text form, e.g. {"a": 1}.
func (d *Dictionary) String() string { return Format(d) }

// quickKeyHash hashes decoded keys of common types cheaply; keys that compare
// equal (keyEqual) always hash equal. Other types share hash 0.
func quickKeyHash(k any) uint64 {
	switch x := k.(type) {
	case string:
		return strHash(x) | 1
	case StringName:
		return strHash(string(x)) | 2
	case int64:
		return uint64(x)<<2 | 3
	}
	return 0
}

func strHash(s string) uint64 {
	if s == "" {
		return 4
	}
	return uint64(len(s))<<40 | uint64(s[0])<<24 | uint64(s[len(s)/2])<<16 | uint64(s[len(s)-1])<<8 | 4
}
