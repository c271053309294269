package session

import (
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/scene"
)

type sent struct {
	to   int32
	mode scene.TransferMode
	ch   int
	hex  string
}

type recorder struct{ out []sent }

func (r *recorder) Send(to int32, mode scene.TransferMode, ch int, p []byte) error {
	r.out = append(r.out, sent{to, mode, ch, hex.EncodeToString(p)})
	return nil
}

func (r *recorder) take() []sent { o := r.out; r.out = nil; return o }

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func x(s string) string { return hex.EncodeToString(h(s)) }

const rel = scene.TransferModeReliable

type call struct {
	from int32
	name string
	args string
}

// The §15 scene: Main with seven script RPCs and node_m at node level,
// served to client 12345678 while client 42 is connected.
func TestServerSession(t *testing.T) {
	anyPeer := scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: rel}
	methods, err := scene.NewMethods([]scene.Method{{Name: "node_m", RPCConfig: anyPeer}},
		[]scene.Method{{Name: "zeta", RPCConfig: anyPeer}, {Name: "alpha", RPCConfig: anyPeer}, {Name: "hello", RPCConfig: anyPeer}, {Name: "Zed", RPCConfig: anyPeer},
			{Name: "from_server", RPCConfig: scene.DefaultRPC}, {Name: "noargs", RPCConfig: anyPeer}, {Name: "pba", RPCConfig: anyPeer}})
	if err != nil {
		t.Fatal(err)
	}
	var calls []call
	var raws []string
	out := &recorder{}
	s := New(out, true)
	s.AddNode(&Node{Path: "Main", Methods: methods, Call: func(from int32, m scene.Method, args []any) {
		calls = append(calls, call{from, m.Name, fmt.Sprint(args)})
	}})
	s.OnPacket = func(from int32, data []byte) { raws = append(raws, fmt.Sprint(from, data)) }
	const c = 12345678

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	expect := func(what string, want ...sent) {
		t.Helper()
		if got := out.take(); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
		}
	}
	must(s.PeerConnected(42))
	expect("first client: nobody to tell")
	must(s.PeerConnected(c))
	expect("admission (§11 step 1)", sent{42, rel, 0, x("07 01 4e 61 bc 00")}, sent{c, rel, 0, x("07 01 2a 00 00 00")})

	// The client's first rpc_id(1, "hello", "x", 5) (§15.2).
	must(s.Receive(c, rel, 0, h("01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00")))
	expect("CONFIRM_PATH", sent{c, rel, 0, x("02 01 01 00 00 00")})
	must(s.Receive(c, rel, 0, h("20 15 00 00 80 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00")))
	must(s.Receive(c, rel, 0, h("00 01 03 02 81 42 2c 01")))
	must(s.Receive(c, rel, 0, h("80 01 05 ca fe")))
	must(s.Receive(c, rel, 0, h("40 01 00 80 01 02 07")))
	must(s.Receive(c, rel, 0, h("00 01 02 02 03 00 00 00 00 00 c0 3f 05 00 00 00 00 00 80 3f 00 00 00 40"))) // authority method from a client
	must(s.Receive(c, rel, 0, h("00 63 03 00")))                                                             // unknown cache id
	must(s.Receive(c, rel, 0, h("30 01 00")))                                                                // node width 3
	want := []call{{c, "hello", "[x 5]"}, {c, "hello", "[true 300]"}, {c, "pba", "[[202 254]]"}, {c, "node_m", "[7]"}}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	if s.Stats.Unauthorized != 1 || s.Stats.UnknownNode != 1 || s.Stats.Malformed != 1 {
		t.Fatalf("stats %+v", s.Stats)
	}
	expect("no replies to RPCs")

	// Relay (§12b, §15.5).
	must(s.Receive(c, scene.TransferModeUnreliable, 2, h("07 03 2a 00 00 00 03 de ad be ef")))
	expect("relay to 42 keeps mode and channel", sent{42, scene.TransferModeUnreliable, 2, x("07 03 4e 61 bc 00 03 de ad be ef")})
	must(s.Receive(c, rel, 0, h("07 03 00 00 00 00 03 01 02 03")))
	expect("relay to everyone", sent{42, rel, 0, x("07 03 4e 61 bc 00 03 01 02 03")})
	must(s.Receive(c, rel, 0, h("07 03 d6 ff ff ff 03 02")))
	expect("relay to all but 42")
	must(s.Receive(c, rel, 0, h("07 03 63 00 00 00 03 02")))
	expect("relay to an unknown peer")
	if want := []string{"12345678 [1 2 3]", "12345678 [2]"}; !reflect.DeepEqual(raws, want) {
		t.Fatalf("raw %v, want %v", raws, want)
	}

	// Server → client RPCs (§15.3 with the server's own cache id 1).
	must(s.RPC(c, "Main", "from_server", true, 5))
	expect("first RPC: SIMPLIFY_PATH then full path",
		sent{c, rel, 0, x("01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00")},
		sent{c, rel, 0, x("20 0a 00 00 80 02 02 81 02 05 4d 61 69 6e 00")})
	must(s.Receive(c, rel, 0, h("02 01 01 00 00 00")))
	must(s.RPC(c, "Main", "from_server", false, 300))
	expect("after CONFIRM_PATH", sent{c, rel, 0, x("00 01 02 02 01 42 2c 01")})
	must(s.RPC(0, "Main", "alpha", 3))
	expect("to all: 42 has not confirmed",
		sent{42, rel, 0, x("01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00")},
		sent{42, rel, 0, x("20 09 00 00 80 01 01 02 03 4d 61 69 6e 00")},
		sent{c, rel, 0, x("20 01 00 00 00 01 01 02 03")})

	must(s.PeerDisconnected(42))
	expect("DEL_PEER", sent{c, rel, 0, x("07 02 2a 00 00 00")})
	must(s.Receive(42, rel, 0, h("03 01")))
	if s.Stats.UnknownPeer != 2 {
		t.Fatalf("stats %+v", s.Stats)
	}
}
