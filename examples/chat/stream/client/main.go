// Command client is the terminal chat client over PacketPeerStream on TCP
// (or a Unix socket). Type lines to chat; end input (Ctrl-D) to leave. With
// -say it sends those lines, prints what arrives for -wait, then leaves: handy
// for scripts.
//
//	go run ./examples/chat/stream/client -addr 127.0.0.1:4242 -nick alice
//	go run ./examples/chat/stream/client -nick bot -say "hello" -say "bye"
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/stream"
)

type lines []string

func (l *lines) String() string     { return strings.Join(*l, "\n") }
func (l *lines) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:4242", "chat server's address (a socket path for -network unix)")
	network := flag.String("network", "tcp", "tcp, tcp4, tcp6 or unix")
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	var say lines
	flag.Var(&say, "say", "send this line instead of reading stdin (repeatable)")
	wait := flag.Duration("wait", time.Second, "with -say: how long to keep receiving before leaving")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := stream.DialNetwork(ctx, *network, *addr, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var in io.Reader = os.Stdin
	if len(say) > 0 {
		// Feed the lines, then hold input open for the receive window.
		r, w := io.Pipe()
		go func() {
			for _, s := range say {
				fmt.Fprintln(w, s)
			}
			t := time.NewTimer(*wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			w.Close()
		}()
		in = r
	}
	if err := chat.RunClient(ctx, p, *nick, in, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
