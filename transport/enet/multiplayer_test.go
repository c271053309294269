package enet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/multiplayer/multiplayertest"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/stretchr/testify/require"
)

func mpNetwork(t *testing.T, clients int, channels int) multiplayertest.Network {
	t.Helper()
	srv, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Host().LocalAddr().String()
	n := multiplayertest.Network{Server: srv}
	n.Connect = func(ctx context.Context) (multiplayer.MultiplayerPeer, error) {
		// A refused client only times out (5 s and more in ENet): on
		// loopback an accepted one connects well within a second.
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		c, err := enet.DialClient(ctx, addr, &enet.MultiplayerConfig{Channels: channels})
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
		// The client is connected half a round trip before the server
		// has the VERIFY_CONNECT acknowledged and admits it.
		require.Eventually(t, func() bool { return srv.GetPeer(c.UniqueID()) != nil }, 5*time.Second, time.Millisecond)
	}
	return n
}

func TestMultiplayerConformance(t *testing.T) {
	multiplayertest.Run(t, func(t *testing.T, clients int) multiplayertest.Network {
		return mpNetwork(t, clients, 3)
	}, multiplayertest.Config{Channels: 4})
}

// rawEvent waits for the next event of h that is not a receive.
func rawEvent(t *testing.T, ctx context.Context, h *enet.Host) enet.Event {
	t.Helper()
	for {
		e, err := h.Service(ctx)
		if err != nil {
			t.Fatalf("Service: %v", err)
		}
		if e.Type != enet.EventReceive {
			return e
		}
	}
}

// TestMultiplayerClientConnectData checks a client's CONNECT as a Godot
// server sees it: the data is the client's id, and the channel count is
// Channels+2, or 255 when Channels is 0.
func TestMultiplayerClientConnectData(t *testing.T) {
	peertest.CheckGoroutines(t)
	for _, tc := range []struct{ channels, want int }{{0, 255}, {3, 5}} {
		h, err := enet.NewHost("127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := enet.CreateClient(h.LocalAddr().String(), &enet.MultiplayerConfig{Channels: tc.channels})
		if err != nil {
			t.Fatal(err)
		}
		// Nothing to read while connecting: ERR_UNAVAILABLE, as Godot's
		// get_packet with no incoming packets.
		if _, err := c.GetPacket(); !errors.Is(err, peer.ErrUnavailable) {
			t.Errorf("GetPacket while connecting = %v, want ErrUnavailable", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		e := rawEvent(t, ctx, h)
		if e.Type != enet.EventConnect || int32(e.Data) != c.UniqueID() || c.UniqueID() < 2 {
			t.Errorf("server saw %v with data %d; want EventConnect with the client's id %d", e.Type, e.Data, c.UniqueID())
		}
		if got := e.Peer.Channels(); got != tc.want {
			t.Errorf("Channels %d: CONNECT asked for %d ENet channels, want %d", tc.channels, got, tc.want)
		}
		if ev, err := c.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: 1}) {
			t.Errorf("client event %v, %v; want peer_connected(1)", ev, err)
		}
		cancel()
		c.Close()
		h.Close()
	}
}

// TestMultiplayerServerResetsBadIDs connects raw ENet clients claiming ids
// 0, 1 and one already in use: the server resets each (no event, no
// packet; the client, with a short timeout, sees its connection die) and
// still admits an honest client afterwards.
func TestMultiplayerServerResetsBadIDs(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Host().LocalAddr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	honest, err := enet.DialClient(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer honest.Close()
	if ev, err := srv.ReadEvent(ctx); err != nil || ev.ID != honest.UniqueID() {
		t.Fatalf("server event %v, %v", ev, err)
	}
	for _, claim := range []uint32{0, 1, uint32(honest.UniqueID()), 1 << 31} {
		h, err := enet.NewHost("", &enet.Config{MaxPeers: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		p, err := h.ConnectToHost(addr, 0, claim)
		if err != nil {
			t.Fatal(err)
		}
		if e := rawEvent(t, ctx, h); e.Type != enet.EventConnect {
			t.Fatalf("claim %d: first event %v, want the ENet connect", claim, e.Type)
		}
		if err := p.SetTimeout(4, 100*time.Millisecond, 500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		_ = p.Send(0, []byte("smuggled"), enet.FlagReliable)
		if e := rawEvent(t, ctx, h); e.Type != enet.EventDisconnect {
			t.Errorf("claim %d: event %v, want the connection to die", claim, e.Type)
		}
		h.Close()
	}
	if got := srv.Stats(); got.Refused != 4 || got.Accepted != 1 {
		t.Errorf("Stats %+v, want 4 refused, 1 accepted", got)
	}
	if ev, ok := srv.PollEvent(); ok {
		t.Errorf("a refused client produced %v", ev)
	}
	if n := srv.AvailablePacketCount(); n != 0 {
		t.Errorf("server queued %d packets from refused clients", n)
	}
	c2, err := enet.DialClient(ctx, addr, nil)
	if err != nil {
		t.Fatalf("honest client after the refused ones: %v", err)
	}
	defer c2.Close()
	if ev, err := srv.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: c2.UniqueID()}) {
		t.Errorf("server event %v, %v; want peer_connected(%d)", ev, err, c2.UniqueID())
	}
}

// TestMultiplayerChannelsAndFlags checks Godot's mapping of transfer mode
// and channel to ENet channel and flags, at the ENet level, both ways: a
// client's packets as a raw ENet server receives them, and raw ENet
// packets as the client reports them.
func TestMultiplayerChannelsAndFlags(t *testing.T) {
	peertest.CheckGoroutines(t)
	h, err := enet.NewHost("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	c, err := enet.CreateClient(h.LocalAddr().String(), &enet.MultiplayerConfig{Channels: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e := rawEvent(t, ctx, h)
	if e.Type != enet.EventConnect {
		t.Fatalf("event %v", e.Type)
	}
	sp := e.Peer
	if _, err := c.ReadEvent(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		mode    multiplayer.TransferMode
		channel int
		enetCh  int
		flags   enet.PacketFlags
		size    int
	}{
		{multiplayer.TransferModeReliable, 0, 0, enet.FlagReliable, 0},
		{multiplayer.TransferModeUnreliableOrdered, 0, 1, enet.FlagUnreliableFragment, 0},
		{multiplayer.TransferModeUnreliable, 0, 1, enet.FlagUnsequenced | enet.FlagUnreliableFragment, 0},
		{multiplayer.TransferModeReliable, 1, 2, enet.FlagReliable, 0},
		{multiplayer.TransferModeUnreliableOrdered, 2, 3, enet.FlagUnreliableFragment, 0},
		{multiplayer.TransferModeUnreliable, 3, 4, enet.FlagUnsequenced | enet.FlagUnreliableFragment, 0},
		// Above the MTU, FlagUnreliableFragment keeps the fragments
		// unreliable; without it ENet would send them reliably. ENet
		// sends unsequenced packets that need fragments as sequenced
		// unreliable fragments, so they arrive as unreliable ordered (in
		// Godot too).
		{multiplayer.TransferModeUnreliableOrdered, 0, 1, enet.FlagUnreliableFragment, 3000},
		{multiplayer.TransferModeUnreliable, 1, 2, enet.FlagUnsequenced | enet.FlagUnreliableFragment, 3000},
	}
	for _, tc := range cases {
		up := []byte("up")
		wireFlags, want := tc.flags, multiplayer.PacketInfo{From: 1, Channel: tc.channel, Mode: tc.mode}
		if tc.size > 0 {
			up = make([]byte, tc.size)
			wireFlags &^= enet.FlagUnsequenced
			want.Mode = multiplayer.TransferModeUnreliableOrdered
		}
		// Client to server; unreliable packets may be lost, so resend.
		for {
			if err := c.SendTo(1, tc.mode, tc.channel, up); err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
			ev, err := h.Service(rctx)
			rcancel()
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				continue
			}
			if err != nil || ev.Type != enet.EventReceive {
				t.Fatalf("%v/%d: server event %v, %v", tc.mode, tc.channel, ev.Type, err)
			}
			b, err := sp.GetPacket()
			if err != nil || string(b) != string(up) {
				t.Fatalf("GetPacket of %d bytes, %v", len(b), err)
			}
			// Only the flags that travel on the wire come back: ENet
			// reports unreliable-fragment packets by their command.
			if ev.Channel != tc.enetCh || sp.PacketFlags()&(enet.FlagReliable|enet.FlagUnsequenced) != wireFlags&(enet.FlagReliable|enet.FlagUnsequenced) {
				t.Errorf("%v on transfer channel %d, %d bytes: ENet channel %d flags %d, want channel %d flags %d",
					tc.mode, tc.channel, len(up), ev.Channel, sp.PacketFlags(), tc.enetCh, wireFlags)
			}
			break
		}
		// Server to client.
		for {
			if err := sp.Send(tc.enetCh, up, tc.flags); err != nil {
				t.Fatal(err)
			}
			h.Flush()
			rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
			b, info, err := c.ReadPacketFrom(rctx)
			rcancel()
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				continue
			}
			if err != nil || string(b) != string(up) {
				t.Fatalf("client read %d bytes, %v", len(b), err)
			}
			if info != want {
				t.Errorf("ENet channel %d flags %d: client reports %+v, want %+v", tc.enetCh, tc.flags, info, want)
			}
			break
		}
	}
	// ENet channel 1 without flags (Godot's 3.x unreliable ordered) is
	// also unreliable ordered, on transfer channel 0.
	for {
		if err := sp.Send(1, []byte("plain"), 0); err != nil {
			t.Fatal(err)
		}
		h.Flush()
		rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, info, err := c.ReadPacketFrom(rctx)
		rcancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if info != (multiplayer.PacketInfo{From: 1, Channel: 0, Mode: multiplayer.TransferModeUnreliableOrdered}) {
			t.Errorf("plain unreliable on channel 1: %+v", info)
		}
		break
	}
}

func TestMultiplayerCreateErrors(t *testing.T) {
	if _, err := enet.CreateServer("127.0.0.1:0", &enet.MultiplayerConfig{Channels: 254}); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("Channels 254: %v, want ErrInvalidParameter", err)
	}
	if _, err := enet.CreateClient("127.0.0.1:0", nil); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("port 0: %v, want ErrInvalidParameter", err)
	}
	srv, err := enet.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := enet.CreateServer(srv.Host().LocalAddr().String(), nil); !errors.Is(err, peer.ErrCantCreate) {
		t.Errorf("port in use: %v, want ErrCantCreate", err)
	}
}

// connectedHosts returns two hosts connected to each other, with their
// EventConnect consumed, as a program does before AddMeshPeer.
func connectedHosts(t *testing.T, ctx context.Context) (*enet.Host, *enet.Host) {
	t.Helper()
	a, err := enet.NewHost("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := enet.NewHost("", &enet.Config{MaxPeers: 1})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	if _, err := b.ConnectToHost(a.LocalAddr().String(), 0, 0); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*enet.Host{a, b} {
		if e := rawEvent(t, ctx, h); e.Type != enet.EventConnect {
			t.Fatalf("event %v, want connect", e.Type)
		}
	}
	return a, b
}

func TestMultiplayerMesh(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := enet.CreateMesh(0); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("CreateMesh(0) = %v", err)
	}
	ha, hb := connectedHosts(t, ctx)
	a, err := enet.CreateMesh(10)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := enet.CreateMesh(20)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.AddMeshPeer(20, ha); err != nil {
		t.Fatal(err)
	}
	if err := b.AddMeshPeer(10, hb); err != nil {
		t.Fatal(err)
	}
	if err := a.AddMeshPeer(20, ha); !errors.Is(err, peer.ErrAlreadyInUse) {
		t.Errorf("adding peer 20 twice: %v", err)
	}
	srv, _ := enet.CreateServer("127.0.0.1:0", nil)
	defer srv.Close()
	if err := srv.AddMeshPeer(5, ha); !errors.Is(err, peer.ErrUnconfigured) {
		t.Errorf("AddMeshPeer on a server: %v", err)
	}
	for _, c := range []struct {
		p  *enet.MultiplayerPeer
		id int32
	}{{a, 20}, {b, 10}} {
		if ev, err := c.p.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: c.id}) {
			t.Errorf("event %v, %v; want peer_connected(%d)", ev, err, c.id)
		}
		if c.p.IsServer() || c.p.IsServerRelaySupported() || c.p.Host() != nil || c.p.ConnectionStatus() != multiplayer.ConnectionConnected {
			t.Errorf("mesh peer: server %v, relay %v, host %v, status %v", c.p.IsServer(), c.p.IsServerRelaySupported(), c.p.Host(), c.p.ConnectionStatus())
		}
	}
	if err := a.SendTo(multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 2, []byte("to all")); err != nil {
		t.Fatal(err)
	}
	b2, info, err := b.ReadPacketFrom(ctx)
	if err != nil || string(b2) != "to all" || info != (multiplayer.PacketInfo{From: 10, Channel: 2, Mode: multiplayer.TransferModeReliable}) {
		t.Errorf("b read %q %+v %v", b2, info, err)
	}
	if err := b.SendTo(10, multiplayer.TransferModeReliable, 0, []byte("to a")); err != nil {
		t.Fatal(err)
	}
	b2, info, err = a.ReadPacketFrom(ctx)
	if err != nil || string(b2) != "to a" || info.From != 20 {
		t.Errorf("a read %q %+v %v", b2, info, err)
	}
	if err := b.DisconnectPeer(10, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p  *enet.MultiplayerPeer
		id int32
	}{{a, 20}, {b, 10}} {
		if ev, err := c.p.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: c.id}) {
			t.Errorf("event %v, %v; want peer_disconnected(%d)", ev, err, c.id)
		}
		if c.p.GetPeer(c.id) != nil {
			t.Errorf("GetPeer(%d) after the disconnect", c.id)
		}
	}
}

// TestMultiplayerServerChannels checks Godot 4.6's create_server quirk: a
// server's max_channels is passed as the host's incoming bandwidth, not its
// channel limit, so a client asking for 255 channels gets 255.
func TestMultiplayerServerChannels(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := enet.CreateServer("127.0.0.1:0", &enet.MultiplayerConfig{Channels: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if got := srv.Host().MaxChannels(); got != 255 {
		t.Errorf("server channel limit %d, want 255", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := enet.DialClient(ctx, srv.Host().LocalAddr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.GetPeer(1).Channels(); got != 255 {
		t.Errorf("client got %d channels, want 255", got)
	}
	if c.GetPeer(2) != nil {
		t.Errorf("a client's GetPeer(2) is not nil")
	}
}
