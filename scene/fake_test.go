package scene

import (
	"context"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
)

// fakeTransport is an in-memory server transport: packets queued with
// push come out of GetPacket; sent packets are counted and, with keep,
// recorded.
type fakeTransport struct {
	ev    multiplayer.Events
	in    [][]byte
	from  []int32
	sent  int
	bytes int
	keep  bool
	out   []fakeSent
	peers map[int32]bool
}

type fakeSent struct {
	to   int32
	data []byte
}

func newFake() (*fakeTransport, *multiplayer.Peer) {
	f := &fakeTransport{peers: map[int32]bool{}}
	return f, multiplayer.New(f)
}

func (f *fakeTransport) connect(id int32) { f.peers[id] = true; f.ev.PeerConnected(id) }

func (f *fakeTransport) push(from int32, p []byte) {
	f.in = append(f.in, p)
	f.from = append(f.from, from)
}

func (f *fakeTransport) PutPacket(p []byte, target int32, _ multiplayer.TransferMode, _ int) error {
	if target > 0 && !f.peers[target] {
		return &peer.OpError{Op: "put packet", Err: peer.ErrInvalidParameter}
	}
	f.sent++
	f.bytes += len(p)
	if f.keep {
		f.out = append(f.out, fakeSent{target, append([]byte(nil), p...)})
	}
	return nil
}

func (f *fakeTransport) GetPacket() ([]byte, multiplayer.PacketInfo, error) {
	if len(f.in) == 0 {
		return nil, multiplayer.PacketInfo{}, &peer.OpError{Op: "get packet", Err: peer.ErrUnavailable}
	}
	p, from := f.in[0], f.from[0]
	f.in, f.from = f.in[1:], f.from[1:]
	return p, multiplayer.PacketInfo{From: from, Mode: multiplayer.TransferModeReliable}, nil
}

func (f *fakeTransport) WaitPacket(ctx context.Context) error { return nil }
func (f *fakeTransport) AvailablePacketCount() int            { return len(f.in) }
func (f *fakeTransport) MaxPacketSize() int                   { return 1 << 20 }
func (f *fakeTransport) UniqueID() int32                      { return 1 }
func (f *fakeTransport) ConnectionStatus() multiplayer.ConnectionStatus {
	return multiplayer.ConnectionConnected
}
func (f *fakeTransport) IsServer() bool                        { return true }
func (f *fakeTransport) IsServerRelaySupported() bool          { return true }
func (f *fakeTransport) DisconnectPeer(id int32, _ bool) error { delete(f.peers, id); return nil }
func (f *fakeTransport) Events() *multiplayer.Events           { return &f.ev }
func (f *fakeTransport) Close() error                          { return nil }
