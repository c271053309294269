package variant

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// typeKey identifies a reflect.Type by its runtime type pointer, which
// hashes much faster than the reflect.Type interface.
func typeKey(t reflect.Type) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&t))[1]
}

// typeCache is a read-mostly map from type to V: lookups are one atomic
// load and a map access; stores copy the map (types are few).
type typeCache[V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[unsafe.Pointer]V]
}

func (c *typeCache[V]) load(t reflect.Type) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[typeKey(t)]
		return v, ok
	}
	var zero V
	return zero, false
}

func (c *typeCache[V]) store(t reflect.Type, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	m := make(map[unsafe.Pointer]V, 1)
	if old != nil {
		for k, x := range *old {
			m[k] = x
		}
	}
	m[typeKey(t)] = v
	c.m.Store(&m)
}
