// Command client is the terminal chat client over DTLS (Godot's
// PacketPeerDTLS.connect_to_peer): type lines to chat, end input to leave.
//
//	go run ./examples/chat/dtls/client -addr 127.0.0.1:4433 -ca server.crt -nick alice
//	go run ./examples/chat/dtls/client -insecure -nick bob   # development only: no verification
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4433", "chat server's UDP address")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	caFile := flag.String("ca", "", "PEM file of the CA (or self-signed certificate) to trust; default: the system's CAs")
	name := flag.String("servername", "", "name to check the certificate against (default: the host in -addr)")
	insecure := flag.Bool("insecure", false, "do not verify the server's certificate (TLSOptions.client_unsafe; development only)")
	flag.Parse()

	opts, err := tlsOptions(*caFile, *name, *insecure)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := dtls.Dial(ctx, *addr, &dtls.Config{TLS: opts})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer p.Close()
	if err := chat.RunClient(ctx, p, *nick, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func tlsOptions(caFile, name string, insecure bool) (*dtls.TLSOptions, error) {
	roots, err := chatcert.Roots(caFile)
	if err != nil {
		return nil, err
	}
	if insecure {
		return dtls.UnsafeClientOptions(roots), nil
	}
	return dtls.ClientOptions(roots, name), nil
}
