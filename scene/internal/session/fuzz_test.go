package session

import (
	"testing"

	"github.com/packetpeer/packetpeer/scene"
)

type discard struct{ n int }

func (d *discard) Send(int32, scene.TransferMode, int, []byte) error { d.n++; return nil }

// FuzzReceive feeds any packet from a connected client to a server session
// with one node: it must never panic, and a packet makes at most one send
// per other peer plus a CONFIRM_PATH.
func FuzzReceive(f *testing.F) {
	for _, s := range []string{
		"01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00",
		"20 15 00 00 80 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00",
		"00 01 00 02 81 42 2c 01", "07 03 00 00 00 00 03 01 02 03", "07 03 2a 00 00 00 03 de ad be ef",
		"07 03 00 00 00 00 20 09 00 00 80 00 01 02 03 4d 61 69 6e 00", "02 01 01 00 00 00", "07 00 01",
	} {
		f.Add(h(s))
	}
	methods, err := scene.NewMethods(nil, []scene.Method{{Name: "hello", RPCConfig: scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		d := &discard{}
		s := New(d, true)
		s.AddNode(&Node{Path: "Main", Methods: methods, Call: func(int32, scene.Method, []any) {}})
		s.PeerConnected(42)
		s.PeerConnected(7)
		s.PeerConnected(9)
		d.n = 0
		if err := s.Receive(7, scene.TransferModeReliable, 0, p); err != nil {
			t.Fatal(err)
		}
		if d.n > 3 {
			t.Fatalf("% x: %d sends", p, d.n)
		}
	})
}
