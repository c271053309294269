package webrtc

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/multiplayer/multiplayertest"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
	"github.com/stretchr/testify/require"
)

var mpChannels = []multiplayer.TransferMode{multiplayer.TransferModeReliable, multiplayer.TransferModeUnreliableOrdered, multiplayer.TransferModeUnreliable}

func mpConfig(lobby string) *MultiplayerConfig {
	return &MultiplayerConfig{Channels: mpChannels, Connection: &Config{LoopbackOnly: true, Lobby: lobby}}
}

// mpNetwork is a ListenMultiplayer server and DialMultiplayer clients
// through the project's signalling server on 127.0.0.1.
func mpNetwork(t *testing.T, clients int) multiplayertest.Network {
	t.Helper()
	url := signalingURL(t)
	srv, err := ListenMultiplayer(url, mpConfig("mp"))
	require.NoError(t, err)
	n := multiplayertest.Network{Server: srv}
	n.Connect = func(ctx context.Context) (multiplayer.MultiplayerPeer, error) {
		// A refused member is never connected: bound the wait.
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		c, err := DialMultiplayer(ctx, url, mpConfig("mp"))
		if err != nil {
			return nil, err
		}
		return c, serverSideOpen(ctx, srv, c)
	}
	for i := range clients {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := DialMultiplayer(ctx, url, mpConfig("mp"))
		if err == nil {
			err = serverSideOpen(ctx, srv, c)
		}
		cancel()
		if err != nil {
			// What each side's connections were doing, for a failure seen
			// only in CI.
			var states []string
			for id, cp := range srv.GetPeers() {
				pc := cp.Connection
				states = append(states, fmt.Sprintf("server's peer %d: %v/%v/%v connected=%v", id,
					pc.ConnectionState(), pc.GatheringState(), pc.SignalingState(), cp.Connected))
			}
			if c != nil {
				c.Close()
			}
			srv.Close()
			for _, c := range n.Clients {
				c.Close()
			}
			t.Fatalf("client %d of %d after %v: %v; server stats %+v; %v", i, clients, time.Since(start).Round(time.Millisecond), err, srv.Stats(), states)
		}
		n.Clients = append(n.Clients, c)
	}
	return n
}

// serverSideOpen waits until the server's end of c's channels is open too:
// DialMultiplayer returns when the client's end is, and the server's may
// follow a moment later (as in Godot), when a packet to c would fail.
func serverSideOpen(ctx context.Context, srv, c *MultiplayerPeer) error {
	cp := srv.GetPeer(c.UniqueID())
	if cp == nil {
		return fmt.Errorf("server has no peer %d", c.UniqueID())
	}
	for _, dc := range cp.Channels {
		if err := dc.WaitOpen(ctx); err != nil {
			return err
		}
	}
	// A channel's open hook runs before WaitOpen returns: with every
	// channel open, the server has the peer connected.
	if !srv.GetPeer(c.UniqueID()).Connected {
		return fmt.Errorf("server's channels to %d are open but it is not connected", c.UniqueID())
	}
	return nil
}

func TestMultiplayerConformance(t *testing.T) {
	multiplayertest.Run(t, mpNetwork, multiplayertest.Config{Channels: 1 + len(mpChannels), ChannelModes: mpChannels, Timeout: 20 * time.Second,
		IgnoreGoroutines: pionGoroutines})
}

// mpPair connects two multiplayer peers a and b (ids ida, idb) through
// in-process signalling.
func mpPair(t testing.TB, a *MultiplayerPeer, ida int32, b *MultiplayerPeer, idb int32, lifetime int) (*PeerConnection, *PeerConnection) {
	t.Helper()
	var pca, pcb *PeerConnection
	ready := make(chan struct{})
	mk := func(self string) *PeerConnection {
		pc, err := NewPeerConnection(&Config{
			LoopbackOnly: true,
			OnSessionDescription: func(typ, sdp string) {
				<-ready
				me, other := pca, pcb
				if self == "b" {
					me, other = pcb, pca
				}
				if err := me.SetLocalDescription(typ, sdp); err != nil {
					t.Errorf("%s SetLocalDescription: %v", self, err)
					return
				}
				other.SetRemoteDescription(typ, sdp)
			},
			OnICECandidate: func(media string, index int, name string) {
				<-ready
				other := pcb
				if self == "b" {
					other = pca
				}
				other.AddICECandidate(media, index, name)
			},
		})
		require.NoError(t, err)
		return pc
	}
	pca, pcb = mk("a"), mk("b")
	close(ready)
	require.NoError(t, a.AddPeer(pca, idb, lifetime))
	require.NoError(t, b.AddPeer(pcb, ida, lifetime))
	require.NoError(t, pca.CreateOffer())
	return pca, pcb
}

func readEvent(t *testing.T, ctx context.Context, p *MultiplayerPeer) multiplayer.Event {
	t.Helper()
	ev, err := p.ReadEvent(ctx)
	require.NoError(t, err)
	return ev
}

// The channels AddPeer creates are Godot's, stream id, label, ordering and
// lifetime, with the custom ones after the three reserved.
func TestMultiplayerChannelLayout(t *testing.T) {
	peertest.CheckGoroutines(t, pionGoroutines...)
	ctx := ctxT(t)
	cfg := &MultiplayerConfig{Channels: mpChannels}
	srv, err := CreateServer(cfg)
	require.NoError(t, err)
	defer srv.Close()
	cli, err := CreateClient(77, cfg)
	require.NoError(t, err)
	defer cli.Close()
	require.Equal(t, multiplayer.ConnectionConnecting, cli.ConnectionStatus())
	mpPair(t, srv, 1, cli, 77, 5)
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerConnected, ID: 77}, readEvent(t, ctx, srv))
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerConnected, ID: 1}, readEvent(t, ctx, cli))
	require.Equal(t, multiplayer.ConnectionConnected, cli.ConnectionStatus())
	require.EqualValues(t, 77, cli.UniqueID())

	type layout struct {
		id       int
		label    string
		ordered  bool
		lifetime int
	}
	want := []layout{
		{1, "reliable", true, Unset},
		{2, "ordered", true, 5},
		{3, "unreliable", false, 5},
		{4, "4", true, Unset},
		{5, "5", true, 1},
		{6, "6", false, 1},
	}
	for _, p := range []*MultiplayerPeer{srv, cli} {
		id := int32(77)
		if p == cli {
			id = 1
		}
		cp := p.GetPeer(id)
		require.NotNil(t, cp)
		require.True(t, cp.Connected)
		require.Equal(t, StateConnected, cp.Connection.ConnectionState())
		require.Len(t, cp.Channels, len(want))
		for i, w := range want {
			dc := cp.Channels[i]
			got := layout{dc.ID(), dc.Label(), dc.IsOrdered(), dc.MaxPacketLifeTime()}
			require.Equal(t, w, got, "channel %d", i)
			require.True(t, dc.IsNegotiated())
			require.Equal(t, Unset, dc.MaxRetransmits())
		}
		require.Len(t, p.GetPeers(), 1)
		require.True(t, p.HasPeer(id))
		require.Nil(t, p.GetPeer(id+1))
	}

	// Transfer channel 0 picks the stream by mode; a custom channel ignores
	// the mode and reports its own.
	for _, c := range []struct {
		mode    multiplayer.TransferMode
		channel int
		stream  int
		want    multiplayer.PacketInfo
	}{
		{multiplayer.TransferModeReliable, 0, 1, multiplayer.PacketInfo{From: 1, Channel: 0, Mode: multiplayer.TransferModeReliable}},
		{multiplayer.TransferModeUnreliableOrdered, 0, 2, multiplayer.PacketInfo{From: 1, Channel: 0, Mode: multiplayer.TransferModeUnreliableOrdered}},
		{multiplayer.TransferModeUnreliable, 0, 3, multiplayer.PacketInfo{From: 1, Channel: 0, Mode: multiplayer.TransferModeUnreliable}},
		{multiplayer.TransferModeUnreliable, 1, 4, multiplayer.PacketInfo{From: 1, Channel: 1, Mode: multiplayer.TransferModeReliable}},
		{multiplayer.TransferModeReliable, 3, 6, multiplayer.PacketInfo{From: 1, Channel: 3, Mode: multiplayer.TransferModeUnreliable}},
	} {
		pkt := []byte(fmt.Sprintf("on %d", c.stream))
		// Read it from the client's raw channel: the stream proves the
		// layout, whatever the multiplayer peer reports.
		raw := cli.GetPeer(1).Channels[c.stream-1]
		for {
			require.NoError(t, srv.SendTo(77, c.mode, c.channel, pkt))
			rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			err := raw.t.WaitPacket(rctx)
			cancel()
			if err == nil {
				break
			}
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
		// The raw channel has it; the multiplayer peer reads it on its own
		// schedule, so wait for it there rather than polling once, past any
		// late copy of an earlier case's packet (those were resent above).
		var b []byte
		var info multiplayer.PacketInfo
		for string(b) != string(pkt) {
			b, info, err = cli.ReadPacketFrom(ctx)
			require.NoError(t, err)
		}
		require.Equal(t, c.want, info)
		for cli.AvailablePacketCount() > 0 { // resent copies
			cli.GetPacketFrom()
		}
	}
	err = srv.SendTo(77, multiplayer.TransferModeReliable, 4, []byte("x"))
	require.ErrorIs(t, err, peer.ErrInvalidParameter, "channel 4 of 3 custom ones")
	require.Equal(t, MultiplayerMaxPacketSize, srv.MaxPacketSize())
	require.True(t, srv.IsServerRelaySupported())
}

func TestMultiplayerCreateErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func() (*MultiplayerPeer, error)
	}{
		{"client id 1", func() (*MultiplayerPeer, error) { return CreateClient(1, nil) }},
		{"client id 0", func() (*MultiplayerPeer, error) { return CreateClient(0, nil) }},
		{"mesh id -5", func() (*MultiplayerPeer, error) { return CreateMesh(-5, nil) }},
		{"bad mode", func() (*MultiplayerPeer, error) {
			return CreateServer(&MultiplayerConfig{Channels: []multiplayer.TransferMode{7}})
		}},
	} {
		p, err := c.fn()
		if !errors.Is(err, peer.ErrInvalidParameter) {
			if p != nil {
				p.Close()
			}
			t.Errorf("%s: %v, want ErrInvalidParameter", c.name, err)
		}
	}
}

func TestMultiplayerAddPeerErrors(t *testing.T) {
	peertest.CheckGoroutines(t, pionGoroutines...)
	srv, err := CreateServer(nil)
	require.NoError(t, err)
	defer srv.Close()
	cli, err := CreateClient(5, nil)
	require.NoError(t, err)
	defer cli.Close()
	newPC := func() *PeerConnection {
		pc, err := NewPeerConnection(&Config{LoopbackOnly: true})
		require.NoError(t, err)
		t.Cleanup(func() { pc.Close() })
		return pc
	}
	require.ErrorIs(t, srv.AddPeer(newPC(), 1, 1), peer.ErrInvalidParameter, "server adds 1")
	require.ErrorIs(t, srv.AddPeer(newPC(), 0, 1), peer.ErrInvalidParameter, "id 0")
	require.ErrorIs(t, srv.AddPeer(newPC(), -3, 1), peer.ErrInvalidParameter, "id -3")
	require.ErrorIs(t, srv.AddPeer(newPC(), 9, -1), peer.ErrInvalidParameter, "lifetime -1")
	require.ErrorIs(t, srv.AddPeer(nil, 9, 1), peer.ErrInvalidParameter, "nil pc")
	require.ErrorIs(t, cli.AddPeer(newPC(), 2, 1), peer.ErrInvalidParameter, "client adds 2")
	closed := newPC()
	closed.Close()
	require.ErrorIs(t, srv.AddPeer(closed, 9, 1), peer.ErrInvalidParameter, "closed pc")
	require.NoError(t, srv.AddPeer(newPC(), 9, 1))
	require.ErrorIs(t, srv.AddPeer(newPC(), 9, 1), peer.ErrAlreadyInUse, "taken")
	cp := srv.GetPeer(9)
	require.NotNil(t, cp)
	require.False(t, cp.Connected)
	require.Len(t, cp.Channels, 3)
	srv.SetRefuseNewConnections(true)
	require.ErrorIs(t, srv.AddPeer(newPC(), 10, 1), peer.ErrUnauthorized, "refusing")
	require.EqualValues(t, 1, srv.Stats().Refused)
	srv.SetRefuseNewConnections(false)
	// Removing a peer that never connected reports nothing.
	require.NoError(t, srv.RemovePeer(9))
	require.False(t, srv.HasPeer(9))
	require.Equal(t, StateClosed, cp.Connection.ConnectionState())
	require.ErrorIs(t, srv.RemovePeer(9), peer.ErrInvalidParameter)
	if ev, ok := srv.PollEvent(); ok {
		t.Errorf("event %v", ev)
	}
	// A client can send nowhere until the server connects; a broadcast to
	// a peer still connecting is not an error, as in Godot.
	require.NoError(t, cli.AddPeer(newPC(), 1, 1))
	require.ErrorIs(t, cli.SendTo(1, multiplayer.TransferModeReliable, 0, []byte("x")), peer.ErrFailed)
	require.NoError(t, cli.SendTo(0, multiplayer.TransferModeReliable, 0, []byte("x")))
	srv.Close()
	require.ErrorIs(t, srv.AddPeer(newPC(), 11, 1), peer.ErrClosed)
}

// A mesh: three members, each connected directly to the two others; a
// member's packets reach the one it targets, and RemovePeer reports the
// peer gone on both ends.
func TestMultiplayerMesh(t *testing.T) {
	peertest.CheckGoroutines(t, pionGoroutines...)
	ctx := ctxT(t)
	ids := []int32{3, 7, 11}
	var ps []*MultiplayerPeer
	for _, id := range ids {
		p, err := CreateMesh(id, nil)
		require.NoError(t, err)
		defer p.Close()
		require.Equal(t, multiplayer.ConnectionConnected, p.ConnectionStatus())
		require.False(t, p.IsServer())
		require.False(t, p.IsServerRelaySupported())
		ps = append(ps, p)
	}
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			mpPair(t, ps[i], ids[i], ps[j], ids[j], 1)
		}
	}
	for i, p := range ps {
		got := map[int32]bool{}
		for range 2 {
			ev := readEvent(t, ctx, p)
			require.Equal(t, multiplayer.PeerConnected, ev.Type)
			got[ev.ID] = true
		}
		for j, id := range ids {
			require.Equal(t, i != j, got[id], "member %d saw %d", ids[i], id)
		}
	}
	require.NoError(t, ps[0].SendTo(11, multiplayer.TransferModeReliable, 0, []byte("3 to 11")))
	require.NoError(t, ps[1].SendTo(-3, multiplayer.TransferModeReliable, 0, []byte("7 to all but 3")))
	b, info, err := ps[2].ReadPacketFrom(ctx)
	require.NoError(t, err)
	first := fmt.Sprintf("%s from %d", b, info.From)
	b, info, err = ps[2].ReadPacketFrom(ctx)
	require.NoError(t, err)
	second := fmt.Sprintf("%s from %d", b, info.From)
	require.ElementsMatch(t, []string{"3 to 11 from 3", "7 to all but 3 from 7"}, []string{first, second})
	require.Zero(t, ps[0].AvailablePacketCount())

	require.NoError(t, ps[0].RemovePeer(7))
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: 7}, readEvent(t, ctx, ps[0]))
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: 3}, readEvent(t, ctx, ps[1]))
	require.False(t, ps[1].HasPeer(3))
	require.True(t, ps[1].HasPeer(11))
	require.Equal(t, multiplayer.ConnectionConnected, ps[1].ConnectionStatus())
}

// DialMultiplayer fails with an error naming the problem: no lobby name, a
// lobby without host, a host that never answers within HandshakeTimeout.
func TestMultiplayerDialErrors(t *testing.T) {
	peertest.CheckGoroutines(t, pionGoroutines...)
	ctx := ctxT(t)
	url := signalingURL(t)
	_, err := DialMultiplayer(ctx, url, nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = DialMultiplayer(ctx, url, mpConfig("nobody"))
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.ErrorContains(t, err, "no host")

	host, err := signaling.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer host.Close()
	require.NoError(t, host.Join("quiet", false))
	// The lobby exists once the server confirms the join: a client that
	// joined first would have opened it, as its host.
	for {
		m, err := host.Read()
		if errors.Is(err, signaling.ErrBadMessage) {
			continue
		}
		require.NoError(t, err)
		if m.Type == signaling.Join {
			break
		}
	}
	go func() { // a host that reads and never answers
		for {
			if _, err := host.Read(); err != nil && !errors.Is(err, signaling.ErrBadMessage) {
				return
			}
		}
	}()
	cfg := mpConfig("quiet")
	cfg.Connection.HandshakeTimeout = 500 * time.Millisecond
	_, err = DialMultiplayer(ctx, url, cfg)
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.ErrorContains(t, err, "HandshakeTimeout")
}
