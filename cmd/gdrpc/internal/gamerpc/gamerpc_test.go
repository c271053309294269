package gamerpc

import (
	"testing"

	"github.com/packetpeer/packetpeer/scene"
)

// The generated declarations give the ids and the checksum the real Godot
// 4.6 client computed for Main (spec §15: script RPCs plus node-level node_m).
func TestMainMatchesGodot(t *testing.T) {
	m, err := scene.NewMethods([]scene.Method{{Name: "node_m", RPCConfig: scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}}}, MainRPC)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Checksum().String(); got != "a4cb111ce0c9ccdb0def37f1aa46258a" {
		t.Errorf("checksum %s, want Godot's a4cb111ce0c9ccdb0def37f1aa46258a", got)
	}
	for name, want := range map[string]uint16{"Zed": MainRPCZed, "alpha": MainRPCAlpha, "from_server": MainRPCFromServer, "hello": MainRPCHello, "noargs": MainRPCNoargs, "pba": MainRPCPba, "zeta": MainRPCZeta} {
		if id, ok := m.ID(name); !ok || id != want {
			t.Errorf("%s: id %d, constant %d", name, id, want)
		}
	}
	// The ids Godot assigned in the capture.
	if MainRPCZed != 0 || MainRPCHello != 3 || MainRPCZeta != 6 {
		t.Error("ids differ from the capture")
	}
	if from, _ := m.Method(MainRPCFromServer); from.Mode != scene.RPCModeAuthority {
		t.Errorf("from_server mode %v", from.Mode)
	}
}
