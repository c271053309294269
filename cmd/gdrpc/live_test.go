package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/godottest"
)

// rpcForms are @rpc annotations, accepted or refused, that gdrpc must read
// as Godot 4.6's GDScript parser does.
var rpcForms = []string{
	`@rpc`,
	`@rpc()`,
	`@rpc("any_peer")`,
	`@rpc("call_local", "any_peer")`,
	`@rpc("unreliable", "call_remote", "authority", 7)`,
	`@rpc("unreliable_ordered")`,
	`@rpc("reliable", "any_peer", "call_local", 0)`,
	`@rpc(3)`,
	`@rpc("any_peer", "unreliable", 2)`,
	`@rpc("any_peer", "call_local", "unreliable", "reliable")`,
	`@rpc("any_peer", "authority")`,
	`@rpc("unreliable", "reliable")`,
	`@rpc("anypeer")`,
	`@rpc("any_peer", "call_local", "unreliable", 1, 2)`,
}

// The engine compiles each form and reports the RPC config it built.
const formsScript = `extends Node

func _ready() -> void:
	var forms := OS.get_cmdline_user_args()
	for i in forms.size():
		var s := GDScript.new()
		s.source_code = "extends Node\n" + forms[i] + "\nfunc f():\n\tpass\n"
		var err := s.reload()
		if err != OK:
			print(i, " error")
			continue
		var cfg: Dictionary = s.get_rpc_config().get("f", {})
		print(i, " ok ", cfg.get("rpc_mode", -1), " ", cfg.get("transfer_mode", 2), " ", cfg.get("call_local", false), " ", cfg.get("channel", 0))
	get_tree().quit()
`

// TestRPCFormsLive checks gdrpc's reading of every form in rpcForms
// against Godot 4.6 compiling it: the same forms refused, the same
// configuration for the others.
func TestRPCFormsLive(t *testing.T) {
	res := godottest.RunTest(t, formsScript, &godottest.Options{Args: rpcForms})
	for i, form := range rpcForms {
		var godot string
		for _, l := range res.Lines {
			if strings.HasPrefix(l, fmt.Sprint(i, " ")) {
				godot = strings.TrimPrefix(l, fmt.Sprint(i, " "))
			}
		}
		s, err := parseScript("t.gd", form+"\nfunc f(): pass\n")
		var ours string
		if err != nil {
			ours = "error"
		} else {
			c := s.rpcs[0].RPCConfig
			ours = fmt.Sprintf("ok %d %d %v %d", c.Mode, c.TransferMode, c.CallLocal, c.Channel)
		}
		if godot != ours {
			t.Errorf("%s: Godot 4.6 %q, gdrpc %q (%v)", form, godot, ours, err)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("Godot:\n%s\n%s", strings.Join(res.Lines, "\n"), strings.Join(res.Errors, "\n"))
	}
}
