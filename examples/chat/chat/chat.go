// Package chat is the transport-agnostic chat used by every example in
// examples/chat: a Room that serves clients over any peer.PacketPeer, a
// terminal client, and the main functions of the server and client
// commands (ServerMain, ClientMain), so that each transport's command holds
// only its flags and how it listens or dials. Messages are Godot Dictionaries sent with PutVar, so a
// Godot 4 game can join with put_var/get_var (see examples/godot).
//
// Client to server:
//
//	{"type": "join", "nick": "alice"}   first message, required
//	{"type": "say", "text": "hello"}
//	{"type": "leave"}
//
// Server to clients:
//
//	{"type": "welcome", "nick": "alice", "members": ["alice", "bob"]}
//	{"type": "join", "nick": "bob"}
//	{"type": "say", "nick": "alice", "text": "hello"}
//	{"type": "leave", "nick": "bob"}
//	{"type": "error", "text": "nickname taken"}
package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/packetpeer/packetpeer/peer"
)

// Message is one chat message, encoded as a Godot Dictionary with String keys.
type Message struct {
	Type    string   `godot:"type"`
	Nick    string   `godot:"nick,omitempty"`
	Text    string   `godot:"text,omitempty"`
	Members []string `godot:"members,omitempty"`
}

// Limits of the chat protocol.
const (
	MaxNickLength = 32   // characters
	MaxTextLength = 1000 // characters
	// DefaultQueueLength is how many messages may wait for one member
	// before the room drops it as too slow.
	DefaultQueueLength = 256
)

// Room is a chat room: every member sees every other member's messages.
type Room struct {
	log *slog.Logger
	// JoinTimeout bounds the wait for a new client's join message; IdleTimeout
	// drops a member that sends nothing for that long (0 = never), which a
	// connectionless transport such as UDP needs.
	JoinTimeout time.Duration
	IdleTimeout time.Duration
	// QueueLength is how many messages may wait for one member before the
	// room closes its connection as too slow; set it before serving.
	// NewRoom sets DefaultQueueLength.
	QueueLength int

	mu      sync.Mutex
	members map[string]*member
}

type member struct {
	nick string
	p    peer.PacketPeer
	out  chan Message
}

// NewRoom returns an empty room logging to log (nil: slog.Default()).
func NewRoom(log *slog.Logger) *Room {
	if log == nil {
		log = slog.Default()
	}
	return &Room{log: log, JoinTimeout: 10 * time.Second, QueueLength: DefaultQueueLength, members: map[string]*member{}}
}

// Logger returns the room's logger.
func (r *Room) Logger() *slog.Logger { return r.log }

// Members returns the nicknames in the room, sorted.
func (r *Room) Members() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.membersLocked()
}

func (r *Room) membersLocked() []string {
	names := make([]string, 0, len(r.members))
	for n := range r.members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ReadMessage waits for the next packet on p and decodes it as a Message.
// A packet that is not one gives an error matching peer.ErrInvalidData.
func ReadMessage(ctx context.Context, p peer.PacketPeer) (Message, error) {
	var m Message
	if err := p.ReadVarInto(ctx, &m); err != nil {
		return Message{}, err
	}
	return m, nil
}

// Serve runs one client until it leaves, disconnects, misbehaves or ctx
// ends, then closes p. The client must first send a join message.
func (r *Room) Serve(ctx context.Context, p peer.PacketPeer) error {
	defer p.Close()
	jctx, cancel := context.WithTimeout(ctx, r.JoinTimeout)
	m, err := ReadMessage(jctx, p)
	cancel()
	if err != nil {
		return err
	}
	nick := strings.TrimSpace(m.Nick)
	if m.Type != "join" || nick == "" || utf8.RuneCountInString(nick) > MaxNickLength {
		p.PutVar(Message{Type: "error", Text: "first message must be a join with a nickname of 1 to 32 characters"})
		return errors.New("chat: client did not join properly")
	}
	me := &member{nick: nick, p: p, out: make(chan Message, r.QueueLength)}
	r.mu.Lock()
	if _, taken := r.members[nick]; taken {
		r.mu.Unlock()
		p.PutVar(Message{Type: "error", Text: "nickname taken"})
		return fmt.Errorf("chat: nickname %q taken", nick)
	}
	// Queue the welcome and announce the newcomer under the lock, so every
	// client sees joins and welcomes in one consistent order.
	r.members[nick] = me
	me.out <- Message{Type: "welcome", Nick: nick, Members: r.membersLocked()}
	r.broadcastLocked(Message{Type: "join", Nick: nick}, me)
	r.mu.Unlock()
	r.log.Info("joined", "nick", nick)

	writerDone := make(chan struct{})
	go func() { // one writer per member: a slow client never stalls the room
		defer close(writerDone)
		for m := range me.out {
			if err := p.PutVar(m); err != nil {
				// The connection is broken. Keep it open: the read loop
				// still gets what the client sent before, then the error.
				for range me.out {
				}
				return
			}
		}
	}()

	err = r.readLoop(ctx, me)
	r.mu.Lock()
	delete(r.members, nick)
	r.mu.Unlock()
	close(me.out)
	<-writerDone
	r.broadcast(Message{Type: "leave", Nick: nick}, nil)
	r.log.Info("left", "nick", nick, "reason", err)
	if errors.Is(err, errLeft) {
		return nil
	}
	return err
}

var errLeft = errors.New("chat: left")

func (r *Room) readLoop(ctx context.Context, me *member) error {
	for {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if r.IdleTimeout > 0 {
			rctx, cancel = context.WithTimeout(ctx, r.IdleTimeout)
		}
		m, err := ReadMessage(rctx, me.p)
		cancel()
		if err != nil {
			return err
		}
		switch m.Type {
		case "say":
			text := m.Text
			if utf8.RuneCountInString(text) > MaxTextLength {
				text = string([]rune(text)[:MaxTextLength])
			}
			r.broadcast(Message{Type: "say", Nick: me.nick, Text: text}, nil)
		case "leave":
			return errLeft
		default:
			me.send(Message{Type: "error", Text: "unknown message type " + fmt.Sprintf("%q", m.Type)})
		}
	}
}

// send queues m for the member, dropping the member's connection if it is
// too far behind.
func (me *member) send(m Message) {
	select {
	case me.out <- m:
	default:
		me.p.Close()
	}
}

// broadcast sends m to every member except skip.
func (r *Room) broadcast(m Message, skip *member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.broadcastLocked(m, skip)
}

func (r *Room) broadcastLocked(m Message, skip *member) {
	for _, o := range r.members {
		if o != skip {
			o.send(m)
		}
	}
}
