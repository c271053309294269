package rooms

import (
	"runtime"
	"strconv"
	"testing"
)

// The figures of the package doc's Memory section.
const (
	maxWebSocketRoomBytes = 32 << 10  // a WebSocket room, beyond its clients' connections
	maxIdleENetRoomBytes  = 192 << 10 // an ENet room without clients, Godot's defaults
)

// inUse returns the live heap and goroutine stacks after a collection.
func inUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc + ms.StackInuse)
}

// TestRoomCost checks what an open room costs the Server: a WebSocket room
// (its Multiplayer, its multiplayer peer and the goroutine running them),
// and an ENet room without clients (the same with an ENet host).
func TestRoomCost(t *testing.T) {
	const n = 64
	s := New(nil)
	defer s.Close()
	before := inUse()
	for i := range n {
		if _, err := s.enter("/" + strconv.Itoa(i)); err != nil { // Join's room, without the connection
			t.Fatal(err)
		}
	}
	perWS := (inUse() - before) / n
	before = inUse()
	for i := range n {
		if _, err := s.OpenENet("/enet"+strconv.Itoa(i), "127.0.0.1:0", nil); err != nil {
			t.Fatal(err)
		}
	}
	perENet := (inUse() - before) / n
	t.Logf("a WebSocket room: %d bytes; an idle ENet room: %d bytes", perWS, perENet)
	if perWS > maxWebSocketRoomBytes {
		t.Errorf("a WebSocket room costs %d bytes, want at most %d", perWS, maxWebSocketRoomBytes)
	}
	if perENet > maxIdleENetRoomBytes {
		t.Errorf("an idle ENet room costs %d bytes, want at most %d", perENet, maxIdleENetRoomBytes)
	}
	if s.Len() != 2*n {
		t.Errorf("%d rooms open, want %d", s.Len(), 2*n)
	}
}
