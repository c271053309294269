package websocket_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/transport/websocket"
)

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	l, err := websocket.Listen("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()

	client, err := websocket.Dial(ctx, "ws://"+l.Addr().String()+"/chat", nil)
	if err != nil {
		panic(err)
	}
	defer client.Close()
	server, err := l.Accept(ctx)
	if err != nil {
		panic(err)
	}
	defer server.Close()

	// put_var / get_var, as a Godot game would.
	client.PutVar(map[string]any{"type": "join", "nick": "alice"})
	v, _ := server.ReadVar(ctx)
	fmt.Println(v)

	// send_text / was_string_packet.
	server.SendText("welcome")
	b, _ := client.ReadPacket(ctx)
	fmt.Println(string(b), client.WasStringPacket())

	// close(4000, "bye"): the other side sees the code and reason.
	client.CloseWithCode(4000, "bye")
	_, err = server.ReadPacket(ctx)
	fmt.Println(server.CloseCode(), server.CloseReason(), err != nil)
	// Output:
	// {"nick": "alice", "type": "join"}
	// welcome true
	// 4000 bye true
}
