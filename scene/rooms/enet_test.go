package rooms_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/rooms"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// enetClient is a Go client playing a Godot ENetMultiplayerPeer client
// under SceneMultiplayer, in a room.
type enetClient struct {
	m      *scene.Multiplayer
	p      *enet.MultiplayerPeer
	events chan got
	cancel context.CancelFunc
	done   chan struct{}
}

func joinENet(t *testing.T, r *rooms.Room) *enetClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := enet.DialClient(ctx, r.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &enetClient{p: p, events: make(chan got, 64), done: make(chan struct{})}
	c.m = scene.NewMultiplayer(p, &scene.Config{
		OnPeerConnected:    func(_ *scene.Multiplayer, id int32) { c.events <- got{id, "connected"} },
		OnPeerDisconnected: func(_ *scene.Multiplayer, id int32) { c.events <- got{id, "disconnected"} },
		OnPeerPacket:       func(_ *scene.Multiplayer, id int32, b []byte) { c.events <- got{id, "packet " + string(b)} },
	})
	var run context.Context
	run, c.cancel = context.WithCancel(context.Background())
	go func() {
		defer close(c.done)
		c.m.Run(run)
	}()
	t.Cleanup(c.close)
	return c
}

func (c *enetClient) close() {
	c.cancel()
	<-c.done
	c.p.Close()
}

// TestRoomsENet runs two ENet rooms, a port each, in one Rooms: clients
// of a room see each other (ADD_PEER), reach each other through the
// room's relay and are heard by the room's handlers, while the client of
// the other room sees none of it; rooms stay open without clients until
// CloseRoom, which drops their clients.
func TestRoomsENet(t *testing.T) {
	noLeaks(t)
	heard := make(chan got, 16)
	admitted := make(chan got, 16)
	var rs *rooms.Server
	rs = rooms.New(&rooms.Config{
		Multiplayer: scene.Config{
			OnPeerConnected: func(m *scene.Multiplayer, id int32) { admitted <- got{id, rs.RoomOf(m).Name()} },
			OnPeerPacket: func(m *scene.Multiplayer, id int32, data []byte) {
				heard <- got{id, rs.RoomOf(m).Name() + " " + string(data)}
			},
		},
		Setup: func(r *rooms.Room) error {
			if r.Name() == "/bad" {
				return errors.New("no such game")
			}
			_, err := r.Multiplayer().AddNode("Main", mainMethods)
			return err
		},
		MaxRooms: 3,
	})
	defer rs.Close()
	one, err := rs.OpenENet("/one", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	two, err := rs.OpenENet("/two", "127.0.0.1:0", &enet.MultiplayerConfig{MaxClients: 4})
	if err != nil {
		t.Fatal(err)
	}
	if one.Addr() == nil || one.Addr().String() == two.Addr().String() || one.ENet() == nil {
		t.Fatalf("rooms on %v and %v", one.Addr(), two.Addr())
	}
	if _, err := rs.OpenENet("/one", "127.0.0.1:0", nil); !errors.Is(err, peer.ErrAlreadyInUse) {
		t.Errorf("opening room one twice: %v", err)
	}
	if _, err := rs.OpenENet("/three", one.Addr().String(), nil); !errors.Is(err, peer.ErrCantCreate) {
		t.Errorf("a room on a port in use: %v", err)
	}
	if _, err := rs.OpenENet("/three", "127.0.0.1:0", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.OpenENet("/four", "127.0.0.1:0", nil); !errors.Is(err, peer.ErrBusy) ||
		err.Error() != `rooms: open ENet "/four": 3 rooms open, MaxRooms reached (ERR_BUSY)` {
		t.Errorf("a fourth room with MaxRooms 3: %v", err)
	}
	if err := rs.CloseRoom("/three"); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.OpenENet("/bad", "127.0.0.1:0", nil); err == nil || rs.Room("/bad") != nil {
		t.Errorf("a room whose Setup failed opened: %v", err)
	}
	if _, err := rs.OpenENet("", "127.0.0.1:0", nil); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("a room without a name: %v", err)
	}
	long := strings.Repeat("x", 1<<20)
	if _, err := rs.OpenENet(long, "127.0.0.1:0", nil); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("a room with a 1 MiB name: %.100v", err)
	} else if n := len(err.Error()); n > rooms.MaxNameBytes+100 {
		t.Errorf("a room with a 1 MiB name: a %d-byte error", n)
	}

	a := joinENet(t, one)
	waitFor(t, a.events, got{1, "connected"})
	b := joinENet(t, one)
	waitFor(t, b.events, got{1, "connected"})
	c := joinENet(t, two)
	waitFor(t, c.events, got{1, "connected"})
	seen := map[got]bool{}
	for range 3 {
		select {
		case g := <-admitted:
			seen[g] = true
		case <-time.After(10 * time.Second):
			t.Fatal("the rooms did not admit their clients")
		}
	}
	for _, want := range []got{{a.m.UniqueID(), "/one"}, {b.m.UniqueID(), "/one"}, {c.m.UniqueID(), "/two"}} {
		if !seen[want] {
			t.Errorf("rooms admitted %v, want %v among them", seen, want)
		}
	}
	// In room one, a and b learn of each other; c learns of nobody.
	waitFor(t, a.events, got{b.m.UniqueID(), "connected"})
	waitFor(t, b.events, got{a.m.UniqueID(), "connected"})
	if ids := one.Multiplayer().Peers(); len(ids) != 2 || !slices.Contains(ids, a.m.UniqueID()) || !slices.Contains(ids, b.m.UniqueID()) {
		t.Errorf("room one peers %v", ids)
	}
	if ids := two.Multiplayer().Peers(); !slices.Equal(ids, []int32{c.m.UniqueID()}) {
		t.Errorf("room two peers %v", ids)
	}

	// a's broadcast reaches b (relayed) and room one's server only.
	if err := a.m.SendBytes([]byte("hi all"), 0, scene.TransferModeReliable, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b.events, got{a.m.UniqueID(), "packet hi all"})
	waitFor(t, heard, got{a.m.UniqueID(), "/one hi all"})
	if err := c.m.SendBytes([]byte("hi two"), 0, scene.TransferModeReliable, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, heard, got{c.m.UniqueID(), "/two hi two"})
	// Room two's server answers c; c's next event is that, nothing of room one.
	if err := two.Multiplayer().SendBytes([]byte("marker"), c.m.UniqueID(), scene.TransferModeReliable, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, c.events, got{1, "packet marker"})
	if err := one.Multiplayer().SendBytes([]byte("marker"), 0, scene.TransferModeReliable, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, a.events, got{1, "packet marker"})
	waitFor(t, b.events, got{1, "packet marker"})
	if len(heard) != 0 {
		t.Errorf("the rooms heard more: %v", <-heard)
	}
	if s := two.Multiplayer().Stats(); s.Relayed != 0 || s.UnknownPeer != 0 {
		t.Errorf("room two stats %+v", s)
	}

	// c leaves: room two stays open for the next client; closing room two
	// drops that one.
	c.close()
	d := joinENet(t, two)
	waitFor(t, d.events, got{1, "connected"})
	if rs.Room("/two") != two || rs.Len() != 2 {
		t.Fatalf("room two after its client left: %v, %d rooms", rs.Room("/two"), rs.Len())
	}
	// A WebSocket client asking for an ENet room's name is refused.
	l, err := websocket.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- rs.Serve(ctx, l) }()
	refused := rs.Refused()
	if ws, err := websocket.DialClient(ctx, "ws://"+l.Addr().String()+"/two", &websocket.Config{HandshakeTimeout: 5 * time.Second}); err == nil {
		ws.Close()
		t.Errorf("a WebSocket client joined ENet room two")
	}
	if rs.Refused() != refused+1 {
		t.Errorf("Refused %d, want %d", rs.Refused(), refused+1)
	}
	cancel()
	<-served
	l.Close()
	if err := rs.CloseRoom("/two"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d.events, got{1, "disconnected"})
	if err := rs.CloseRoom("/two"); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("closing room two twice: %v", err)
	}
	if rs.Len() != 1 {
		t.Errorf("%d rooms open, want 1", rs.Len())
	}
	rs.Close()
	if _, err := rs.OpenENet("/five", "127.0.0.1:0", nil); !errors.Is(err, peer.ErrClosed) || rs.Len() != 0 {
		t.Errorf("opening a room after Close: %v, %d rooms", err, rs.Len())
	}
}
