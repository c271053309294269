package godottest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/websocket/wschat"
	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// exampleScripts returns every GDScript of examples/godot, keyed by its
// path in the test project (res://examples/...).
func exampleScripts(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("../examples/godot/*.gd")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example scripts: %v", err)
	}
	files := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files["examples/"+filepath.Base(p)] = b
	}
	return files
}

// TestExampleScriptsCompile compiles every script of examples/godot in
// Godot 4.6 (parse and static type checks): Run fails with ErrScript on
// the first that does not compile.
func TestExampleScriptsCompile(t *testing.T) {
	files := exampleScripts(t)
	res := godottest.RunTest(t, `extends Node
func _ready() -> void:
	for path in OS.get_cmdline_user_args():
		var script := load(path) as GDScript
		print(path.get_file(), " ", script != null and script.can_instantiate())
	get_tree().quit()
`, &godottest.Options{Files: files, Args: keys(files, "res://")})
	for name := range files {
		if !containsLine(res.Lines, filepath.Base(name)+" true") {
			t.Errorf("%s does not load in Godot 4.6; lines: %q", name, res.Lines)
		}
	}
}

func keys(m map[string][]byte, prefix string) []string {
	var out []string
	for k := range m {
		out = append(out, prefix+k)
	}
	return out
}

// TestExampleWebSocketClientLive runs examples/godot/websocket_chat_client.gd
// in Godot 4.6 against the example server (wschat) with a Go chat client in
// the same room: each sees the other's join and message.
func TestExampleWebSocketClientLive(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	srv, err := wschat.New(ctx, chat.NewRoom(slog.New(slog.NewTextHandler(io.Discard, nil))),
		&websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	served := make(chan struct{})
	go func() {
		defer close(served)
		hs.Serve(ln)
	}()
	defer func() {
		srv.Close()
		hs.Close()
		<-served
	}()
	url := "ws://" + ln.Addr().String() + "/ws"

	gopher, err := websocket.Dial(ctx, url, nil)
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

	files := exampleScripts(t)
	res := godottest.RunTest(t, `extends Node

var client: Node

func _ready() -> void:
	client = load("res://examples/websocket_chat_client.gd").new()
	client.url = OS.get_cmdline_user_args()[0]
	client.nick = "godot"
	client.message_received.connect(_on_message)
	add_child(client)

func _on_message(msg: Dictionary) -> void:
	print("got ", msg["type"], " ", msg.get("nick", ""), " ", msg.get("text", ""))
	if msg["type"] == "welcome":
		client.say("hello from godot")
	elif msg["type"] == "say" and msg["nick"] == "gopher":
		client.leave()
		get_tree().quit()
`, &godottest.Options{Files: files, Args: []string{url}})
	if err := <-goSide; err != nil {
		t.Fatalf("Go client: %v", err)
	}
	for _, want := range []string{"got welcome godot ", "got say godot hello from godot", "got say gopher hi godot"} {
		if !containsLine(res.Lines, want) {
			t.Errorf("Godot did not print %q; lines:\n%s", want, strings.Join(res.Lines, "\n"))
		}
	}
}
