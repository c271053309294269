// Package game is a small real-time 2D arena whose server is Go and whose
// client is a Godot 4.6 project (the godot folder, kept as text): the
// server spawns a player per client with the client's MultiplayerSpawner,
// moves it from the client's input RPC, replicates positions at 20 Hz (its
// frame rate) through the player's MultiplayerSynchronizer, and relays chat lines.
//
// Server is the game on any multiplayer peer (package scene's session with
// a scene/replication Replicator); Site serves the client to browsers with
// the Godot 4.6 web engine; Bot is a Go client of the same protocol, for
// tests and load. Command server runs it all (make demo-game), over
// WebSocket, or over ENet for desktop clients with -enet.
package game

import (
	"cmp"
	"context"
	"maps"
	"math"
	"strconv"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/replication"
	"github.com/packetpeer/packetpeer/variant"
)

// The arena, in the client's pixels (project.godot's viewport).
const (
	Width  = 960
	Height = 540
	// DefaultSpeed is a player's speed in pixels per second.
	DefaultSpeed = 200
	// TickRate is the server's default frame rate: positions are synced
	// every frame (the player Sync's replication_interval is 0).
	TickRate = 20
	// MaxChat is the longest chat line relayed, in bytes.
	MaxChat = 200
)

// The nodes of the client's main.tscn, relative to the multiplayer root.
const (
	MainPath    = "Main"
	SpawnerPath = "Main/Spawner"
	PlayersPath = "Main/Players"
	PlayerScene = "res://player.tscn"
)

// MainMethods are the RPCs of arena.gd (Main): the client calls input and
// chat on the server, the server calls chat_message on the clients.
var MainMethods = func() *scene.Methods {
	anyPeer := scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}
	m, err := scene.NewMethods(nil, []scene.Method{
		{Name: "input", RPCConfig: anyPeer},
		{Name: "chat", RPCConfig: anyPeer},
		{Name: "chat_message", RPCConfig: scene.DefaultRPC},
	})
	if err != nil {
		panic(err)
	}
	return m
}()

// Config configures a Server. The zero value is the demo's game.
type Config struct {
	// Speed is a player's speed in pixels per second; 0 means DefaultSpeed.
	Speed float64
	// Nearest, if positive, limits what each client sees to the Nearest
	// players closest to its own (area of interest), re-evaluated
	// five times a second; 0 means every client sees every player.
	Nearest int
	// TickRate is the server's frames per second (scene.Config.TickRate),
	// at which players move and positions are synced; 0 means TickRate
	// (20).
	TickRate int
	// OnChat, if set, sees every chat line relayed.
	OnChat func(from int32, text string)
}

// Server is the arena's Go server.
type Server struct {
	cfg     Config
	m       *scene.Multiplayer
	r       *replication.Replicator
	main    *scene.Node
	spawner *replication.Spawner
	players map[int32]*player
	order   []*player // by slot
	last    time.Time
	aoiAt   time.Time
	frame   []near // scratch of updateAOI
}

type player struct {
	id   int32
	slot int
	pos  variant.Vector2
	dir  variant.Vector2
	obj  *replication.Object
	sync *replication.Synchronizer
	sees map[int32]bool // with Config.Nearest: the peers that see this player
	prev map[int32]bool // sees before the last updateAOI
}

type near struct {
	d2 float64
	p  *player
}

// NewServer returns the arena on mp, a server multiplayer peer (WebSocket
// for browsers, ENet for desktop Godot clients; any for Go bots). cfg may
// be nil. Run it with Run.
func NewServer(mp multiplayer.MultiplayerPeer, cfg *Config) *Server {
	s := &Server{players: map[int32]*player{}}
	if cfg != nil {
		s.cfg = *cfg
	}
	if s.cfg.Speed == 0 {
		s.cfg.Speed = DefaultSpeed
	}
	if s.cfg.TickRate == 0 {
		s.cfg.TickRate = TickRate
	}
	s.m = scene.NewMultiplayer(mp, &scene.Config{
		TickRate:           s.cfg.TickRate,
		OnPeerConnected:    func(_ *scene.Multiplayer, id int32) { s.join(id) },
		OnPeerDisconnected: func(_ *scene.Multiplayer, id int32) { s.leave(id) },
	})
	s.r = replication.New(s.m, nil)
	s.m.SetReplication(world{s})
	s.spawner = MainSpawner()
	if err := s.r.AddSpawner(s.spawner); err != nil {
		panic(err) // a fixed, valid spawner
	}
	s.main, _ = s.m.AddNode(MainPath, MainMethods)
	s.main.Handle("input", scene.Func1(s.input))
	s.main.Handle("chat", scene.Func1(s.chat))
	return s
}

// Multiplayer returns the server's session.
func (s *Server) Multiplayer() *scene.Multiplayer { return s.m }

// Run runs the game until ctx ends or the peer is closed (scene's Run).
func (s *Server) Run(ctx context.Context) error { return s.m.Run(ctx) }

//go:generate go run ../../cmd/gdsync -o replication_gen.go godot

// Player declares the replication of a player object as player.tscn has it
// (PlayerSync, written by gdsync): the Sync synchronizer with .:position
// (spawn, always) every server frame. pos is the variable it reads.
func Player(pos *variant.Vector2) *replication.Synchronizer {
	return PlayerSync(pos)
}

// world is the server's replication: the game steps before each
// replication frame.
type world struct{ s *Server }

func (w world) AddPeer(id int32)                   { w.s.r.AddPeer(id) }
func (w world) RemovePeer(id int32)                { w.s.r.RemovePeer(id) }
func (w world) Receive(from int32, p []byte) error { return w.s.r.Receive(from, p) }
func (w world) Tick(now time.Time)                 { w.s.step(now); w.s.r.Tick(now) }

// spawnPoint places player id somewhere in the arena, the same for the
// same id.
func spawnPoint(id int32) variant.Vector2 {
	h := uint32(id) * 2654435761
	return variant.Vector2{X: float64(40 + h%(Width-80)), Y: float64(40 + (h>>16)%(Height-80))}
}

func (s *Server) join(id int32) {
	p := &player{id: id, pos: spawnPoint(id)}
	p.sync = Player(&p.pos)
	if s.cfg.Nearest > 0 {
		p.sees, p.prev = map[int32]bool{id: true}, map[int32]bool{}
		p.sync.Filter = func(peer int32) bool { return p.sees[peer] }
		p.sync.VisibilityUpdateMode = replication.VisibilityProcessNone
	}
	obj, err := s.spawner.Spawn(strconv.Itoa(int(id)), 0, p.sync)
	if err != nil {
		s.m.DisconnectPeer(id)
		return
	}
	p.obj = obj
	p.slot = len(s.order)
	s.order = append(s.order, p)
	s.players[id] = p
	s.aoiAt = time.Time{} // re-evaluate now
}

func (s *Server) leave(id int32) {
	p := s.players[id]
	if p == nil {
		return
	}
	p.obj.Despawn()
	delete(s.players, id)
	last := s.order[len(s.order)-1]
	s.order[p.slot] = last
	last.slot = p.slot
	s.order = s.order[:len(s.order)-1]
	s.aoiAt = time.Time{}
}

func (s *Server) input(c scene.Call, dir variant.Vector2) {
	p := s.players[c.Sender]
	if p == nil || !finite(dir.X) || !finite(dir.Y) {
		return // a NaN or infinite direction would poison the position
	}
	if l := math.Hypot(dir.X, dir.Y); l > 1 {
		dir.X, dir.Y = dir.X/l, dir.Y/l
	}
	p.dir = dir
}

func (s *Server) chat(c scene.Call, text string) {
	if text == "" || len(text) > MaxChat {
		return
	}
	if s.cfg.OnChat != nil {
		s.cfg.OnChat(c.Sender, text)
	}
	s.main.RPC("chat_message", c.Sender, text)
}

// step moves every player by its direction for the time since the last
// step, and re-evaluates the area of interest when due.
func (s *Server) step(now time.Time) {
	dt := 0.0
	if !s.last.IsZero() {
		dt = min(now.Sub(s.last).Seconds(), 0.25)
	}
	s.last = now
	for _, p := range s.order {
		if p.dir == (variant.Vector2{}) {
			continue
		}
		p.pos.X = clamp(p.pos.X+p.dir.X*s.cfg.Speed*dt, 16, Width-16)
		p.pos.Y = clamp(p.pos.Y+p.dir.Y*s.cfg.Speed*dt, 16, Height-16)
	}
	if s.cfg.Nearest > 0 && !now.Before(s.aoiAt) {
		s.aoiAt = now.Add(200 * time.Millisecond)
		s.updateAOI()
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func clamp(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }

// updateAOI lets each client see the Nearest players closest to its own
// (its own included): a bounded insertion per candidate, so O(players²)
// distance checks and few inserts. The replicator re-evaluates visibility
// only when some player's viewers changed.
func (s *Server) updateAOI() {
	k := s.cfg.Nearest
	for _, p := range s.order {
		p.prev, p.sees = p.sees, p.prev
		clear(p.sees)
	}
	for _, viewer := range s.order {
		best := s.frame[:0] // the k nearest so far, nearest first
		for _, q := range s.order {
			dx, dy := q.pos.X-viewer.pos.X, q.pos.Y-viewer.pos.Y
			n := near{dx*dx + dy*dy, q}
			if len(best) == k && !closer(n, best[k-1]) {
				continue
			}
			if len(best) < k {
				best = append(best, n)
			}
			i := len(best) - 1
			for ; i > 0 && closer(n, best[i-1]); i-- {
				best[i] = best[i-1]
			}
			best[i] = n
		}
		s.frame = best
		for _, n := range best {
			n.p.sees[viewer.id] = true
		}
	}
	for _, p := range s.order {
		if !maps.Equal(p.sees, p.prev) {
			p.sync.UpdateVisibility(0)
			return
		}
	}
}

func closer(a, b near) bool {
	return cmp.Or(cmp.Compare(a.d2, b.d2), cmp.Compare(a.p.id, b.p.id)) < 0
}
