package multiplayer_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
)

type conn struct{ name string }

// sessionPeer wraps a bare Session so that its events can be read through
// Peer; the other Transport methods are never called.
type sessionPeer struct {
	*multiplayer.Session[*conn]
}

func (sessionPeer) PutPacket([]byte, int32, multiplayer.TransferMode, int) error { return nil }
func (sessionPeer) GetPacket() ([]byte, multiplayer.PacketInfo, error) {
	return nil, multiplayer.PacketInfo{}, &peer.OpError{Op: "get packet", Code: peer.ErrUnavailable}
}
func (sessionPeer) AvailablePacketCount() int            { return 0 }
func (sessionPeer) MaxPacketSize() int                   { return 1 }
func (sessionPeer) DisconnectPeer(int32, bool) error     { return nil }
func (sessionPeer) Close() error                         { return nil }
func (sessionPeer) WaitPacket(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

func events(t *testing.T, s *multiplayer.Session[*conn]) []multiplayer.Event {
	t.Helper()
	p := multiplayer.New(sessionPeer{s})
	var out []multiplayer.Event
	for {
		ev, ok := p.PollEvent()
		if !ok {
			return out
		}
		out = append(out, ev)
	}
}

func wantEvents(t *testing.T, s *multiplayer.Session[*conn], want ...multiplayer.Event) {
	t.Helper()
	got := events(t, s)
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
}

var (
	connected    = func(id int32) multiplayer.Event { return multiplayer.Event{Type: multiplayer.PeerConnected, ID: id} }
	disconnected = func(id int32) multiplayer.Event { return multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id} }
)

// A server's peers: PeerConnected once when connected, PeerDisconnected
// only for a connected peer removed by whoever removes it first, none for a
// forced one.
func TestSessionServerEvents(t *testing.T) {
	s := multiplayer.NewSession[*conn]("test", multiplayer.RoleServer, 9, nil)
	if s.UniqueID() != 1 || s.ConnectionStatus() != multiplayer.ConnectionConnected || !s.IsServer() || !s.IsServerRelaySupported() {
		t.Fatalf("server: id %d status %v", s.UniqueID(), s.ConnectionStatus())
	}
	a, b, c, d := &conn{"a"}, &conn{"b"}, &conn{"c"}, &conn{"d"}
	if err := s.Add(2, a); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(2, b); !errors.Is(err, peer.ErrAlreadyInUse) {
		t.Fatalf("Add(taken) = %v", err)
	}
	wantEvents(t, s) // added, not connected: no event
	if !s.Connect(2, a) || s.Connect(2, a) || s.Connect(2, b) {
		t.Fatal("Connect reports true only the first time, for the peer added")
	}
	if err := s.Join(3, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(4, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Join(5, d); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, s, connected(2), connected(3), connected(5))

	if s.Remove(2, b) {
		t.Fatal("Remove(2, not peer 2) removed it")
	}
	if !s.Remove(2, a) || s.Remove(2, a) {
		t.Fatal("Remove reports true once")
	}
	if !s.Remove(4, c) { // never connected: no event
		t.Fatal("Remove(4) false")
	}
	if p, err := s.Disconnect(3, true); err != nil || p != b {
		t.Fatalf("Disconnect(3, true) = %v, %v", p, err)
	}
	if s.Remove(3, b) {
		t.Fatal("a forced peer was removed again")
	}
	if p, err := s.Disconnect(5, false); err != nil || p != d {
		t.Fatalf("Disconnect(5, false) = %v, %v", p, err)
	}
	if _, ok := s.Peer(5); !ok {
		t.Fatal("Disconnect without force removed the peer")
	}
	if _, err := s.Disconnect(3, false); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("Disconnect(gone) = %v", err)
	}
	wantEvents(t, s, disconnected(2))
	if s.ConnectionStatus() != multiplayer.ConnectionConnected {
		t.Fatal("a server's status changed with its peers")
	}
}

func TestSessionTargets(t *testing.T) {
	s := multiplayer.NewSession[*conn]("test", multiplayer.RoleServer, 0, nil)
	a, b, c := &conn{"a"}, &conn{"b"}, &conn{"c"}
	s.Join(2, a)
	s.Join(3, b)
	s.Add(4, c) // connecting peers are sent to too
	names := func(target int32) map[string]bool {
		ps, err := s.Targets(nil, target)
		if err != nil {
			t.Fatalf("Targets(%d): %v", target, err)
		}
		m := map[string]bool{}
		for _, p := range ps {
			m[p.name] = true
		}
		return m
	}
	if m := names(0); len(m) != 3 {
		t.Errorf("broadcast: %v", m)
	}
	if m := names(-3); len(m) != 2 || m["b"] {
		t.Errorf("all but 3: %v", m)
	}
	if m := names(-9); len(m) != 3 {
		t.Errorf("all but absent 9: %v", m)
	}
	if m := names(2); len(m) != 1 || !m["a"] {
		t.Errorf("to 2: %v", m)
	}
	if _, err := s.Targets(nil, 9); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("Targets(absent) = %v", err)
	}
	var buf [4]*conn
	if n := testing.AllocsPerRun(100, func() { s.Targets(buf[:0], 0) }); n != 0 {
		t.Errorf("Targets allocates %v times a call", n)
	}
}

// A client: connected when the server is, ended (id 0, reads' error
// recorded, Connecting finished) when the server goes, with
// PeerDisconnected(1) after the status changed.
func TestSessionClient(t *testing.T) {
	var ended []error
	s := multiplayer.NewSession[*conn]("test", multiplayer.RoleClient, 0, func(err error) { ended = append(ended, err) })
	if s.ConnectionStatus() != multiplayer.ConnectionConnecting || s.UniqueID() != 0 || s.IsServer() {
		t.Fatalf("new client: id %d status %v", s.UniqueID(), s.ConnectionStatus())
	}
	srv := &conn{"server"}
	s.Add(1, srv)
	s.SetUniqueID(1234)
	select {
	case <-s.Connecting().Done():
		t.Fatal("Connecting finished before the server connected")
	default:
	}
	s.Connect(1, srv)
	if err := s.Connecting().Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.ConnectionStatus() != multiplayer.ConnectionConnected || s.UniqueID() != 1234 {
		t.Fatalf("connected client: id %d status %v", s.UniqueID(), s.ConnectionStatus())
	}
	s.Remove(1, srv)
	if s.ConnectionStatus() != multiplayer.ConnectionDisconnected || s.UniqueID() != 0 {
		t.Fatalf("ended client: id %d status %v", s.UniqueID(), s.ConnectionStatus())
	}
	if len(ended) != 1 || !errors.Is(ended[0], peer.ErrUnconfigured) || !errors.Is(ended[0], io.EOF) {
		t.Fatalf("onEnd got %v", ended)
	}
	wantEvents(t, s, connected(1), disconnected(1))
}

func TestSessionClientFails(t *testing.T) {
	dialErr := &peer.OpError{Op: "dial", Code: peer.ErrTimeout}
	s := multiplayer.NewSession[*conn]("test", multiplayer.RoleClient, 77, nil)
	srv := &conn{"server"}
	s.Add(1, srv)
	s.Fail(dialErr)
	s.Remove(1, srv)
	if err := s.Connecting().Wait(context.Background()); err != dialErr {
		t.Fatalf("Connecting = %v, want the dial error", err)
	}
	if s.Connect(1, srv) || s.ConnectionStatus() != multiplayer.ConnectionDisconnected || s.UniqueID() != 0 {
		t.Fatal("a failed client connected")
	}
	wantEvents(t, s)

	// The server's connection failing before it opened fails too.
	s = multiplayer.NewSession[*conn]("test", multiplayer.RoleClient, 77, nil)
	s.Add(1, srv)
	s.Remove(1, srv)
	if err := s.Connecting().Wait(context.Background()); !errors.Is(err, peer.ErrCantConnect) {
		t.Fatalf("Connecting = %v, want ErrCantConnect", err)
	}
	wantEvents(t, s)
}

// Forcing the server out ends a client's session at once, without an event.
func TestSessionClientForced(t *testing.T) {
	var ended error
	s := multiplayer.NewSession[*conn]("test", multiplayer.RoleClient, 5, func(err error) { ended = err })
	srv := &conn{"server"}
	s.Join(1, srv)
	if _, err := s.Disconnect(1, true); err != nil {
		t.Fatal(err)
	}
	if s.ConnectionStatus() != multiplayer.ConnectionDisconnected || s.UniqueID() != 0 || !errors.Is(ended, peer.ErrUnconfigured) {
		t.Fatalf("forced client: id %d status %v, ended %v", s.UniqueID(), s.ConnectionStatus(), ended)
	}
	wantEvents(t, s, connected(1))
}

func TestSessionClose(t *testing.T) {
	s := multiplayer.NewSession[*conn]("test", multiplayer.RoleClient, 5, nil)
	a := &conn{"server"}
	s.Add(1, a)
	ps := s.Close()
	if len(ps) != 1 || ps[0] != a {
		t.Fatalf("Close returned %v", ps)
	}
	if s.Close() != nil {
		t.Fatal("second Close returned peers")
	}
	if s.Connect(1, a) || s.Remove(1, a) {
		t.Fatal("a closed session connected or removed a peer")
	}
	s.SetUniqueID(9)
	if s.ConnectionStatus() != multiplayer.ConnectionDisconnected || s.UniqueID() != 0 {
		t.Fatalf("closed: id %d status %v", s.UniqueID(), s.ConnectionStatus())
	}
	if err := s.Add(1, a); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("Add after Close = %v", err)
	}
	if err := s.Join(2, a); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("Join after Close = %v", err)
	}
	if _, err := s.JoinNew(func(int32) *conn { t.Fatal("newPeer called after Close"); return nil }); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("JoinNew after Close = %v", err)
	}
	if err := s.Connecting().Wait(context.Background()); !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("Connecting after Close = %v", err)
	}
	wantEvents(t, s)
}

// JoinNew gives distinct ids in [2, 2^31-1] under concurrent use, each
// reported once.
func TestSessionJoinNew(t *testing.T) {
	s := multiplayer.NewSession[*conn]("test", multiplayer.RoleServer, 0, nil)
	const n = 200
	var wg sync.WaitGroup
	ids := make(chan int32, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := s.JoinNew(func(id int32) *conn { return &conn{} })
			if err != nil {
				t.Error(err)
			}
			ids <- id
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[int32]bool{}
	for id := range ids {
		if id < 2 || seen[id] {
			t.Fatalf("id %d (seen %v)", id, seen[id])
		}
		seen[id] = true
	}
	if got := len(events(t, s)); got != n {
		t.Fatalf("%d events for %d peers", got, n)
	}
}

func TestSessionSettings(t *testing.T) {
	s := multiplayer.NewSession[*conn]("test", multiplayer.RoleMesh, 6, nil)
	if s.Role() != multiplayer.RoleMesh || s.IsServer() || s.IsServerRelaySupported() || s.UniqueID() != 6 ||
		s.ConnectionStatus() != multiplayer.ConnectionConnected || s.Connecting() != nil {
		t.Fatalf("mesh: role %v id %d status %v", s.Role(), s.UniqueID(), s.ConnectionStatus())
	}
	s.SetRefuseNewConnections(true)
	if !s.IsRefusingNewConnections() {
		t.Fatal("IsRefusingNewConnections false after SetRefuseNewConnections(true)")
	}
	if err := s.ErrNotConnected(); !errors.Is(err, peer.ErrUnconfigured) {
		t.Fatalf("ErrNotConnected = %v", err)
	}
	s.Join(2, &conn{"b"})
	s.Add(3, &conn{"c"})
	seen := map[int32]string{}
	s.Each(func(id int32, p *conn) { seen[id] = p.name })
	if len(seen) != 2 || seen[2] != "b" || seen[3] != "c" {
		t.Fatalf("Each saw %v", seen)
	}

	// End: the client's status, id, reads and Connecting.
	var ended error
	c := multiplayer.NewSession[*conn]("test", multiplayer.RoleClient, 8, func(err error) { ended = err })
	why := multiplayer.SessionEnded("test", "signalling lost")
	c.End(why)
	if c.ConnectionStatus() != multiplayer.ConnectionDisconnected || c.UniqueID() != 0 || ended != why {
		t.Fatalf("after End: id %d status %v, reads end with %v", c.UniqueID(), c.ConnectionStatus(), ended)
	}
	if err := c.Connecting().Wait(context.Background()); !errors.Is(err, peer.ErrCantConnect) {
		t.Fatalf("Connecting after End = %v", err)
	}
}
