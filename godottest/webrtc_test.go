package godottest_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/webrtc/webchat"
	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
	v "github.com/packetpeer/packetpeer/variant"
)

// webrtcFlags let Chromium open ICE sockets on loopback.
var webrtcFlags = []string{"--allow-loopback-in-peer-connection"}

// signalling starts the project's signalling server (and the WebRTC chat
// page) on 127.0.0.1 and returns its ws:// URL.
func signalling(t *testing.T) string {
	t.Helper()
	sig := signaling.NewServer(nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: webchat.Handler(sig)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		hs.Serve(ln)
	}()
	t.Cleanup(func() {
		sig.Close()
		hs.Close()
		<-served
	})
	return "ws://" + ln.Addr().String() + "/signal"
}

// rtcScript reuses the signalling and channel set-up of
// examples/godot/webrtc_chat_client.gd (reliable id 1, unreliable id 3) and
// replaces its chat with the test: every case put_var'd on the reliable
// channel, a text, then Go's values checked ("R" lines), then one packet
// each way on the unreliable channel ("U" line).
func rtcScript() string {
	var goNames strings.Builder
	for _, c := range parityCases {
		if c.goVal != nil {
			fmt.Fprintf(&goNames, "[%q, %v], ", c.name, c.exact())
		}
	}
	return `extends "res://examples/webrtc_chat_client.gd"

` + gdCasesPrelude + `
var step := 0
var cases: Dictionary
var go_names := [` + goNames.String() + `]
var checked := 0
var got_unreliable := false

func _init() -> void:
	signal_url = OS.get_cmdline_user_args()[0]

func _process(_delta: float) -> void:
	_poll_signalling()
	if _pc == null:
		return
	_pc.poll()
	if not (_channel_open(_reliable) and _channel_open(_unreliable)):
		return
	if step == 0:
		step = 1
		cases = make_cases()
		for name in cases:
			var err := _reliable.put_var(cases[name])
			if err != OK:
				print("F put_var ", name, " ", error_string(err))
		_reliable.write_mode = WebRTCDataChannel.WRITE_MODE_TEXT
		_reliable.put_packet("end of vars ☃".to_utf8_buffer())
		_reliable.write_mode = WebRTCDataChannel.WRITE_MODE_BINARY
	while _reliable.get_available_packet_count() > 0:
		var pkt := _reliable.get_packet()
		if _reliable.was_string_packet():
			print("T ", pkt.get_string_from_utf8())
		elif checked < go_names.size():
			var pair = go_names[checked]
			checked += 1
			print("R ", pair[0], " ", same(bytes_to_var(pkt), cases[pair[0]], pair[1]))
	if checked == go_names.size() and step == 1:
		# Unreliable: repeat until one arrives each way (loss is allowed).
		_unreliable.put_var("unreliable from godot")
		while _unreliable.get_available_packet_count() > 0:
			var got = _unreliable.get_var()
			if not got_unreliable:
				got_unreliable = true
				print("U ", got)
		if got_unreliable:
			step = 2
			_reliable.put_var("done")
			free_cases()
			get_tree().quit()
`
}

// TestWebRTCLive runs Godot 4.6's WebRTCPeerConnection and
// WebRTCDataChannel (the browser's WebRTC underneath) against
// transport/webrtc through the project's signalling server: put_var of
// every Variant type and a text message both ways on the reliable channel,
// and packets both ways on the unreliable one.
func TestWebRTCLive(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sigURL := signalling(t)
	l, err := webrtc.Listen(sigURL, &webrtc.Config{LoopbackOnly: true, Lobby: "chat", Channels: webchat.Channels()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan error, 1)
	go func() { served <- serveGodotWebRTC(ctx, t, l) }()

	files := exampleScripts(t)
	var out strings.Builder
	res, err := godottest.Run(ctx, rtcScript(), &godottest.Options{
		Files:         map[string][]byte{"examples/webrtc_chat_client.gd": files["examples/webrtc_chat_client.gd"]},
		Args:          []string{sigURL},
		ChromiumFlags: webrtcFlags,
		Output:        &out,
	})
	skipUnavailable(t, err)
	if err != nil {
		cancel()
		<-served
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	if serr := <-served; serr != nil {
		t.Errorf("Go side: %v", serr)
	}
	results := 0
	for _, line := range res.Lines {
		switch {
		case strings.HasPrefix(line, "R "):
			results++
			if f := strings.SplitN(line, " ", 3); f[2] != "ok" {
				t.Errorf("Go → Godot put_var %s: %s", f[1], f[2])
			}
		case strings.HasPrefix(line, "F "):
			t.Errorf("Godot: %s", line)
		}
	}
	want := 0
	for _, c := range parityCases {
		if c.goVal != nil {
			want++
		}
	}
	if results != want {
		t.Errorf("Godot checked %d of Go's values, want %d", results, want)
	}
	for _, line := range []string{"T text from go ☃", "U unreliable from go"} {
		if !containsLine(res.Lines, line) {
			t.Errorf("Godot did not print %q; output:\n%s", line, out.String())
		}
	}
}

// serveGodotWebRTC is the Go side of rtcScript.
func serveGodotWebRTC(ctx context.Context, t *testing.T, l *webrtc.Listener) error {
	p, err := l.Accept(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	u := p.Connection().Channel("unreliable")
	if u == nil || u.IsReliable() || !p.IsReliable() {
		return fmt.Errorf("channels: reliable %v, unreliable %v", p.IsReliable(), u)
	}
	for _, c := range parityCases {
		pkt, err := p.ReadPacket(ctx)
		if err != nil {
			return fmt.Errorf("reading put_var of %s: %w", c.name, err)
		}
		if p.WasStringPacket() {
			t.Errorf("put_var of %s arrived as text", c.name)
		}
		checkGodotBytes(t, c, hex.EncodeToString(pkt), false)
	}
	pkt, err := p.ReadPacket(ctx)
	if err != nil {
		return err
	}
	if string(pkt) != "end of vars ☃" || !p.WasStringPacket() {
		t.Errorf("text message: got %q (text %v)", pkt, p.WasStringPacket())
	}
	for _, c := range parityCases {
		if c.goVal == nil {
			continue
		}
		b, err := v.Marshal(c.goValue())
		if err != nil {
			return err
		}
		if err := p.PutPacket(b); err != nil {
			return err
		}
	}
	p.SetWriteMode(webrtc.WriteModeText)
	if err := p.PutPacket([]byte("text from go ☃")); err != nil {
		return err
	}
	p.SetWriteMode(webrtc.WriteModeBinary)

	// Unreliable: answer Godot's packets with ours until Godot says done
	// on the reliable channel.
	gotGodot := make(chan any, 1)
	go func() {
		for {
			x, err := u.ReadVar(ctx)
			if err != nil {
				return
			}
			select {
			case gotGodot <- x:
			default:
			}
		}
	}()
	select {
	case x := <-gotGodot:
		if x != "unreliable from godot" {
			t.Errorf("unreliable channel: got %v", x)
		}
	case <-ctx.Done():
		return fmt.Errorf("no unreliable packet from Godot: %w", ctx.Err())
	}
	done := make(chan error, 1)
	go func() {
		x, err := p.ReadVar(ctx)
		if err == nil && x != "done" {
			err = fmt.Errorf("reliable channel: got %v, want done", x)
		}
		done <- err
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := u.PutVar("unreliable from go"); err != nil {
			return err
		}
		select {
		case err := <-done:
			return err
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TestExampleWebRTCClientLive runs examples/godot/webrtc_chat_client.gd
// unchanged in Godot 4.6 against the example server (webchat.Serve behind
// the project's signalling) with a Go chat client in the room: chat on the
// reliable channel both ways, and a ping echoed on the unreliable one.
func TestExampleWebRTCClientLive(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sigURL := signalling(t)
	l, err := webrtc.Listen(sigURL, &webrtc.Config{LoopbackOnly: true, Lobby: "chat", Channels: webchat.Channels()})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() {
		served <- webchat.Serve(ctx, l, chat.NewRoom(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}()
	defer func() {
		l.Close()
		<-served
	}()

	gopher, err := webrtc.Dial(ctx, sigURL, &webrtc.Config{LoopbackOnly: true, Lobby: "chat", Channels: webchat.Channels()})
	if err != nil {
		t.Fatal(err)
	}
	defer gopher.Close()
	if err := gopher.PutVar(chat.Message{Type: "join", Nick: "gopher"}); err != nil {
		t.Fatal(err)
	}
	goSide := make(chan error, 1)
	go func() {
		goSide <- func() error {
			for {
				m, err := chat.ReadMessage(ctx, gopher)
				if err != nil {
					return err
				}
				if m.Type == "say" && m.Nick == "godot" {
					if m.Text != "hello from godot" {
						return fmt.Errorf("Godot said %q", m.Text)
					}
					return gopher.PutVar(chat.Message{Type: "say", Text: "hi godot"})
				}
			}
		}()
	}()

	var out strings.Builder
	res, err := godottest.Run(ctx, `extends Node

var client: Node
var pinged := false
var heard_gopher := false

func _ready() -> void:
	client = load("res://examples/webrtc_chat_client.gd").new()
	client.signal_url = OS.get_cmdline_user_args()[0]
	client.nick = "godot"
	client.message_received.connect(_on_message)
	add_child(client)

func _on_message(msg: Dictionary) -> void:
	if msg["type"] == "welcome":
		client.say("hello from godot")
		client.ping()
		pinged = true
	elif msg["type"] == "say" and msg["nick"] == "gopher":
		heard_gopher = true

func _process(_delta: float) -> void:
	# The client forgets a ping once its echo came back.
	if heard_gopher and pinged and client._ping_sent_ms.is_empty():
		get_tree().quit()
`, &godottest.Options{Files: exampleScripts(t), Args: []string{sigURL}, ChromiumFlags: webrtcFlags, Output: &out})
	skipUnavailable(t, err)
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	if err := <-goSide; err != nil {
		t.Fatalf("Go client: %v", err)
	}
	for _, want := range []string{"<godot> hello from godot", "<gopher> hi godot"} {
		if !containsLine(res.Lines, want) {
			t.Errorf("Godot did not print %q; output:\n%s", want, out.String())
		}
	}
	pinged := false
	for _, line := range res.Lines {
		pinged = pinged || strings.HasPrefix(line, "* ping: ")
	}
	if !pinged {
		t.Errorf("no ping echo on the unreliable channel; output:\n%s", out.String())
	}
}
