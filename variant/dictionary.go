package variant

// Dictionary is Godot's ordered Dictionary. Keys are any Variant value; two
// keys are the same when their decoded forms are Equal (Go ints are int64,
// float32 is float64, other Go values are what decoding their encoding
// yields), so int(1) and int64(1) are one key while 1 and 1.0 are two, as in
// Godot. Iteration and
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
	index  map[uint64][]int // key hash → positions; built once the dictionary grows
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
	h, i := d.lookup(key)
	if i >= 0 {
		d.values[i] = value
		return
	}
	d.keys = append(d.keys, key)
	d.values = append(d.values, value)
	if d.index != nil {
		d.index[h] = append(d.index[h], len(d.keys)-1)
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
	d.index = make(map[uint64][]int, len(d.keys))
	for i, k := range d.keys {
		h := keyHash(k)
		d.index[h] = append(d.index[h], i)
	}
}

func (d *Dictionary) find(key any) int {
	_, i := d.lookup(key)
	return i
}

// lookup returns the position of key (or -1) and, when the dictionary is
// indexed, the key's hash.
func (d *Dictionary) lookup(key any) (uint64, int) {
	if d.index != nil {
		h := keyHash(key)
		for _, i := range d.index[h] {
			if keyEqual(d.keys[i], key) {
				return h, i
			}
		}
		return h, -1
	}
	for i, k := range d.keys {
		if keyEqual(k, key) {
			return 0, i
		}
	}
	return 0, -1
}

// keyString is a key's Variant encoding (binary64 reals, full objects), used
// to order map keys of arbitrary types deterministically. Values that cannot
// be encoded fall back to their formatted text.
func keyString(k any) string {
	var buf [64]byte
	b, err := EncodeOptions{FullObjects: true, DoublePrecision: true}.Append(buf[:0], k)
	if err != nil {
		return "\xff" + Format(k)
	}
	return string(b)
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
