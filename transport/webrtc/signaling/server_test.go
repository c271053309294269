package signaling

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

func startServer(t *testing.T, cfg *ServerConfig) string {
	t.Helper()
	s := NewServer(cfg)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func dial(t *testing.T, url string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// read returns the next message within a deadline.
func read(t *testing.T, c *Client) Message {
	t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := c.Read()
	require.NoError(t, err)
	return m
}

// expectClose reads until the server closes the connection and returns the
// close code and reason.
func expectClose(t *testing.T, c *Client) (int, string) {
	t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, err := c.Read()
		if err == nil || errors.Is(err, ErrBadMessage) {
			continue
		}
		var ce *websocket.CloseError
		require.ErrorAs(t, err, &ce, "want a close frame, got %v", err)
		return ce.Code, ce.Text
	}
}

func TestClientServerLobby(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := startServer(t, nil)
	host := dial(t, url)
	require.NoError(t, host.Join("", false))
	require.Equal(t, Message{Type: ID, ID: 1, Data: ""}, read(t, host))
	j := read(t, host)
	require.Equal(t, Join, j.Type)
	require.Len(t, j.Data, 32, "a created lobby gets a 32-character name")
	lobby := j.Data

	b := dial(t, url)
	require.NoError(t, b.Join(lobby, false))
	idb := read(t, b)
	require.Equal(t, ID, idb.Type)
	require.GreaterOrEqual(t, idb.ID, 2)
	require.Equal(t, Message{Type: PeerConnect, ID: 1}, read(t, b))
	require.Equal(t, Message{Type: Join, Data: lobby}, read(t, b))
	require.Equal(t, Message{Type: PeerConnect, ID: idb.ID}, read(t, host))

	c := dial(t, url)
	require.NoError(t, c.Join(lobby, true)) // mesh flag ignored when joining
	idc := read(t, c)
	require.Equal(t, ID, idc.Type)
	require.Equal(t, "", idc.Data)
	require.Equal(t, Message{Type: PeerConnect, ID: 1}, read(t, c), "client-server: only the host is visible")
	require.Equal(t, Message{Type: Join, Data: lobby}, read(t, c))
	require.Equal(t, Message{Type: PeerConnect, ID: idc.ID}, read(t, host))

	// Relay: a client addresses the host as 1, the host sees the client's id.
	require.NoError(t, b.SendOffer(1, "v=0 offer"))
	require.Equal(t, Message{Type: Offer, ID: idb.ID, Data: "v=0 offer"}, read(t, host))
	require.NoError(t, host.SendAnswer(idb.ID, "v=0 answer"))
	require.Equal(t, Message{Type: Answer, ID: 1, Data: "v=0 answer"}, read(t, b))
	require.NoError(t, host.SendCandidate(idb.ID, "0", 0, "candidate:1 1 udp 1 127.0.0.1 5000 typ host"))
	m := read(t, b)
	require.Equal(t, Candidate, m.Type)
	mid, idx, cand, err := ParseCandidate(m.Data)
	require.NoError(t, err)
	require.Equal(t, "0", mid)
	require.Equal(t, 0, idx)
	require.Equal(t, "candidate:1 1 udp 1 127.0.0.1 5000 typ host", cand)

	// A client leaving is announced; the host leaving closes the lobby.
	b.Close()
	require.Equal(t, Message{Type: PeerDisconnect, ID: idb.ID}, read(t, host))
	host.Close()
	code, why := expectClose(t, c)
	require.Equal(t, CloseProtocolError, code)
	require.Equal(t, "Room host has disconnected", why)
}

func TestMeshLobby(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := startServer(t, nil)
	a := dial(t, url)
	// Exactly what Godot's demo client sends (JSON.stringify of ints).
	require.NoError(t, a.conn.WriteMessage(websocket.TextMessage, []byte(`{"data":"","id":0,"type":0}`)))
	require.Equal(t, Message{Type: ID, ID: 1, Data: "true"}, read(t, a))
	lobby := read(t, a).Data
	b := dial(t, url)
	require.NoError(t, b.Join(lobby, true))
	idb := read(t, b).ID
	require.Equal(t, Message{Type: PeerConnect, ID: 1}, read(t, b))
	read(t, b) // JOIN
	require.Equal(t, Message{Type: PeerConnect, ID: idb}, read(t, a))
	c := dial(t, url)
	require.NoError(t, c.Join(lobby, true))
	idc := read(t, c).ID
	got := map[int]bool{read(t, c).ID: true, read(t, c).ID: true}
	require.Equal(t, map[int]bool{1: true, idb: true}, got, "mesh: every member is visible")
	require.Equal(t, Message{Type: PeerConnect, ID: idc}, read(t, a))
	require.Equal(t, Message{Type: PeerConnect, ID: idc}, read(t, b))
	// Peers relay to each other directly by id.
	require.NoError(t, c.SendOffer(idb, "sdp"))
	require.Equal(t, Message{Type: Offer, ID: idc, Data: "sdp"}, read(t, b))
}

func TestNamedLobby(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := startServer(t, nil)
	a := dial(t, url)
	require.NoError(t, a.Join("chat", false))
	require.Equal(t, Message{Type: ID, ID: 1}, read(t, a), "joining an unknown name creates it, joiner hosts")
	require.Equal(t, Message{Type: Join, Data: "chat"}, read(t, a))

	strict := startServer(t, &ServerConfig{StrictLobbies: true})
	b := dial(t, strict)
	require.NoError(t, b.Join("chat", false))
	code, why := expectClose(t, b)
	require.Equal(t, CloseProtocolError, code)
	require.Equal(t, "Lobby does not exists", why)
}

func TestSeal(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := startServer(t, &ServerConfig{SealTimeout: 100 * time.Millisecond})
	host := dial(t, url)
	require.NoError(t, host.Join("room", false))
	read(t, host)
	read(t, host)
	b := dial(t, url)
	require.NoError(t, b.Join("room", false))
	read(t, b)
	read(t, b)
	read(t, b)
	read(t, host)
	require.NoError(t, b.Seal())
	code, why := expectClose(t, b)
	require.Equal(t, "Only host can seal the lobby", why)
	require.Equal(t, CloseProtocolError, code)
	require.Equal(t, PeerDisconnect, read(t, host).Type)

	c := dial(t, url)
	require.NoError(t, c.Join("room", false))
	read(t, c)
	read(t, c)
	read(t, c)
	read(t, host)
	require.NoError(t, host.Seal())
	require.Equal(t, Message{Type: Seal}, read(t, host))
	require.Equal(t, Message{Type: Seal}, read(t, c))
	d := dial(t, url)
	require.NoError(t, d.Join("room", false))
	_, why = expectClose(t, d)
	require.Equal(t, "Lobby is sealed", why)
	code, why = expectClose(t, c)
	require.Equal(t, websocket.CloseNormalClosure, code, why)
	require.Equal(t, "Seal complete", why)
}

func TestProtocolErrors(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := startServer(t, &ServerConfig{JoinTimeout: 200 * time.Millisecond})
	cases := []struct {
		name string
		send func(c *Client) error
		why  string
	}{
		{"not json", func(c *Client) error { return c.conn.WriteMessage(websocket.TextMessage, []byte("J: \n")) }, "Invalid message format"},
		{"binary", func(c *Client) error { return c.conn.WriteMessage(websocket.BinaryMessage, []byte("{}")) }, "Invalid transfer mode, must be text"},
		{"no lobby", func(c *Client) error { return c.SendOffer(1, "x") }, "Invalid message when not in a lobby"},
		{"join timeout", func(c *Client) error { return nil }, "Have not joined lobby yet"},
		{"bad dest", func(c *Client) error {
			if err := c.Join("", false); err != nil {
				return err
			}
			return c.SendOffer(12345, "x")
		}, "Invalid destination"},
		{"server-only type", func(c *Client) error {
			if err := c.Join("", false); err != nil {
				return err
			}
			return c.Send(Message{Type: PeerConnect, ID: 1})
		}, "Invalid command"},
		{"join twice", func(c *Client) error {
			if err := c.Join("", false); err != nil {
				return err
			}
			return c.Join("", false)
		}, "Already in a lobby"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, url)
			require.NoError(t, tc.send(c))
			code, why := expectClose(t, c)
			require.Equal(t, CloseProtocolError, code)
			require.Equal(t, tc.why, why)
		})
	}
}

func TestServerClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	s := NewServer(nil)
	hs := httptest.NewServer(s)
	defer hs.Close()
	c := dial(t, "ws"+strings.TrimPrefix(hs.URL, "http"))
	require.NoError(t, c.Join("", false))
	read(t, c)
	require.NoError(t, s.Close())
	code, _ := expectClose(t, c)
	require.Equal(t, websocket.CloseGoingAway, code)
}
