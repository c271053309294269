package scene

import (
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/packetpeer/packetpeer/multiplayer"
)

// RPCMode says who may call an RPC (Godot's MultiplayerAPI.RPCMode).
type RPCMode uint8

// The RPC modes, with Godot's values.
const (
	RPCModeDisabled  RPCMode = 0 // RPC_MODE_DISABLED: nobody
	RPCModeAnyPeer   RPCMode = 1 // RPC_MODE_ANY_PEER: @rpc("any_peer")
	RPCModeAuthority RPCMode = 2 // RPC_MODE_AUTHORITY: @rpc("authority"), the default
)

func (m RPCMode) String() string {
	switch m {
	case RPCModeDisabled:
		return "disabled"
	case RPCModeAnyPeer:
		return "any_peer"
	case RPCModeAuthority:
		return "authority"
	}
	return "RPCMode(" + strconv.Itoa(int(m)) + ")"
}

// TransferMode is how a message travels: multiplayer.TransferMode (Godot's
// MultiplayerPeer.TransferMode), the one type every multiplayer layer uses.
type TransferMode = multiplayer.TransferMode

// The transfer modes, with Godot's values.
const (
	TransferModeUnreliable        = multiplayer.TransferModeUnreliable        // @rpc("unreliable")
	TransferModeUnreliableOrdered = multiplayer.TransferModeUnreliableOrdered // @rpc("unreliable_ordered")
	TransferModeReliable          = multiplayer.TransferModeReliable          // the @rpc default
)

// RPCConfig is one method's RPC configuration, the dictionary Godot's
// Node.rpc_config takes and @rpc builds: {rpc_mode, transfer_mode,
// call_local, channel}. Godot's defaults for a bare @rpc are
// RPCModeAuthority, TransferModeReliable, no call_local, channel 0 (see
// DefaultRPC); the Go zero value is a disabled, unreliable method.
type RPCConfig struct {
	Mode         RPCMode
	TransferMode TransferMode
	CallLocal    bool
	Channel      int
}

// DefaultRPC is the configuration of a bare @rpc.
var DefaultRPC = RPCConfig{Mode: RPCModeAuthority, TransferMode: TransferModeReliable}

// Method is an RPC method name with its configuration.
type Method struct {
	Name string
	RPCConfig
}

// nodeMethodFlag marks the ids of node-level methods (rpc_config).
const nodeMethodFlag = 0x8000

// Methods is the RPC method table of one node as Godot builds it
// (SceneRPCInterface): the node-level methods (Node.rpc_config) and the
// script's methods (@rpc, inherited ones included), each list sorted by
// Unicode code point; the method at position i gets id i, or 0x8000|i for
// node-level methods. It is immutable once built and safe for concurrent use.
type Methods struct {
	byID     []Method // script methods by id, then node-level ones
	nScript  int
	byName   map[string]uint16
	checksum Checksum
}

// NewMethods builds the table of a node whose node-level RPC methods are node
// and whose script declares script (in any order). A name twice in one list,
// an empty name, or more than 32768 methods in one list are errors.
func NewMethods(node, script []Method) (*Methods, error) {
	sn, err := sortMethods(node)
	if err != nil {
		return nil, err
	}
	ss, err := sortMethods(script)
	if err != nil {
		return nil, err
	}
	m := &Methods{byID: append(ss, sn...), nScript: len(ss), byName: make(map[string]uint16, len(sn)+len(ss))}
	h := md5.New()
	for i, x := range sn {
		m.byName[x.Name] = nodeMethodFlag | uint16(i)
		h.Write([]byte(x.Name))
	}
	for i, x := range ss {
		m.byName[x.Name] = uint16(i) // a script method hides a node-level one of the same name, as in Godot
		h.Write([]byte(x.Name))
	}
	hex.Encode(m.checksum[:], h.Sum(nil))
	return m, nil
}

func sortMethods(l []Method) ([]Method, error) {
	s := slices.Clone(l)
	// Byte order of UTF-8 is code-point order, which is Godot's.
	slices.SortFunc(s, func(a, b Method) int { return strings.Compare(a.Name, b.Name) })
	if len(s) > nodeMethodFlag {
		return nil, badParam(CommandRemoteCall, strconv.Itoa(len(s))+" RPC methods, at most 32768 per list")
	}
	for i, x := range s {
		if x.Name == "" {
			return nil, badParam(CommandRemoteCall, "RPC method without a name")
		}
		if i > 0 && s[i-1].Name == x.Name {
			return nil, badParam(CommandRemoteCall, "RPC method "+strconv.Quote(x.Name)+" declared twice")
		}
	}
	return s, nil
}

// ID returns the method id Godot uses for name (its rpc() lookup: a script
// method wins over a node-level one of the same name).
func (m *Methods) ID(name string) (uint16, bool) {
	id, ok := m.byName[name]
	return id, ok
}

// Method returns the method with id, as a receiver looks it up.
func (m *Methods) Method(id uint16) (Method, bool) {
	i := int(id)
	if id&nodeMethodFlag != 0 {
		i = m.nScript + int(id&^nodeMethodFlag)
		if i >= len(m.byID) {
			return Method{}, false
		}
	} else if i >= m.nScript {
		return Method{}, false
	}
	return m.byID[i], true
}

// Checksum returns the methods checksum SIMPLIFY_PATH carries: the MD5 of the
// node-level names in id order followed by the script names in id order.
func (m *Methods) Checksum() Checksum { return m.checksum }

// Len returns the number of methods (both lists).
func (m *Methods) Len() int { return len(m.byID) }
