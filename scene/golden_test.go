package scene

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

// h decodes spaced hex from the spec.
func h(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func check(t *testing.T, name string, got []byte, err error, want string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if w := h(t, want); !bytes.Equal(got, w) {
		t.Fatalf("%s:\n got % x\nwant % x", name, got, w)
	}
}

// The checksum of §15's Main: node_m at node level, seven script methods.
var mainMethods = func() *Methods {
	anyPeer := RPCConfig{Mode: RPCModeAnyPeer, TransferMode: TransferModeReliable}
	m, err := NewMethods(
		[]Method{{"node_m", anyPeer}},
		[]Method{{"zeta", anyPeer}, {"alpha", anyPeer}, {"hello", anyPeer}, {"Zed", anyPeer}, {"from_server", DefaultRPC}, {"noargs", anyPeer}, {"pba", anyPeer}},
	)
	if err != nil {
		panic(err)
	}
	return m
}()

// §11, §12 (a)-(d), (g) and the §15 capture, as written by Godot.
func TestGoldenEncode(t *testing.T) {
	b := AppendAddPeer(nil, 12345678)
	check(t, "ADD_PEER 12345678 (§12a)", b, nil, "07 01 4e 61 bc 00")
	check(t, "DEL_PEER 12345678 (§12a)", AppendDelPeer(nil, 12345678), nil, "07 02 4e 61 bc 00")
	check(t, "ADD_PEER 42 (§15.1)", AppendAddPeer(nil, 42), nil, "07 01 2a 00 00 00")
	check(t, "DEL_PEER 42 (§15.1)", AppendDelPeer(nil, 42), nil, "07 02 2a 00 00 00")

	raw, err := AppendRaw(nil, h(t, "de ad be ef"))
	check(t, "RAW (§15.4)", raw, err, "03 de ad be ef")
	b, err = AppendRelay(nil, 42, raw)
	check(t, "RELAY to 42 (§12b)", b, err, "07 03 2a 00 00 00 03 de ad be ef")
	b, err = AppendRelay(nil, 12345678, raw)
	check(t, "RELAY from 12345678 (§12b)", b, err, "07 03 4e 61 bc 00 03 de ad be ef")
	raw123, _ := AppendRaw(nil, []byte{1, 2, 3})
	b, err = AppendRelay(nil, 0, raw123)
	check(t, "RELAY d=0 send_bytes (§15.4)", b, err, "07 03 00 00 00 00 03 01 02 03")
	raw2, _ := AppendRaw(nil, []byte{2})
	b, err = AppendRelay(nil, -42, raw2)
	check(t, "RELAY d=-42 (§15.5)", b, err, "07 03 d6 ff ff ff 03 02")

	check(t, "AUTH secret (§12g)", AppendAuth(nil, []byte("secret")), nil, "07 00 73 65 63 72 65 74")
	check(t, "AUTH completion (§12g)", AppendAuth(nil, nil), nil, "07 00")

	hello, _ := NewMethods(nil, []Method{{"hello", RPCConfig{Mode: RPCModeAnyPeer, TransferMode: TransferModeReliable}}})
	b, err = AppendSimplifyPath(nil, SimplifyPath{Checksum: hello.Checksum(), ID: 1, Path: "Main"})
	check(t, "SIMPLIFY_PATH hello (§11)", b, err, "01 35 64 34 31 34 30 32 61 62 63 34 62 32 61 37 36 62 39 37 31 39 64 39 31 31 30 31 37 63 35 39 32 00 01 00 00 00 4d 61 69 6e 00")
	none, _ := NewMethods(nil, nil)
	b, err = AppendSimplifyPath(nil, SimplifyPath{Checksum: none.Checksum(), ID: 1, Path: "Main/PlayerSpawner"})
	check(t, "SIMPLIFY_PATH spawner (§12c)", b, err, "01 64 34 31 64 38 63 64 39 38 66 30 30 62 32 30 34 65 39 38 30 30 39 39 38 65 63 66 38 34 32 37 65 00 01 00 00 00 4d 61 69 6e 2f 50 6c 61 79 65 72 53 70 61 77 6e 65 72 00")
	b, err = AppendSimplifyPath(nil, SimplifyPath{Checksum: mainMethods.Checksum(), ID: 1, Path: "Main"})
	check(t, "SIMPLIFY_PATH Main (§15.2)", b, err, "01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00")
	b, err = AppendSimplifyPath(nil, SimplifyPath{Checksum: mainMethods.Checksum(), ID: 7, Path: "Main"})
	check(t, "SIMPLIFY_PATH Main id 7 (§15.3)", b, err, "01 6134636231313163653063396363646230646566333766316161343632353861 00 07 00 00 00 4d 61 69 6e 00")
	b, err = AppendSimplifyPath(nil, SimplifyPath{Checksum: none.Checksum(), ID: 10, Path: "Main/Spawner"})
	check(t, "SIMPLIFY_PATH Main/Spawner (§15.6)", b, err, "01 64343164386364393866303062323034653938303039393865636638343237 65 00 0a 00 00 00 4d 61 69 6e 2f 53 70 61 77 6e 65 72 00")

	check(t, "CONFIRM_PATH valid 1 (§12c)", AppendConfirmPath(nil, ConfirmPath{Valid: true, ID: 1}), nil, "02 01 01 00 00 00")
	check(t, "CONFIRM_PATH invalid 1 (§12c)", AppendConfirmPath(nil, ConfirmPath{ID: 1}), nil, "02 00 01 00 00 00")
	check(t, "CONFIRM_PATH valid 7 (§15.3)", AppendConfirmPath(nil, ConfirmPath{Valid: true, ID: 7}), nil, "02 01 07 00 00 00")
	check(t, "CONFIRM_PATH invalid 8 (§15.3)", AppendConfirmPath(nil, ConfirmPath{ID: 8}), nil, "02 00 08 00 00 00")

	var o variant.EncodeOptions
	rc := func(c RemoteCall, args ...any) ([]byte, error) { return AppendRemoteCall(nil, c, o, args...) }
	id := func(name string) uint16 {
		i, ok := mainMethods.ID(name)
		if !ok {
			t.Fatalf("no method %s", name)
		}
		return i
	}
	b, err = rc(RemoteCall{Path: "Main", Method: 0}, "x", 5)
	check(t, "full path hello (§11)", b, err, "20 15 00 00 80 00 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00")
	b, err = rc(RemoteCall{Node: 1}, "x", 5)
	check(t, "compressed hello (§11, §12d)", b, err, "00 01 00 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05")
	b, err = rc(RemoteCall{Node: 1}, true, 300)
	check(t, "(true, 300) (§12d)", b, err, "00 01 00 02 81 42 2c 01")
	b, err = rc(RemoteCall{Node: 1})
	check(t, "no args (§12d)", b, err, "80 01 00")
	b, err = rc(RemoteCall{Node: 1}, []byte{0xca, 0xfe})
	check(t, "PackedByteArray (§12d)", b, err, "80 01 00 ca fe")
	b, err = rc(RemoteCall{Node: 1, Method: 0x8000}, 7)
	check(t, "node-level (§12d)", b, err, "40 01 00 80 01 02 07")

	// §15.2: the client's sends, with Main's real ids.
	b, err = rc(RemoteCall{Path: "Main", Method: id("hello")}, "x", 5)
	check(t, "§15.2 full path", b, err, "20 15 00 00 80 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00")
	b, err = rc(RemoteCall{Node: 1, Method: id("hello")}, "x", 5)
	check(t, "§15.2 compressed", b, err, "00 01 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05")
	b, err = rc(RemoteCall{Node: 1, Method: id("hello")}, true, 300)
	check(t, "§15.2 (true, 300)", b, err, "00 01 03 02 81 42 2c 01")
	b, err = rc(RemoteCall{Node: 1, Method: id("noargs")})
	check(t, "§15.2 noargs", b, err, "80 01 04")
	b, err = rc(RemoteCall{Node: 1, Method: id("Zed")})
	check(t, "§15.2 Zed", b, err, "80 01 00")
	b, err = rc(RemoteCall{Node: 1, Method: id("pba")}, []byte{0xca, 0xfe})
	check(t, "§15.2 pba", b, err, "80 01 05 ca fe")
	b, err = rc(RemoteCall{Node: 1, Method: id("pba")}, []byte{})
	check(t, "§15.2 empty pba", b, err, "80 01 05")
	b, err = rc(RemoteCall{Node: 1, Method: id("alpha")}, 1)
	check(t, "§15.2 alpha(1)", b, err, "00 01 01 01 02 01")
	b, err = rc(RemoteCall{Node: 1, Method: id("zeta")}, -2)
	check(t, "§15.2 zeta(-2)", b, err, "00 01 06 01 02 fe")
	b, err = rc(RemoteCall{Node: 1, Method: id("from_server")}, 1.5, variant.Vector2{X: 1, Y: 2})
	check(t, "§15.2 from_server", b, err, "00 01 02 02 03 00 00 00 00 00 c0 3f 05 00 00 00 00 00 80 3f 00 00 00 40")
	b, err = rc(RemoteCall{Node: 1, Method: id("node_m")}, 7)
	check(t, "§15.2 node_m", b, err, "40 01 00 80 01 02 07")
	b, err = rc(RemoteCall{Node: 1, Wide: true, Method: id("alpha")}, 3)
	check(t, "§15.5 mixed, confirmed target", b, err, "20 01 00 00 00 01 01 02 03")
	b, err = rc(RemoteCall{Path: "Main", Method: id("alpha")}, 3)
	check(t, "§15.5 mixed, unconfirmed target", b, err, "20 09 00 00 80 01 01 02 03 4d 61 69 6e 00")
	inner, _ := rc(RemoteCall{Path: "Main", Method: id("hello")}, "y", 6)
	b, err = AppendRelay(nil, 42, inner)
	check(t, "§15.5 relayed hello", b, err, "07 03 2a 00 00 00 20 15 00 00 80 03 02 04 00 00 00 01 00 00 00 79 00 00 00 02 06 4d 61 69 6e 00")

	// §15.3: what the Go server sent, which the client executed.
	b, err = rc(RemoteCall{Path: "Main", Method: id("from_server")}, true, 5)
	check(t, "§15.3 full path", b, err, "20 0a 00 00 80 02 02 81 02 05 4d 61 69 6e 00")
	b, err = rc(RemoteCall{Node: 7, Method: id("from_server")}, false, 300)
	check(t, "§15.3 (false, 300)", b, err, "00 07 02 02 01 42 2c 01")
	b, err = rc(RemoteCall{Node: 7, Method: id("from_server")}, 70000, int64(1)<<40)
	check(t, "§15.3 (70000, 2^40)", b, err, "00 07 02 02 82 70 11 01 00 c2 00 00 00 00 00 01 00 00")
	b, err = rc(RemoteCall{Node: 7, Method: id("from_server")}, -129, 1.5)
	check(t, "§15.3 (-129, 1.5)", b, err, "00 07 02 02 42 7f ff 03 00 00 00 00 00 c0 3f")
	b, err = rc(RemoteCall{Node: 7, Method: id("from_server")}, 0.1, "héllo")
	check(t, "§15.3 (0.1, héllo)", b, err, "00 07 02 02 03 00 01 00 9a 99 99 99 99 99 b9 3f 04 00 00 00 06 00 00 00 68 c3 a9 6c 6c 6f 00 00")
	b, err = rc(RemoteCall{Node: 7, Method: id("from_server")}, variant.Vector2{X: 1, Y: 2}, []any{1, "a"})
	check(t, "§15.3 (Vector2, [1, a])", b, err, "00 07 02 02 05 00 00 00 00 00 80 3f 00 00 00 40 1c 00 00 00 02 00 00 00 02 00 00 00 01 00 00 00 04 00 00 00 01 00 00 00 61 00 00 00")
	b, err = rc(RemoteCall{Node: 7, Method: id("noargs")})
	check(t, "§15.3 noargs", b, err, "80 07 04")
	b, err = rc(RemoteCall{Node: 7, Method: id("node_m")}, 8)
	check(t, "§15.3 node_m(8)", b, err, "40 07 00 80 01 02 08")
	b, err = rc(RemoteCall{Node: 7, Method: id("hello")}, "only-one")
	check(t, "§15.3 hello(only-one)", b, err, "00 07 03 01 04 00 00 00 08 00 00 00 6f 6e 6c 79 2d 6f 6e 65")
	relayRaw, _ := AppendRaw(nil, []byte{0xca, 0xfe})
	b, err = AppendRelay(nil, 42, relayRaw)
	check(t, "§15.5 S→C relayed RAW", b, err, "07 03 2a 00 00 00 03 ca fe")
	b, err = rc(RemoteCall{Node: 1, Method: id("hello")}, "z", 9)
	b, _ = AppendRelay(nil, 42, b)
	check(t, "§15.5 S→C relayed hello", b, err, "07 03 2a 00 00 00 00 01 03 02 04 00 00 00 01 00 00 00 7a 00 00 00 02 09")
	b = AppendConfirmPath(nil, ConfirmPath{Valid: true, ID: 1})
	b, err = AppendRelay(nil, 42, b)
	check(t, "§15.5 relayed CONFIRM_PATH", b, err, "07 03 2a 00 00 00 02 01 01 00 00 00")
}

func TestChecksums(t *testing.T) {
	none, _ := NewMethods(nil, nil)
	hello, _ := NewMethods(nil, []Method{{"hello", DefaultRPC}})
	for _, c := range []struct {
		m    *Methods
		want string
	}{
		{none, "d41d8cd98f00b204e9800998ecf8427e"},
		{hello, "5d41402abc4b2a76b9719d911017c592"},
		{mainMethods, "a4cb111ce0c9ccdb0def37f1aa46258a"},
	} {
		if got := c.m.Checksum().String(); got != c.want {
			t.Errorf("checksum %s, want %s", got, c.want)
		}
	}
}

// §15.2: script ids in code-point order, node-level ids with bit 15.
func TestMethodIDs(t *testing.T) {
	want := map[string]uint16{"Zed": 0, "alpha": 1, "from_server": 2, "hello": 3, "noargs": 4, "pba": 5, "zeta": 6, "node_m": 0x8000}
	for name, id := range want {
		got, ok := mainMethods.ID(name)
		if !ok || got != id {
			t.Errorf("ID(%q) = %#x, %v; want %#x", name, got, ok, id)
		}
		m, ok := mainMethods.Method(id)
		if !ok || m.Name != name {
			t.Errorf("Method(%#x) = %q, %v; want %q", id, m.Name, ok, name)
		}
	}
	for _, id := range []uint16{7, 0x8001, 0xffff, 0x7fff} {
		if m, ok := mainMethods.Method(id); ok {
			t.Errorf("Method(%#x) = %q, want none", id, m.Name)
		}
	}
	if m, _ := mainMethods.Method(2); m.Mode != RPCModeAuthority || m.TransferMode != TransferModeReliable {
		t.Errorf("from_server config %+v", m.RPCConfig)
	}
	if mainMethods.Len() != 8 {
		t.Errorf("Len %d", mainMethods.Len())
	}
}

func TestMethodsErrors(t *testing.T) {
	for _, c := range []struct {
		node, script []Method
	}{
		{nil, []Method{{"a", DefaultRPC}, {"a", DefaultRPC}}},
		{[]Method{{"", DefaultRPC}}, nil},
	} {
		if _, err := NewMethods(c.node, c.script); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("NewMethods(%v, %v) = %v, want ErrInvalidParameter", c.node, c.script, err)
		}
	}
	// The same name in both lists is allowed: the script's id wins for
	// sending, both count in the checksum (MD5("aa")).
	m, err := NewMethods([]Method{{"a", DefaultRPC}}, []Method{{"a", DefaultRPC}})
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := m.ID("a"); id != 0 {
		t.Errorf("ID(a) = %#x, want the script's 0", id)
	}
	if got := m.Checksum().String(); got != "4124bc0a9335c27f086f24ba207a4912" {
		t.Errorf("checksum %s, want MD5(aa)", got)
	}
}
