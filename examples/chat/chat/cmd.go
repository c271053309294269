package chat

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// ServerMain is the main function of every chat server command around what
// differs per transport (its flags and how it listens). It parses the
// command line, makes a Room logging to stderr, calls listen with it (to
// listen, and to set the room's timeouts from flags), and serves the room on
// the listener with peer.Serve until Ctrl-C. It exits with status 1 when
// listening or serving fails.
func ServerMain[P peer.PacketPeer](transport string, listen func(room *Room) (peer.Listener[P], error)) {
	ctx, log, stop := Command()
	defer stop()
	room := NewRoom(log)
	l, err := listen(room)
	Check(log, "listen", err)
	log.Info("chat server listening", "transport", transport, "addr", l.Addr().String())
	Check(log, "serve", peer.Serve(ctx, l, func(ctx context.Context, p P) {
		if ra, ok := any(p).(interface{ RemoteAddr() net.Addr }); ok {
			log.Info("new connection", "remote", ra.RemoteAddr().String())
		}
		room.Serve(ctx, p)
	}))
}

// Command parses the command line and returns what every chat server runs
// with: a context that ends on Ctrl-C (os.Interrupt) and a logger to
// stderr. Call stop when done.
func Command() (ctx context.Context, log *slog.Logger, stop context.CancelFunc) {
	flag.Parse()
	ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt)
	return ctx, slog.New(slog.NewTextHandler(os.Stderr, nil)), stop
}

// Check logs err, if not nil, as the failure of what and exits with
// status 1.
func Check(log *slog.Logger, what string, err error) {
	if err != nil {
		log.Error(what, "err", err)
		os.Exit(1)
	}
}

// lines is a repeatable string flag.
type lines []string

func (l *lines) String() string     { return strings.Join(*l, "\n") }
func (l *lines) Set(s string) error { *l = append(*l, s); return nil }

// ClientMain is the main function of every chat client command around what
// differs per transport (its flags and how it dials). It adds the -nick,
// -say and -wait flags, parses the command line, dials and runs the
// terminal client (RunClient) on stdin and stdout until input ends or
// Ctrl-C. With -say it sends those lines instead of reading stdin, prints
// what arrives for -wait, then leaves: handy for scripts. It exits with
// status 1 when dialling or the connection fails.
func ClientMain(dial func(ctx context.Context) (peer.PacketPeer, error)) {
	nick := flag.String("nick", os.Getenv("USER"), "nickname")
	var say lines
	flag.Var(&say, "say", "send this line instead of reading stdin (repeatable)")
	wait := flag.Duration("wait", time.Second, "with -say: how long to keep receiving before leaving")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := dial(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var in io.Reader = os.Stdin
	if len(say) > 0 {
		in = scripted(ctx, say, *wait)
	}
	if err := RunClient(ctx, p, *nick, in, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// scripted is input holding the lines, kept open for wait (or until ctx
// ends) so that replies arrive before the client leaves.
func scripted(ctx context.Context, say []string, wait time.Duration) io.Reader {
	r, w := io.Pipe()
	go func() {
		for _, s := range say {
			fmt.Fprintln(w, s)
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		w.Close()
	}()
	return r
}
