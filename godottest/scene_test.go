package godottest_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/rooms"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// sceneValues are the arguments a Godot client passes to the Go server's
// "values" RPC: one of each kind of Variant an RPC can carry.
var sceneValues = []string{
	"5", "-129", "70000", "1099511627776", "true", "false", "1.5", "0.1", `"héllo"`, `&"name"`,
	`^"Main/Game:position"`, "Vector2(1, 2)", "Vector2i(3, -4)", "Vector3(1, 2, 3)", "Rect2(1, 2, 3, 4)",
	"Color(0.25, 0.5, 1, 1)", `[1, "a", [2.5]]`, `{"k": 2, 3: "v"}`, "PackedByteArray([1, 2, 3])",
	"PackedInt32Array([1, -2])", `PackedStringArray(["x", "y"])`, "PackedVector2Array([Vector2(1, 1)])",
	"null", "Transform2D(0.5, Vector2(3, 4))", "Quaternion(0, 0, 0, 1)", "Plane(1, 0, 0, 2)",
	"AABB(Vector3(1, 2, 3), Vector3(4, 5, 6))", "PackedFloat64Array([1.5])", "Vector4(1, 2, 3, 4)",
	"Basis()", "PackedColorArray([Color(1, 0, 0, 1)])", "Vector3i(1, 2, 3)",
}

// gameScript is the script of the node "Game" that each client has under
// its own multiplayer root (/root/Main/A, /root/Main/B), so that its path
// relative to that root is "Game" for both.
func gameScript() string {
	params := make([]string, len(sceneValues))
	for i := range params {
		params[i] = fmt.Sprintf("a%d", i)
	}
	return `extends Node

var label := ""
var finished := false

# values checks what the Go server sends back: the same values, each with
# its type.
@rpc("any_peer")
func values(` + strings.Join(params, ", ") + `) -> void:
	var got := [` + strings.Join(params, ", ") + `]
	var want := expected()
	for i in want.size():
		if typeof(got[i]) != typeof(want[i]) or got[i] != want[i]:
			print(label, " values mismatch ", i, " ", type_string(typeof(got[i])), " ", var_to_str(got[i]))
	print(label, " values checked sender ", multiplayer.get_remote_sender_id())

func expected() -> Array:
	return [` + strings.Join(sceneValues, ", ") + `]

@rpc("any_peer")
func typed(s: String, i: int, f: float, b: bool, v: Vector2, p: PackedByteArray) -> void:
	pass

@rpc("any_peer")
func peer_msg(s: String) -> void:
	print(label, " peer_msg ", s, " sender ", multiplayer.get_remote_sender_id())

@rpc("any_peer")
func ready_for_server() -> void:
	pass

@rpc
func from_server(s: String, n: int) -> void:
	print(label, " from_server ", s, " ", n, " sender ", multiplayer.get_remote_sender_id())

@rpc("authority", "call_remote", "unreliable_ordered", 2)
func done() -> void:
	print(label, " done")
	finished = true
`
}

// gameMethods is the Go declaration of gameScript's RPCs (what cmd/gdrpc
// writes from it).
func gameMethods(t *testing.T) *scene.Methods {
	anyPeer := scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}
	m, err := scene.NewMethods(nil, []scene.Method{
		{Name: "values", RPCConfig: anyPeer}, {Name: "typed", RPCConfig: anyPeer}, {Name: "peer_msg", RPCConfig: anyPeer},
		{Name: "ready_for_server", RPCConfig: anyPeer}, {Name: "from_server", RPCConfig: scene.DefaultRPC},
		{Name: "done", RPCConfig: scene.RPCConfig{Mode: scene.RPCModeAuthority, TransferMode: scene.TransferModeUnreliableOrdered, Channel: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sceneClients is the main script: two SceneMultiplayer clients A and B,
// each on its own subtree, connected to the URL in the first argument (B to
// the second one, if given).
// After the setup it calls CLIENT_STEPS.
const sceneClients = `extends Node

var clients := {}

func _ready() -> void:
	var urls := OS.get_cmdline_user_args()
	for i in 2:
		var name: String = ["A", "B"][i]
		var url: String = urls[min(i, urls.size() - 1)]
		var holder := Node.new()
		holder.name = name
		add_child(holder)
		var game: Node = load("res://game.gd").new()
		game.name = "Game"
		game.label = name
		holder.add_child(game)
		var mp := SceneMultiplayer.new()
		SETUP_MP
		get_tree().set_multiplayer(mp, holder.get_path())
		mp.peer_connected.connect(func(id): print(name, " peer_connected ", id))
		mp.peer_disconnected.connect(func(id): print(name, " peer_disconnected ", id))
		mp.peer_packet.connect(func(id, data): print(name, " peer_packet ", id, " ", data.hex_encode()))
		MAKE_PEER
		clients[name] = {"mp": mp, "game": game}
	await steps()
	get_tree().quit()

func until(cond: Callable) -> bool:
	for i in 3000:
		if cond.call():
			return true
		await get_tree().process_frame
	print("F timed out")
	return false

CLIENT_STEPS
`

const sceneSteps = `func steps() -> void:
	var a: SceneMultiplayer = clients["A"]["mp"]
	var b: SceneMultiplayer = clients["B"]["mp"]
	var ga: Node = clients["A"]["game"]
	var gb: Node = clients["B"]["game"]
	if not await until(func(): return a.get_unique_id() > 1 and b.get_unique_id() > 1 and b.get_unique_id() in a.get_peers() and a.get_unique_id() in b.get_peers()):
		return
	var a_id := a.get_unique_id()
	var b_id := b.get_unique_id()
	print("A id ", a_id)
	print("B id ", b_id)
	var vals := [VALUES]
	a.send_bytes(var_to_bytes(vals), 1)
	ga.rpc_id(1, "values", VALUE_ARGS)
	ga.rpc_id(1, "typed", "héllo", 300, 1.5, true, Vector2(1, 2), PackedByteArray([202, 254]))
	ga.rpc_id(b_id, "peer_msg", "hi from A")
	a.send_bytes(PackedByteArray([1, 2, 3]), b_id)
	a.send_bytes(PackedByteArray([4]))
	gb.rpc_id(a_id, "peer_msg", "hi from B")
	ga.rpc_id(1, "ready_for_server")
	gb.rpc_id(1, "ready_for_server")
	await until(func(): return ga.finished and gb.finished)
`

// TestSceneMultiplayerLive runs two Godot 4.6 SceneMultiplayer clients
// over WebSocketMultiplayerPeer against a Go scene.Multiplayer server: the
// peer list, a client's rpc_id(1, ...) with one argument of every kind
// reaching the Go handler intact and sent back by Go reaching the client's
// @rpc function with each value and type intact, typed Go parameters, Go's RPCs reaching
// the clients' @rpc functions (one, all, all but one), client-to-client
// RPCs and send_bytes through Go's relay, and send_bytes both ways.
func TestSceneMultiplayerLive(t *testing.T) {
	noLeaks(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	testSceneMultiplayerLive(t, srv, "ws://"+srv.Addr().String()+"/", wsPeerSetup, nil)
}

// wsPeerSetup makes a client's peer in sceneClients.
const wsPeerSetup = `var peer := WebSocketMultiplayerPeer.new()
		var err := peer.create_client(url)
		if err != OK:
			print("F create_client ", error_string(err))
		mp.multiplayer_peer = peer`

// testSceneMultiplayerLive is TestSceneMultiplayerLive on srv, with Godot's
// clients making their peer to url with peerSetup.
func testSceneMultiplayerLive(t *testing.T, srv multiplayer.MultiplayerPeer, url, peerSetup string, flags []string) {
	var mu sync.Mutex
	var goLines []string
	logf := func(format string, args ...any) {
		mu.Lock()
		goLines = append(goLines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	var reference []any
	var aID int32
	m := scene.NewMultiplayer(srv, &scene.Config{
		OnPeerConnected: func(m *scene.Multiplayer, id int32) { logf("connected") },
		OnPeerPacket: func(m *scene.Multiplayer, id int32, data []byte) {
			if len(data) > 16 && reference == nil {
				v, _, err := variant.Decode(data)
				if err != nil {
					logf("reference: %v", err)
					return
				}
				reference, _ = v.([]any)
				return
			}
			logf("packet %d % x", id, data)
		},
	})
	game, err := m.AddNode("Game", gameMethods(t))
	if err != nil {
		t.Fatal(err)
	}
	game.Handle("values", scene.HandlerFunc(func(c scene.Call, args scene.Args) error {
		aID = c.Sender
		if args.Len() != len(reference) {
			logf("values: %d arguments, reference has %d", args.Len(), len(reference))
			return nil
		}
		for i := range reference {
			v, err := args.Value()
			if err != nil {
				logf("values: argument %d (%s): %v", i, sceneValues[i], err)
				continue
			}
			got, err1 := variant.Marshal(v)
			want, err2 := variant.Marshal(reference[i])
			if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
				logf("values: argument %d (%s) = %#v, want %#v", i, sceneValues[i], v, reference[i])
			}
		}
		logf("values checked")
		return nil
	}))
	typed, _ := scene.Func(func(c scene.Call, s string, i int, f float64, b bool, v variant.Vector2, p []byte) {
		logf("typed %q %d %v %v %v % x", s, i, f, b, v, p)
	})
	game.Handle("typed", typed)
	ready := 0
	game.Handle("ready_for_server", scene.Func0(func(c scene.Call) {
		if ready++; ready < 2 {
			return
		}
		for _, err := range []error{
			game.RPCID(aID, "values", reference...),
			game.RPCID(aID, "from_server", "to A", 1),
			game.RPC("from_server", "to all", 2),
			game.RPCID(-aID, "from_server", "all but A", 3),
			m.SendBytes([]byte{0xca, 0xfe}, aID, scene.TransferModeReliable, 0),
			game.RPC("done"),
		} {
			if err != nil {
				logf("server RPC: %v", err)
			}
		}
	}))

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	values := strings.Join(sceneValues, ", ")
	args := make([]string, len(sceneValues))
	for i := range args {
		args[i] = fmt.Sprintf("vals[%d]", i)
	}
	steps := strings.NewReplacer("VALUES", values, "VALUE_ARGS", strings.Join(args, ", ")).Replace(sceneSteps)
	script := strings.NewReplacer("SETUP_MP", "pass", "CLIENT_STEPS", steps, "MAKE_PEER", peerSetup).Replace(sceneClients)
	files := exampleScripts(t)
	files["game.gd"] = []byte(gameScript())
	res := godottest.RunTest(t, script, &godottest.Options{
		Args:          []string{url},
		Files:         files,
		ChromiumFlags: flags,
	})
	cancel()
	<-done

	var a, b int32
	for _, l := range res.Lines {
		fmt.Sscanf(l, "A id %d", &a)
		fmt.Sscanf(l, "B id %d", &b)
	}
	if a == 0 || b == 0 || a != aID {
		t.Fatalf("ids: A %d, B %d, values sender %d; lines:\n%s", a, b, aID, strings.Join(res.Lines, "\n"))
	}
	wantGodot := []string{
		"A peer_connected 1", "B peer_connected 1",
		fmt.Sprintf("A peer_connected %d", b), fmt.Sprintf("B peer_connected %d", a),
		fmt.Sprintf("B peer_msg hi from A sender %d", a),
		fmt.Sprintf("A peer_msg hi from B sender %d", b),
		fmt.Sprintf("B peer_packet %d 010203", a),
		fmt.Sprintf("B peer_packet %d 04", a),
		"A from_server to A 1 sender 1",
		"A from_server to all 2 sender 1", "B from_server to all 2 sender 1",
		"B from_server all but A 3 sender 1",
		"A peer_packet 1 cafe",
		"A values checked sender 1",
		"A done", "B done",
	}
	for _, w := range wantGodot {
		if !containsLine(res.Lines, w) {
			t.Errorf("Godot did not print %q", w)
		}
	}
	for _, l := range res.Lines {
		if strings.HasPrefix(l, "F ") || strings.HasPrefix(l, "A from_server all but A") || strings.HasPrefix(l, "B from_server to A") ||
			strings.Contains(l, "values mismatch") {
			t.Errorf("Godot printed %q", l)
		}
	}
	for _, e := range res.Errors {
		if strings.Contains(e, "RPC") || strings.Contains(e, "checksum") || strings.Contains(e, "cache") {
			t.Errorf("Godot error: %s", e)
		}
	}
	mu.Lock()
	wantGo := []string{
		"connected", "connected", "values checked",
		`typed "héllo" 300 1.5 true Vector2(1, 2) ca fe`,
		fmt.Sprintf("packet %d 04", a),
	}
	for _, w := range wantGo {
		if !containsLine(goLines, w) {
			t.Errorf("Go side did not log %q", w)
		}
	}
	for _, l := range goLines {
		if strings.HasPrefix(l, "values:") || strings.HasPrefix(l, "server RPC") || strings.HasPrefix(l, "reference") {
			t.Errorf("Go side: %s", l)
		}
	}
	mu.Unlock()
	if s := m.Stats(); s.Malformed+s.UnknownNode+s.UnknownMethod+s.Unauthorized+s.BadArgs+s.Unhandled+s.UnknownPeer != 0 {
		t.Errorf("Go dropped messages: %+v", s)
	}
	if t.Failed() {
		t.Logf("Godot lines:\n%s\nGodot errors:\n%s\nGo:\n%s", strings.Join(res.Lines, "\n"), strings.Join(res.Errors, "\n"), strings.Join(goLines, "\n"))
	}
}

const authSetup = `mp.auth_callback = func(id: int, data: PackedByteArray): on_auth(name, id, data)
		mp.auth_timeout = 10.0
		mp.peer_authenticating.connect(func(id): on_authenticating(name, id))
		mp.peer_authentication_failed.connect(func(id): print(name, " peer_authentication_failed ", id))
		mp.server_disconnected.connect(func(): print(name, " server_disconnected"))`

const authSteps = `func on_authenticating(name: String, id: int) -> void:
	print(name, " peer_authenticating ", id)
	var mp: SceneMultiplayer = clients[name]["mp"]
	var secret := "secret" if name == "A" else "wrong"
	print(name, " send_auth ", error_string(mp.send_auth(id, secret.to_utf8_buffer())))

func on_auth(name: String, id: int, data: PackedByteArray) -> void:
	print(name, " auth ", id, " ", data.get_string_from_utf8())
	var mp: SceneMultiplayer = clients[name]["mp"]
	print(name, " complete_auth ", error_string(mp.complete_auth(id)))
	print(name, " send_auth after ", error_string(mp.send_auth(id, PackedByteArray([1]))))

func steps() -> void:
	var a: SceneMultiplayer = clients["A"]["mp"]
	var b: SceneMultiplayer = clients["B"]["mp"]
	var ga: Node = clients["A"]["game"]
	if not await until(func(): return 1 in a.get_peers()):
		return
	print("A connected")
	ga.rpc_id(1, "ready_for_server")
	await until(func(): return ga.finished and b.multiplayer_peer.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED)
	print("B status ", b.multiplayer_peer.get_connection_status(), " peers ", b.get_peers(), " authenticating ", b.get_authenticating_peers())
	print("A peers ", a.get_peers())
`

// TestSceneMultiplayerAuthLive runs Godot 4.6's authentication against
// scene.Multiplayer: client A sends the right secret, gets the server's
// auth data, both complete and A is admitted (and can call RPCs); client B
// sends a wrong one and the Go server's AuthTimeout disconnects it, while A
// is never told about B.
func TestSceneMultiplayerAuthLive(t *testing.T) {
	noLeaks(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var mu sync.Mutex
	var goLines []string
	logf := func(format string, args ...any) {
		mu.Lock()
		goLines = append(goLines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	var aID int32
	m := scene.NewMultiplayer(srv, &scene.Config{
		AuthTimeout: 2 * time.Second,
		AuthCallback: func(m *scene.Multiplayer, id int32, data []byte) {
			logf("auth %s", data)
			if string(data) != "secret" {
				return
			}
			aID = id
			if err := m.SendAuth(id, []byte("welcome")); err != nil {
				logf("SendAuth: %v", err)
			}
			if err := m.CompleteAuth(id); err != nil {
				logf("CompleteAuth: %v", err)
			}
		},
		OnPeerAuthenticating:       func(m *scene.Multiplayer, id int32) { logf("authenticating") },
		OnPeerAuthenticationFailed: func(m *scene.Multiplayer, id int32) { logf("failed %v", id != aID) },
		OnPeerConnected:            func(m *scene.Multiplayer, id int32) { logf("connected %v", id == aID) },
	})
	game, err := m.AddNode("Game", gameMethods(t))
	if err != nil {
		t.Fatal(err)
	}
	game.Handle("ready_for_server", scene.Func0(func(c scene.Call) {
		if err := game.RPCID(c.Sender, "done"); err != nil {
			logf("done: %v", err)
		}
	}))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	script := strings.NewReplacer("SETUP_MP", authSetup, "CLIENT_STEPS", authSteps, "MAKE_PEER", wsPeerSetup).Replace(sceneClients)
	res := godottest.RunTest(t, script, &godottest.Options{
		Args:  []string{"ws://" + srv.Addr().String() + "/"},
		Files: map[string][]byte{"game.gd": []byte(gameScript())},
	})
	cancel()
	<-done
	for _, w := range []string{
		"A peer_authenticating 1", "A send_auth OK", "A auth 1 welcome", "A complete_auth OK",
		"A send_auth after Can't write file", "A peer_connected 1", "A connected", "A done",
		"B peer_authenticating 1", "B send_auth OK", "B peer_authentication_failed 1", "B server_disconnected",
		"A peers [1]",
	} {
		if !containsLine(res.Lines, w) {
			t.Errorf("Godot did not print %q", w)
		}
	}
	for _, l := range res.Lines {
		if strings.HasPrefix(l, "F ") || strings.HasPrefix(l, "B peer_connected") || strings.HasPrefix(l, "B auth") {
			t.Errorf("Godot printed %q", l)
		}
	}
	mu.Lock()
	for _, w := range []string{"authenticating", "auth secret", "auth wrong", "connected true", "failed true"} {
		if !containsLine(goLines, w) {
			t.Errorf("Go side did not log %q", w)
		}
	}
	for _, l := range goLines {
		if strings.Contains(l, ": ") || l == "connected false" || l == "failed false" {
			t.Errorf("Go side: %s", l)
		}
	}
	mu.Unlock()
	if s := m.Stats(); s.AuthTimeouts != 1 || s.RPCs != 1 {
		t.Errorf("stats %+v; want 1 auth timeout, 1 RPC", s)
	}
	if t.Failed() {
		t.Logf("Godot lines:\n%s\nGodot errors:\n%s\nGo:\n%s", strings.Join(res.Lines, "\n"), strings.Join(res.Errors, "\n"), strings.Join(goLines, "\n"))
	}
}

const roomSteps = `func steps() -> void:
	var a: SceneMultiplayer = clients["A"]["mp"]
	var b: SceneMultiplayer = clients["B"]["mp"]
	var ga: Node = clients["A"]["game"]
	var gb: Node = clients["B"]["game"]
	if not await until(func(): return 1 in a.get_peers() and 1 in b.get_peers()):
		return
	a.send_bytes("from A".to_utf8_buffer())
	b.send_bytes("from B".to_utf8_buffer())
	ga.rpc("peer_msg", "A to all")
	ga.rpc_id(1, "ready_for_server")
	gb.rpc_id(1, "ready_for_server")
	await until(func(): return ga.finished and gb.finished)
	print("A peers ", a.get_peers())
	print("B peers ", b.get_peers())
`

// TestSceneRoomsLive puts two Godot 4.6 clients in two rooms of one Go
// listener (ws://host/room1 and ws://host/room2): each is alone with the
// server of its room, broadcasts stay in the room, and each room's Go
// session answers with its own state.
func TestSceneRoomsLive(t *testing.T) {
	noLeaks(t)
	var mu sync.Mutex
	var goLines []string
	logf := func(format string, args ...any) {
		mu.Lock()
		goLines = append(goLines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	methods := gameMethods(t)
	var rs *rooms.Server
	rs = rooms.New(&rooms.Config{
		Multiplayer: scene.Config{
			OnPeerPacket: func(m *scene.Multiplayer, id int32, data []byte) {
				logf("%s packet %s", rs.RoomOf(m).Name(), data)
			},
		},
		Setup: func(r *rooms.Room) error {
			game, err := r.Multiplayer().AddNode("Game", methods)
			if err != nil {
				return err
			}
			game.Handle("peer_msg", scene.Func1(func(c scene.Call, s string) { logf("%s peer_msg %s", r.Name(), s) }))
			return game.Handle("ready_for_server", scene.Func0(func(c scene.Call) {
				m := c.Multiplayer
				for _, err := range []error{
					game.RPC("from_server", r.Name(), len(m.Peers())),
					game.RPC("done"),
				} {
					if err != nil {
						logf("server RPC: %v", err)
					}
				}
			}))
		},
	})
	l, err := websocket.Listen("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- rs.Serve(ctx, l) }()
	base := "ws://" + l.Addr().String()
	script := strings.NewReplacer("SETUP_MP", "pass", "CLIENT_STEPS", roomSteps, "MAKE_PEER", wsPeerSetup).Replace(sceneClients)
	res := godottest.RunTest(t, script, &godottest.Options{
		Args:  []string{base + "/room1", base + "/room2"},
		Files: map[string][]byte{"game.gd": []byte(gameScript())},
	})
	cancel()
	<-served
	l.Close()
	rs.Close()
	for _, w := range []string{
		"A peer_connected 1", "B peer_connected 1",
		"A from_server /room1 1 sender 1", "B from_server /room2 1 sender 1",
		"A done", "B done", "A peers [1]", "B peers [1]",
	} {
		if !containsLine(res.Lines, w) {
			t.Errorf("Godot did not print %q", w)
		}
	}
	for _, l := range res.Lines {
		if strings.HasPrefix(l, "F ") || (strings.Contains(l, "peer_connected") && !strings.HasSuffix(l, " 1")) ||
			strings.Contains(l, "peer_packet") || strings.Contains(l, "peer_msg") {
			t.Errorf("Godot printed %q", l)
		}
	}
	mu.Lock()
	for _, w := range []string{"/room1 packet from A", "/room2 packet from B", "/room1 peer_msg A to all"} {
		if !containsLine(goLines, w) {
			t.Errorf("Go side did not log %q", w)
		}
	}
	for _, l := range goLines {
		if strings.HasPrefix(l, "server RPC") || strings.HasPrefix(l, "/room2 peer_msg") ||
			l == "/room1 packet from B" || l == "/room2 packet from A" {
			t.Errorf("Go side: %s", l)
		}
	}
	mu.Unlock()
	if t.Failed() {
		t.Logf("Godot lines:\n%s\nGodot errors:\n%s\nGo:\n%s", strings.Join(res.Lines, "\n"), strings.Join(res.Errors, "\n"), strings.Join(goLines, "\n"))
	}
}
