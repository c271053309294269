package websocket_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// Two listenerless servers behind one Listener, chosen by the URL path:
// each gives its clients ids, events and packets of its own.
func TestMultiplayerAddPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	l, err := websocket.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	servers := map[string]*websocket.MultiplayerPeer{}
	for _, room := range []string{"/a", "/b"} {
		s, err := websocket.NewMultiplayerServer(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		servers[room] = s
	}
	accepted := make(chan error, 1)
	go func() {
		for range 2 {
			ws, err := l.Accept(ctx)
			if err != nil {
				accepted <- err
				return
			}
			if _, err := servers[ws.Request().URL.Path].AddPeer(ws); err != nil {
				accepted <- err
				return
			}
		}
		accepted <- nil
	}()
	clients := map[string]*websocket.MultiplayerPeer{}
	for _, room := range []string{"/a", "/b"} {
		c, err := websocket.DialClient(ctx, "ws://"+l.Addr().String()+room, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[room] = c
	}
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}
	for room, s := range servers {
		ev, err := s.ReadEvent(ctx)
		if err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: clients[room].UniqueID()}) {
			t.Fatalf("%s: event %v, %v", room, ev, err)
		}
		if err := s.SendTo(multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 0, []byte(room)); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Accepted != 1 {
			t.Fatalf("%s: Accepted %d", room, st.Accepted)
		}
	}
	for room, c := range clients {
		b, err := c.ReadPacket(ctx)
		if err != nil || string(b) != room {
			t.Fatalf("client of %s read %q, %v", room, b, err)
		}
	}
	servers["/a"].Close()
	ws, err := websocket.Dial(ctx, "ws://"+l.Addr().String()+"/a", nil)
	if err != nil {
		t.Fatal(err)
	}
	sws, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := servers["/a"].AddPeer(sws); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("AddPeer after Close = %v", err)
	}
	if _, err := ws.ReadPacket(ctx); err == nil {
		t.Fatal("a connection added to a closed server stayed open")
	}
	if _, err := clients["/a"].AddPeer(sws); !errors.Is(err, peer.ErrUnavailable) {
		t.Fatalf("AddPeer on a client = %v", err)
	}
}

// A client's first message is its id even when the server sends to it the
// moment it is connected (SceneMultiplayer's ADD_PEER) and broadcasts all
// the while.
func TestMultiplayerIDFirst(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	stop := make(chan struct{})
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			ev, err := srv.ReadEvent(ctx)
			if err != nil {
				return
			}
			if ev.Type == multiplayer.PeerConnected {
				srv.SendTo(ev.ID, multiplayer.TransferModeReliable, 0, []byte{7, 1, 2, 0, 0, 0})
			}
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case <-stop:
				return
			default:
				srv.SendTo(multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 0, []byte{3, 1})
			}
		}
	}()
	for range 50 {
		c, err := websocket.DialClient(ctx, "ws://"+srv.Addr().String(), nil)
		if err != nil {
			t.Fatalf("a client's first message was not its id: %v", err)
		}
		c.Close()
	}
	close(stop)
	srv.Close()
	<-done
	<-done
}
