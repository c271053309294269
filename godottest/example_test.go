package godottest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// A Go WebSocket server answers a real Godot 4.6 client: the script
// connects to the address it gets as a user argument, sends a Dictionary
// with put_var and prints the answer. In a test, godottest.RunTest(t,
// script, opts) does the same, skipping the test when no Chromium is
// installed.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The page runs on another 127.0.0.1 port: allow its Origin.
	l, err := websocket.Listen("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		p, err := l.Accept(ctx)
		if err != nil {
			return
		}
		defer p.Close()
		v, err := p.ReadVar(ctx)
		if err != nil {
			return
		}
		p.PutVar(map[string]any{"echo": v})
		<-p.Disconnected()
	}()

	const script = `extends Node

func _ready() -> void:
	var ws := WebSocketPeer.new()
	ws.connect_to_url(OS.get_cmdline_user_args()[0])
	while ws.get_ready_state() == WebSocketPeer.STATE_CONNECTING:
		ws.poll()
		await get_tree().process_frame
	ws.put_var({"hello": Vector2(1, 2)})
	while ws.get_available_packet_count() == 0:
		ws.poll()
		await get_tree().process_frame
	print(ws.get_var())
	ws.close()
	get_tree().quit()
`
	res, err := godottest.Run(ctx, script, &godottest.Options{
		Args: []string{"ws://" + l.Addr().String()},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Lines[0], res.ExitCode)
	// Prints: { "echo": { "hello": (1.0, 2.0) } } 0
}
