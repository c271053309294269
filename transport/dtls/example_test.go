package dtls_test

import (
	"context"
	"fmt"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/transport/dtls"
	"github.com/packetpeer/packetpeer/transport/udp"
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

// Two games punch a hole through NAT with plain UDP datagrams, then secure
// that same path with DTLS, as Godot's PacketPeerDTLS.connect_to_peer(udp,
// ...) and DTLSServer.take_connection(udp) do.
func ExampleConnectToPeer() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cert, err := devcert.New()
	if err != nil {
		panic(err)
	}

	// Both sides bind, connect to the other's public address, and punch.
	host, err := udp.Bind("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	guest, err := udp.Bind("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	if err := host.ConnectToHost("127.0.0.1", guest.LocalPort()); err != nil {
		panic(err)
	}
	if err := guest.ConnectToHost("127.0.0.1", host.LocalPort()); err != nil {
		panic(err)
	}
	if err := guest.PutPacket([]byte("punch")); err != nil {
		panic(err)
	}
	if p, err := host.ReadPacket(ctx); err == nil {
		fmt.Printf("host got %q in the clear\n", p)
	}

	// Godot: DTLSServer.setup(TLSOptions.server(key, cert)), then
	// take_connection(udp_peer) on the host; connect_to_peer on the guest.
	srv, err := dtls.NewServer(&dtls.Config{TLS: dtls.ServerOptions(cert.TLS)})
	if err != nil {
		panic(err)
	}
	accepted := make(chan *dtls.Peer, 1)
	go func() {
		p, err := srv.TakeConnection(ctx, host)
		if err != nil {
			panic(err)
		}
		accepted <- p
	}()
	secureGuest, err := dtls.ConnectToPeer(ctx, guest, "127.0.0.1", &dtls.Config{TLS: dtls.ClientOptions(cert.Pool, "")})
	if err != nil {
		panic(err)
	}
	defer secureGuest.Close() // closes guest too
	secureHost := <-accepted
	defer secureHost.Close()

	if err := secureGuest.PutVar("secret move"); err != nil {
		panic(err)
	}
	v, err := secureHost.ReadVar(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("host got", v, "over DTLS on the same ports")
	// Output:
	// host got "punch" in the clear
	// host got secret move over DTLS on the same ports
}

// A server takes a client from a UDPServer (udp.Listener) and upgrades it
// to DTLS, as Godot's DTLSServer.take_connection(udp_server.take_connection())
// does.
func ExampleServer_TakeConnection() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cert, err := devcert.New()
	if err != nil {
		panic(err)
	}
	ul, err := udp.Listen("127.0.0.1:0", nil) // Godot: UDPServer.listen
	if err != nil {
		panic(err)
	}
	defer ul.Close()
	srv, err := dtls.NewServer(&dtls.Config{TLS: dtls.ServerOptions(cert.TLS)}) // DTLSServer.setup
	if err != nil {
		panic(err)
	}

	go func() {
		c, err := dtls.Dial(ctx, ul.Addr().String(), &dtls.Config{TLS: dtls.ClientOptions(cert.Pool, "")})
		if err != nil {
			panic(err)
		}
		defer c.Close()
		c.PutVar("hello")
		c.ReadVar(ctx) // wait for the answer before closing
	}()

	udpPeer, err := ul.Accept(ctx) // its first datagram is the ClientHello
	if err != nil {
		panic(err)
	}
	p, err := srv.TakeConnection(ctx, udpPeer)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	v, err := p.ReadVar(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("got", v, "status", p.Status())
	p.PutVar("welcome")
	// Output:
	// got hello status STATUS_CONNECTED
}
