package scene

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
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
			runtime.Gosched()
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// server runs a Multiplayer on a WebSocket server on 127.0.0.1 until the
// test ends.
func server(t *testing.T, cfg *Config) (*Multiplayer, string) {
	t.Helper()
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	return runServer(t, srv, cfg), "ws://" + srv.Addr().String() + "/"
}

// runServer runs a Multiplayer on srv until the test ends.
func runServer(t *testing.T, srv multiplayer.MultiplayerPeer, cfg *Config) *Multiplayer {
	m := NewMultiplayer(srv, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) && !errors.Is(err, peer.ErrClosed) {
			t.Errorf("Run = %v, want context.Canceled or peer.ErrClosed", err)
		}
		srv.Close()
	})
	return m
}

// rawClient is a WebSocketMultiplayerPeer client that speaks
// SceneMultiplayer byte by byte, as the Godot client of spec §15 did.
type rawClient struct {
	t  *testing.T
	p  *websocket.MultiplayerPeer
	id int32
}

func dial(t *testing.T, url string) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err := websocket.DialClient(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &rawClient{t: t, p: p, id: p.UniqueID()}
}

func (c *rawClient) send(hexs string) {
	c.t.Helper()
	if err := c.p.SendTo(1, TransferModeReliable, 0, h(c.t, hexs)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) next() []byte {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 10*time.Second)
	defer cancel()
	b, _, err := c.p.ReadPacketFrom(ctx)
	if err != nil {
		c.t.Fatalf("client %d: %v", c.id, err)
	}
	return bytes.Clone(b)
}

func (c *rawClient) expect(what string, want []byte) {
	c.t.Helper()
	if got := c.next(); !bytes.Equal(got, want) {
		c.t.Fatalf("client %d, %s:\n got % x\nwant % x", c.id, what, got, want)
	}
}

func le32(id int32) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(id))
	return fmt.Sprintf("% x", b)
}

type got struct {
	sender int32
	what   string
}

// waitFor reads c until f holds, failing after 10 s.
func waitFor(t *testing.T, c <-chan got, want got) {
	t.Helper()
	select {
	case g := <-c:
		if g != want {
			t.Fatalf("got %+v, want %+v", g, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %+v", want)
	}
}

// A Go server with §15's Main node against two clients sending Godot's
// bytes: admission with ADD_PEER both ways, the path cache both ways, RPCs
// with typed arguments, validation counted, relay, send_bytes and DEL_PEER.
func TestMultiplayerServer(t *testing.T) {
	noLeaks(t)
	calls := make(chan got, 16)
	cfg := &Config{
		OnPeerConnected:    func(m *Multiplayer, id int32) { calls <- got{id, "connected"} },
		OnPeerDisconnected: func(m *Multiplayer, id int32) { calls <- got{id, "disconnected"} },
		OnPeerPacket: func(m *Multiplayer, id int32, data []byte) {
			calls <- got{id, fmt.Sprintf("packet % x", data)}
		},
	}
	m, url := server(t, cfg)
	main, err := m.AddNode("Main", mainMethods)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(main.Handle("hello", Func2(func(c Call, s string, n int) {
		calls <- got{c.Sender, fmt.Sprintf("hello %q %d", s, n)}
	})))
	must(main.Handle("from_server", Func2(func(c Call, a float64, b any) {
		calls <- got{c.Sender, fmt.Sprintf("from_server %v %v", a, b)}
	})))
	must(main.Handle("pba", Func1(func(c Call, b []byte) { calls <- got{c.Sender, fmt.Sprintf("pba % x", b)} })))
	must(main.Handle("noargs", Func0(func(c Call) { calls <- got{c.Sender, "noargs"} })))
	must(main.Handle("node_m", Func1(func(c Call, v int64) { calls <- got{c.Sender, fmt.Sprint("node_m ", v)} })))

	a := dial(t, url)
	waitFor(t, calls, got{a.id, "connected"})
	b := dial(t, url)
	waitFor(t, calls, got{b.id, "connected"})
	a.expect("ADD_PEER b to a", h(t, "07 01 "+le32(b.id)))
	b.expect("ADD_PEER a to b", h(t, "07 01 "+le32(a.id)))

	// §15.2: SIMPLIFY_PATH, then the call with the full path before the
	// confirmation, then with the 8-bit id.
	a.send("01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00")
	a.send("20 15 00 00 80 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00")
	a.expect("CONFIRM_PATH", h(t, "02 01 01 00 00 00"))
	waitFor(t, calls, got{a.id, `hello "x" 5`})
	a.send("00 01 03 02 04 00 00 00 01 00 00 00 79 00 00 00 02 06")
	waitFor(t, calls, got{a.id, `hello "y" 6`})
	a.send("80 01 04")
	waitFor(t, calls, got{a.id, "noargs"})
	a.send("80 01 05 ca fe")
	waitFor(t, calls, got{a.id, "pba ca fe"})
	a.send("40 01 00 80 01 02 07")
	waitFor(t, calls, got{a.id, "node_m 7"})

	// Dropped and counted: authority method from a client, unknown cache
	// id, unknown path, unknown method, wrong count, wrong type, node width 3.
	a.send("00 01 02 02 03 00 00 00 00 00 c0 3f 05 00 00 00 00 00 80 3f 00 00 00 40")
	a.send("00 63 03 02 02 01 02 02")
	a.send("20 0b 00 00 80 03 02 02 01 02 02 4e 6f 70 65 00")
	a.send("00 01 07 00")
	a.send("00 01 03 01 04 00 00 00 08 00 00 00 6f 6e 6c 79 2d 6f 6e 65")
	a.send("00 01 03 02 02 01 02 02")
	a.send("30 01 03")
	a.send("80 01 04") // a marker: handled after all of the above
	waitFor(t, calls, got{a.id, "noargs"})
	s := m.Stats()
	if s.Unauthorized != 1 || s.UnknownNode != 2 || s.UnknownMethod != 1 || s.BadArgs != 2 || s.Malformed != 1 {
		t.Fatalf("stats %+v; want 1 unauthorized, 2 unknown node, 1 unknown method, 2 bad args, 1 malformed", s)
	}

	// The server calls from_server on a: a SIMPLIFY_PATH, then the full
	// path until a confirms, then the 8-bit id (§15.3).
	must(main.RPCID(a.id, "from_server", true, 5))
	a.expect("SIMPLIFY_PATH", h(t, "01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00"))
	a.expect("full-path call", h(t, "20 0a 00 00 80 02 02 81 02 05 4d 61 69 6e 00"))
	a.send("02 01 01 00 00 00")
	// b has not confirmed: a gets the plain 32-bit id, b the full path.
	a.send("80 01 04")
	waitFor(t, calls, got{a.id, "noargs"}) // the confirmation was handled
	must(main.RPC("from_server", false, 300))
	a.expect("wide id to a", h(t, "20 01 00 00 00 02 02 01 42 2c 01"))
	b.expect("SIMPLIFY_PATH to b", h(t, "01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00"))
	b.expect("full path to b", h(t, "20 0b 00 00 80 02 02 01 42 2c 01 4d 61 69 6e 00"))
	must(main.RPCID(-b.id, "from_server", 1.5, "x"))
	a.expect("8-bit id to a", h(t, "00 01 02 02 03 00 00 00 00 00 c0 3f 04 00 00 00 01 00 00 00 78 00 00 00"))
	if err := main.RPCID(12345, "from_server", 1, 2); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("RPC to an unknown peer = %v", err)
	}
	if err := main.RPC("nope"); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("RPC of an unknown method = %v", err)
	}

	// Relay (§4.2): to b only, to everyone (the server handles it too), to
	// everyone but b (nobody else, not the server).
	a.send("07 03 " + le32(b.id) + " 03 de ad be ef")
	b.expect("relayed to b", h(t, "07 03 "+le32(a.id)+" 03 de ad be ef"))
	a.send("07 03 00 00 00 00 03 01 02 03")
	waitFor(t, calls, got{a.id, "packet 01 02 03"})
	b.expect("relayed to all", h(t, "07 03 "+le32(a.id)+" 03 01 02 03"))
	a.send("07 03 " + le32(-b.id) + " 03 02") // to nobody else, handled here
	waitFor(t, calls, got{a.id, "packet 02"})
	a.send("07 03 ff ff ff ff 03 04") // -1: everyone but a, not the server
	b.expect("relayed to all but b", h(t, "07 03 "+le32(a.id)+" 03 04"))
	a.send("07 03 39 30 00 00 03 05") // 12345: not connected, dropped
	a.send("07 03 " + le32(a.id) + " 03 07")
	a.expect("relayed to its own sender, as Godot does", h(t, "07 03 "+le32(a.id)+" 03 07"))
	a.send("03 06")
	waitFor(t, calls, got{a.id, "packet 06"})
	if s := m.Stats(); s.Relayed != 4 || s.UnknownPeer != 1 {
		t.Fatalf("stats %+v; want 4 relayed, 1 unknown peer", s)
	}

	// send_bytes from Go: to b, to all but b.
	must(m.SendBytes([]byte{0xca, 0xfe}, b.id, TransferModeReliable, 0))
	b.expect("send_bytes to b", h(t, "03 ca fe"))
	must(m.SendBytes([]byte{0xbe}, -b.id, TransferModeReliable, 0))
	a.expect("send_bytes to all but b", h(t, "03 be"))
	if err := m.SendBytes(nil, 0, TransferModeReliable, 0); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("SendBytes of nothing = %v", err)
	}

	// ADD_PEER from a client is rejected; b leaving is told to a.
	a.send("07 01 39 30 00 00")
	b.p.Close()
	waitFor(t, calls, got{b.id, "disconnected"})
	a.expect("DEL_PEER b", h(t, "07 02 "+le32(b.id)))
	if got := m.Peers(); len(got) != 1 || got[0] != a.id {
		t.Fatalf("Peers = %v, want [%d]", got, a.id)
	}
}

// With relay off a server sends no peer list and drops every RELAY.
func TestMultiplayerNoRelay(t *testing.T) {
	noLeaks(t)
	packets := make(chan got, 4)
	m, url := server(t, &Config{NoRelay: true, OnPeerPacket: func(m *Multiplayer, id int32, data []byte) {
		packets <- got{id, fmt.Sprintf("% x", data)}
	}})
	a := dial(t, url)
	b := dial(t, url)
	a.send("07 03 00 00 00 00 03 01")
	a.send("03 02")
	waitFor(t, packets, got{a.id, "02"})
	b.send("03 03")
	waitFor(t, packets, got{b.id, "03"})
	if s := m.Stats(); s.Malformed != 1 || s.Relayed != 0 {
		t.Fatalf("stats %+v; want the relay dropped as malformed", s)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.SendBytes([]byte{9}, a.id, TransferModeReliable, 0))
	a.expect("first packet: no ADD_PEER before it", h(t, "03 09"))
}

// A Go client Multiplayer against a Go server: admission, ADD_PEER between
// clients, an RPC relayed from one Go client to the other with its sender,
// call_local, and the server leaving.
func TestMultiplayerGoClients(t *testing.T) {
	noLeaks(t)
	srv, url := server(t, &Config{})
	testGoClients(t, srv, func() multiplayer.MultiplayerPeer {
		// CreateClient returns still connecting: Run waits for the id.
		p, err := websocket.CreateClient(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}

// The same over ENet (Godot's ENetMultiplayerPeer, with its channel
// layout for the unreliable RPC on channel 2).
func TestMultiplayerGoClientsENet(t *testing.T) {
	noLeaks(t)
	sp, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := runServer(t, sp, &Config{})
	addr := sp.Host().LocalAddr().String()
	testGoClients(t, srv, func() multiplayer.MultiplayerPeer {
		p, err := enet.DialClient(t.Context(), addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}

func testGoClients(t *testing.T, srv *Multiplayer, dial func() multiplayer.MultiplayerPeer) {
	srvCalls := make(chan got, 16)
	smain, _ := srv.AddNode("Main", mainMethods)
	smain.Handle("hello", Func2(func(c Call, s string, n int) { srvCalls <- got{c.Sender, fmt.Sprintf("hello %s %d", s, n)} }))

	type client struct {
		m     *Multiplayer
		calls chan got
		main  *Node
		done  chan error
	}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); wg.Wait() }()
	newClient := func() *client {
		p := dial()
		t.Cleanup(func() { p.Close() })
		c := &client{calls: make(chan got, 16), done: make(chan error, 1)}
		c.m = NewMultiplayer(p, &Config{
			OnPeerConnected:      func(m *Multiplayer, id int32) { c.calls <- got{id, "connected"} },
			OnPeerDisconnected:   func(m *Multiplayer, id int32) { c.calls <- got{id, "disconnected"} },
			OnServerDisconnected: func(m *Multiplayer) { c.calls <- got{0, "server gone"} },
		})
		c.main, _ = c.m.AddNode("Main", mainMethods)
		c.main.Handle("hello", Func2(func(cl Call, s string, n int) { c.calls <- got{cl.Sender, fmt.Sprintf("hello %s %d", s, n)} }))
		c.main.Handle("from_server", Func2(func(cl Call, a, b int) { c.calls <- got{cl.Sender, fmt.Sprintf("from_server %d %d", a, b)} }))
		wg.Add(1)
		go func() { defer wg.Done(); c.done <- c.m.Run(ctx) }()
		waitFor(t, c.calls, got{1, "connected"})
		return c
	}
	a := newClient()
	b := newClient()
	aid, bid := a.m.UniqueID(), b.m.UniqueID()
	waitFor(t, a.calls, got{bid, "connected"})
	waitFor(t, b.calls, got{aid, "connected"})

	if err := a.main.RPCID(1, "hello", "s", 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, srvCalls, got{aid, "hello s 1"})
	if err := a.main.RPCID(bid, "hello", "b", 2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b.calls, got{aid, "hello b 2"})
	if err := a.main.RPC("hello", "all", 3); err != nil {
		t.Fatal(err)
	}
	waitFor(t, srvCalls, got{aid, "hello all 3"})
	waitFor(t, b.calls, got{aid, "hello all 3"})
	// An authority method from a, relayed to b: b refuses it.
	if err := a.main.RPCID(bid, "from_server", 1, 2); err != nil {
		t.Fatal(err)
	}
	if err := a.main.RPCID(bid, "hello", "after", 4); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b.calls, got{aid, "hello after 4"})
	if s := b.m.Stats(); s.Unauthorized != 1 {
		t.Fatalf("b's stats %+v, want 1 unauthorized", s)
	}
	if err := smain.RPC("from_server", 3, 4); err != nil {
		t.Fatal(err)
	}
	waitFor(t, a.calls, got{1, "from_server 3 4"})
	waitFor(t, b.calls, got{1, "from_server 3 4"})
	srv.MultiplayerPeer().Close()
	for _, c := range []*client{a, b} {
		waitFor(t, c.calls, got{1, "disconnected"})
		waitFor(t, c.calls, got{0, "server gone"})
		select {
		case err := <-c.done:
			if err == nil {
				t.Fatal("client Run returned nil after the server left")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("client Run did not return after the server left")
		}
	}
}

// call_local runs the handler here too, with this side's id as sender.
func TestMultiplayerCallLocal(t *testing.T) {
	noLeaks(t)
	calls := make(chan got, 4)
	m, url := server(t, &Config{OnPeerConnected: func(m *Multiplayer, id int32) { calls <- got{id, "connected"} }})
	local := RPCConfig{Mode: RPCModeAnyPeer, CallLocal: true, TransferMode: TransferModeReliable}
	methods, _ := NewMethods(nil, []Method{{"ping", local}, {"remote_only", DefaultRPC}})
	n, _ := m.AddNode("Main", methods)
	n.Handle("ping", Func1(func(c Call, v int) { calls <- got{c.Sender, fmt.Sprint("ping ", v)} }))
	c := dial(t, url)
	waitFor(t, calls, got{c.id, "connected"})
	if err := n.RPC("ping", 7); err != nil {
		t.Fatal(err)
	}
	waitFor(t, calls, got{1, "ping 7"})
	c.next() // SIMPLIFY_PATH
	c.expect("ping", h(t, "20 09 00 00 80 00 01 02 07 4d 61 69 6e 00"))
	if err := n.RPCID(1, "ping", 8); err != nil {
		t.Fatal(err)
	}
	waitFor(t, calls, got{1, "ping 8"})
	if err := n.RPCID(1, "remote_only"); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("RPC to self without call_local = %v", err)
	}
}

// Handlers refuse wrong counts and types; Func takes any arity by
// reflection.
func TestHandlers(t *testing.T) {
	var gotS string
	var gotV []any
	h3, err := Func(func(c Call, s string, f float32, v []int) { gotS = s; gotV = []any{f, v} })
	if err != nil {
		t.Fatal(err)
	}
	call := func(h Handler, args ...any) error {
		pkt, err := AppendRemoteCall(nil, RemoteCall{Node: 1}, encOpts, args...)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := ParseRemoteCall(pkt)
		if err != nil {
			t.Fatal(err)
		}
		return h.ServeRPC(Call{}, rc.Arguments(decOpts))
	}
	if err := call(h3, "s", 2, []any{int64(1), int64(2)}); err != nil || gotS != "s" || fmt.Sprint(gotV) != "[2 [1 2]]" {
		t.Fatalf("Func handler: %v, %q %v", err, gotS, gotV)
	}
	for _, bad := range [][]any{{"s", 2}, {"s", "t", []any{}}, {1, 2, []any{}}} {
		if err := call(h3, bad...); !errors.Is(err, peer.ErrInvalidData) {
			t.Errorf("Func handler with %v = %v", bad, err)
		}
	}
	var i8 uint8
	hb := Func1(func(c Call, v uint8) { i8 = v })
	if err := call(hb, 300); err == nil {
		t.Error("300 into a uint8 accepted")
	}
	if err := call(hb, 200); err != nil || i8 != 200 {
		t.Errorf("200 into a uint8: %v, %d", err, i8)
	}
	for _, f := range []any{nil, 3, func() {}, func(int) {}, func(Call, ...int) {}} {
		if _, err := Func(f); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("Func(%T) = %v", f, err)
		}
	}
}

var (
	encOpts variant.EncodeOptions
	decOpts variant.DecodeOptions
)

// Authentication as Godot does it (spec §5.3): nothing but AUTH from a
// pending peer, auth data to the callback, admission once both sides
// completed (with ADD_PEER only then), and the timeout.
func TestMultiplayerAuth(t *testing.T) {
	noLeaks(t)
	events := make(chan got, 16)
	cfg := &Config{
		AuthTimeout: 300 * time.Millisecond,
		AuthCallback: func(m *Multiplayer, id int32, data []byte) {
			events <- got{id, "auth " + string(data)}
			if string(data) == "quick" {
				if err := m.CompleteAuth(id); err != nil {
					t.Error(err)
				}
				return
			}
			if string(data) != "secret" {
				return
			}
			if err := m.SendAuth(id, []byte("ok")); err != nil {
				t.Error(err)
			}
			if err := m.CompleteAuth(id); err != nil {
				t.Error(err)
			}
			if err := m.CompleteAuth(id); !errors.Is(err, peer.ErrInvalidParameter) {
				t.Errorf("second CompleteAuth = %v", err)
			}
		},
		OnPeerAuthenticating:       func(m *Multiplayer, id int32) { events <- got{id, "authenticating"} },
		OnPeerAuthenticationFailed: func(m *Multiplayer, id int32) { events <- got{id, "failed"} },
		OnPeerConnected:            func(m *Multiplayer, id int32) { events <- got{id, "connected"} },
		OnPeerPacket:               func(m *Multiplayer, id int32, data []byte) { events <- got{id, fmt.Sprintf("packet % x", data)} },
	}
	m, url := server(t, cfg)
	a := dial(t, url)
	waitFor(t, events, got{a.id, "authenticating"})
	if ids := m.AuthenticatingPeers(); len(ids) != 1 || ids[0] != a.id {
		t.Fatalf("AuthenticatingPeers = %v", ids)
	}
	if err := m.SendAuth(a.id, nil); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("SendAuth of nothing = %v", err)
	}
	a.send("03 01")                   // not AUTH: dropped
	a.send("07 00 73 65 63 72 65 74") // "secret"
	waitFor(t, events, got{a.id, "auth secret"})
	a.expect("auth data", h(t, "07 00 6f 6b"))
	a.expect("completion", h(t, "07 00"))
	a.send("07 00") // a completes: admitted
	waitFor(t, events, got{a.id, "connected"})
	a.send("07 00") // a late completion notice: ignored
	a.send("03 02")
	waitFor(t, events, got{a.id, "packet 02"})
	if s := m.Stats(); s.UnknownPeer != 1 || s.Malformed != 0 {
		t.Fatalf("stats %+v; want the one early packet dropped", s)
	}

	// b says the wrong thing and times out; a is never told about it.
	b := dial(t, url)
	waitFor(t, events, got{b.id, "authenticating"})
	b.send("07 00 6e 6f")
	waitFor(t, events, got{b.id, "auth no"})
	waitFor(t, events, got{b.id, "failed"})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, _, err := b.p.ReadPacketFrom(ctx); err == nil {
		t.Fatal("b read a packet; want its connection closed")
	}
	if s := m.Stats(); s.AuthTimeouts != 1 {
		t.Fatalf("stats %+v; want 1 auth timeout", s)
	}
	if err := m.SendAuth(b.id, []byte("x")); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("SendAuth to a gone peer = %v", err)
	}
	if err := m.SendBytes([]byte{3}, 0, TransferModeReliable, 0); err != nil {
		t.Fatal(err)
	}
	a.expect("first packet after the auth exchange, no ADD_PEER of b", h(t, "03 03"))

	// c completes first; the server's CompleteAuth then admits it.
	c := dial(t, url)
	waitFor(t, events, got{c.id, "authenticating"})
	c.send("07 00")
	c.send("07 00 71 75 69 63 6b") // "quick"
	waitFor(t, events, got{c.id, "auth quick"})
	waitFor(t, events, got{c.id, "connected"})
	c.expect("completion", h(t, "07 00"))
	c.expect("ADD_PEER a", h(t, "07 01 "+le32(a.id)))
	a.expect("ADD_PEER c", h(t, "07 01 "+le32(c.id)))
}

// The figure Multiplayer documents: an admitted peer with nothing cached
// costs at most peerStateBytes.
func TestMultiplayerPeerCost(t *testing.T) {
	const peers = 2000
	ft, mp := newFake()
	m := NewMultiplayer(mp, &Config{NoRelay: true})
	a := allocated(func() {
		for i := range peers {
			ft.connect(int32(i + 2))
		}
		m.Poll()
	})
	if len(m.Peers()) != peers {
		t.Fatalf("%d peers admitted", len(m.Peers()))
	}
	if per := a / peers; per > peerStateBytes {
		t.Fatalf("%d bytes allocated per admitted peer, bound %d", per, peerStateBytes)
	}
}

// An RPC goes with its method's transfer mode and channel, and a relayed
// packet with those it arrived with (spec §1), over ENet where they show.
func TestMultiplayerTransferModeENet(t *testing.T) {
	noLeaks(t)
	sp, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	connected := make(chan int32, 2)
	srv := runServer(t, sp, &Config{OnPeerConnected: func(m *Multiplayer, id int32) { connected <- id }})
	methods, _ := NewMethods(nil, []Method{{"state", RPCConfig{Mode: RPCModeAuthority, TransferMode: TransferModeUnreliable, Channel: 2}}})
	n, _ := srv.AddNode("Main", methods)
	addr := sp.Host().LocalAddr().String()
	var clients []*enet.MultiplayerPeer
	for range 2 {
		c, err := enet.DialClient(t.Context(), addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
		<-connected
	}
	a, b := clients[0], clients[1]
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := n.RPCID(a.UniqueID(), "state", 1); err != nil {
		t.Fatal(err)
	}
	for {
		p, info, err := a.ReadPacketFrom(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p[0]&CommandMask != byte(CommandRemoteCall) {
			if info.Mode != TransferModeReliable || info.Channel != 0 {
				t.Fatalf("% x arrived %v on channel %d, want reliable on 0", p, info.Mode, info.Channel)
			}
			continue
		}
		if info.Mode != TransferModeUnreliable || info.Channel != 2 {
			t.Fatalf("RPC arrived %v on channel %d, want unreliable on 2", info.Mode, info.Channel)
		}
		break
	}
	relay := h(t, "07 03 "+le32(b.UniqueID())+" 03 01")
	if err := a.SendTo(1, TransferModeUnreliableOrdered, 3, relay); err != nil {
		t.Fatal(err)
	}
	p, info, err := b.ReadPacketFrom(ctx)
	for err == nil && p[1] == byte(SysAddPeer) {
		p, info, err = b.ReadPacketFrom(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	if want := h(t, "07 03 "+le32(a.UniqueID())+" 03 01"); !bytes.Equal(p, want) || info.Mode != TransferModeUnreliableOrdered || info.Channel != 3 {
		t.Fatalf("relayed % x %v channel %d; want % x unreliable ordered on 3", p, info.Mode, info.Channel, want)
	}
}

// A client registering more paths than the bound: the excess is refused
// and counted (no CONFIRM_PATH), the cache holds MaxPeerPaths.
func TestMultiplayerPathFlood(t *testing.T) {
	ft, mp := newFake()
	ft.keep = true
	m := NewMultiplayer(mp, nil)
	m.AddNode("Main", mainMethods)
	ft.connect(42)
	const extra = 100
	for id := range MaxPeerPaths + extra {
		p, _ := AppendSimplifyPath(nil, SimplifyPath{Checksum: mainMethods.Checksum(), ID: uint32(id + 1), Path: "Main"})
		ft.push(42, p)
	}
	for ft.AvailablePacketCount() > 0 {
		m.Poll()
	}
	if _, recv := m.peers[42].Len(); recv != MaxPeerPaths {
		t.Fatalf("%d paths cached, want %d", recv, MaxPeerPaths)
	}
	if s := m.Stats(); s.CacheFull != extra || len(ft.out) != MaxPeerPaths {
		t.Fatalf("stats %+v, %d replies; want %d refused, %d replies", s, len(ft.out), extra, MaxPeerPaths)
	}
}

// Node authority, RemoveNode, DisconnectPeer and the 3- and 4-argument
// typed handlers, on an in-memory peer.
func TestMultiplayerNodes(t *testing.T) {
	ft, mp := newFake()
	ft.keep = true
	var log []string
	m := NewMultiplayer(mp, &Config{
		OnPeerDisconnected: func(m *Multiplayer, id int32) { log = append(log, fmt.Sprint("disconnected ", id)) },
	})
	n, _ := m.AddNode("Main", mainMethods)
	if _, err := m.AddNode("Main", mainMethods); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("second AddNode = %v", err)
	}
	if n.Path() != "Main" || n.Methods() != mainMethods || !m.IsServer() {
		t.Fatal("accessors")
	}
	n.Handle("from_server", Func4(func(c Call, a variant.Vector2, b []int, s string, d any) {
		log = append(log, fmt.Sprintf("from_server %d %v %v %s %v", c.Sender, a, b, s, d))
	}))
	n.Handle("hello", Func3(func(c Call, a int, b int64, x struct{ K int }) {
		log = append(log, fmt.Sprintf("hello %d %d %d %+v", c.Sender, a, b, x))
	}))
	ft.connect(42)
	ft.connect(43)
	m.Poll()
	call := func(from int32, method uint16, args ...any) {
		p, err := AppendRemoteCall(nil, RemoteCall{Path: "Main", Method: method}, encOpts, args...)
		if err != nil {
			t.Fatal(err)
		}
		ft.push(from, p)
		m.Poll()
	}
	call(42, 2, variant.Vector2{X: 1, Y: 2}, []any{int64(3)}, "s", nil) // authority 1: refused
	n.SetAuthority(42)
	call(42, 2, variant.Vector2{X: 1, Y: 2}, []any{int64(3)}, "s", nil)
	call(43, 2, variant.Vector2{X: 1, Y: 2}, []any{int64(3)}, "s", nil) // not the authority
	call(43, 3, 1, 2, variant.NewDictionary("K", 7))
	call(43, 3, 1, 2, "not a struct")
	want := []string{"from_server 42 Vector2(1, 2) [3] s <nil>", "hello 43 1 2 {K:7}"}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Fatalf("calls %q, want %q", log, want)
	}
	if s := m.Stats(); s.Unauthorized != 2 || s.BadArgs != 1 {
		t.Fatalf("stats %+v", s)
	}

	// RemoveNode: calls to it are dropped; added again, it gets a new id.
	if err := n.RPCID(42, "noargs"); err != nil {
		t.Fatal(err)
	}
	m.RemoveNode("Main")
	call(42, 4)
	if err := n.RPCID(42, "noargs"); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("RPC on a removed node = %v", err)
	}
	n2, _ := m.AddNode("Main", mainMethods)
	ft.out = nil
	if err := n2.RPCID(42, "noargs"); err != nil {
		t.Fatal(err)
	}
	if sp, err := ParseSimplifyPath(ft.out[0].data); err != nil || sp.ID != 2 {
		t.Fatalf("SIMPLIFY_PATH after re-adding: %+v %v; want id 2", sp, err)
	}
	if s := m.Stats(); s.UnknownNode != 1 {
		t.Fatalf("stats %+v, want the call to the removed node dropped", s)
	}

	// DisconnectPeer: DEL_PEER to the others, no callback.
	ft.out = nil
	log = nil
	if err := m.DisconnectPeer(42); err != nil {
		t.Fatal(err)
	}
	if len(ft.out) != 1 || ft.out[0].to != 43 || !bytes.Equal(ft.out[0].data, AppendDelPeer(nil, 42)) || ft.peers[42] {
		t.Fatalf("sent %+v", ft.out)
	}
	ft.ev.PeerDisconnected(42)
	m.Poll()
	if len(log) != 0 || len(m.Peers()) != 1 {
		t.Fatalf("after DisconnectPeer: %q, peers %v", log, m.Peers())
	}
	if err := m.DisconnectPeer(42); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("DisconnectPeer of a gone peer = %v", err)
	}
}

// Args.Type reports the next argument's type without reading it.
func TestArgsType(t *testing.T) {
	p, _ := AppendRemoteCall(nil, RemoteCall{Node: 1}, encOpts, 1, "s", variant.Vector2{})
	rc, _ := ParseRemoteCall(p)
	a := rc.Arguments(decOpts)
	var got []variant.Type
	for a.Len() > 0 {
		got = append(got, a.Type())
		a.Value()
	}
	got = append(got, a.Type())
	raw, _ := AppendRemoteCall(nil, RemoteCall{Node: 1}, encOpts, []byte{1})
	rc, _ = ParseRemoteCall(raw)
	a = rc.Arguments(decOpts)
	got = append(got, a.Type())
	want := []variant.Type{variant.TypeInt, variant.TypeString, variant.TypeVector2, variant.TypeNil, variant.TypePackedByteArray}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("types %v, want %v", got, want)
	}
}

// Go goroutines calling RPCs and SendBytes while Run handles a client's
// calls: everything arrives, in each goroutine's order (race detector).
func TestMultiplayerConcurrentSends(t *testing.T) {
	noLeaks(t)
	calls := make(chan got, 1024)
	m, url := server(t, &Config{
		OnPeerConnected: func(m *Multiplayer, id int32) { calls <- got{id, "connected"} },
		OnPeerPacket:    func(m *Multiplayer, id int32, data []byte) { calls <- got{id, "packet"} },
	})
	n, _ := m.AddNode("Main", mainMethods)
	n.Handle("noargs", Func0(func(c Call) {}))
	c := dial(t, url)
	waitFor(t, calls, got{c.id, "connected"})
	c.send("01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00")
	const per = 200
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				var err error
				if g%2 == 0 {
					err = n.RPCID(c.id, "from_server", g, i)
				} else {
					err = m.SendBytes([]byte{byte(g), byte(i)}, c.id, TransferModeReliable, 0)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range per {
		c.send("80 01 04") // noargs on the client's cache id 1
	}
	c.send("03 ff")
	waitFor(t, calls, got{c.id, "packet"})
	if s := m.Stats(); s.RPCs != per {
		t.Fatalf("stats %+v, want %d RPCs handled", s, per)
	}
	wg.Wait()
	next := map[int]int{}
	for got := 0; got < 4*per; {
		p := c.next()
		switch {
		case p[0] == byte(CommandConfirmPath):
		case p[0] == byte(CommandRaw):
			g, i := int(p[1]), int(p[2])
			if i != next[g] {
				t.Fatalf("goroutine %d: packet %d after %d", g, i, next[g])
			}
			next[g]++
			got++
		case p[0]&CommandMask == byte(CommandRemoteCall):
			rc, err := ParseRemoteCall(p)
			if err != nil {
				t.Fatal(err)
			}
			a := rc.Arguments(decOpts)
			g, _ := a.Int()
			i, _ := a.Int()
			if int(i) != next[int(g)] {
				t.Fatalf("goroutine %d: call %d after %d", g, i, next[int(g)])
			}
			next[int(g)]++
			got++
		}
	}
}

// AddNode takes a path relative to the multiplayer root, as Godot's
// SIMPLIFY_PATH carries it: Godot's absolute form ("/root/Main") would
// match no call, so it is refused with an error saying what to write.
func TestAddNodeAbsolutePath(t *testing.T) {
	_, p := newFake()
	m := NewMultiplayer(p, nil)
	methods, _ := NewMethods(nil, []Method{{"hello", DefaultRPC}})
	for _, path := range []string{"/root/Main", "/Main", "Main/", ""} {
		_, err := m.AddNode(path, methods)
		if !errors.Is(err, peer.ErrInvalidParameter) {
			t.Errorf("AddNode(%q) = %v, want an error matching ERR_INVALID_PARAMETER", path, err)
		}
	}
	_, err := m.AddNode("/root/Main", methods)
	if err == nil || !strings.Contains(err.Error(), `"Main"`) {
		t.Errorf("AddNode(\"/root/Main\") = %v, want it to suggest \"Main\"", err)
	}
	if _, err := m.AddNode("Main/Player", methods); err != nil {
		t.Errorf("AddNode(\"Main/Player\") = %v", err)
	}
}
