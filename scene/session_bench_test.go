package scene

import (
	"testing"

	"github.com/packetpeer/packetpeer/multiplayer"
)

// benchServer is a Multiplayer on an in-memory peer with client 42
// admitted and §15's Main declared; 42 registered Main as cache id 1 and
// confirmed the server's id for it.
func benchServer(b testing.TB) (*Multiplayer, *fakeTransport, *Node) {
	f, p := newFake()
	m := NewMultiplayer(p, nil)
	n, err := m.AddNode("Main", mainMethods)
	if err != nil {
		b.Fatal(err)
	}
	f.connect(42)
	f.push(42, h(b, "01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00"))
	if err := m.Poll(); err != nil {
		b.Fatal(err)
	}
	if err := n.RPCID(42, "from_server", 0, 0); err != nil { // sends SIMPLIFY_PATH id 1
		b.Fatal(err)
	}
	f.push(42, h(b, "02 01 01 00 00 00"))
	m.Poll()
	if _, ok := m.ids.ID("Main"); !ok || !m.peers[42].Confirmed(1) {
		b.Fatal("set-up did not confirm the path")
	}
	return m, f, n
}

var info42 = multiplayer.PacketInfo{From: 42, Mode: TransferModeReliable}

// RPC receive, decode and dispatch of hello(true, 300) to a typed
// handler, next to BenchmarkUnmarshalTwoValues.
func BenchmarkMultiplayerReceiveRPC(b *testing.B) {
	m, _, n := benchServer(b)
	var sum int
	n.Handle("hello", Func2(func(c Call, x bool, y int) {
		if x {
			sum += y
		}
	}))
	p := h(b, "00 01 03 02 81 42 2c 01")
	b.ReportAllocs()
	for b.Loop() {
		m.receive(p, info42)
	}
	if sum == 0 || m.Stats().RPCs == 0 {
		b.Fatal("handler not called")
	}
}

// The same with a String and a float argument.
func BenchmarkMultiplayerReceiveRPCString(b *testing.B) {
	m, _, n := benchServer(b)
	var total float64
	n.Handle("hello", Func2(func(c Call, s string, f float64) { total += f + float64(len(s)) }))
	p := h(b, "00 01 03 02 04 00 00 00 01 00 00 00 78 00 00 00 03 00 00 00 00 00 c0 3f")
	b.ReportAllocs()
	for b.Loop() {
		m.receive(p, info42)
	}
	if total == 0 {
		b.Fatal("handler not called")
	}
}

// Go calling from_server(true, 300) on client 42: encode and send.
func BenchmarkMultiplayerSendRPC(b *testing.B) {
	_, f, n := benchServer(b)
	before := f.sent
	x, y := true, 300
	b.ReportAllocs()
	for b.Loop() {
		if err := n.RPCID(42, "from_server", x, y); err != nil {
			b.Fatal(err)
		}
	}
	if f.sent == before {
		b.Fatal("nothing sent")
	}
}

// A client's RELAY to another client, forwarded by the server.
func BenchmarkMultiplayerRelay(b *testing.B) {
	m, f, _ := benchServer(b)
	f.connect(43)
	m.Poll()
	p := h(b, "07 03 2b 00 00 00 00 01 03 02 81 42 2c 01")
	b.ReportAllocs()
	for b.Loop() {
		m.receive(p, info42)
	}
	if m.Stats().Relayed == 0 {
		b.Fatal("nothing relayed")
	}
}
