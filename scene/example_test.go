package scene_test

import (
	"fmt"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/variant"
)

// A Godot client called rpc_id(1, "hello", "x", 5) on /root/Main, whose
// script has @rpc("any_peer") func hello(s, n). The server decodes the
// client's SIMPLIFY_PATH, remembers the path, answers CONFIRM_PATH, then
// resolves the RPC.
func Example() {
	methods, _ := scene.NewMethods(nil, []scene.Method{
		{Name: "hello", RPCConfig: scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}},
	})
	var fromClient scene.PeerPaths

	// What the client sends first (spec §11).
	simplify, _ := scene.AppendSimplifyPath(nil, scene.SimplifyPath{Checksum: methods.Checksum(), ID: 1, Path: "Main"})
	call, _ := scene.AppendRemoteCall(nil, scene.RemoteCall{Node: 1, Method: 0}, variant.EncodeOptions{}, "x", 5)

	sp, _ := scene.ParseSimplifyPath(simplify)
	fromClient.Add(sp.ID, sp.Path)
	reply := scene.AppendConfirmPath(nil, scene.ConfirmPath{Valid: sp.Checksum == methods.Checksum(), ID: sp.ID})
	fmt.Printf("reply % x\n", reply)

	rc, _ := scene.ParseRemoteCall(call)
	path, _ := fromClient.Path(rc.Node)
	m, _ := methods.Method(rc.Method)
	args, _ := rc.DecodeArgs(nil, variant.DecodeOptions{})
	fmt.Println(path, m.Name, m.Mode, args)
	// Output:
	// reply 02 01 01 00 00 00
	// Main hello any_peer [x 5]
}

// The method ids and checksum Godot computed for a node with seven script
// RPCs and one rpc_config method (spec §15).
func ExampleNewMethods() {
	anyPeer := scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}
	m, _ := scene.NewMethods(
		[]scene.Method{{Name: "node_m", RPCConfig: anyPeer}},
		[]scene.Method{{Name: "zeta", RPCConfig: anyPeer}, {Name: "alpha", RPCConfig: anyPeer}, {Name: "hello", RPCConfig: anyPeer},
			{Name: "Zed", RPCConfig: anyPeer}, {Name: "from_server", RPCConfig: scene.DefaultRPC}, {Name: "noargs", RPCConfig: anyPeer}, {Name: "pba", RPCConfig: anyPeer}},
	)
	for _, name := range []string{"Zed", "alpha", "hello", "zeta", "node_m"} {
		id, _ := m.ID(name)
		fmt.Printf("%s %#x\n", name, id)
	}
	fmt.Println(m.Checksum())
	// Output:
	// Zed 0x0
	// alpha 0x1
	// hello 0x3
	// zeta 0x6
	// node_m 0x8000
	// a4cb111ce0c9ccdb0def37f1aa46258a
}

// Relaying a client's send_bytes to another client, as a Godot server does.
func ExampleParseSys() {
	in := []byte{0x07, 0x03, 0x2a, 0, 0, 0, 0x03, 0xde, 0xad, 0xbe, 0xef} // from 12345678: send_bytes(..., 42)
	m, _ := scene.ParseSys(in)
	out, _ := scene.AppendRelay(nil, 12345678, m.Data) // to 42, stamped with the sender
	fmt.Println(m.Command, m.Peer)
	fmt.Printf("% x\n", out)
	// Output:
	// RELAY 42
	// 07 03 4e 61 bc 00 03 de ad be ef
}

func ExampleAppendCompressed() {
	for _, v := range []any{true, 5, 300, 70000, 1.5, "x"} {
		b, _ := scene.AppendCompressed(nil, v, variant.EncodeOptions{})
		fmt.Printf("%v: % x\n", v, b)
	}
	// Output:
	// true: 81
	// 5: 02 05
	// 300: 42 2c 01
	// 70000: 82 70 11 01 00
	// 1.5: 03 00 00 00 00 00 c0 3f
	// x: 04 00 00 00 01 00 00 00 78 00 00 00
}
