package variant

import (
	"hash/maphash"
	"math"
	"reflect"
	"unsafe"
)

// Dictionary key identity. Two keys are the same when their normalized
// forms (keyNorm: Go ints become int64, float32 becomes float64, other Go
// values become what decoding their encoding yields) are Equal. Keys are
// hashed structurally and with a random seed, so lookups cost the size of
// the key, duplicate detection while decoding costs the size of the input
// (container hashes are computed once per container), and crafted inputs
// cannot force collisions.

var keySeed = maphash.MakeSeed()

func comb(h, x uint64) uint64 { return maphash.Comparable(keySeed, [2]uint64{h, x}) }

func strHash(s string) uint64 { return maphash.String(keySeed, s) }

// floatBits canonicalizes NaNs, which Equal treats as equal.
func floatBits(f float64) uint64 {
	if f != f {
		return 0x7ff8000000000000
	}
	return math.Float64bits(f)
}

// Type tags keep hashes of different Go types apart.
const (
	tagNil uint64 = iota + 0x5eed
	tagBool
	tagInt
	tagFloat
	tagString
	tagStringName
	tagReals
	tagInts
	tagNodePath
	tagRID
	tagObjectID
	tagObject
	tagNilObject
	tagCallable
	tagSignal
	tagDict
	tagNilDict
	tagArray
	tagTyped
	tagBytes
	tagPacked
	tagOther
	tagCycle
)

type memoKey struct {
	p unsafe.Pointer
	n int
}

// keyHasher hashes keys; memo caches container hashes (and marks
// containers being hashed, to cut cycles).
type keyHasher struct {
	memo map[memoKey]uint64
}

const inProgress = 0

func (kh *keyHasher) container(k memoKey, f func() uint64) uint64 {
	if kh.memo == nil {
		kh.memo = make(map[memoKey]uint64)
	}
	if h, ok := kh.memo[k]; ok {
		if h == inProgress {
			return tagCycle
		}
		return h
	}
	kh.memo[k] = inProgress
	h := f()
	if h == inProgress {
		h = 1
	}
	kh.memo[k] = h
	return h
}

func realsHash(tag uint64, fs ...float64) uint64 {
	h := tag
	for _, f := range fs {
		h = comb(h, floatBits(f))
	}
	return h
}

func intsHash(is ...int32) uint64 {
	h := tagInts
	for _, i := range is {
		h = comb(h, uint64(uint32(i)))
	}
	return h
}

func (kh *keyHasher) list(tag uint64, vs []any, depth int) uint64 {
	if len(vs) == 0 {
		return comb(tag, 0)
	}
	return kh.container(memoKey{unsafe.Pointer(unsafe.SliceData(vs)), len(vs)}, func() uint64 {
		h := comb(tag, uint64(len(vs)))
		for _, v := range vs {
			h = comb(h, kh.hash(v, depth+1))
		}
		return h
	})
}

func ctypeHash(t ContainerType) uint64 {
	return comb(comb(uint64(t.Builtin), strHash(t.ClassName)), strHash(t.Script))
}

// hash returns the hash of a normalized key.
func (kh *keyHasher) hash(v any, depth int) uint64 {
	if depth > 2*MaxDepth {
		return tagCycle
	}
	switch x := v.(type) {
	case nil:
		return tagNil
	case bool:
		return comb(tagBool, uint64(boolInt(x)))
	case int64:
		return comb(tagInt, uint64(x))
	case float64:
		return comb(tagFloat, floatBits(x))
	case string:
		return comb(tagString, strHash(x))
	case StringName:
		return comb(tagStringName, strHash(string(x)))
	case Vector2:
		return realsHash(1, x.X, x.Y)
	case Rect2:
		return realsHash(2, x.Position.X, x.Position.Y, x.Size.X, x.Size.Y)
	case Vector3:
		return realsHash(3, x.X, x.Y, x.Z)
	case Transform2D:
		return realsHash(4, x.X.X, x.X.Y, x.Y.X, x.Y.Y, x.Origin.X, x.Origin.Y)
	case Vector4:
		return realsHash(5, x.X, x.Y, x.Z, x.W)
	case Plane:
		return realsHash(6, x.Normal.X, x.Normal.Y, x.Normal.Z, x.D)
	case Quaternion:
		return realsHash(7, x.X, x.Y, x.Z, x.W)
	case AABB:
		return realsHash(8, x.Position.X, x.Position.Y, x.Position.Z, x.Size.X, x.Size.Y, x.Size.Z)
	case Basis:
		r := x.Rows
		return realsHash(9, r[0].X, r[0].Y, r[0].Z, r[1].X, r[1].Y, r[1].Z, r[2].X, r[2].Y, r[2].Z)
	case Transform3D:
		r := x.Basis.Rows
		return realsHash(10, r[0].X, r[0].Y, r[0].Z, r[1].X, r[1].Y, r[1].Z, r[2].X, r[2].Y, r[2].Z, x.Origin.X, x.Origin.Y, x.Origin.Z)
	case Projection:
		c := x.Columns
		return realsHash(11, c[0].X, c[0].Y, c[0].Z, c[0].W, c[1].X, c[1].Y, c[1].Z, c[1].W,
			c[2].X, c[2].Y, c[2].Z, c[2].W, c[3].X, c[3].Y, c[3].Z, c[3].W)
	case Color:
		return realsHash(12, float64(x.R), float64(x.G), float64(x.B), float64(x.A))
	case Vector2i:
		return comb(1, intsHash(x.X, x.Y))
	case Rect2i:
		return comb(2, intsHash(x.Position.X, x.Position.Y, x.Size.X, x.Size.Y))
	case Vector3i:
		return comb(3, intsHash(x.X, x.Y, x.Z))
	case Vector4i:
		return comb(4, intsHash(x.X, x.Y, x.Z, x.W))
	case NodePath:
		h := comb(tagNodePath, uint64(boolInt(x.Absolute)))
		h = comb(h, uint64(len(x.Names)))
		for _, s := range x.Names {
			h = comb(h, strHash(s))
		}
		for _, s := range x.Subnames {
			h = comb(h, strHash(s))
		}
		return h
	case RID:
		return comb(tagRID, uint64(x))
	case ObjectID:
		return comb(tagObjectID, uint64(x))
	case *Object:
		if x == nil {
			return tagNilObject
		}
		return kh.container(memoKey{unsafe.Pointer(x), -1}, func() uint64 {
			h := comb(comb(tagObject, strHash(x.Class)), uint64(x.ID))
			for _, p := range x.Properties {
				h = comb(comb(h, strHash(p.Name)), kh.hash(p.Value, depth+1))
			}
			return h
		})
	case Callable:
		return tagCallable
	case Signal:
		return comb(comb(tagSignal, strHash(x.Name)), uint64(x.Object))
	case *Dictionary:
		if x == nil {
			return tagNilDict
		}
		return kh.container(memoKey{unsafe.Pointer(x), -2}, func() uint64 {
			h := comb(comb(tagDict, ctypeHash(x.KeyType)), ctypeHash(x.ValueType))
			for i := range x.keys {
				h = comb(comb(h, kh.hash(x.keys[i], depth+1)), kh.hash(x.values[i], depth+1))
			}
			return h
		})
	case []any:
		return kh.list(tagArray, x, depth)
	case TypedArray:
		return comb(ctypeHash(x.Type), kh.list(tagTyped, x.Values, depth))
	case []byte:
		return comb(tagBytes, maphash.Bytes(keySeed, x))
	case []int32:
		return comb(tagPacked+1, maphash.Bytes(keySeed, byteView(x)))
	case []int64:
		return comb(tagPacked+2, maphash.Bytes(keySeed, byteView(x)))
	case []float32:
		h := comb(tagPacked+3, uint64(len(x)))
		for _, f := range x {
			h = comb(h, floatBits(float64(f)))
		}
		return h
	case []float64:
		return realsHash(tagPacked+4, x...)
	case []string:
		h := comb(tagPacked+5, uint64(len(x)))
		for _, s := range x {
			h = comb(h, strHash(s))
		}
		return h
	case []Vector2:
		h := comb(tagPacked+6, uint64(len(x)))
		for _, p := range x {
			h = comb(h, realsHash(1, p.X, p.Y))
		}
		return h
	case []Vector3:
		h := comb(tagPacked+7, uint64(len(x)))
		for _, p := range x {
			h = comb(h, realsHash(3, p.X, p.Y, p.Z))
		}
		return h
	case []Vector4:
		h := comb(tagPacked+8, uint64(len(x)))
		for _, p := range x {
			h = comb(h, realsHash(5, p.X, p.Y, p.Z, p.W))
		}
		return h
	case []Color:
		h := comb(tagPacked+9, uint64(len(x)))
		for _, c := range x {
			h = comb(h, realsHash(12, float64(c.R), float64(c.G), float64(c.B), float64(c.A)))
		}
		return h
	case unencodableKey:
		return comb(tagOther, strHash(string(x)))
	}
	return comb(tagOther, strHash(reflect.TypeOf(v).String()))
}

// unencodableKey stands for a key that cannot be encoded; it is identified
// by its formatted text.
type unencodableKey string

// isDecodedType reports whether v already has the form Decode produces.
func isDecodedType(v any) bool {
	switch v.(type) {
	case nil, bool, int64, float64, string, StringName, Vector2, Vector2i, Rect2, Rect2i, Vector3,
		Vector3i, Transform2D, Vector4, Vector4i, Plane, Quaternion, AABB, Basis, Transform3D,
		Projection, Color, NodePath, RID, ObjectID, *Object, Callable, Signal, *Dictionary, []any,
		TypedArray, []byte, []int32, []int64, []float32, []float64, []string, []Vector2, []Vector3,
		[]Vector4, []Color:
		return true
	}
	return false
}

// deepDecoded reports whether v and everything it contains have the forms
// Decode produces.
func deepDecoded(v any, depth int) bool {
	if depth > MaxDepth || !isDecodedType(v) {
		return false
	}
	list := func(vs []any) bool {
		for _, e := range vs {
			if !deepDecoded(e, depth+1) {
				return false
			}
		}
		return true
	}
	switch x := v.(type) {
	case []any:
		return list(x)
	case TypedArray:
		return list(x.Values)
	case *Dictionary:
		return x == nil || list(x.keys) && list(x.values)
	case *Object:
		if x != nil {
			for _, p := range x.Properties {
				if !deepDecoded(p.Value, depth+1) {
					return false
				}
			}
		}
	}
	return true
}

// keyNorm maps a key to the form Decode would give it.
func keyNorm(v any) any {
	if deepDecoded(v, 0) {
		return v
	}
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case *TypedArray:
		if x != nil {
			return *x
		}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u)
		}
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	}
	b, err := EncodeOptions{FullObjects: true, DoublePrecision: true}.Marshal(v)
	if err == nil {
		if d, _, err := (DecodeOptions{AllowObjects: true}).Decode(b); err == nil {
			return d
		}
	}
	return unencodableKey(Format(v))
}

// keyHash hashes any key.
func keyHash(v any) uint64 {
	var kh keyHasher
	return kh.hash(keyNorm(v), 0)
}

// keyEqual reports whether a and b are the same dictionary key.
func keyEqual(a, b any) bool {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case int64:
		if y, ok := b.(int64); ok {
			return x == y
		}
	case StringName:
		if y, ok := b.(StringName); ok {
			return x == y
		}
	}
	return Equal(keyNorm(a), keyNorm(b))
}
