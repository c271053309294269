package replication

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// viewer is a Go client's replication: it reads the server's SPAWN, SYNC
// and DESPAWN into what the client sees (each object's name and position,
// the one value of its synchronizer) and, every frame, sends the direction
// of the Input synchronizer it owns as Godot does: SIMPLIFY_PATH of the
// synchronizer's path, then a path-based SYNC. As a Godot client, it
// refuses a SPAWN whose spawner id the server did not register first with
// a SIMPLIFY_PATH naming the spawner.
type viewer struct {
	m      *scene.Multiplayer
	mu     sync.Mutex
	names  map[uint32]string          // net id of a spawned node → name
	syncs  map[uint32]uint32          // net id of its synchronizer → node's net id
	pos    map[string]variant.Vector2 // name → position
	dir    variant.Vector2
	seq    uint16
	change chan struct{}
	bad    int
}

func newViewer() *viewer {
	return &viewer{names: map[uint32]string{}, syncs: map[uint32]uint32{}, pos: map[string]variant.Vector2{}, change: make(chan struct{}, 1)}
}

func (v *viewer) AddPeer(int32)    {}
func (v *viewer) RemovePeer(int32) {}

func (v *viewer) Receive(from int32, p []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer func() {
		select {
		case v.change <- struct{}{}:
		default:
		}
	}()
	c, _ := scene.PacketCommand(p)
	switch c {
	case scene.CommandSpawn:
		s, err := ParseSpawn(p)
		if err != nil || len(s.Syncs) != 1 {
			v.bad++
			return err
		}
		if path, ok := v.m.PeerNode(from, s.Spawner); !ok || path != "Main/Spawner" {
			v.bad++
			return errors.New("SPAWN names spawner id " + strconv.Itoa(int(s.Spawner)) + ", which is " + strconv.Quote(path))
		}
		vals, _, err := DecodeState(nil, s.State, 1)
		if err != nil {
			v.bad++
			return err
		}
		v.names[s.NetID] = s.Name
		v.syncs[s.Syncs[0]] = s.NetID
		v.pos[s.Name], _ = vals[0].(variant.Vector2)
	case scene.CommandDespawn:
		id, err := ParseDespawn(p)
		if err != nil {
			v.bad++
			return err
		}
		delete(v.pos, v.names[id])
		delete(v.names, id)
	case scene.CommandSync:
		r, err := ParseSync(p)
		if err != nil {
			v.bad++
			return err
		}
		for r.Next() {
			e := r.Entry()
			vals, _, err := DecodeState(nil, e.State, 1)
			obj, ok := v.syncs[e.ID]
			if err != nil || !ok || r.Delta() {
				continue
			}
			if pos, ok := vals[0].(variant.Vector2); ok {
				v.pos[v.names[obj]] = pos
			}
		}
	}
	return nil
}

func (v *viewer) Tick(time.Time) {
	v.mu.Lock()
	dir := v.dir
	v.seq++
	seq := v.seq
	v.mu.Unlock()
	if dir == (variant.Vector2{}) {
		return
	}
	path := "Main/Players/" + strconv.Itoa(int(v.m.UniqueID())) + "/Input"
	id, _, err := v.m.NodeID(1, path)
	if err != nil {
		return
	}
	state, _ := scene.AppendCompressed(nil, dir, variant.EncodeOptions{})
	p := AppendSyncEntry(AppendSyncHeader(nil, seq), PathSyncFlag|id, state)
	v.m.Send(1, scene.TransferModeUnreliable, 0, p)
}

func (v *viewer) setDir(d variant.Vector2) {
	v.mu.Lock()
	v.dir = d
	v.mu.Unlock()
}

// wait blocks until cond holds for what v sees. It fails at once when v
// refused a packet.
func (v *viewer) wait(t *testing.T, what string, cond func(pos map[string]variant.Vector2) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	for {
		v.mu.Lock()
		ok := cond(v.pos)
		bad := v.bad
		snap := make(map[string]variant.Vector2, len(v.pos))
		for k, p := range v.pos {
			snap[k] = p
		}
		v.mu.Unlock()
		if ok {
			return
		}
		if bad != 0 {
			t.Fatalf("waiting for %s, client refused %d packets; it sees %v", what, bad, snap)
		}
		select {
		case <-v.change:
		case <-ctx.Done():
			mp := v.m.MultiplayerPeer()
			t.Fatalf("client never saw %s; it sees %v (client %d %v, session stats %+v)", what, snap, mp.UniqueID(), mp.ConnectionStatus(), v.m.Stats())
		}
	}
}

// arena is the server of the session tests: a player per client (Sync:
// position, always; Input: direction, owned by the client), moved by the
// client's direction each time it arrives.
type arena struct {
	r       *Replicator
	spawner *Spawner
	players map[int32]*Object
}

func newArena(m *scene.Multiplayer) *arena {
	a := &arena{r: Attach(m, nil), players: map[int32]*Object{}}
	a.spawner = &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
	if err := a.r.AddSpawner(a.spawner); err != nil {
		panic(err)
	}
	return a
}

func (a *arena) join(m *scene.Multiplayer, id int32) {
	pos := &variant.Vector2{X: float64(10 * id % 1000), Y: 50}
	dir := &variant.Vector2{}
	sync := &Synchronizer{Path: "Sync", Properties: []Property{{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: pos}}}
	input := &Synchronizer{Path: "Input", Authority: id, Properties: []Property{{Path: ".:direction", Mode: ReplicationModeAlways, Value: dir}}}
	input.OnUpdate = func(bool) { pos.X += dir.X; pos.Y += dir.Y }
	o, err := a.spawner.Spawn(strconv.Itoa(int(id)), 0, sync, input)
	if err != nil {
		panic(err)
	}
	a.players[id] = o
}

func (a *arena) leave(m *scene.Multiplayer, id int32) {
	if o := a.players[id]; o != nil {
		o.Despawn()
		delete(a.players, id)
	}
}

// TestAttachGoClients runs a Replicator in a scene.Multiplayer server with
// Go clients (scene.Multiplayer in client role) over real WebSocket
// multiplayer peers: each client sees its own and the other's player spawn
// with its spawn state, sees the other move as the server applies the
// other's client-owned Input (path-cache ids both ways through the
// session), and sees it despawn when it leaves.
func TestAttachGoClients(t *testing.T) {
	noLeaks(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + srv.Addr().String()
	testAttach(t, srv, func() multiplayer.MultiplayerPeer {
		p, err := websocket.CreateClient(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}

// The same over ENet multiplayer peers (SYNC goes unreliable on ENet's
// unreliable channel).
func TestAttachGoClientsENet(t *testing.T) {
	noLeaks(t)
	srv, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Host().LocalAddr().String()
	testAttach(t, srv, func() multiplayer.MultiplayerPeer {
		p, err := enet.DialClient(t.Context(), addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}

func testAttach(t *testing.T, sp multiplayer.MultiplayerPeer, dial func() multiplayer.MultiplayerPeer) {
	var a *arena
	m := scene.NewMultiplayer(sp, &scene.Config{
		TickRate:           100,
		OnPeerConnected:    func(m *scene.Multiplayer, id int32) { a.join(m, id) },
		OnPeerDisconnected: func(m *scene.Multiplayer, id int32) { a.leave(m, id) },
	})
	a = newArena(m)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	srvDone := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); srvDone <- m.Run(ctx) }()
	defer func() {
		cancel()
		wg.Wait()
		sp.Close()
		if err := <-srvDone; !errors.Is(err, context.Canceled) && !errors.Is(err, peer.ErrClosed) {
			t.Errorf("server Run = %v", err)
		}
		if s := m.Stats(); s.Replicated == 0 || s.Unsupported != 0 {
			t.Errorf("server stats %+v: want replicated packets, none unsupported", s)
		}
		if s := a.r.Stats(); s.Applied == 0 || s.Unknown != 0 || s.NotOwner != 0 || s.Invalid != 0 {
			t.Errorf("replicator stats %+v", s)
		}
	}()
	type client struct {
		m    *scene.Multiplayer
		v    *viewer
		p    multiplayer.MultiplayerPeer
		stop context.CancelFunc
		done chan error
	}
	newClient := func() *client {
		c := &client{p: dial(), v: newViewer(), done: make(chan error, 1)}
		c.m = scene.NewMultiplayer(c.p, &scene.Config{TickRate: 100})
		c.v.m = c.m
		c.m.SetReplication(c.v)
		cctx, stop := context.WithCancel(ctx)
		c.stop = stop
		wg.Add(1)
		go func() { defer wg.Done(); c.done <- c.m.Run(cctx) }()
		return c
	}
	c1 := newClient()
	defer c1.p.Close()
	c1.v.wait(t, "its own player", func(pos map[string]variant.Vector2) bool { return len(pos) == 1 })
	c2 := newClient()
	defer c2.p.Close()
	c2.v.wait(t, "two players", func(pos map[string]variant.Vector2) bool { return len(pos) == 2 })
	id1, id2 := strconv.Itoa(int(c1.m.UniqueID())), strconv.Itoa(int(c2.m.UniqueID()))
	c1.v.wait(t, "both players", func(pos map[string]variant.Vector2) bool { _, ok := pos[id2]; return ok && len(pos) == 2 })
	c2.v.wait(t, "both players", func(pos map[string]variant.Vector2) bool { _, ok := pos[id1]; return ok && len(pos) == 2 })
	var start variant.Vector2
	c2.v.wait(t, "player 1's spawn position", func(pos map[string]variant.Vector2) bool { start = pos[id1]; return start.Y == 50 })

	// Client 1 moves down; client 2 sees it through SYNC.
	c1.v.setDir(variant.Vector2{Y: 1})
	c2.v.wait(t, "player 1 move", func(pos map[string]variant.Vector2) bool { return pos[id1].Y > 60 && pos[id1].X == start.X })
	c1.v.setDir(variant.Vector2{})

	// Client 2 leaves: client 1 sees its player despawn.
	c2.stop()
	<-c2.done
	c2.p.Close()
	c1.v.wait(t, "player 2 despawn", func(pos map[string]variant.Vector2) bool { _, ok := pos[id2]; return !ok && len(pos) == 1 })
	if c1.v.bad != 0 {
		t.Errorf("client 1 could not read %d packets", c1.v.bad)
	}
}

// TestAttachHostile: through a scene.Multiplayer server, a client's SPAWN
// and DESPAWN, SYNC for a player it does not own or a net id nobody has,
// and a malformed SYNC are dropped and counted, and a flood of them leaves
// the server serving the honest client.
func TestAttachHostile(t *testing.T) {
	noLeaks(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + srv.Addr().String()
	var a *arena
	m := scene.NewMultiplayer(srv, &scene.Config{
		TickRate:           100,
		OnPeerConnected:    func(m *scene.Multiplayer, id int32) { a.join(m, id) },
		OnPeerDisconnected: func(m *scene.Multiplayer, id int32) { a.leave(m, id) },
	})
	a = newArena(m)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(1)
	go func() { defer wg.Done(); m.Run(ctx) }()
	var clients []*scene.Multiplayer
	var viewers []*viewer
	runs := make(chan error, 2)
	for range 2 {
		// Room to queue the whole flood at once.
		p, err := websocket.CreateClient(url, &websocket.Config{OutboundBufferSize: 1 << 20, MaxQueuedPackets: 16384})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		v := newViewer()
		c := scene.NewMultiplayer(p, &scene.Config{TickRate: 100})
		v.m = c
		c.SetReplication(v)
		wg.Add(1)
		go func() { defer wg.Done(); runs <- c.Run(ctx) }()
		clients = append(clients, c)
		viewers = append(viewers, v)
	}
	for _, v := range viewers {
		v.wait(t, "both players", func(pos map[string]variant.Vector2) bool { return len(pos) == 2 })
	}
	// The hostile client 0 learns the net ids of client 1's player.
	hostile, honest := clients[0], viewers[1]
	var otherSync uint32 // the net id of client 1's server-owned Sync
	viewers[0].mu.Lock()
	for sid, obj := range viewers[0].syncs {
		if viewers[0].names[obj] == strconv.Itoa(int(clients[1].UniqueID())) {
			otherSync = sid
		}
	}
	viewers[0].mu.Unlock()
	state, _ := scene.AppendCompressed(nil, variant.Vector2{X: 999, Y: 999}, variant.EncodeOptions{})
	spawn, err := AppendSpawn(nil, &Spawn{Spawner: 1, NetID: 77, Name: "x", Syncs: []uint32{78}, State: state})
	if err != nil {
		t.Fatal(err)
	}
	// Client 1's Input is client-owned: the hostile client names it by
	// path, as Godot would, and is not its owner.
	inputID, _, err := hostile.NodeID(1, "Main/Players/"+strconv.Itoa(int(clients[1].UniqueID()))+"/Input")
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 2000
	for i := range rounds {
		for _, p := range [][]byte{
			spawn,
			AppendDespawn(nil, otherSync),
			AppendSyncEntry(AppendSyncHeader(nil, uint16(i)), PathSyncFlag|inputID, state), // not its owner
			AppendSyncEntry(AppendSyncHeader(nil, uint16(i)), 9999, state),                 // nobody's
			{byte(scene.CommandSync), 1, 0, 0, 0},                                          // too short
		} {
			if err := hostile.Send(1, scene.TransferModeReliable, 0, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Then the hostile client moves its own player (its Input, after the
	// flood on the same ordered connection): once the honest client sees
	// that, the server has handled the whole flood.
	hid := strconv.Itoa(int(hostile.UniqueID()))
	honest.mu.Lock()
	start := honest.pos[hid]
	honest.mu.Unlock()
	viewers[0].setDir(variant.Vector2{X: 1})
	honest.wait(t, "the hostile player move", func(pos map[string]variant.Vector2) bool { return pos[hid].X > start.X+5 })
	id1 := strconv.Itoa(int(clients[1].UniqueID()))
	honest.mu.Lock()
	got := honest.pos[id1]
	honest.mu.Unlock()
	if want := (variant.Vector2{X: float64(10 * clients[1].UniqueID() % 1000), Y: 50}); got != want {
		t.Errorf("client 1's player, which never moved, is at %v, want %v", got, want)
	}
	cancel()
	wg.Wait()
	srv.Close()
	for range 2 {
		if err := <-runs; !errors.Is(err, context.Canceled) {
			t.Errorf("a client's Run returned %v, want it to run until the end", err)
		}
	}
	s := a.r.Stats()
	// Reliable and in order: every hostile packet reached the Replicator
	// before the honest client's movement did.
	if s.Refused != 2*rounds || s.NotOwner != rounds || s.Unknown != rounds || s.Invalid != rounds {
		t.Errorf("replicator stats %+v, want %d refused, %d each of not-owner, unknown, invalid", s, 2*rounds, rounds)
	}
	if ms := m.Stats(); ms.Replicated < 5*rounds {
		t.Errorf("session stats %+v: want %d replication packets handed over", ms, 5*rounds)
	}
}

// connectingPeer is a client multiplayer peer caught as its handshake
// completes: its first GetPacketFrom fails with the transport's "still
// connecting" error (peer.ErrUnconfigured, as the WebSocket and ENet peers
// return while ConnectionConnecting) and, until then, ConnectionStatus
// says ConnectionConnecting; afterwards both are the connected peer's. A
// Poll that read the status after the failed read saw a connected peer
// that failed to read, ended the client's session, and its Run returned:
// the client never saw a spawn (TestAttachHostile's "it sees map[]").
type connectingPeer struct {
	multiplayer.MultiplayerPeer
	mu   sync.Mutex
	done bool
}

func (c *connectingPeer) GetPacketFrom() ([]byte, multiplayer.PacketInfo, error) {
	c.mu.Lock()
	first := !c.done
	c.done = true
	c.mu.Unlock()
	if first {
		return nil, multiplayer.PacketInfo{}, &peer.OpError{Op: "get packet", Transport: "test", Code: peer.ErrUnconfigured, Detail: "still connecting"}
	}
	return c.MultiplayerPeer.GetPacketFrom()
}

func (c *connectingPeer) ConnectionStatus() multiplayer.ConnectionStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		return multiplayer.ConnectionConnecting
	}
	return c.MultiplayerPeer.ConnectionStatus()
}

// TestAttachClientConnecting: a Go client whose first read meets the end
// of its handshake (connectingPeer) keeps running and sees its player.
// Before the fix its Run returned at once with the "still connecting"
// error.
func TestAttachClientConnecting(t *testing.T) {
	noLeaks(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	var a *arena
	m := scene.NewMultiplayer(srv, &scene.Config{
		TickRate:        100,
		OnPeerConnected: func(m *scene.Multiplayer, id int32) { a.join(m, id) },
	})
	a = newArena(m)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait(); srv.Close() }()
	wg.Add(1)
	go func() { defer wg.Done(); m.Run(ctx) }()
	p, err := websocket.DialClient(ctx, "ws://"+srv.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	v := newViewer()
	c := scene.NewMultiplayer(&connectingPeer{MultiplayerPeer: p}, &scene.Config{TickRate: 100})
	v.m = c
	c.SetReplication(v)
	done := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); done <- c.Run(ctx) }()
	timeout := time.After(15 * time.Second)
	for {
		v.mu.Lock()
		n := len(v.pos)
		v.mu.Unlock()
		if n == 1 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("client Run returned %v before the client saw its player", err)
		case <-v.change:
		case <-timeout:
			t.Fatal("client never saw its player")
		}
	}
}

// TestAttachOnClient runs a Replicator in each Go client's session too, as
// ExampleAttach_client does: declared with the server's spawner and
// OnSpawned, it creates what the server spawns with the spawn state, applies
// the server's SYNC, and reports each despawn, by DESPAWN (another client
// left) or because the server itself went, as a Godot client frees the
// nodes the server spawned. It sends nothing to the server.
func TestAttachOnClient(t *testing.T) {
	noLeaks(t)
	srv, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Host().LocalAddr().String()
	var a *arena
	m := scene.NewMultiplayer(srv, &scene.Config{
		TickRate:           100,
		OnPeerConnected:    func(m *scene.Multiplayer, id int32) { a.join(m, id) },
		OnPeerDisconnected: func(m *scene.Multiplayer, id int32) { a.leave(m, id) },
	})
	a = newArena(m)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	srvCtx, stopServer := context.WithCancel(ctx)
	defer stopServer()
	wg.Add(1)
	go func() { defer wg.Done(); m.Run(srvCtx) }()

	type client struct {
		p      multiplayer.MultiplayerPeer
		m      *scene.Multiplayer
		r      *Replicator
		events chan string // "spawn <name> <position>", "sync <name>", "despawn <name>"
		done   chan error
	}
	newClient := func() *client {
		p, err := enet.DialClient(ctx, addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		c := &client{p: p, events: make(chan string, 1024), done: make(chan error, 1)}
		c.m = scene.NewMultiplayer(p, &scene.Config{TickRate: 100})
		c.r = Attach(c.m, nil)
		sp := &Spawner{Path: "Main/Spawner", SpawnPath: "Main/Players", Scenes: []string{"res://player.tscn"}}
		sp.OnSpawned = func(o *Object, arg any) ([]*Synchronizer, error) {
			pos := new(variant.Vector2)
			s := &Synchronizer{Path: "Sync", Properties: []Property{{Path: ".:position", Spawn: true, Mode: ReplicationModeAlways, Value: pos}}}
			s.OnUpdate = func(bool) {
				select {
				case c.events <- "sync " + o.Name + " " + pos.String():
				default: // a slow test drops SYNC reports, not the others
				}
			}
			if arg != nil {
				return nil, errors.New("a scene spawn has no argument")
			}
			return []*Synchronizer{s}, nil
		}
		sp.OnDespawned = func(o *Object) { c.events <- "despawn " + o.Name }
		if err := c.r.AddSpawner(sp); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); c.done <- c.m.Run(ctx) }()
		return c
	}
	// next returns the next event of c that is not a SYNC report, or, with
	// sync set, the next SYNC report.
	next := func(c *client, sync bool) string {
		t.Helper()
		for {
			select {
			case ev := <-c.events:
				if strings.HasPrefix(ev, "sync ") == sync {
					return ev
				}
			case <-ctx.Done():
				t.Fatalf("no event (client %d, session %+v, replicator %+v)", c.p.UniqueID(), c.m.Stats(), c.r.Stats())
			}
		}
	}
	startOf := func(c *client) string {
		id := c.p.UniqueID()
		return strconv.Itoa(int(id)) + " " + variant.Vector2{X: float64(10 * id % 1000), Y: 50}.String()
	}

	c1 := newClient()
	defer c1.p.Close()
	if ev, want := next(c1, true), "sync "+startOf(c1); ev != want {
		t.Errorf("client 1 first saw %q, want %q", ev, want)
	}
	c2 := newClient()
	defer c2.p.Close()
	name1, name2 := strconv.Itoa(int(c1.p.UniqueID())), strconv.Itoa(int(c2.p.UniqueID()))
	// Client 2 joins late: it gets player 1 then its own, with their spawn
	// state, and both SYNC.
	seen := map[string]bool{}
	for len(seen) < 2 {
		ev := next(c2, true)
		seen[ev] = ev == "sync "+startOf(c1) || ev == "sync "+startOf(c2)
		if !seen[ev] {
			t.Fatalf("client 2 saw %q; want %q and %q", ev, "sync "+startOf(c1), "sync "+startOf(c2))
		}
	}
	// Client 1 sees player 2 arrive too.
	for ev := next(c1, true); ev != "sync "+startOf(c2); ev = next(c1, true) {
		if ev != "sync "+startOf(c1) {
			t.Fatalf("client 1 saw %q", ev)
		}
	}

	// Client 2 leaves: the server despawns its player on client 1.
	c2.p.Close()
	<-c2.done
	if ev := next(c1, false); ev != "despawn "+name2 {
		t.Errorf("after client 2 left, client 1 saw %q, want despawn %s", ev, name2)
	}
	// The server goes: client 1 frees what it spawned, as Godot does.
	stopServer()
	srv.Close()
	if ev := next(c1, false); ev != "despawn "+name1 {
		t.Errorf("after the server left, client 1 saw %q, want despawn %s", ev, name1)
	}
	if err := <-c1.done; !errors.Is(err, io.EOF) {
		t.Errorf("client 1 Run = %v, want the session's end (io.EOF)", err)
	}
	if s := c1.r.Stats(); s.Applied == 0 || s.Refused != 0 || s.Unknown != 0 || s.NotOwner != 0 || s.Invalid != 0 || s.BadValues != 0 {
		t.Errorf("client 1 replicator stats %+v", s)
	}
	if s := m.Stats(); s.Replicated != 0 || s.Relayed != 0 {
		t.Errorf("server stats %+v: the clients sent replication packets", s)
	}
}
