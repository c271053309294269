package game

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene/replication"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// noLeaks fails the test if goroutines started during it still run shortly
// after it ends.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// The Go declaration of the player matches the client's player.tscn, and
// the spawner main.tscn's.
func TestClientScenes(t *testing.T) {
	sc, err := replication.ReadScene("godot/player.tscn")
	if err != nil {
		t.Fatal(err)
	}
	var pos variant.Vector2
	if err := replication.CheckScene(sc, Player(&pos)); err != nil {
		t.Error(err)
	}
	mainScene, err := replication.ReadScene("godot/main.tscn")
	if err != nil {
		t.Fatal(err)
	}
	sp := MainSpawner()
	if sp.Path != SpawnerPath || sp.SpawnPath != PlayersPath || len(sp.Scenes) != 1 || sp.Scenes[0] != PlayerScene {
		t.Errorf("MainSpawner() = %+v, want the paths game.go names", sp)
	}
	ss := mainScene.Spawner("Spawner")
	if ss == nil {
		t.Fatal("main.tscn has no Spawner")
	}
	if err := sp.Check(ss); err != nil {
		t.Error(err)
	}
	if ss.SpawnPath != "../Players" {
		t.Errorf("spawn_path %q, want ../Players (PlayersPath)", ss.SpawnPath)
	}
}

// arena runs a Server on a WebSocket server on 127.0.0.1 until the test
// ends; it returns the URL of its endpoint.
func arena(t *testing.T, cfg *Config) (*Server, string) {
	t.Helper()
	mp, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, mp, cfg), "ws://" + mp.Addr().String()
}

// arenaENet is arena on an ENet server; it returns the server's address.
func arenaENet(t *testing.T, cfg *Config) (*Server, string) {
	t.Helper()
	mp, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, mp, cfg), mp.Host().LocalAddr().String()
}

// serve runs a Server on mp until the test ends, then closes mp.
func serve(t *testing.T, mp multiplayer.MultiplayerPeer, cfg *Config) *Server {
	s := NewServer(mp, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) && !errors.Is(err, peer.ErrClosed) {
			t.Errorf("server Run = %v", err)
		}
		mp.Close()
	})
	return s
}

// A dialer connects a client multiplayer peer to a server's address.
type dialer func(t *testing.T, addr string) multiplayer.MultiplayerPeer

func dialWebSocket(t *testing.T, url string) multiplayer.MultiplayerPeer {
	t.Helper()
	p, err := websocket.CreateClient(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func dialENet(t *testing.T, addr string) multiplayer.MultiplayerPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	p, err := enet.DialClient(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type runningBot struct {
	*Bot
	p    multiplayer.MultiplayerPeer
	stop context.CancelFunc
	done chan error
}

// startBot connects a bot over WebSocket and waits until it sees its own
// player.
func startBot(t *testing.T, wg *sync.WaitGroup, url string) *runningBot {
	t.Helper()
	return startBotOn(t, wg, dialWebSocket(t, url))
}

// startBotOn runs a bot on p and waits until it sees its own player.
func startBotOn(t *testing.T, wg *sync.WaitGroup, p multiplayer.MultiplayerPeer) *runningBot {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &runningBot{Bot: NewBot(p), p: p, stop: cancel, done: make(chan error, 1)}
	wg.Add(1)
	go func() { defer wg.Done(); b.done <- b.Run(ctx) }()
	t.Cleanup(func() { cancel(); p.Close() })
	wait(t, b.Bot, "its own player", func(pl map[string]variant.Vector2, _ []string) bool {
		_, ok := pl[strconv.Itoa(int(b.ID()))]
		return b.ID() != 0 && ok
	})
	return b
}

func (b *runningBot) leave() {
	b.stop()
	<-b.done
	b.p.Close()
}

func wait(t *testing.T, b *Bot, what string, cond func(map[string]variant.Vector2, []string) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := b.Wait(ctx, cond); err != nil {
		t.Fatalf("bot %d never saw %s; it sees %v", b.ID(), what, b.Players())
	}
}

// Go bots play: each sees the others spawn where the server put them, move
// as their input says, chat, and despawn when they leave; a late joiner
// sees every player where it is now.
func TestBots(t *testing.T) {
	noLeaks(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after the bots' cleanups stopped them
	_, url := arena(t, nil)
	playBots(t, &wg, url, dialWebSocket)
}

// TestBots over ENet (Godot's ENetMultiplayerPeer) on 127.0.0.1.
func TestBotsENet(t *testing.T) {
	noLeaks(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after the bots' cleanups stopped them
	_, addr := arenaENet(t, nil)
	playBots(t, &wg, addr, dialENet)
}

// playBots is TestBots's game on the server at addr, with bots dialled by
// dial.
func playBots(t *testing.T, wg *sync.WaitGroup, addr string, dial dialer) {
	t.Helper()
	a := startBotOn(t, wg, dial(t, addr))
	b := startBotOn(t, wg, dial(t, addr))
	an, bn := strconv.Itoa(int(a.ID())), strconv.Itoa(int(b.ID()))
	wait(t, a.Bot, "b spawn", func(pl map[string]variant.Vector2, _ []string) bool { return pl[bn] == spawnPoint(b.ID()) })
	wait(t, b.Bot, "a spawn", func(pl map[string]variant.Vector2, _ []string) bool { return pl[an] == spawnPoint(a.ID()) })

	// a moves right until b sees it 60 px from where it started (or at the wall).
	start := spawnPoint(a.ID())
	goal := min(start.X+60, Width-16)
	if err := a.Move(variant.Vector2{X: 1}); err != nil {
		t.Fatal(err)
	}
	wait(t, b.Bot, "a move right", func(pl map[string]variant.Vector2, _ []string) bool {
		return pl[an].X >= goal && pl[an].Y == start.Y
	})
	if err := a.Move(variant.Vector2{}); err != nil {
		t.Fatal(err)
	}
	var stopped variant.Vector2
	wait(t, a.Bot, "itself stop", func(pl map[string]variant.Vector2, _ []string) bool {
		if pl[an] == stopped && stopped.X >= goal {
			return true
		}
		stopped = pl[an]
		return false
	})

	// A late joiner sees both where they are now.
	c := startBotOn(t, wg, dial(t, addr))
	wait(t, c.Bot, "a and b", func(pl map[string]variant.Vector2, _ []string) bool {
		return len(pl) == 3 && pl[an].X >= goal && pl[bn] == spawnPoint(b.ID())
	})

	if err := c.Chat("hello arena"); err != nil {
		t.Fatal(err)
	}
	line := strconv.Itoa(int(c.ID())) + ": hello arena"
	for _, x := range []*runningBot{a, b, c} {
		wait(t, x.Bot, "the chat line", func(_ map[string]variant.Vector2, chats []string) bool { return slices.Contains(chats, line) })
	}

	b.leave()
	for _, x := range []*runningBot{a, c} {
		wait(t, x.Bot, "b despawn", func(pl map[string]variant.Vector2, _ []string) bool { _, ok := pl[bn]; return !ok && len(pl) == 2 })
		if n := x.Invalid(); n != 0 {
			t.Errorf("bot %d could not read %d packets", x.ID(), n)
		}
	}
	a.leave()
	c.leave()
}

// With an area of interest each bot sees only its nearest players.
func TestBotsNearest(t *testing.T) {
	noLeaks(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after the bots' cleanups stopped them
	_, url := arena(t, &Config{Nearest: 2})
	var bots []*runningBot
	for range 4 {
		bots = append(bots, startBot(t, &wg, url))
	}
	for _, b := range bots {
		// Its own player and the one nearest to it, nothing else.
		me := spawnPoint(b.ID())
		var nearest int32
		best := -1.0
		for _, o := range bots {
			p := spawnPoint(o.ID())
			d := (p.X-me.X)*(p.X-me.X) + (p.Y-me.Y)*(p.Y-me.Y)
			if o != b && (best < 0 || d < best) {
				best, nearest = d, o.ID()
			}
		}
		want := strconv.Itoa(int(nearest))
		wait(t, b.Bot, "only itself and "+want, func(pl map[string]variant.Vector2, _ []string) bool {
			_, ok := pl[want]
			return len(pl) == 2 && ok
		})
	}
	for _, b := range bots {
		b.leave()
	}
}

// A direction that is not a finite vector is ignored; a long one moves at
// the player's speed, not faster.
func TestBadInput(t *testing.T) {
	noLeaks(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after the bots' cleanups stopped them
	_, url := arena(t, nil)
	a := startBot(t, &wg, url)
	an := strconv.Itoa(int(a.ID()))
	for _, d := range []variant.Vector2{{X: math.Inf(1)}, {X: math.NaN(), Y: 1}, {X: 1, Y: math.Inf(-1)}} {
		if err := a.Move(d); err != nil {
			t.Fatal(err)
		}
	}
	// Then a huge but finite one, towards the middle: the player must not
	// jump (at most one 0.25 s step of DefaultSpeed between two SYNCs).
	start := spawnPoint(a.ID())
	dx := 1e9
	if start.X > Width/2 {
		dx = -1e9
	}
	if err := a.Move(variant.Vector2{X: dx}); err != nil {
		t.Fatal(err)
	}
	last := start
	var bad string
	wait(t, a.Bot, "itself move 40 px", func(pl map[string]variant.Vector2, _ []string) bool {
		p := pl[an]
		if !finite(p.X) || !finite(p.Y) || math.Abs(p.X-last.X) > DefaultSpeed*0.25+1 || p.Y != start.Y {
			bad = fmt.Sprintf("position %v after %v", p, last)
			return true
		}
		last = p
		return math.Abs(p.X-start.X) >= 40
	})
	if bad != "" {
		t.Fatal(bad)
	}
}
