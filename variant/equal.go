package variant

import (
	"math"
	"reflect"
)

var dictPtrType = reflect.TypeFor[*Dictionary]()

// Equal reports whether a and b are the same Variant value: like
// reflect.DeepEqual, except that NaN equals NaN, *Dictionary values compare
// their entries in order, and nil and empty slices are equal.
func Equal(a, b any) bool {
	return equalValue(reflect.ValueOf(a), reflect.ValueOf(b), 0)
}

func equalValue(a, b reflect.Value, depth int) bool {
	if depth > 2*MaxDepth {
		return false
	}
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		return x == y && math.Signbit(x) == math.Signbit(y)
	case reflect.String:
		return a.String() == b.String()
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValue(a.Elem(), b.Elem(), depth+1)
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.Type() == dictPtrType {
			return equalDict((*Dictionary)(a.UnsafePointer()), (*Dictionary)(b.UnsafePointer()), depth)
		}
		return a.Pointer() == b.Pointer() || equalValue(a.Elem(), b.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		if a.Kind() == reflect.Slice && a.Len() > 0 && a.Pointer() == b.Pointer() {
			return true // the same elements
		}
		for i := 0; i < a.Len(); i++ {
			if !equalValue(a.Index(i), b.Index(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !equalValue(a.Field(i), b.Field(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !equalValue(it.Value(), bv, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

func equalDict(d, o *Dictionary, depth int) bool {
	if d.KeyType != o.KeyType || d.ValueType != o.ValueType || len(d.keys) != len(o.keys) {
		return false
	}
	for i := range d.keys {
		if !equalValue(reflect.ValueOf(d.keys[i]), reflect.ValueOf(o.keys[i]), depth+1) ||
			!equalValue(reflect.ValueOf(d.values[i]), reflect.ValueOf(o.values[i]), depth+1) {
			return false
		}
	}
	return true
}
