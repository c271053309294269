package godottest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/examples/multiplayer/lobby"
	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// mpScript runs two Godot WebSocketMultiplayerPeer clients, A and B,
// against the Go server of TestWebSocketMultiplayerLive. Lines it prints:
// "<client> peer_connected|peer_disconnected <id>" from the signals,
// "<client> status <s> id <id>", "<client> got <text> from
// <peer> ch <channel> mode <mode>" for each packet, "F ..." for failures.
const mpScript = `extends Node

# The default inbound_buffer_size of Godot and Go: the largest message
# either accepts. The web build sends at most BIG - 1 bytes (its check is
# buffered + size >= outbound_buffer_size; the native one's is >).
const BIG := 65535

var peers := {}

func _ready() -> void:
	var url: String = OS.get_cmdline_user_args()[0]
	for name in ["A", "B"]:
		var p := WebSocketMultiplayerPeer.new()
		p.peer_connected.connect(func(id): print(name, " peer_connected ", id))
		p.peer_disconnected.connect(func(id): print(name, " peer_disconnected ", id))
		var err := p.create_client(url)
		if err != OK:
			print("F ", name, " create_client ", error_string(err))
		print(name, " status ", p.get_connection_status(), " id ", p.get_unique_id())
		peers[name] = p
	for name in peers:
		var p: WebSocketMultiplayerPeer = peers[name]
		while p.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTING:
			await tick()
		print(name, " status ", p.get_connection_status(), " id ", p.get_unique_id())
	var a: WebSocketMultiplayerPeer = peers["A"]
	var b: WebSocketMultiplayerPeer = peers["B"]
	a.set_target_peer(MultiplayerPeer.TARGET_PEER_SERVER)
	a.put_packet(("hello A %d" % a.get_unique_id()).to_utf8_buffer())
	# A client sends to the server whatever its transfer settings.
	b.set_target_peer(MultiplayerPeer.TARGET_PEER_BROADCAST)
	b.set_transfer_mode(MultiplayerPeer.TRANSFER_MODE_UNRELIABLE_ORDERED)
	b.set_transfer_channel(3)
	b.put_packet(("hello B %d" % b.get_unique_id()).to_utf8_buffer())
	await drain("A", "end")
	await drain("B", "end")
	print("A put empty ", error_string(a.put_packet(PackedByteArray())))
	print("A put BIG ", error_string(a.put_packet(pattern(BIG))))
	print("A put big ", error_string(a.put_packet(pattern(BIG - 1))))
	await drain("A", "big")
	b.close()
	print("B closed status ", b.get_connection_status(), " id ", b.get_unique_id())
	await drain("A", "saw B leave")
	a.put_packet("ack".to_utf8_buffer())
	while a.get_connection_status() != MultiplayerPeer.CONNECTION_DISCONNECTED:
		await tick()
	print("A status ", a.get_connection_status(), " id ", a.get_unique_id())
	get_tree().quit()

func tick() -> void:
	for name in peers:
		peers[name].poll()
	await get_tree().process_frame

func pattern(n: int) -> PackedByteArray:
	var b := PackedByteArray()
	b.resize(n)
	for i in n:
		b[i] = i % 251
	return b

func drain(name: String, until: String) -> void:
	var p: WebSocketMultiplayerPeer = peers[name]
	while true:
		while p.get_available_packet_count() > 0:
			var from := p.get_packet_peer()
			var ch := p.get_packet_channel()
			var mode := p.get_packet_mode()
			var pkt := p.get_packet()
			if pkt.size() > 1000:
				print(name, " got ", pkt.size(), " bytes ", pkt == pattern(pkt.size()), " from ", from, " ch ", ch, " mode ", mode)
				if until == "big":
					return
				continue
			var text := pkt.get_string_from_utf8()
			print(name, " got ", text, " from ", from, " ch ", ch, " mode ", mode)
			if text == until:
				return
		if p.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED:
			print("F ", name, " disconnected waiting for ", until)
			return
		await tick()
`

// TestWebSocketMultiplayerLive runs two clients of Godot 4.6's
// WebSocketMultiplayerPeer against a Go websocket.MultiplayerPeer server:
// the ids agree, peer_connected fires on both sides, packets flow both ways
// with the right sender, channel and mode, a peer id, broadcast and all-but
// targets reach the right clients, Godot closing is seen by Go, and Go's
// DisconnectPeer is seen by Godot.
func TestWebSocketMultiplayerLive(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ids := map[string]int32{}
	goSide := make(chan error, 1)
	go func() {
		err := serveGodotMultiplayer(ctx, srv, ids)
		if err != nil {
			srv.Close() // so that Godot stops waiting
		}
		goSide <- err
	}()
	res := godottest.RunTest(t, mpScript, &godottest.Options{Args: []string{"ws://" + srv.Addr().String()}})
	if err := <-goSide; err != nil {
		t.Fatalf("Go server: %v", err)
	}
	a, b := ids["A"], ids["B"]
	want := []string{
		"A status 1 id 0", // CONNECTION_CONNECTING until the id arrives
		fmt.Sprintf("A status 2 id %d", a),
		fmt.Sprintf("B status 2 id %d", b),
		"A peer_connected 1",
		"B peer_connected 1",
		"A got only A from 1 ch 0 mode 2",
		"A got all from 1 ch 0 mode 2",
		"A got end from 1 ch 0 mode 2",
		"A put empty OK",
		"A put BIG Out of memory", // web only: see BIG in mpScript
		"A put big OK",
		fmt.Sprintf("A got %d bytes true from 1 ch 0 mode 2", websocket.DefaultInboundBufferSize),
		"B got all from 1 ch 0 mode 2",
		"B got all but A from 1 ch 0 mode 2",
		"B got end from 1 ch 0 mode 2",
		"A got saw B leave from 1 ch 0 mode 2",
		"B closed status 0 id 0", // close() ends the session at once, with no signal
		"A peer_disconnected 1",
		"A status 0 id 0",
	}
	for _, w := range want {
		if !containsLine(res.Lines, w) {
			t.Errorf("Godot did not print %q", w)
		}
	}
	for _, l := range res.Lines {
		if strings.HasPrefix(l, "F ") || l == "A got all but A from 1 ch 0 mode 2" ||
			strings.HasPrefix(l, "B got only A") || strings.HasPrefix(l, "B peer_disconnected") {
			t.Errorf("Godot printed %q", l)
		}
	}
	if t.Failed() {
		t.Logf("lines:\n%s", strings.Join(res.Lines, "\n"))
	}
}

// waitClients reads srv's events until n clients connected and returns
// their ids; any other event first is an error.
func waitClients(ctx context.Context, srv multiplayer.MultiplayerPeer, n int) (map[int32]bool, error) {
	connected := map[int32]bool{}
	for len(connected) < n {
		ev, err := srv.ReadEvent(ctx)
		if err != nil {
			return nil, fmt.Errorf("waiting for %d clients: %w", n, err)
		}
		if ev.Type != multiplayer.PeerConnected {
			return nil, fmt.Errorf("event %v before the %d clients connected", ev, n)
		}
		connected[ev.ID] = true
	}
	return connected, nil
}

// serveGodotMultiplayer is the Go side of mpScript: it fills ids with the
// id of each Godot client, by name.
func serveGodotMultiplayer(ctx context.Context, srv *websocket.MultiplayerPeer, ids map[string]int32) error {
	connected, err := waitClients(ctx, srv, 2)
	if err != nil {
		return err
	}
	for range 2 {
		b, info, err := srv.ReadPacketFrom(ctx)
		if err != nil {
			return fmt.Errorf("waiting for hellos: %w", err)
		}
		var name string
		var id int32
		if _, err := fmt.Sscanf(string(b), "hello %s %d", &name, &id); err != nil {
			return fmt.Errorf("packet %q: %v", b, err)
		}
		if !connected[id] {
			return fmt.Errorf("Godot %s says its id is %d; Go's PeerConnected ids are %v", name, id, connected)
		}
		if info != (multiplayer.PacketInfo{From: id, Channel: 0, Mode: multiplayer.TransferModeReliable}) {
			return fmt.Errorf("%q from Godot %s (id %d) arrived as %+v", b, name, id, info)
		}
		ids[name] = id
	}
	a, b := ids["A"], ids["B"]
	if a == 0 || b == 0 {
		return fmt.Errorf("hellos came from %v", ids)
	}
	for _, s := range []struct {
		to   int32
		mode multiplayer.TransferMode
		ch   int
		text string
	}{
		{a, multiplayer.TransferModeUnreliable, 5, "only A"},
		{multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 0, "all"},
		{-a, multiplayer.TransferModeUnreliableOrdered, 1, "all but A"},
		{a, multiplayer.TransferModeReliable, 0, "end"},
		{b, multiplayer.TransferModeReliable, 0, "end"},
	} {
		if err := srv.SendTo(s.to, s.mode, s.ch, []byte(s.text)); err != nil {
			return fmt.Errorf("send %q to %d: %w", s.text, s.to, err)
		}
	}

	// Godot's put_packet returns OK for an empty packet and sends nothing
	// (as SendTo): the next packet is the big one.
	big := make([]byte, websocket.DefaultInboundBufferSize)
	for i := range big {
		big[i] = byte(i % 251)
	}
	p, info, err := srv.ReadPacketFrom(ctx)
	if err != nil {
		return fmt.Errorf("waiting for A's big packet: %w", err)
	}
	if !bytes.Equal(p, big[:len(big)-1]) || info.From != a {
		return fmt.Errorf("%d bytes from %d, want A's %d-byte pattern", len(p), info.From, len(big)-1)
	}
	if err := srv.SendTo(a, multiplayer.TransferModeReliable, 0, big); err != nil {
		return err
	}

	ev, err := srv.ReadEvent(ctx)
	if err != nil {
		return fmt.Errorf("waiting for Godot B to close: %w", err)
	}
	if ev != (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: b}) {
		return fmt.Errorf("event %v, want Godot B (%d) closing", ev, b)
	}
	if srv.GetPeer(b) != nil {
		return fmt.Errorf("peer %d still known after it closed", b)
	}
	if err := srv.SendTo(a, multiplayer.TransferModeReliable, 0, []byte("saw B leave")); err != nil {
		return err
	}
	p, info, err = srv.ReadPacketFrom(ctx)
	if err != nil {
		return fmt.Errorf("waiting for A's ack: %w", err)
	}
	if string(p) != "ack" || info.From != a {
		return fmt.Errorf("%q from %d, want ack from %d", p, info.From, a)
	}
	if err := srv.DisconnectPeer(a, false); err != nil {
		return err
	}
	ev, err = srv.ReadEvent(ctx)
	if err != nil {
		return fmt.Errorf("waiting for A's disconnection: %w", err)
	}
	if ev != (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: a}) {
		return fmt.Errorf("event %v, want Godot A (%d) disconnected", ev, a)
	}
	return nil
}

// TestExampleMultiplayerLobbyClientLive runs
// examples/godot/multiplayer_lobby_client.gd in Godot 4.6 against the
// example lobby server (examples/multiplayer) with a Go lobby client in the
// room: each sees the other join and speak, and the Go client sees Godot
// leave.
func TestExampleMultiplayerLobbyClientLive(t *testing.T) {
	noLeaks(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + srv.Addr().String()
	testLobbyClientLive(t, srv, url, func(ctx context.Context) (multiplayer.MultiplayerPeer, error) {
		return websocket.DialClient(ctx, url, nil)
	}, nil)
}

// TestExampleMultiplayerLobbyWebRTCClientLive is the same over WebRTC: the
// script's signal_url makes it join with WebRTCMultiplayerPeer (through
// examples/godot/webrtc_multiplayer_client.gd) a webrtc.ListenMultiplayer
// lobby server, as examples/multiplayer/server -webrtc runs it.
func TestExampleMultiplayerLobbyWebRTCClientLive(t *testing.T) {
	noLeaks(t)
	sigURL := signalling(t)
	cfg := &webrtc.MultiplayerConfig{Connection: &webrtc.Config{LoopbackOnly: true, Lobby: "lobby"}}
	srv, err := webrtc.ListenMultiplayer(sigURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	testLobbyClientLive(t, srv, sigURL, func(ctx context.Context) (multiplayer.MultiplayerPeer, error) {
		return webrtc.DialMultiplayer(ctx, sigURL, cfg)
	}, webrtcFlags)
}

// testLobbyClientLive runs the lobby on srv, a Go client made by dial and
// the example script joining with url (a ws:// lobby URL, or a signalling
// URL ending in /signal for WebRTC).
func testLobbyClientLive(t *testing.T, srv multiplayer.MultiplayerPeer, url string,
	dial func(context.Context) (multiplayer.MultiplayerPeer, error), flags []string) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- lobby.Serve(ctx, srv, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	defer func() {
		srv.Close()
		<-served
	}()

	gopher, err := dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer gopher.Close()
	gopher.SetTargetPeer(multiplayer.TargetPeerServer)
	if err := gopher.PutVar(lobby.Message{Type: "join", Nick: "gopher"}); err != nil {
		t.Fatal(err)
	}
	read := func() (lobby.Message, error) {
		b, info, err := gopher.ReadPacketFrom(ctx)
		if err != nil {
			return lobby.Message{}, err
		}
		if info.From != multiplayer.TargetPeerServer {
			return lobby.Message{}, fmt.Errorf("packet from %d, not the server", info.From)
		}
		var m lobby.Message
		return m, variant.Unmarshal(b, &m)
	}
	if m, err := read(); err != nil || m != (lobby.Message{Type: "join", ID: int64(gopher.UniqueID()), Nick: "gopher"}) {
		t.Fatalf("gopher's own join: %+v, %v", m, err)
	}
	var godotID int64 // set by the Go side before it returns
	goSide := make(chan error, 1)
	go func() {
		goSide <- func() error {
			m, err := read()
			if err != nil {
				return err
			}
			if m.Type != "join" || m.Nick != "godot" {
				return fmt.Errorf("%+v, want Godot's join", m)
			}
			godotID = m.ID
			if m, err = read(); err != nil {
				return err
			}
			if m != (lobby.Message{Type: "say", ID: godotID, Nick: "godot", Text: "hello from godot"}) {
				return fmt.Errorf("%+v, want Godot's hello", m)
			}
			if err := gopher.PutVar(lobby.Message{Type: "say", Text: "hi godot"}); err != nil {
				return err
			}
			if m, err = read(); err != nil {
				return err
			}
			if m != (lobby.Message{Type: "leave", ID: godotID, Nick: "godot"}) {
				return fmt.Errorf("%+v, want Godot leaving", m)
			}
			return nil
		}()
	}()

	res := godottest.RunTest(t, `extends Node

var client: Node

func _ready() -> void:
	client = load("res://examples/multiplayer_lobby_client.gd").new()
	var url: String = OS.get_cmdline_user_args()[0]
	if url.ends_with("/signal"):
		client.signal_url = url
	else:
		client.url = url
	client.nick = "godot"
	client.message_received.connect(_on_message)
	add_child(client)

func _on_message(msg: Dictionary) -> void:
	print("got ", msg)
	if msg["type"] == "join" and msg["nick"] == "godot":
		client.say("hello from godot")
	elif msg["type"] == "say" and msg["nick"] == "gopher":
		client.leave()
		get_tree().quit()
`, &godottest.Options{Files: exampleScripts(t), Args: []string{url}, ChromiumFlags: flags})
	if err := <-goSide; err != nil {
		t.Fatalf("Go client: %v", err)
	}
	id := godotID
	for _, want := range []string{
		fmt.Sprintf("lobby: connected as peer %d", id),
		fmt.Sprintf(`got { "type": "join", "id": %d, "nick": "godot" }`, id),
		"* godot joined",
		fmt.Sprintf(`got { "type": "say", "id": %d, "nick": "gopher", "text": "hi godot" }`, gopher.UniqueID()),
		"gopher: hi godot",
	} {
		if !containsLine(res.Lines, want) {
			t.Errorf("Godot did not print %q; lines:\n%s", want, strings.Join(res.Lines, "\n"))
		}
	}
}

// mpDropScript runs Godot WebSocketMultiplayerPeer clients against the Go
// server of TestWebSocketMultiplayerDropLive: C1 is dropped by
// DisconnectPeer(id, true), C3 is refused, C2 sees the server close. It
// prints the signals and "<client> status <s> id <id>" when each ends.
const mpDropScript = `extends Node

var peers := {}

func _ready() -> void:
	var url: String = OS.get_cmdline_user_args()[0]
	for name in ["C1", "C2"]:
		await connect_client(name, url)
	await until_disconnected("C1")
	await connect_client("C3", url)
	await until_disconnected("C3")
	peers["C2"].put_packet("go".to_utf8_buffer())
	await until_disconnected("C2")
	get_tree().quit()

func connect_client(name: String, url: String) -> void:
	var p := WebSocketMultiplayerPeer.new()
	p.peer_connected.connect(func(id): print(name, " peer_connected ", id))
	p.peer_disconnected.connect(func(id): print(name, " peer_disconnected ", id))
	if p.create_client(url) != OK:
		print("F ", name, " create_client")
	peers[name] = p
	while p.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTING:
		await tick()
	print(name, " status ", p.get_connection_status(), " id ", p.get_unique_id())

func until_disconnected(name: String) -> void:
	var p: WebSocketMultiplayerPeer = peers[name]
	while p.get_connection_status() != MultiplayerPeer.CONNECTION_DISCONNECTED:
		await tick()
	print(name, " status ", p.get_connection_status(), " id ", p.get_unique_id())

func tick() -> void:
	for name in peers:
		peers[name].poll()
	await get_tree().process_frame
`

// TestWebSocketMultiplayerDropLive checks what Godot 4.6's
// WebSocketMultiplayerPeer client sees when the Go server drops it with
// DisconnectPeer(id, true), refuses it (SetRefuseNewConnections), and
// closes.
func TestWebSocketMultiplayerDropLive(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var c1, c2 int32
	goSide := make(chan error, 1)
	go func() {
		goSide <- func() error {
			for _, id := range []*int32{&c1, &c2} {
				ev, err := srv.ReadEvent(ctx)
				if err != nil {
					return err
				}
				if ev.Type != multiplayer.PeerConnected {
					return fmt.Errorf("event %v, want PeerConnected", ev)
				}
				*id = ev.ID
			}
			srv.SetRefuseNewConnections(true)
			if err := srv.DisconnectPeer(c1, true); err != nil {
				return err
			}
			// C3 is refused; then C2 says go. A forced disconnection
			// reports no event, and a refused client none either.
			p, info, err := srv.ReadPacketFrom(ctx)
			if err != nil {
				return err
			}
			if string(p) != "go" || info.From != c2 {
				return fmt.Errorf("%q from %d, want go from C2 (%d)", p, info.From, c2)
			}
			if ev, ok := srv.PollEvent(); ok {
				return fmt.Errorf("unexpected event %v", ev)
			}
			if n := srv.Stats().Refused; n != 1 {
				return fmt.Errorf("%d connections refused, want 1", n)
			}
			return srv.Close()
		}()
	}()
	res := godottest.RunTest(t, mpDropScript, &godottest.Options{Args: []string{"ws://" + srv.Addr().String()}})
	if err := <-goSide; err != nil {
		t.Fatalf("Go server: %v", err)
	}
	for _, w := range []string{
		fmt.Sprintf("C1 status 2 id %d", c1),
		fmt.Sprintf("C2 status 2 id %d", c2),
		"C1 peer_disconnected 1",
		"C2 peer_disconnected 1",
		"C3 status 0 id 0",
	} {
		if !containsLine(res.Lines, w) {
			t.Errorf("Godot did not print %q", w)
		}
	}
	for _, l := range res.Lines {
		if strings.HasPrefix(l, "F ") || strings.HasPrefix(l, "C3 peer_") {
			t.Errorf("Godot printed %q", l)
		}
	}
	if t.Failed() {
		t.Logf("lines:\n%s", strings.Join(res.Lines, "\n"))
	}
}
