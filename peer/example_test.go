package peer_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/packetpeer/packetpeer/peer"
)

func ExamplePipe() {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()

	a.PutVar(map[string]any{"hp": 100})
	ctx := context.Background()
	v, err := b.ReadVar(ctx)
	fmt.Println(v, err)

	_, err = b.GetPacket() // nothing queued: Godot's ERR_UNAVAILABLE
	fmt.Println(errors.Is(err, peer.ErrUnavailable))
	// Output:
	// {"hp": 100} <nil>
	// true
}

// loopback is a user-written transport (Godot's PacketPeerExtension): the
// packets it is given come back to it. A mutex-guarded slice is enough for a
// sketch; real transports use a bounded queue filled by a reader goroutine.
type loopback struct {
	mu      sync.Mutex
	packets [][]byte
}

func (l *loopback) PutPacket(p []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.packets = append(l.packets, append([]byte(nil), p...))
	return nil
}

func (l *loopback) GetPacket() ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.packets) == 0 {
		return nil, peer.ErrUnavailable
	}
	p := l.packets[0]
	l.packets = l.packets[1:]
	return p, nil
}

func (l *loopback) AvailablePacketCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.packets)
}

func (l *loopback) MaxPacketSize() int { return 1 << 16 }
func (l *loopback) Close() error       { return nil }

func ExampleNew() {
	p := peer.New(&loopback{})
	defer p.Close()

	p.PutVar("hello") // PutVar, GetVar, ReadPacket... come from *peer.Peer
	v, _ := p.GetVar()
	fmt.Println(v)
	fmt.Println(p.EncodeBufferMaxSize())
	// Output:
	// hello
	// 8388608
}
