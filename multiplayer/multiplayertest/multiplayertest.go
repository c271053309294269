// Package multiplayertest is the conformance suite every multiplayer peer
// runs, as peer/peertest is for packet peers: given a way to make a server
// with connected clients over the real transport, Run checks the
// multiplayer.MultiplayerPeer contract.
//
// A transport's test calls it like this:
//
//	func TestMultiplayerConformance(t *testing.T) {
//		multiplayertest.Run(t, func(t *testing.T, clients int) multiplayertest.Network {
//			srv := createServer(t) // real sockets on 127.0.0.1
//			n := multiplayertest.Network{Server: srv}
//			for range clients {
//				n.Clients = append(n.Clients, dialClient(t, srv))
//			}
//			n.Connect = func(ctx context.Context) (multiplayer.MultiplayerPeer, error) { ... }
//			return n
//		}, multiplayertest.Config{ReliableOnly: true})
//	}
//
// The factory returns a server and clients that are all
// ConnectionConnected, without having read any of their events or
// packets. Run closes every peer (closing twice must be harmless) and fails
// the test if goroutines started by the factory outlive Close.
package multiplayertest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// Network is a server and its connected clients.
type Network struct {
	Server  multiplayer.MultiplayerPeer
	Clients []multiplayer.MultiplayerPeer
	// Connect, if set, connects one more client to Server and returns it
	// ConnectionConnected, or an error when the server turns it away. The
	// RefuseNewConnections check needs it.
	Connect func(ctx context.Context) (multiplayer.MultiplayerPeer, error)
}

// MakeNetwork returns a server with the given number of connected clients.
type MakeNetwork func(t *testing.T, clients int) Network

// Config describes what the transport promises.
type Config struct {
	// ReliableOnly: every packet travels reliably on one channel whatever
	// the transfer settings, and arrives reported as TransferModeReliable on
	// channel 0 (WebSocket). Otherwise packets arrive with the mode and
	// channel they were sent with.
	ReliableOnly bool
	// Channels is the number of transfer channels usable (channels 0 ..
	// Channels-1); 0 means 1. Ignored with ReliableOnly.
	Channels int
	// ChannelModes, when set, is the mode each transfer channel from 1 on
	// was created with and is reported with on receipt whatever the mode
	// it was sent in (WebRTC's channels_config).
	ChannelModes []multiplayer.TransferMode
	// Clients is the number of clients per network; 0 means 3 (at least 3
	// are needed for the all-but check).
	Clients int
	// Timeout bounds each check. 0 means 10 seconds.
	Timeout time.Duration
	// IgnoreGoroutines lists stack substrings of goroutines a library is
	// known to leave running after Close.
	IgnoreGoroutines []string
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 10 * time.Second
}

func (c Config) clients() int {
	if c.Clients >= 3 {
		return c.Clients
	}
	return 3
}

// Run runs every conformance check as a subtest, each on a fresh network.
func Run(t *testing.T, mk MakeNetwork, cfg Config) {
	checks := []struct {
		name string
		fn   func(t *testing.T, n Network, cfg Config)
	}{
		{"IDs", testIDs},
		{"ConnectedEvents", testConnectedEvents},
		{"TargetOne", testTargetOne},
		{"TargetBroadcast", testTargetBroadcast},
		{"TargetAllBut", testTargetAllBut},
		{"TargetUnknown", testTargetUnknown},
		{"ClientSendsToServer", testClientSendsToServer},
		{"ModesAndChannels", testModesAndChannels},
		{"GodotPollForm", testGodotPollForm},
		{"Variants", testVariants},
		{"ReliableOrdering", testReliableOrdering},
		{"ServerDisconnectsClient", testServerDisconnectsClient},
		{"ServerForcesClient", testServerForcesClient},
		{"ClientForcesServer", testClientForcesServer},
		{"ClientDisconnects", testClientDisconnects},
		{"ClientCloses", testClientCloses},
		{"ServerCloses", testServerCloses},
		{"AfterClose", testAfterClose},
		{"CloseUnblocksReads", testCloseUnblocksReads},
		{"RefuseNewConnections", testRefuseNewConnections},
		{"Concurrent", testConcurrent},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			peertest.CheckGoroutines(t, cfg.IgnoreGoroutines...)
			n := mk(t, cfg.clients())
			t.Cleanup(func() {
				for _, c := range n.Clients {
					c.Close()
				}
				n.Server.Close()
			})
			if len(n.Clients) != cfg.clients() {
				t.Fatalf("factory made %d clients, asked for %d", len(n.Clients), cfg.clients())
			}
			c.fn(t, n, cfg)
		})
	}
}

func ctxFor(t *testing.T, cfg Config) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout())
	t.Cleanup(cancel)
	return ctx
}

func ids(n Network) []int32 {
	out := make([]int32, len(n.Clients))
	for i, c := range n.Clients {
		out[i] = c.UniqueID()
	}
	return out
}

// drainConnected reads the PeerConnected events the network's creation
// queued: one per client on the server, one (for the server) per client.
func drainConnected(t *testing.T, ctx context.Context, n Network) {
	t.Helper()
	want := ids(n)
	var got []int32
	for range n.Clients {
		ev, err := n.Server.ReadEvent(ctx)
		if err != nil {
			t.Fatalf("server ReadEvent: %v", err)
		}
		if ev.Type != multiplayer.PeerConnected {
			t.Fatalf("server event %v, want peer_connected", ev)
		}
		got = append(got, ev.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("server saw peer_connected for %v, clients are %v", got, want)
	}
	for i, c := range n.Clients {
		ev, err := c.ReadEvent(ctx)
		if err != nil {
			t.Fatalf("client %d ReadEvent: %v", i, err)
		}
		if ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: 1}) {
			t.Fatalf("client %d event %v, want peer_connected(1)", i, ev)
		}
	}
}

// payload is a test packet: tag, then an int.
func payload(tag string, i int) []byte {
	b := binary.LittleEndian.AppendUint32([]byte(tag), uint32(i))
	return b
}

// readUntilFence reads p's packets until one equal to fence and returns
// those before it (copied) with their senders.
func readUntilFence(t *testing.T, ctx context.Context, p multiplayer.MultiplayerPeer, fence []byte) ([]string, []multiplayer.PacketInfo) {
	t.Helper()
	var got []string
	var infos []multiplayer.PacketInfo
	for {
		b, info, err := p.ReadPacketFrom(ctx)
		if err != nil {
			t.Fatalf("ReadPacketFrom after %d packets: %v", len(got), err)
		}
		if string(b) == string(fence) {
			return got, infos
		}
		got = append(got, string(b))
		infos = append(infos, info)
	}
}

func fenceAll(t *testing.T, n Network) []byte {
	t.Helper()
	fence := []byte("fence")
	if err := n.Server.SendTo(multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 0, fence); err != nil {
		t.Fatalf("broadcast fence: %v", err)
	}
	return fence
}

func testIDs(t *testing.T, n Network, cfg Config) {
	s := n.Server
	if !s.IsServer() || s.UniqueID() != 1 {
		t.Fatalf("server: IsServer %v, UniqueID %d; want true, 1", s.IsServer(), s.UniqueID())
	}
	if st := s.ConnectionStatus(); st != multiplayer.ConnectionConnected {
		t.Fatalf("server status %v", st)
	}
	seen := map[int32]bool{}
	for i, c := range n.Clients {
		id := c.UniqueID()
		if c.IsServer() {
			t.Errorf("client %d: IsServer true", i)
		}
		if id < 2 {
			t.Errorf("client %d: id %d, want [2, 2^31-1]", i, id)
		}
		if seen[id] {
			t.Errorf("client %d: id %d taken by another client", i, id)
		}
		seen[id] = true
		if st := c.ConnectionStatus(); st != multiplayer.ConnectionConnected {
			t.Errorf("client %d: status %v", i, st)
		}
	}
	for range 1000 {
		if id := multiplayer.GenerateUniqueID(); id < 2 {
			t.Fatalf("GenerateUniqueID() = %d", id)
		}
	}
}

func testConnectedEvents(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	drainConnected(t, ctx, n)
	if ev, ok := n.Server.PollEvent(); ok {
		t.Errorf("server: extra event %v", ev)
	}
	for i, c := range n.Clients {
		if ev, ok := c.PollEvent(); ok {
			t.Errorf("client %d: extra event %v", i, ev)
		}
	}
}

// checkOnly sends with send, fences, and checks that exactly the clients in
// want received the packet, from the server.
func checkTargets(t *testing.T, n Network, cfg Config, pkt []byte, send func() error, want map[int]bool) {
	t.Helper()
	ctx := ctxFor(t, cfg)
	if err := send(); err != nil {
		t.Fatalf("send: %v", err)
	}
	fence := fenceAll(t, n)
	for i, c := range n.Clients {
		got, infos := readUntilFence(t, ctx, c, fence)
		switch {
		case want[i] && (len(got) != 1 || got[0] != string(pkt)):
			t.Errorf("client %d (id %d) got %q, want the packet once", i, c.UniqueID(), got)
		case !want[i] && len(got) != 0:
			t.Errorf("client %d (id %d) got %q, want nothing", i, c.UniqueID(), got)
		}
		for _, info := range infos {
			if info.From != 1 {
				t.Errorf("client %d: packet from %d, want 1", i, info.From)
			}
		}
	}
}

func testTargetOne(t *testing.T, n Network, cfg Config) {
	for k := range n.Clients {
		pkt := payload("one", k)
		id := n.Clients[k].UniqueID()
		checkTargets(t, n, cfg, pkt, func() error {
			n.Server.SetTargetPeer(id)
			return n.Server.PutPacket(pkt)
		}, map[int]bool{k: true})
	}
}

func testTargetBroadcast(t *testing.T, n Network, cfg Config) {
	pkt := payload("all", 0)
	all := map[int]bool{}
	for i := range n.Clients {
		all[i] = true
	}
	checkTargets(t, n, cfg, pkt, func() error {
		n.Server.SetTargetPeer(multiplayer.TargetPeerBroadcast)
		return n.Server.PutPacket(pkt)
	}, all)
}

func testTargetAllBut(t *testing.T, n Network, cfg Config) {
	for k := range n.Clients {
		pkt := payload("allbut", k)
		want := map[int]bool{}
		for i := range n.Clients {
			want[i] = i != k
		}
		id := n.Clients[k].UniqueID()
		checkTargets(t, n, cfg, pkt, func() error {
			return n.Server.SendTo(-id, multiplayer.TransferModeReliable, 0, pkt)
		}, want)
	}
}

func testTargetUnknown(t *testing.T, n Network, cfg Config) {
	unknown := int32(2)
	for slices.Contains(ids(n), unknown) {
		unknown++
	}
	err := n.Server.SendTo(unknown, multiplayer.TransferModeReliable, 0, []byte("x"))
	if !errors.Is(err, peer.ErrInvalidParameter) {
		t.Fatalf("SendTo(absent peer %d) = %v, want ErrInvalidParameter", unknown, err)
	}
	if err := n.Server.SendTo(1, multiplayer.TransferModeReliable, 0, []byte("x")); err == nil {
		t.Errorf("server SendTo(itself) succeeded")
	}
	if err := n.Server.SetTransferMode(7); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("SetTransferMode(7) = %v", err)
	}
	if err := n.Server.SetTransferChannel(256); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("SetTransferChannel(256) = %v", err)
	}
	// The honest clients are still served.
	checkTargets(t, n, cfg, []byte("after"), func() error {
		return n.Server.SendTo(n.Clients[0].UniqueID(), multiplayer.TransferModeReliable, 0, []byte("after"))
	}, map[int]bool{0: true})
}

func testClientSendsToServer(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	// Whatever a client targets, in server/client mode its packets go to
	// the server, which reports the client as the sender.
	for i, c := range n.Clients {
		c.SetTargetPeer(multiplayer.TargetPeerServer)
		if err := c.PutPacket(payload("c2s", i)); err != nil {
			t.Fatalf("client %d PutPacket: %v", i, err)
		}
	}
	got := map[string]int32{}
	for range n.Clients {
		b, info, err := n.Server.ReadPacketFrom(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got[string(b)] = info.From
	}
	for i, c := range n.Clients {
		if from, ok := got[string(payload("c2s", i))]; !ok || from != c.UniqueID() {
			t.Errorf("client %d's packet: present %v, from %d; want from %d", i, ok, from, c.UniqueID())
		}
	}
	if k := n.Server.AvailablePacketCount(); k != 0 {
		t.Errorf("server has %d more packets", k)
	}
}

func testModesAndChannels(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	channels := []int{0}
	if !cfg.ReliableOnly && cfg.Channels > 1 {
		channels = append(channels, 1, cfg.Channels-1)
	}
	c := n.Clients[0]
	modes := []multiplayer.TransferMode{multiplayer.TransferModeUnreliable, multiplayer.TransferModeUnreliableOrdered, multiplayer.TransferModeReliable}
	seq := 0
	for _, m := range modes {
		for _, ch := range channels {
			want := multiplayer.PacketInfo{From: c.UniqueID(), Channel: ch, Mode: m}
			if cfg.ReliableOnly {
				want.Channel, want.Mode = 0, multiplayer.TransferModeReliable
			} else if ch > 0 && ch <= len(cfg.ChannelModes) {
				want.Mode = cfg.ChannelModes[ch-1]
			}
			// client -> server, server -> client, with the Godot-style settings.
			for dir := range 2 {
				from, to := c, n.Server
				target := multiplayer.TargetPeerServer
				if dir == 1 {
					from, to, target = n.Server, c, c.UniqueID()
					want.From = 1
				}
				if err := from.SetTransferMode(m); err != nil {
					t.Fatal(err)
				}
				if err := from.SetTransferChannel(ch); err != nil {
					t.Fatal(err)
				}
				from.SetTargetPeer(target)
				seq++
				pkt := payload("mode", seq)
				info := sendUntilSeen(t, ctx, from, to, pkt, want.Mode == multiplayer.TransferModeReliable)
				if info != want {
					t.Errorf("%v on channel %d, direction %d: received as %+v, want %+v", m, ch, dir, info, want)
				}
			}
		}
	}
}

// sendUntilSeen puts pkt (resending unless reliable) until to reads it.
func sendUntilSeen(t *testing.T, ctx context.Context, from, to multiplayer.MultiplayerPeer, pkt []byte, reliable bool) multiplayer.PacketInfo {
	t.Helper()
	for {
		if err := from.PutPacket(pkt); err != nil {
			t.Fatalf("PutPacket: %v", err)
		}
		rctx := ctx
		cancel := context.CancelFunc(func() {})
		if !reliable {
			rctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
		}
		for {
			b, info, err := to.ReadPacketFrom(rctx)
			if err != nil {
				cancel()
				if !reliable && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
					break // resend
				}
				t.Fatalf("ReadPacketFrom: %v", err)
			}
			if string(b) == string(pkt) {
				cancel()
				// Drain resent copies later; they carry the same payload.
				return info
			}
		}
	}
}

func testGodotPollForm(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	a, b := n.Clients[0], n.Clients[1]
	if err := a.SendTo(1, multiplayer.TransferModeReliable, 0, []byte("from a")); err != nil {
		t.Fatal(err)
	}
	if err := n.Server.WaitPacket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.SendTo(1, multiplayer.TransferModeReliable, 0, []byte("from b")); err != nil {
		t.Fatal(err)
	}
	s := n.Server
	if err := s.Poll(); err != nil {
		t.Fatal(err)
	}
	// get_packet_peer describes the packet get_packet returns next, however
	// often it is asked.
	if got, got2 := s.PacketPeer(), s.PacketPeer(); got != a.UniqueID() || got2 != got {
		t.Fatalf("PacketPeer() = %d then %d, want %d", got, got2, a.UniqueID())
	}
	if s.PacketMode() != multiplayer.TransferModeReliable || s.PacketChannel() != 0 {
		t.Errorf("PacketMode %v, PacketChannel %d", s.PacketMode(), s.PacketChannel())
	}
	if s.AvailablePacketCount() < 1 {
		t.Errorf("AvailablePacketCount %d after PacketPeer", s.AvailablePacketCount())
	}
	first, err := s.GetPacket()
	if err != nil || string(first) != "from a" {
		t.Fatalf("GetPacket = %q, %v", first, err)
	}
	if err := s.WaitPacket(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.PacketPeer(); got != b.UniqueID() {
		t.Fatalf("second PacketPeer() = %d, want %d", got, b.UniqueID())
	}
	// The packet returned before stays valid across PacketPeer.
	if string(first) != "from a" {
		t.Errorf("first packet changed to %q after PacketPeer", first)
	}
	second, err := s.GetPacket()
	if err != nil || string(second) != "from b" {
		t.Fatalf("GetPacket = %q, %v", second, err)
	}
	if _, err := s.GetPacket(); !errors.Is(err, peer.ErrUnavailable) {
		t.Errorf("GetPacket on empty queue = %v, want ErrUnavailable", err)
	}
	if !errors.Is(s.PacketError(), peer.ErrUnavailable) {
		t.Errorf("PacketError = %v", s.PacketError())
	}
	if s.PacketPeer() != 0 {
		t.Errorf("PacketPeer() with nothing queued = %d, want 0", s.PacketPeer())
	}
	// Events in poll form.
	var got []int32
	for {
		ev, ok := s.PollEvent()
		if !ok {
			break
		}
		got = append(got, ev.ID)
	}
	if len(got) != len(n.Clients) {
		t.Errorf("PollEvent returned %d events, want %d", len(got), len(n.Clients))
	}
}

func testVariants(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	c := n.Clients[1]
	n.Server.SetTargetPeer(c.UniqueID())
	want := map[string]any{"hp": 100}
	if err := n.Server.PutVar(want); err != nil {
		t.Fatal(err)
	}
	v, err := c.ReadVar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(v) != `{"hp": 100}` {
		t.Errorf("ReadVar = %v", v)
	}
	c.SetTargetPeer(1)
	if err := c.PutVar("hello"); err != nil {
		t.Fatal(err)
	}
	if err := n.Server.WaitPacket(ctx); err != nil {
		t.Fatal(err)
	}
	if n.Server.PacketPeer() != c.UniqueID() {
		t.Errorf("PacketPeer = %d, want %d", n.Server.PacketPeer(), c.UniqueID())
	}
	if v, err := n.Server.GetVar(); err != nil || v != "hello" {
		t.Errorf("GetVar = %v, %v", v, err)
	}
}

func testReliableOrdering(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	const count = 500
	var wg sync.WaitGroup
	errs := make(chan error, len(n.Clients)+1)
	for i, c := range n.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range count {
				if err := putRetry(ctx, c, 1, payload(fmt.Sprintf("o%d", i), k)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := range count {
			if err := putRetry(ctx, n.Server, 0, payload("s", k)); err != nil {
				errs <- err
				return
			}
		}
	}()
	next := map[int32]int{}
	for range count * len(n.Clients) {
		b, info, err := n.Server.ReadPacketFrom(ctx)
		if err != nil {
			t.Fatalf("server read: %v", err)
		}
		k := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
		if k != next[info.From] {
			t.Fatalf("from %d: packet %d, want %d", info.From, k, next[info.From])
		}
		next[info.From]++
	}
	for i, c := range n.Clients {
		for k := range count {
			b, err := c.ReadPacket(ctx)
			if err != nil {
				t.Fatalf("client %d read: %v", i, err)
			}
			if string(b) != string(payload("s", k)) {
				t.Fatalf("client %d: got %q, want packet %d", i, b, k)
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// putRetry sends reliably, waiting while the transport's send queue is full
// (ErrOutOfMemory, as Godot's).
func putRetry(ctx context.Context, p multiplayer.MultiplayerPeer, target int32, b []byte) error {
	for {
		err := p.SendTo(target, multiplayer.TransferModeReliable, 0, b)
		if !errors.Is(err, peer.ErrOutOfMemory) && !errors.Is(err, peer.ErrBusy) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// waitEvent reads p's events until want, failing on anything else but
// PeerConnected events (left over from the network's creation).
func waitEvent(t *testing.T, ctx context.Context, p multiplayer.MultiplayerPeer, want multiplayer.Event) {
	t.Helper()
	for {
		ev, err := p.ReadEvent(ctx)
		if err != nil {
			t.Fatalf("waiting for %v: %v", want, err)
		}
		if ev == want {
			return
		}
		if ev.Type != multiplayer.PeerConnected {
			t.Fatalf("got %v while waiting for %v", ev, want)
		}
	}
}

// waitDisconnected waits for a client's session to end.
func waitClientGone(t *testing.T, ctx context.Context, c multiplayer.MultiplayerPeer) {
	t.Helper()
	waitEvent(t, ctx, c, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: 1})
	if st := c.ConnectionStatus(); st != multiplayer.ConnectionDisconnected {
		t.Errorf("client status %v after peer_disconnected(1)", st)
	}
	if err := c.SendTo(1, multiplayer.TransferModeReliable, 0, []byte("x")); err == nil {
		t.Errorf("client SendTo after its session ended succeeded")
	}
	// Packets received before stay readable; then reads fail at once
	// (Godot's ERR_UNCONFIGURED) rather than wait.
	for range 1 << 16 {
		if _, _, err := c.GetPacketFrom(); err != nil {
			break
		}
	}
	if _, _, err := c.ReadPacketFrom(ctx); !errors.Is(err, peer.ErrUnconfigured) {
		t.Errorf("client ReadPacketFrom after its session ended = %v, want ErrUnconfigured", err)
	}
}

func checkOthersServed(t *testing.T, n Network, cfg Config, skip int) {
	t.Helper()
	ctx := ctxFor(t, cfg)
	for i, c := range n.Clients {
		if i == skip {
			continue
		}
		pkt := payload("still", i)
		if err := n.Server.SendTo(c.UniqueID(), multiplayer.TransferModeReliable, 0, pkt); err != nil {
			t.Fatalf("server to client %d: %v", i, err)
		}
		if b, err := c.ReadPacket(ctx); err != nil || string(b) != string(pkt) {
			t.Fatalf("client %d read %q, %v", i, b, err)
		}
	}
}

func testServerDisconnectsClient(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	c := n.Clients[0]
	id := c.UniqueID()
	if err := n.Server.DisconnectPeer(id, false); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, ctx, n.Server, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id})
	waitClientGone(t, ctx, c)
	if err := n.Server.SendTo(id, multiplayer.TransferModeReliable, 0, []byte("x")); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("SendTo(disconnected %d) = %v, want ErrInvalidParameter", id, err)
	}
	if err := n.Server.DisconnectPeer(id, false); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("DisconnectPeer(gone) = %v, want ErrInvalidParameter", err)
	}
	checkOthersServed(t, n, cfg, 0)
}

func testServerForcesClient(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	c := n.Clients[1]
	id := c.UniqueID()
	if err := n.Server.DisconnectPeer(id, true); err != nil {
		t.Fatal(err)
	}
	// Forgotten at once.
	if err := n.Server.SendTo(id, multiplayer.TransferModeReliable, 0, []byte("x")); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("SendTo(forced out %d) = %v, want ErrInvalidParameter", id, err)
	}
	waitClientGone(t, ctx, c)
	checkOthersServed(t, n, cfg, 1)
	noDisconnectedEvent(t, n.Server, id)
}

// noDisconnectedEvent fails if p has a PeerDisconnected(id) queued: a peer
// forced out by DisconnectPeer(id, true) is forgotten without one.
func noDisconnectedEvent(t *testing.T, p multiplayer.MultiplayerPeer, id int32) {
	t.Helper()
	for {
		ev, ok := p.PollEvent()
		if !ok {
			return
		}
		if ev == (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id}) {
			t.Errorf("%v after DisconnectPeer(%d, true)", ev, id)
		}
	}
}

// A client forcing its server out ends its session at once, with no
// PeerDisconnected(1) of its own (Godot's disconnect_peer(1, true) on a
// client); the server sees the client leave.
func testClientForcesServer(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	c := n.Clients[2]
	id := c.UniqueID()
	if err := c.DisconnectPeer(1, true); err != nil {
		t.Fatal(err)
	}
	if c.UniqueID() != 0 || c.ConnectionStatus() != multiplayer.ConnectionDisconnected {
		t.Errorf("after DisconnectPeer(1, true): id %d, status %v; want 0, disconnected", c.UniqueID(), c.ConnectionStatus())
	}
	if err := c.SendTo(1, multiplayer.TransferModeReliable, 0, []byte("x")); err == nil {
		t.Errorf("client SendTo after forcing its server out succeeded")
	}
	if err := c.DisconnectPeer(1, false); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("DisconnectPeer(1) again = %v, want ErrInvalidParameter", err)
	}
	waitEvent(t, ctx, n.Server, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id})
	checkOthersServed(t, n, cfg, 2)
	noDisconnectedEvent(t, c, 1)
}

func testClientDisconnects(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	c := n.Clients[2]
	id := c.UniqueID()
	if err := c.DisconnectPeer(1, false); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, ctx, n.Server, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id})
	waitClientGone(t, ctx, c)
	checkOthersServed(t, n, cfg, 2)
}

func testClientCloses(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	c := n.Clients[0]
	id := c.UniqueID()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, ctx, n.Server, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id})
	checkOthersServed(t, n, cfg, 0)
}

func testServerCloses(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	if err := n.Server.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range n.Clients {
		waitClientGone(t, ctx, c)
	}
}

func testAfterClose(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	for _, p := range append([]multiplayer.MultiplayerPeer{n.Server}, n.Clients...) {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if p.UniqueID() != 0 || p.ConnectionStatus() != multiplayer.ConnectionDisconnected {
			t.Errorf("after Close: id %d, status %v; want 0, disconnected", p.UniqueID(), p.ConnectionStatus())
		}
		if err := p.PutPacket([]byte("x")); !errors.Is(err, peer.ErrClosed) {
			t.Errorf("PutPacket after Close = %v", err)
		}
		if err := p.SendTo(0, multiplayer.TransferModeReliable, 0, []byte("x")); !errors.Is(err, peer.ErrClosed) {
			t.Errorf("SendTo after Close = %v", err)
		}
		if _, _, err := p.ReadPacketFrom(ctx); !errors.Is(err, peer.ErrClosed) {
			t.Errorf("ReadPacketFrom after Close = %v", err)
		}
		if _, err := p.ReadEvent(ctx); !errors.Is(err, peer.ErrClosed) {
			t.Errorf("ReadEvent after Close = %v", err)
		}
		if err := p.DisconnectPeer(1, false); !errors.Is(err, peer.ErrClosed) {
			t.Errorf("DisconnectPeer after Close = %v", err)
		}
		if _, ok := p.PollEvent(); ok {
			t.Errorf("PollEvent after Close returned an event")
		}
	}
}

func testCloseUnblocksReads(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	drainConnected(t, ctx, n)
	s := n.Server
	errs := make(chan error, 2)
	go func() { _, _, err := s.ReadPacketFrom(ctx); errs <- err }()
	go func() { _, err := s.ReadEvent(ctx); errs <- err }()
	// Each blocked read returns ErrClosed once Close runs, whether it
	// started waiting before or after.
	s.Close()
	for range 2 {
		if err := <-errs; !errors.Is(err, peer.ErrClosed) {
			t.Errorf("blocked read returned %v, want ErrClosed", err)
		}
	}
}

func testRefuseNewConnections(t *testing.T, n Network, cfg Config) {
	if n.Connect == nil {
		t.Skip("the factory has no Connect")
	}
	ctx := ctxFor(t, cfg)
	drainConnected(t, ctx, n)
	s := n.Server
	s.SetRefuseNewConnections(true)
	if !s.IsRefusingNewConnections() {
		t.Fatal("IsRefusingNewConnections false after SetRefuseNewConnections(true)")
	}
	if c, err := n.Connect(ctx); err == nil {
		c.Close()
		t.Fatalf("a client connected while the server refuses new connections")
	}
	if ev, ok := s.PollEvent(); ok {
		t.Errorf("refused client produced event %v", ev)
	}
	s.SetRefuseNewConnections(false)
	c, err := n.Connect(ctx)
	if err != nil {
		t.Fatalf("connect after SetRefuseNewConnections(false): %v", err)
	}
	defer c.Close()
	waitEvent(t, ctx, s, multiplayer.Event{Type: multiplayer.PeerConnected, ID: c.UniqueID()})
	checkOthersServed(t, n, cfg, -1)
}

func testConcurrent(t *testing.T, n Network, cfg Config) {
	ctx := ctxFor(t, cfg)
	const senders, each = 4, 100
	var wg sync.WaitGroup
	errs := make(chan error, senders*(len(n.Clients)+1))
	for _, c := range n.Clients {
		for g := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range each {
					if err := putRetry(ctx, c, 1, payload(fmt.Sprintf("g%d", g), k)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				if err := putRetry(ctx, n.Server, 0, payload(fmt.Sprintf("b%d", g), k)); err != nil {
					errs <- err
					return
				}
				// Readers of settings race with writers of them.
				_ = n.Server.TransferMode()
				_ = n.Server.AvailablePacketCount()
			}
		}()
	}
	// Each (sender, goroutine) stream arrives in order.
	next := map[string]int{}
	for range senders * each * len(n.Clients) {
		b, info, err := n.Server.ReadPacketFrom(ctx)
		if err != nil {
			t.Fatalf("server read: %v", err)
		}
		key := fmt.Sprintf("%d/%s", info.From, b[:len(b)-4])
		k := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
		if k != next[key] {
			t.Fatalf("%s: packet %d, want %d", key, k, next[key])
		}
		next[key]++
	}
	var cwg sync.WaitGroup
	for i, c := range n.Clients {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for range senders * each {
				if _, err := c.ReadPacket(ctx); err != nil {
					errs <- fmt.Errorf("client %d read: %w", i, err)
					return
				}
			}
		}()
	}
	cwg.Wait()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
