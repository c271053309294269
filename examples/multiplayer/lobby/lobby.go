// Package lobby is a multiplayer lobby chat on any multiplayer peer
// (package multiplayer): the server side keeps the members and relays what
// each says to the others; the client side is a terminal chat. Messages are
// Godot Dictionaries sent with put_var, so a Godot 4 game using
// WebSocketMultiplayerPeer and its peer's put_var/get_var can join.
//
// Client to server (target 1):
//
//	{"type": "join", "nick": "alice"}
//	{"type": "say", "text": "hello"}
//
// Server to clients:
//
//	{"type": "join", "id": 123, "nick": "alice"}   to every member, the new one included
//	{"type": "say", "id": 123, "nick": "alice", "text": "hello"}   to every member but the sender
//	{"type": "leave", "id": 123, "nick": "alice"}
package lobby

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"unicode/utf8"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/variant"
)

// Message is one lobby message, a Godot Dictionary with String keys.
type Message struct {
	Type string `godot:"type"`
	ID   int64  `godot:"id,omitempty"`
	Nick string `godot:"nick,omitempty"`
	Text string `godot:"text,omitempty"`
}

// Limits of the protocol, in characters.
const (
	MaxNickLength = 32
	MaxTextLength = 1000
)

// Serve runs the lobby on a server peer until ctx ends or the peer is
// closed. Peers that connect join once they send a join message; what they
// say goes to every other member.
func Serve(ctx context.Context, srv multiplayer.MultiplayerPeer, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the readers below
	nicks := map[int32]string{}
	events := make(chan multiplayer.Event)
	errc := make(chan error, 2)
	go func() {
		for {
			ev, err := srv.ReadEvent(ctx)
			if err != nil {
				errc <- err
				return
			}
			select {
			case events <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	type packet struct {
		from int32
		msg  Message
	}
	packets := make(chan packet)
	go func() {
		for {
			b, info, err := srv.ReadPacketFrom(ctx)
			if err != nil {
				errc <- err
				return
			}
			var m Message
			if err := variant.Unmarshal(b, &m); err != nil {
				log.Info("bad message", "from", info.From, "err", err)
				continue
			}
			select {
			case packets <- packet{info.From, m}:
			case <-ctx.Done():
				return
			}
		}
	}()
	send := func(target int32, m Message) {
		b, err := variant.Marshal(m)
		if err == nil {
			err = srv.SendTo(target, multiplayer.TransferModeReliable, 0, b)
		}
		if err != nil {
			log.Info("send failed", "target", target, "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return err
		case ev := <-events:
			if ev.Type == multiplayer.PeerDisconnected {
				if nick, ok := nicks[ev.ID]; ok {
					delete(nicks, ev.ID)
					log.Info("leave", "id", ev.ID, "nick", nick)
					for id := range nicks {
						send(id, Message{Type: "leave", ID: int64(ev.ID), Nick: nick})
					}
				}
			}
		case p := <-packets:
			switch nick, joined := nicks[p.from]; {
			case p.msg.Type == "join" && !joined:
				n := utf8.RuneCountInString(p.msg.Nick)
				if n == 0 || n > MaxNickLength {
					srv.DisconnectPeer(p.from, false)
					continue
				}
				nicks[p.from] = p.msg.Nick
				log.Info("join", "id", p.from, "nick", p.msg.Nick)
				for id := range nicks {
					send(id, Message{Type: "join", ID: int64(p.from), Nick: p.msg.Nick})
				}
			case p.msg.Type == "say" && joined && utf8.RuneCountInString(p.msg.Text) <= MaxTextLength:
				for id := range nicks {
					if id != p.from {
						send(id, Message{Type: "say", ID: int64(p.from), Nick: nick, Text: p.msg.Text})
					}
				}
			}
		}
	}
}

// RunClient joins the lobby as nick on a connected client peer, sends each
// line of in and writes what happens to out, until in ends (then it
// disconnects), ctx ends or the server goes.
func RunClient(ctx context.Context, c multiplayer.MultiplayerPeer, nick string, in io.Reader, out io.Writer) error {
	c.SetTargetPeer(multiplayer.TargetPeerServer)
	if err := c.PutVar(Message{Type: "join", Nick: nick}); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			if err := c.PutVar(Message{Type: "say", Text: sc.Text()}); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	recv := make(chan error, 1)
	go func() {
		for {
			b, err := c.ReadPacket(ctx)
			if err != nil {
				recv <- err
				return
			}
			var m Message
			if variant.Unmarshal(b, &m) != nil {
				continue
			}
			switch m.Type {
			case "join":
				fmt.Fprintf(out, "* %s joined\n", m.Nick)
			case "leave":
				fmt.Fprintf(out, "* %s left\n", m.Nick)
			case "say":
				fmt.Fprintf(out, "%s: %s\n", m.Nick, m.Text)
			}
		}
	}()
	select {
	case err := <-errc:
		c.Close()
		<-recv
		return err
	case err := <-recv:
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	case <-ctx.Done():
		c.Close()
		<-recv
		return ctx.Err()
	}
}
