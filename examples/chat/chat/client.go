package chat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/packetpeer/packetpeer/peer"
)

// RunClient joins the room on p as nick, sends each line read from in as a
// message and writes what the room says to out, one line each:
//
//   - welcome alice (members: alice, bob)
//   - bob joined
//     <alice> hello
//   - bob left
//
// When in ends, it leaves and returns nil. It returns the error when the
// connection fails or ctx ends. It closes p before returning.
func RunClient(ctx context.Context, p peer.PacketPeer, nick string, in io.Reader, out io.Writer) error {
	defer p.Close()
	if err := p.PutVar(Message{Type: "join", Nick: nick}); err != nil {
		return fmt.Errorf("chat: join: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	readErr := make(chan error, 1)
	readerDone := make(chan struct{})
	defer func() { // nothing is written to out after RunClient returns
		cancel()
		<-readerDone
	}()
	go func() {
		defer close(readerDone)
		for {
			m, err := ReadMessage(ctx, p)
			if err != nil {
				readErr <- err
				return
			}
			fmt.Fprintln(out, Format(m))
			if m.Type == "error" {
				readErr <- errors.New("chat: server: " + m.Text)
				return
			}
		}
	}()
	lines := make(chan string)
	inDone := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		inDone <- sc.Err()
	}()
	for {
		select {
		case line := <-lines:
			if strings.TrimSpace(line) == "" {
				continue
			}
			if err := p.PutVar(Message{Type: "say", Text: line}); err != nil {
				return fmt.Errorf("chat: send: %w", err)
			}
		case err := <-inDone:
			p.PutVar(Message{Type: "leave"})
			return err
		case err := <-readErr:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Format renders a server message as one line of text.
func Format(m Message) string {
	switch m.Type {
	case "welcome":
		return fmt.Sprintf("* welcome %s (members: %s)", m.Nick, strings.Join(m.Members, ", "))
	case "join":
		return "* " + m.Nick + " joined"
	case "leave":
		return "* " + m.Nick + " left"
	case "say":
		return "<" + m.Nick + "> " + m.Text
	case "error":
		return "! " + m.Text
	}
	return fmt.Sprintf("? %+v", m)
}
