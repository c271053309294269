// Command demo runs a complete chat on this machine: a chat server and two
// scripted clients, alice and bob, talking Godot Variants over loopback, and
// prints what each client sees. It is what `make demo` runs.
//
//	go run ./examples/chat/demo              # PacketPeerStream over TCP
//	go run ./examples/chat/demo -transport udp
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/stream"
	"github.com/packetpeer/packetpeer/transport/udp"
)

// network is what the demo needs of a transport: serve listens on
// loopback and serves room there (see serve); dial connects a client.
type network struct {
	serve func(ctx context.Context, room *chat.Room) (addr string, wait func() error, err error)
	dial  func(ctx context.Context, addr string) (peer.PacketPeer, error)
}

var networks = map[string]network{
	"stream": {
		serve: func(ctx context.Context, room *chat.Room) (string, func() error, error) {
			l, err := stream.Listen("127.0.0.1:0", nil)
			if err != nil {
				return "", nil, err
			}
			return l.Addr().String(), serve(ctx, room, l), nil
		},
		dial: func(ctx context.Context, addr string) (peer.PacketPeer, error) { return stream.Dial(ctx, addr, nil) },
	},
	"udp": {
		serve: func(ctx context.Context, room *chat.Room) (string, func() error, error) {
			l, err := udp.Listen("127.0.0.1:0", nil)
			if err != nil {
				return "", nil, err
			}
			return l.Addr().String(), serve(ctx, room, l), nil
		},
		dial: func(ctx context.Context, addr string) (peer.PacketPeer, error) { return udp.Dial(ctx, addr, nil) },
	},
}

// serve serves room on l with peer.Serve, as every chat server does, until
// ctx ends; wait returns Serve's result once Serve has closed l and every
// peer and every session has ended.
func serve[P peer.PacketPeer](ctx context.Context, room *chat.Room, l peer.Listener[P]) (wait func() error) {
	served := make(chan error, 1)
	go func() {
		served <- peer.Serve(ctx, l, func(ctx context.Context, p P) { room.Serve(ctx, p) })
	}()
	return func() error { return <-served }
}

func main() {
	transport := flag.String("transport", "stream", "stream or udp")
	flag.Parse()
	n, ok := networks[*transport]
	if !ok {
		log.Fatalf("unknown transport %q", *transport)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, n, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// client is one scripted chat client whose output lines can be waited for.
type client struct {
	name  string
	in    *io.PipeWriter
	lines chan string
	done  chan error
}

func startClient(ctx context.Context, n network, addr, nick string, out io.Writer, mu *sync.Mutex) (*client, error) {
	p, err := n.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &client{name: nick, in: inW, lines: make(chan string, 64), done: make(chan error, 1)}
	go func() {
		err := chat.RunClient(ctx, p, nick, inR, outW)
		outW.Close()
		c.done <- err
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			mu.Lock()
			fmt.Fprintf(out, "%-6s| %s\n", nick, sc.Text())
			mu.Unlock()
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	return c, nil
}

// waitFor reads the client's output until a line containing want.
func (c *client) waitFor(ctx context.Context, want string) error {
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				return fmt.Errorf("%s disconnected before seeing %q", c.name, want)
			}
			if strings.Contains(line, want) {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("%s never saw %q: %w", c.name, want, ctx.Err())
		}
	}
}

func (c *client) say(text string) { fmt.Fprintln(c.in, text) }

func run(ctx context.Context, n network, out io.Writer) error {
	room := chat.NewRoom(slog.New(slog.NewTextHandler(io.Discard, nil)))
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	addr, wait, err := n.serve(sctx, room)
	if err != nil {
		return err
	}
	defer func() {
		stop()
		wait()
	}()
	fmt.Fprintf(out, "chat server listening on %s\n", addr)

	var mu sync.Mutex
	alice, err := startClient(ctx, n, addr, "alice", out, &mu)
	if err != nil {
		return err
	}
	steps := []func() error{
		func() error { return alice.waitFor(ctx, "welcome alice") },
	}
	var bob *client
	steps = append(steps,
		func() error {
			bob, err = startClient(ctx, n, addr, "bob", out, &mu)
			if err != nil {
				return err
			}
			return bob.waitFor(ctx, "welcome bob")
		},
		func() error { return alice.waitFor(ctx, "bob joined") },
		func() error {
			alice.say("hi bob, this is a Godot Dictionary on the wire")
			return bob.waitFor(ctx, "<alice> hi bob")
		},
		func() error { bob.say("hello alice!"); return alice.waitFor(ctx, "<bob> hello alice!") },
		func() error { bob.in.Close(); return alice.waitFor(ctx, "bob left") },
		func() error { alice.in.Close(); return nil },
	)
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	for _, c := range []*client{alice, bob} {
		if err := <-c.done; err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		for range c.lines {
		}
	}
	fmt.Fprintln(out, "demo finished: both clients joined, chatted and left")
	return nil
}
