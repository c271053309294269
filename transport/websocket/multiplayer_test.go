package websocket_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/multiplayer/multiplayertest"
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
