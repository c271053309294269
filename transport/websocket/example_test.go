package websocket_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/peer"
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

// A WebSocket endpoint beside other pages on your own http.Server. The
// serve function runs once per client; the peer closes when it returns.
func ExampleNewHandler() {
	h, err := websocket.NewHandler(nil, func(p *websocket.Peer) {
		ctx := context.Background()
		for { // echo, keeping text as text
			b, err := p.ReadPacket(ctx)
			if err != nil {
				return
			}
			if p.WasStringPacket() {
				p.SendText(string(b))
			} else {
				p.PutPacket(b)
			}
		}
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", h)
	mux.Handle("/", http.FileServer(http.Dir("static")))

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: websocket.DefaultHandshakeTimeout}
	go srv.Serve(websocket.WrapListener(ln)) // WrapListener: coalesced writes
	defer srv.Close()
	defer h.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/ws", nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.SendText("echo?")
	b, _ := c.ReadPacket(ctx)
	fmt.Println(string(b), c.WasStringPacket())
	// Output: echo? true
}

// Godot's polling style: Connect returns at once in StateConnecting, like
// connect_to_url; a game loop polls ReadyState and GetPacket every frame.
func ExampleConnect() {
	l, _ := websocket.Listen("127.0.0.1:0", nil)
	defer l.Close()

	p, err := websocket.Connect("ws://"+l.Addr().String()+"/", nil)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	for p.ReadyState() == websocket.StateConnecting {
		time.Sleep(time.Millisecond) // one game frame
	}
	fmt.Println(p.ReadyState())

	s, _ := l.Accept(context.Background())
	defer s.Close()
	s.PutVar("hello")
	for p.AvailablePacketCount() == 0 && p.ReadyState() == websocket.StateOpen {
		time.Sleep(time.Millisecond)
	}
	v, _ := p.GetVar()
	fmt.Println(v)
	// Output:
	// OPEN
	// hello
}

// Handler.Stats and Config.Logger show what a server turned away.
func ExampleHandler_Stats() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "remote" { // they vary from run to run
				return slog.Attr{}
			}
			return a
		},
	}))
	h, err := websocket.NewHandler(&websocket.Config{Logger: logger}, nil)
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx := context.Background()

	c, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := h.Accept(ctx); err != nil {
		log.Fatal(err)
	}
	h.Close() // closes the accepted peer too
	if _, err := websocket.Dial(ctx, url, nil); err != nil {
		fmt.Println("refused:", errors.Is(err, peer.ErrCantConnect))
	}
	s := h.Stats()
	fmt.Println("accepted", s.Accepted, "refused", s.Refused, "dropped", s.Dropped())
	// Output:
	// level=INFO msg="packetpeer: connection dropped" transport=websocket cause=refused error="websocket: upgrade: the server is closed: use of closed network connection"
	// refused: true
	// accepted 1 refused 1 dropped 1
}
