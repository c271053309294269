package websocket_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/packetpeer/packetpeer/transport/websocket"
)

// Shutting down your own http.Server with WebSocket clients connected:
// ConfigureServer makes Shutdown close them (code 1001, going away), and
// turns HTTP/2 off for wss://; h.Close then waits for the serve functions.
func ExampleConfigureServer() {
	h, err := websocket.NewHandler(nil, func(p *websocket.Peer) {
		for { // echo until Shutdown closes p
			b, err := p.ReadPacket(context.Background())
			if err != nil {
				return
			}
			p.PutPacket(b)
		}
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", h)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: websocket.DefaultHandshakeTimeout}
	websocket.ConfigureServer(hs, h)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go hs.Serve(websocket.WrapListener(ln)) // or ServeTLS, for wss://

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/ws", nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.PutPacket([]byte("hi"))
	b, _ := c.ReadPacket(ctx) // the server is serving c
	fmt.Println(string(b))

	hs.Shutdown(ctx) // stops HTTP and starts closing every WebSocket peer
	h.Close()        // waits until they are closed
	_, err = c.ReadPacket(ctx)
	fmt.Println(c.CloseCode(), err != nil)
	// Output:
	// hi
	// 1001 true
}
