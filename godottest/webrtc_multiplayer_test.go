package godottest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/transport/webrtc"
)

// rtcMPChannels is the channels_config of both sides: custom channel 1
// reliable, 2 unreliable ordered, 3 unreliable.
var rtcMPChannels = []multiplayer.TransferMode{multiplayer.TransferModeReliable, multiplayer.TransferModeUnreliableOrdered, multiplayer.TransferModeUnreliable}

// rtcMPScript runs three Godot WebRTCMultiplayerPeer clients, A, B and C, made
// by examples/godot/webrtc_multiplayer_client.gd, against the Go server of
// TestWebRTCMultiplayerLive (C is only there to be forced out). Lines: "<client> peer_connected|
// peer_disconnected <id>", "<client> status <s> id <id>", "<client> got
// <text> from <peer> ch <channel> mode <mode>" once per packet text. Each
// side acknowledges the other's unreliable packets ("ack <text>") and the
// sender repeats them until then.
const rtcMPScript = `extends Node

const Client = preload("res://examples/webrtc_multiplayer_client.gd")
const R := MultiplayerPeer.TRANSFER_MODE_RELIABLE
const UO := MultiplayerPeer.TRANSFER_MODE_UNRELIABLE_ORDERED
const U := MultiplayerPeer.TRANSFER_MODE_UNRELIABLE

var clients := {}
var seen := {}
var acked := {}

func _ready() -> void:
	for name in ["A", "B", "C"]:
		var c := Client.new()
		c.signal_url = OS.get_cmdline_user_args()[0]
		c.lobby = "mp"
		c.channels_config.assign([R, UO, U])
		c.peer.peer_connected.connect(func(id): print(name, " peer_connected ", id))
		c.peer.peer_disconnected.connect(func(id): print(name, " peer_disconnected ", id))
		clients[name] = c
		add_child(c)
	for name in clients:
		var p: WebRTCMultiplayerPeer = clients[name].peer
		while p.get_connection_status() != MultiplayerPeer.CONNECTION_CONNECTED:
			await get_tree().process_frame
		print(name, " status ", p.get_connection_status(), " id ", p.get_unique_id())
		print(name, " relay ", p.is_server_relay_supported())
	var a: WebRTCMultiplayerPeer = clients["A"].peer
	var b: WebRTCMultiplayerPeer = clients["B"].peer
	send(a, "hello A %d" % a.get_unique_id(), R, 0)
	send(b, "hello B %d" % b.get_unique_id(), R, 0)
	var c: WebRTCMultiplayerPeer = clients["C"].peer
	send(c, "hello C %d" % c.get_unique_id(), R, 0)
	# A custom channel ignores the mode it is sent in.
	var out := [["A uo", UO, 0], ["A u", U, 0], ["A c1", U, 1], ["A c3", R, 3]]
	var frame := 0
	while acked.size() < out.size():
		if frame % 10 == 0:
			for s in out:
				if not acked.has(s[0]):
					send(a, s[0], s[1], s[2])
		frame += 1
		await tick()
	while not (seen.has("A end") and seen.has("B end")):
		await tick()
	b.close()
	print("B closed status ", b.get_connection_status())
	while not seen.has("A saw B leave"):
		await tick()
	send(a, "bye", R, 0)
	while a.get_connection_status() != MultiplayerPeer.CONNECTION_DISCONNECTED:
		await tick()
	print("A status ", a.get_connection_status(), " has server ", a.has_peer(1))
	while c.get_connection_status() != MultiplayerPeer.CONNECTION_DISCONNECTED:
		await tick()
	print("C status ", c.get_connection_status(), " has server ", c.has_peer(1))
	get_tree().quit()

func send(p: WebRTCMultiplayerPeer, text: String, mode: int, ch: int) -> void:
	p.set_target_peer(MultiplayerPeer.TARGET_PEER_SERVER)
	p.set_transfer_mode(mode)
	p.set_transfer_channel(ch)
	var err := p.put_packet(text.to_utf8_buffer())
	if err != OK:
		print("F put ", text, " ", error_string(err))

func tick() -> void:
	for name in clients:
		pump(name)
	await get_tree().process_frame

func pump(name: String) -> void:
	var p: WebRTCMultiplayerPeer = clients[name].peer
	while p.get_available_packet_count() > 0:
		var from := p.get_packet_peer()
		var ch := p.get_packet_channel()
		var mode := p.get_packet_mode()
		var text := p.get_packet().get_string_from_utf8()
		if text.begins_with("ack "):
			acked[text.substr(4)] = true
			continue
		if text.begins_with("to "):
			send(p, "ack " + text, R, 0)
		if seen.has(name + " " + text):
			continue
		seen[name + " " + text] = true
		print(name, " got ", text, " from ", from, " ch ", ch, " mode ", mode)
`

// TestWebRTCMultiplayerLive runs three clients of Godot 4.6's
// WebRTCMultiplayerPeer (the browser's WebRTC underneath), signalled by
// examples/godot/webrtc_multiplayer_client.gd through the project's
// signalling server, against a Go webrtc.ListenMultiplayer server with the
// same custom channels: the ids agree, peer_connected fires on both sides,
// packets flow both ways in every mode and on custom channels with the
// right sender, channel and mode, a peer id, broadcast and all-but targets
// reach the right clients, Godot closing is seen by Go, and Go's
// DisconnectPeer, graceful (A) and forced (C), by Godot.
func TestWebRTCMultiplayerLive(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	sigURL := signalling(t)
	srv, err := webrtc.ListenMultiplayer(sigURL, &webrtc.MultiplayerConfig{Channels: rtcMPChannels,
		Connection: &webrtc.Config{LoopbackOnly: true, Lobby: "mp"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ids := map[string]int32{}
	goSide := make(chan error, 1)
	go func() {
		err := serveGodotWebRTCMultiplayer(ctx, srv, ids)
		if err != nil {
			srv.Close() // so that Godot stops waiting
		}
		goSide <- err
	}()
	var out strings.Builder
	res, err := godottest.Run(ctx, rtcMPScript, &godottest.Options{Files: exampleScripts(t), Args: []string{sigURL},
		ChromiumFlags: webrtcFlags, Output: &out})
	skipUnavailable(t, err)
	if err != nil {
		cancel()
		t.Fatalf("Run: %v\nGo server: %v\noutput:\n%s", err, <-goSide, out.String())
	}
	if err := <-goSide; err != nil {
		t.Fatalf("Go server: %v\nGodot:\n%s", err, out.String())
	}
	a, b := ids["A"], ids["B"]
	want := []string{
		fmt.Sprintf("A status 2 id %d", a),
		fmt.Sprintf("B status 2 id %d", b),
		"A peer_connected 1",
		"B peer_connected 1",
		"A relay true",
		"A got to A u from 1 ch 0 mode 0",
		"A got to A uo from 1 ch 0 mode 1",
		"A got to A c2 from 1 ch 2 mode 1", // sent RELIABLE on custom channel 2
		"A got only A from 1 ch 0 mode 2",
		"A got all from 1 ch 0 mode 2",
		"A got end from 1 ch 0 mode 2",
		"B got all from 1 ch 0 mode 2",
		"B got all but A from 1 ch 0 mode 2",
		"B got end from 1 ch 0 mode 2",
		"B closed status 0", // close() ends at once, with no signal
		"A got saw B leave from 1 ch 0 mode 2",
		"A peer_disconnected 1",
		"A status 0 has server false",
		"C peer_disconnected 1",
		"C status 0 has server false",
	}
	for _, w := range want {
		if !containsLine(res.Lines, w) {
			t.Errorf("Godot did not print %q", w)
		}
	}
	for _, l := range res.Lines {
		if strings.HasPrefix(l, "F ") || l == "A got all but A from 1 ch 0 mode 2" ||
			strings.HasPrefix(l, "B got only A") || strings.HasPrefix(l, "B got to ") || strings.HasPrefix(l, "B peer_disconnected") {
			t.Errorf("Godot printed %q", l)
		}
	}
	if t.Failed() {
		t.Logf("lines:\n%s", strings.Join(res.Lines, "\n"))
	}
}

// serveGodotWebRTCMultiplayer is the Go side of rtcMPScript: it fills ids
// with the id of each Godot client, by name.
func serveGodotWebRTCMultiplayer(ctx context.Context, srv *webrtc.MultiplayerPeer, ids map[string]int32) error {
	connected, err := waitClients(ctx, srv, 3)
	if err != nil {
		return err
	}
	// Godot's packets: the hellos, then A's in each mode and channel until
	// each is acknowledged.
	wantA := map[string]multiplayer.PacketInfo{
		"A uo": {Channel: 0, Mode: multiplayer.TransferModeUnreliableOrdered},
		"A u":  {Channel: 0, Mode: multiplayer.TransferModeUnreliable},
		"A c1": {Channel: 1, Mode: multiplayer.TransferModeReliable},   // sent UNRELIABLE
		"A c3": {Channel: 3, Mode: multiplayer.TransferModeUnreliable}, // sent RELIABLE
	}
	seenA := map[string]int32{} // sender by text
	for len(ids) < 3 || len(seenA) < len(wantA) {
		b, info, err := srv.ReadPacketFrom(ctx)
		if err != nil {
			return fmt.Errorf("waiting for Godot's packets (ids %v, seen %v): %w", ids, seenA, err)
		}
		text := string(b)
		if strings.HasPrefix(text, "hello ") {
			var name string
			var id int32
			if _, err := fmt.Sscanf(text, "hello %s %d", &name, &id); err != nil {
				return fmt.Errorf("packet %q: %v", b, err)
			}
			if !connected[id] {
				return fmt.Errorf("Godot %s says its id is %d; Go's PeerConnected ids are %v", name, id, connected)
			}
			if info != (multiplayer.PacketInfo{From: id, Channel: 0, Mode: multiplayer.TransferModeReliable}) {
				return fmt.Errorf("%q arrived as %+v", b, info)
			}
			ids[name] = id
			continue
		}
		w, ok := wantA[text]
		if !ok {
			return fmt.Errorf("unexpected packet %q %+v", b, info)
		}
		// An unreliable packet may overtake A's reliable hello: its sender
		// is checked once A's id is known.
		w.From = info.From
		if info != w {
			return fmt.Errorf("%q arrived as %+v, want %+v", b, info, w)
		}
		seenA[text] = info.From
		if err := srv.SendTo(info.From, multiplayer.TransferModeReliable, 0, []byte("ack "+text)); err != nil {
			return err
		}
	}
	for text, from := range seenA {
		if from != ids["A"] {
			return fmt.Errorf("%q came from %d, A is %d", text, from, ids["A"])
		}
	}
	a, b := ids["A"], ids["B"]
	// C is forced out: forgotten at once, no event (Godot's
	// disconnect_peer(id, true)); Godot's C sees its server go.
	if err := srv.DisconnectPeer(ids["C"], true); err != nil {
		return err
	}
	if srv.HasPeer(ids["C"]) {
		return fmt.Errorf("C (%d) still known after DisconnectPeer(force)", ids["C"])
	}

	// Go's unreliable packets to A, repeated until A acknowledges each.
	unreliable := []struct {
		text string
		mode multiplayer.TransferMode
		ch   int
	}{
		{"to A u", multiplayer.TransferModeUnreliable, 0},
		{"to A uo", multiplayer.TransferModeUnreliableOrdered, 0},
		{"to A c2", multiplayer.TransferModeReliable, 2},
	}
	acked := map[string]bool{}
	for len(acked) < len(unreliable) {
		for _, u := range unreliable {
			if !acked[u.text] {
				if err := srv.SendTo(a, u.mode, u.ch, []byte(u.text)); err != nil {
					return fmt.Errorf("send %q: %w", u.text, err)
				}
			}
		}
		// Resend what is not acknowledged within 200 ms.
		rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		for len(acked) < len(unreliable) {
			p, info, err := srv.ReadPacketFrom(rctx)
			if err != nil {
				break
			}
			if _, repeat := wantA[string(p)]; repeat && info.From == a {
				continue // A resends its packets until our ack reaches it
			}
			if info.From != a || !strings.HasPrefix(string(p), "ack ") {
				cancel()
				return fmt.Errorf("%q from %d while waiting for A's acks", p, info.From)
			}
			acked[strings.TrimPrefix(string(p), "ack ")] = true
		}
		cancel()
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for A's acks (got %v): %w", acked, ctx.Err())
		}
	}
	for _, s := range []struct {
		to   int32
		text string
	}{
		{a, "only A"},
		{multiplayer.TargetPeerBroadcast, "all"},
		{-a, "all but A"},
		{a, "end"},
		{b, "end"},
	} {
		if err := srv.SendTo(s.to, multiplayer.TransferModeReliable, 0, []byte(s.text)); err != nil {
			return fmt.Errorf("send %q to %d: %w", s.text, s.to, err)
		}
	}
	if err := nextEventIs(ctx, srv, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: b}); err != nil {
		return fmt.Errorf("waiting for Godot B to close: %w", err)
	}
	if srv.HasPeer(b) {
		return fmt.Errorf("peer %d still known after it closed", b)
	}
	if err := srv.SendTo(a, multiplayer.TransferModeReliable, 0, []byte("saw B leave")); err != nil {
		return err
	}
	// Closing may drop what is still queued: wait for A's answer first.
	for {
		p, info, err := srv.ReadPacketFrom(ctx)
		if err != nil {
			return fmt.Errorf("waiting for A's bye: %w", err)
		}
		if string(p) == "bye" && info.From == a {
			break
		}
		if _, repeat := wantA[string(p)]; repeat && info.From == a {
			continue
		}
		if !strings.HasPrefix(string(p), "ack ") {
			return fmt.Errorf("%q from %d while waiting for A's bye", p, info.From)
		}
	}
	if err := srv.DisconnectPeer(a, false); err != nil {
		return err
	}
	if err := nextEventIs(ctx, srv, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: a}); err != nil {
		return fmt.Errorf("waiting for A's disconnection: %w", err)
	}
	return nil
}

// nextEventIs reads the next event and checks it is want.
func nextEventIs(ctx context.Context, srv *webrtc.MultiplayerPeer, want multiplayer.Event) error {
	ev, err := srv.ReadEvent(ctx)
	if err != nil {
		return err
	}
	if ev != want {
		return fmt.Errorf("event %v, want %v", ev, want)
	}
	return nil
}

// rtcPeerSetup makes a client's peer in sceneClients: a
// WebRTCMultiplayerPeer from examples/godot/webrtc_multiplayer_client.gd,
// given to SceneMultiplayer once create_client made it CONNECTING. The
// game's "done" RPC is on channel 2, so there are two custom channels,
// both reliable (a custom channel's mode wins over the RPC's).
const rtcPeerSetup = `var rtc: Node = load("res://examples/webrtc_multiplayer_client.gd").new()
		rtc.signal_url = url
		rtc.lobby = "scene"
		rtc.channels_config.assign([MultiplayerPeer.TRANSFER_MODE_RELIABLE, MultiplayerPeer.TRANSFER_MODE_RELIABLE])
		add_child(rtc)
		while rtc.peer.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED:
			await get_tree().process_frame
		mp.multiplayer_peer = rtc.peer`

// TestSceneMultiplayerWebRTCLive is TestSceneMultiplayerLive over WebRTC:
// Godot 4.6's SceneMultiplayer on WebRTCMultiplayerPeer clients, a Go
// scene.Multiplayer on webrtc.ListenMultiplayer: the same RPCs, relays
// and send_bytes, in every direction.
func TestSceneMultiplayerWebRTCLive(t *testing.T) {
	noLeaks(t)
	sigURL := signalling(t)
	srv, err := webrtc.ListenMultiplayer(sigURL, &webrtc.MultiplayerConfig{
		Channels:   []multiplayer.TransferMode{multiplayer.TransferModeReliable, multiplayer.TransferModeReliable},
		Connection: &webrtc.Config{LoopbackOnly: true, Lobby: "scene"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	testSceneMultiplayerLive(t, srv, sigURL, rtcPeerSetup, webrtcFlags)
}
