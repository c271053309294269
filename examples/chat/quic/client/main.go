// Command client is the terminal chat client over QUIC: type lines to chat,
// end input (Ctrl-D) to leave.
//
//	go run ./examples/chat/quic/client -addr 127.0.0.1:4433 -ca server.crt -nick alice
//	go run ./examples/chat/quic/client -insecure -nick bob   # development only: no verification
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chatcert"
	"github.com/packetpeer/packetpeer/transport/quic"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4433", "chat server's UDP address")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	caFile := flag.String("ca", "", "PEM file of the CA (or the server's self-signed certificate) to trust; default: the system's CAs")
	name := flag.String("servername", "", "name to check the certificate against (default: the host in -addr)")
	insecure := flag.Bool("insecure", false, "UNSAFE: do not verify the server's certificate (development only)")
	flag.Parse()

	cfg, err := clientConfig(*caFile, *name, *insecure)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := quic.Dial(ctx, *addr, cfg)
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

func clientConfig(caFile, name string, insecure bool) (*quic.Config, error) {
	roots, err := chatcert.Roots(caFile)
	if err != nil {
		return nil, err
	}
	t := &tls.Config{ServerName: name, RootCAs: roots}
	return &quic.Config{TLSConfig: t, UnsafeSkipVerify: insecure}, nil
}
