package websocket_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/multiplayer/multiplayertest"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func mpNetwork(t *testing.T, clients int, srvCfg, cliCfg *websocket.Config, scheme string) multiplayertest.Network {
	t.Helper()
	srv, err := websocket.CreateServer("127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	url := scheme + "://" + srv.Addr().String() + "/"
	n := multiplayertest.Network{Server: srv}
	n.Connect = func(ctx context.Context) (multiplayer.MultiplayerPeer, error) {
		c, err := websocket.DialClient(ctx, url, cliCfg)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range clients {
		c, err := n.Connect(ctx)
		if err != nil {
			srv.Close()
			for _, c := range n.Clients {
				c.Close()
			}
			t.Fatal(err)
		}
		n.Clients = append(n.Clients, c)
	}
	return n
}

func TestMultiplayerConformance(t *testing.T) {
	multiplayertest.Run(t, func(t *testing.T, clients int) multiplayertest.Network {
		return mpNetwork(t, clients, nil, nil, "ws")
	}, multiplayertest.Config{ReliableOnly: true})
}

func TestMultiplayerConformanceTLS(t *testing.T) {
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	multiplayertest.Run(t, func(t *testing.T, clients int) multiplayertest.Network {
		return mpNetwork(t, clients, &websocket.Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}},
			&websocket.Config{TLSConfig: &tls.Config{RootCAs: cert.Pool}}, "wss")
	}, multiplayertest.Config{ReliableOnly: true})
}

// A client forced out by DisconnectPeer(id, true) is forgotten without a
// PeerDisconnected on the server, however fast its connection closes
// (before multiplayer.Session, the reader could report it between
// DisconnectPeer closing the connection and marking it forced; rarely
// here, in about one ServerForcesClient run in six).
func TestMultiplayerForcedNoEvent(t *testing.T) {
	peertest.CheckGoroutines(t)
	const forced = 24
	n := mpNetwork(t, forced+1, nil, nil, "ws")
	defer func() {
		for _, c := range n.Clients {
			c.Close()
		}
		n.Server.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range n.Clients {
		if ev, err := n.Server.ReadEvent(ctx); err != nil || ev.Type != multiplayer.PeerConnected {
			t.Fatalf("server event %v, %v", ev, err)
		}
	}
	gone := map[int32]bool{}
	for _, c := range n.Clients[:forced] {
		id := c.UniqueID()
		gone[id] = true
		if err := n.Server.DisconnectPeer(id, true); err != nil {
			t.Fatal(err)
		}
		for {
			ev, err := c.ReadEvent(ctx)
			if err != nil {
				t.Fatalf("client %d: %v", id, err)
			}
			if ev == (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: 1}) {
				break
			}
		}
	}
	keeper := n.Clients[forced]
	if err := n.Server.SendTo(keeper.UniqueID(), multiplayer.TransferModeReliable, 0, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if err := keeper.SendTo(1, multiplayer.TransferModeReliable, 0, []byte("pong")); err != nil {
		t.Fatal(err)
	}
	if b, err := keeper.ReadPacket(ctx); err != nil || string(b) != "ping" {
		t.Fatalf("keeper read %q, %v", b, err)
	}
	if b, err := n.Server.ReadPacket(ctx); err != nil || string(b) != "pong" {
		t.Fatalf("server read %q, %v", b, err)
	}
	for {
		ev, ok := n.Server.PollEvent()
		if !ok {
			break
		}
		if ev.Type == multiplayer.PeerDisconnected && gone[ev.ID] {
			t.Errorf("%v after DisconnectPeer(%d, true)", ev, ev.ID)
		}
	}
}
