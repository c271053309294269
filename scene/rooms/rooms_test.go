package rooms_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/scene/rooms"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// Clients in two rooms behind one listener never see each other: each
// room has its own peer list, relay, path cache and node ids; a room
// closes with its last client.
func TestRooms(t *testing.T) {
	noLeaks(t)
	events := make(chan got, 32)
	closed := make(chan string, 4)
	var rs *rooms.Server
	rs = rooms.New(&rooms.Config{
		Multiplayer: scene.Config{
			OnPeerConnected: func(m *scene.Multiplayer, id int32) { events <- got{id, rs.RoomOf(m).Name() + " connected"} },
			OnPeerPacket: func(m *scene.Multiplayer, id int32, data []byte) {
				events <- got{id, fmt.Sprintf("%s packet % x", rs.RoomOf(m).Name(), data)}
			},
		},
		Setup: func(r *rooms.Room) error {
			if r.Name() == "/bad" {
				return errors.New("no such game")
			}
			_, err := r.Multiplayer().AddNode("Main", mainMethods)
			return err
		},
		OnRoomClosed: func(r *rooms.Room) { closed <- r.Name() },
		MaxRooms:     2,
	})
	l, err := websocket.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- rs.Serve(ctx, l) }()
	defer func() {
		cancel()
		if err := <-served; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v", err)
		}
		l.Close()
		rs.Close()
		if rs.Len() != 0 {
			t.Errorf("%d rooms after Close", rs.Len())
		}
	}()
	base := "ws://" + l.Addr().String()
	a1 := dial(t, base+"/one")
	waitFor(t, events, got{a1.id, "/one connected"})
	b1 := dial(t, base+"/one")
	waitFor(t, events, got{b1.id, "/one connected"})
	c2 := dial(t, base+"/two")
	waitFor(t, events, got{c2.id, "/two connected"})
	a1.expect("ADD_PEER b1", h(t, "07 01 "+le32(b1.id)))
	b1.expect("ADD_PEER a1", h(t, "07 01 "+le32(a1.id)))
	if rs.Len() != 2 {
		t.Fatalf("%d rooms, want 2", rs.Len())
	}
	if r := rs.Room("/one"); r.Addr() != nil || r.ENet() != nil {
		t.Errorf("WebSocket room /one has ENet address %v", r.Addr())
	}

	// A third room is refused (MaxRooms 2), and so is a failing Setup.
	if _, err := websocket.DialClient(t.Context(), base+"/three", &websocket.Config{HandshakeTimeout: 5 * time.Second}); err == nil {
		t.Fatal("a third room opened")
	}

	// a1's path cache entry and broadcast stay in /one.
	a1.send("01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00")
	a1.expect("CONFIRM_PATH", h(t, "02 01 01 00 00 00"))
	a1.send("07 03 00 00 00 00 03 01")
	waitFor(t, events, got{a1.id, "/one packet 01"})
	b1.expect("relayed in /one", h(t, "07 03 "+le32(a1.id)+" 03 01"))
	c2.send("00 01 04 00") // cache id 1 means nothing from c2 in /two
	c2.send("03 02")
	waitFor(t, events, got{c2.id, "/two packet 02"})
	if s := rs.Room("/two").Multiplayer().Stats(); s.UnknownNode != 1 || s.Relayed != 0 {
		t.Fatalf("/two stats %+v", s)
	}
	// Go's first RPC in /two gets cache id 1, whatever /one did.
	if err := rs.Room("/two").Multiplayer().Node("Main").RPCID(c2.id, "from_server", 1, 2); err != nil {
		t.Fatal(err)
	}
	c2.expect("SIMPLIFY_PATH id 1", h(t, "01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00"))
	c2.next()
	// c2 leaving closes /two; /one stays.
	two := rs.Room("/two").Multiplayer()
	if r := rs.RoomOf(two); r == nil || r.Name() != "/two" {
		t.Fatalf("RoomOf(/two's session) = %v", r)
	}
	c2.p.Close()
	if name := <-closed; name != "/two" {
		t.Fatalf("closed %q", name)
	}
	if rs.Len() != 1 || rs.Room("/one") == nil {
		t.Fatalf("rooms after /two closed: %d", rs.Len())
	}
	if r := rs.RoomOf(two); r != nil {
		t.Fatalf("RoomOf(closed /two's session) = %q", r.Name())
	}
	c3 := dial(t, base+"/two") // a fresh /two
	waitFor(t, events, got{c3.id, "/two connected"})
	if _, err := websocket.DialClient(t.Context(), base+"/bad", nil); err == nil {
		t.Fatal("a room whose Setup failed opened")
	}
	if got := rs.Refused(); got != 2 {
		t.Fatalf("Refused = %d, want 2", got)
	}
	a1.send("03 03") // a1 still served
	waitFor(t, events, got{a1.id, "/one packet 03"})
	_, err = rs.Join("/one", nil)
	var re *rooms.Error
	if !errors.Is(err, peer.ErrInvalidParameter) || !errors.As(err, &re) || re.Op != "join" || re.Room != "/one" ||
		err.Error() != `rooms: join "/one": no connection (ERR_INVALID_PARAMETER)` {
		t.Fatalf("Join without a connection = %v", err)
	}
}
