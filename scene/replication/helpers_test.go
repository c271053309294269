package replication

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// noLeaks fails the test if goroutines started during it are still running
// two seconds after it ends.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// mpSession is the smallest SceneMultiplayer session a Replicator runs in:
// a multiplayer peer, this side's path-cache ids and the per-peer path
// caches, with SIMPLIFY_PATH / CONFIRM_PATH handled as Godot does.
type mpSession struct {
	mp    multiplayer.MultiplayerPeer
	ids   scene.NodeIDs
	paths map[int32]*scene.PeerPaths
}

func newSession(mp multiplayer.MultiplayerPeer) *mpSession {
	return &mpSession{mp: mp, paths: make(map[int32]*scene.PeerPaths)}
}

func (s *mpSession) peer(id int32) *scene.PeerPaths {
	p := s.paths[id]
	if p == nil {
		p = &scene.PeerPaths{}
		s.paths[id] = p
	}
	return p
}

// emptyChecksum is the RPC checksum of a node without RPCs (MD5 of "").
var emptyChecksum = func() scene.Checksum {
	m, err := scene.NewMethods(nil, nil)
	if err != nil {
		panic(err)
	}
	return m.Checksum()
}()

func (s *mpSession) Send(to int32, mode scene.TransferMode, channel int, p []byte) error {
	return s.mp.SendTo(to, mode, channel, p)
}

func (s *mpSession) NodeID(to int32, path string) (uint32, bool, error) {
	id, ok := s.ids.ID(path)
	if !ok {
		return 0, false, peer.ErrOutOfMemory
	}
	pp := s.peer(to)
	simplify, confirmed := pp.Reference(id)
	if simplify {
		b, err := scene.AppendSimplifyPath(nil, scene.SimplifyPath{Checksum: emptyChecksum, ID: id, Path: path})
		if err == nil {
			err = s.mp.SendTo(to, scene.TransferModeReliable, 0, b)
		}
		if err != nil {
			pp.Forget(id) // sent again at the next call
			return 0, false, err
		}
	}
	return id, confirmed, nil
}

func (s *mpSession) PeerNode(from int32, id uint32) (string, bool) {
	return s.peer(from).Path(id)
}

// handle routes one packet from a peer: the path cache here, replication to r.
func (s *mpSession) handle(r *Replicator, from int32, p []byte) error {
	c, err := scene.PacketCommand(p)
	if err != nil {
		return err
	}
	switch c {
	case scene.CommandSimplifyPath:
		m, err := scene.ParseSimplifyPath(p)
		if err != nil {
			return err
		}
		if err := s.peer(from).Add(m.ID, m.Path); err != nil {
			return err
		}
		return s.mp.SendTo(from, scene.TransferModeReliable, 0, scene.AppendConfirmPath(nil, scene.ConfirmPath{Valid: true, ID: m.ID}))
	case scene.CommandConfirmPath:
		m, err := scene.ParseConfirmPath(p)
		if err != nil {
			return err
		}
		return s.peer(from).Confirm(m.ID)
	}
	return r.Receive(from, p)
}

// pump reads n packets on the server side and hands them to the session.
func (s *mpSession) pump(t *testing.T, ctx context.Context, r *Replicator, n int) {
	t.Helper()
	for range n {
		p, info, err := s.mp.ReadPacketFrom(ctx)
		if err != nil {
			t.Fatalf("server read: %v", err)
		}
		if err := s.handle(r, info.From, p); err != nil {
			t.Logf("server: packet % x from %d: %v", p, info.From, err)
		}
	}
}

// testServer starts a WebSocket multiplayer server on 127.0.0.1.
func testServer(t *testing.T) *websocket.MultiplayerPeer {
	t.Helper()
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// join dials a client and waits until the server saw it; it returns the
// client and its id.
func join(t *testing.T, ctx context.Context, srv *websocket.MultiplayerPeer) (*websocket.MultiplayerPeer, int32) {
	t.Helper()
	c, err := websocket.DialClient(ctx, "ws://"+srv.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for {
		ev, err := srv.ReadEvent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == multiplayer.PeerConnected && ev.ID == c.UniqueID() {
			return c, ev.ID
		}
	}
}

// read returns the next packet a client received.
func read(t *testing.T, ctx context.Context, c *websocket.MultiplayerPeer) []byte {
	t.Helper()
	p, _, err := c.ReadPacketFrom(ctx)
	if err != nil {
		t.Fatalf("client read: %v", err)
	}
	return p
}
