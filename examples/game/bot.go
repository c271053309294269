package game

import (
	"context"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/replication"
	"github.com/packetpeer/packetpeer/variant"
)

// Bot is a Go client of the arena, speaking what the Godot client speaks:
// a scene.Multiplayer in client role whose Replication reads the server's
// SPAWN, SYNC and DESPAWN of players, and the input and chat RPCs. Its
// methods are safe for concurrent use with Run.
type Bot struct {
	m    *scene.Multiplayer
	main *scene.Node

	mu      sync.Mutex
	names   map[uint32]string          // player net id → name (peer id)
	syncs   map[uint32]uint32          // Sync net id → player net id
	pos     map[string]variant.Vector2 // name → position
	chats   []string
	changed chan struct{}
	bytes   atomic.Uint64
	bad     atomic.Uint64
	nsync   atomic.Uint64 // sync frames received (SYNCs of a new sync time)
	lastT   uint16
	vals    []any
}

// NewBot returns a bot on mp, a client multiplayer peer connecting to the
// arena's server. Run it with Run.
func NewBot(mp multiplayer.MultiplayerPeer) *Bot {
	b := &Bot{
		names: map[uint32]string{}, syncs: map[uint32]uint32{}, pos: map[string]variant.Vector2{},
		changed: make(chan struct{}, 1),
	}
	// The bot's replication has nothing to do per frame: one Tick a second.
	b.m = scene.NewMultiplayer(mp, &scene.Config{TickRate: 1})
	b.m.SetReplication(botView{b})
	b.main, _ = b.m.AddNode(MainPath, MainMethods)
	b.main.Handle("chat_message", scene.Func2(func(c scene.Call, from int32, text string) {
		b.mu.Lock()
		b.chats = append(b.chats, strconv.Itoa(int(from))+": "+text)
		b.mu.Unlock()
		b.notify()
	}))
	return b
}

// Run runs the bot's session until ctx ends or the server is gone.
func (b *Bot) Run(ctx context.Context) error { return b.m.Run(ctx) }

// ID returns the bot's peer id, its player's name (0 until connected).
func (b *Bot) ID() int32 { return b.m.UniqueID() }

// Multiplayer returns the bot's session.
func (b *Bot) Multiplayer() *scene.Multiplayer { return b.m }

// Move sends the input RPC: the direction the bot's player moves in.
func (b *Bot) Move(dir variant.Vector2) error { return b.main.RPCID(1, "input", dir) }

// Chat sends a chat line.
func (b *Bot) Chat(text string) error { return b.main.RPCID(1, "chat", text) }

// Players returns the players the bot sees, by name, with their positions.
func (b *Bot) Players() map[string]variant.Vector2 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.pos)
}

// Chats returns the chat lines received ("<from>: <text>").
func (b *Bot) Chats() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.chats...)
}

// ReplicationBytes returns the bytes of replication packets received.
func (b *Bot) ReplicationBytes() uint64 { return b.bytes.Load() }

func (b *Bot) syncCount() uint64 { return b.nsync.Load() }

// Invalid returns how many replication packets the bot could not read.
func (b *Bot) Invalid() uint64 { return b.bad.Load() }

// Wait blocks until cond holds for the players the bot sees (called
// again after each change), or ctx ends.
func (b *Bot) Wait(ctx context.Context, cond func(players map[string]variant.Vector2, chats []string) bool) error {
	for {
		b.mu.Lock()
		ok := cond(b.pos, b.chats)
		b.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-b.changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *Bot) notify() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// botView is the bot's replication: a reader of the player spawner.
type botView struct{ b *Bot }

func (botView) AddPeer(int32)    {}
func (botView) RemovePeer(int32) {}
func (botView) Tick(time.Time)   {}

func (v botView) Receive(from int32, p []byte) error {
	b := v.b
	b.bytes.Add(uint64(len(p)))
	err := b.receive(p)
	if err != nil {
		b.bad.Add(1)
	}
	return err
}

func (b *Bot) receive(p []byte) error {
	c, err := scene.PacketCommand(p)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch c {
	case scene.CommandSpawn:
		s, err := replication.ParseSpawn(p)
		if err != nil {
			return err
		}
		if len(s.Syncs) != 1 {
			return errBadPlayer
		}
		b.vals, _, err = replication.DecodeState(b.vals[:0], s.State, 1)
		if err != nil {
			return err
		}
		pos, ok := b.vals[0].(variant.Vector2)
		if !ok {
			return errBadPlayer
		}
		b.names[s.NetID] = s.Name
		b.syncs[s.Syncs[0]] = s.NetID
		b.pos[s.Name] = pos
	case scene.CommandDespawn:
		id, err := replication.ParseDespawn(p)
		if err != nil {
			return err
		}
		delete(b.pos, b.names[id])
		delete(b.names, id)
		for sid, obj := range b.syncs {
			if obj == id {
				delete(b.syncs, sid)
			}
		}
	case scene.CommandSync:
		r, err := replication.ParseSync(p)
		if err != nil {
			return err
		}
		if r.Delta() {
			return nil // the player has no on-change property
		}
		if r.Time() != b.lastT {
			b.lastT = r.Time()
			b.nsync.Add(1) // a frame may come in several packets
		}
		for r.Next() {
			e := r.Entry()
			obj, ok := b.syncs[e.ID]
			if !ok {
				continue
			}
			b.vals, _, err = replication.DecodeState(b.vals[:0], e.State, 1)
			if err != nil {
				return err
			}
			if pos, ok := b.vals[0].(variant.Vector2); ok {
				b.pos[b.names[obj]] = pos
			}
		}
		if err := r.Err(); err != nil {
			return err
		}
	}
	b.notify()
	return nil
}
