package dtls_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

// A DTLS server with a self-signed development certificate and a client that
// trusts it exchange Variants, as a Go server and a Godot game using
// PacketPeerDTLS.put_var would.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	cert, err := devcert.New() // localhost, 127.0.0.1, ::1
	if err != nil {
		panic(err)
	}
	// Godot: UDPServer.listen + DTLSServer.setup(TLSOptions.server(key, cert)).
	l, err := dtls.Listen("127.0.0.1:0", &dtls.Config{TLS: dtls.ServerOptions(cert.TLS)})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	// Godot: connect_to_host + connect_to_peer(udp, host, TLSOptions.client(cert)).
	c, err := dtls.Dial(ctx, l.Addr().String(), &dtls.Config{TLS: dtls.ClientOptions(cert.Pool, "")})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Println("client status:", c.Status())

	srv, err := l.Accept(ctx)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	if err := c.PutVar(map[string]any{"type": "join", "nick": "alice"}); err != nil {
		panic(err)
	}
	v, err := srv.ReadVar(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("server got %v\n", v)

	if err := srv.PutVar("welcome"); err != nil {
		panic(err)
	}
	v, err = c.ReadVar(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("client got", v)
	// Output:
	// client status: STATUS_CONNECTED
	// server got {"nick": "alice", "type": "join"}
	// client got welcome
}
