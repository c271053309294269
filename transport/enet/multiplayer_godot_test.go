package enet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// The godot-client and godot-server modes of testdata/enetpeer.c do what
// Godot 4.6's ENetMultiplayerPeer does on libenet (modules/enet/
// enet_multiplayer_peer.cpp): the id as CONNECT data, channel_count+2
// channels, SYSCH_RELIABLE 0 and SYSCH_UNRELIABLE 1, the flags per transfer
// mode, bad ids reset, broadcast through enet_host_broadcast.

// command writes one command line to a godot-* C peer.
func (c *cPeer) command(t *testing.T, format string, args ...any) {
	t.Helper()
	if _, err := fmt.Fprintf(c.in, format+"\n", args...); err != nil {
		t.Fatalf("writing to the C peer: %v", err)
	}
}

// next returns the next line starting with prefix, or false if none comes
// within d.
func (c *cPeer) next(t *testing.T, prefix string, d time.Duration) (string, bool) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("C peer ended before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l, true
			}
		case <-timer.C:
			return "", false
		}
	}
}

// godotCase is one transfer mode and channel with the ENet channel and
// flags (as libenet reports them on receipt) Godot uses for it.
type godotCase struct {
	mode    multiplayer.TransferMode
	channel int
	enetCh  int
	flags   int
}

var godotCases = []godotCase{
	{multiplayer.TransferModeReliable, 0, 0, 1},
	{multiplayer.TransferModeUnreliableOrdered, 0, 1, 0},
	{multiplayer.TransferModeUnreliable, 0, 1, 2},
	{multiplayer.TransferModeReliable, 2, 3, 1},
	{multiplayer.TransferModeUnreliableOrdered, 1, 2, 0},
	{multiplayer.TransferModeUnreliable, 3, 4, 2},
}

// packetLine is how a godot-* C peer prints a packet from id.
func (tc godotCase) packetLine(from int32, text string) string {
	return fmt.Sprintf("PACKET from=%d channel=%d mode=%d ench=%d flags=%d %s", from, tc.channel, tc.mode, tc.enetCh, tc.flags, text)
}

// readFrom reads packets from mp until one has text (earlier resent copies
// are skipped) or d passes.
func readFrom(t *testing.T, ctx context.Context, mp *MultiplayerPeer, text string, d time.Duration) (multiplayer.PacketInfo, bool) {
	t.Helper()
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		b, info, err := mp.ReadPacketFrom(rctx)
		if err != nil {
			if rctx.Err() != nil && ctx.Err() == nil {
				return info, false
			}
			t.Fatalf("waiting for %q: %v", text, err)
		}
		if string(b) == text {
			return info, true
		}
	}
}

// TestMultiplayerGodotClients runs a Go MultiplayerPeer server with two
// libenet clients behaving as Godot 4.6's ENetMultiplayerPeer clients: the
// server admits them under the ids they sent, reports each packet with
// the sender, transfer channel and mode Godot sent it with, reaches the
// right clients with broadcast, one-peer and all-but targets using Godot's
// channels and flags, resets ids 1 and taken, and sees a client's close
// while the client sees the server's disconnect.
func TestMultiplayerGodotClients(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := CreateServer("127.0.0.1:0", &MultiplayerConfig{Channels: 3})
	require.NoError(t, err)
	defer srv.Close()
	port := srv.Host().LocalAddr().(*net.UDPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	ids := []int32{1000, 2_000_000_000}
	clients := make(map[int32]*cPeer)
	for _, id := range ids {
		c := startC(t, "godot-client", fmt.Sprint(port), fmt.Sprint(id), "--channels", "3")
		clients[id] = c
		if l := c.expect(t, "PEER_CONNECTED "); l != "PEER_CONNECTED 1 channels=5" {
			t.Fatalf("Godot client saw %q, want its channel_count+2 = 5 channels", l)
		}
		ev, err := srv.ReadEvent(ctx)
		if err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: id}) {
			t.Fatalf("server event %v, %v; want peer_connected(%d)", ev, err, id)
		}
		if p := srv.GetPeer(id); p == nil || p.Channels() != 5 {
			t.Fatalf("GetPeer(%d) = %v; want the client's peer with channel_count+2 = 5 channels", id, p)
		}
	}

	// Client to server: every mode and channel arrives as sent.
	for _, id := range ids {
		for i, tc := range godotCases {
			text := fmt.Sprintf("up-%d-%d", id, i)
			var info multiplayer.PacketInfo
			for ok := false; !ok; {
				clients[id].command(t, "send %d %d %s", tc.mode, tc.channel, text)
				info, ok = readFrom(t, ctx, srv, text, 300*time.Millisecond)
			}
			if want := (multiplayer.PacketInfo{From: id, Channel: tc.channel, Mode: tc.mode}); info != want {
				t.Errorf("%v on transfer channel %d from %d read as %+v, want %+v", tc.mode, tc.channel, id, info, want)
			}
		}
	}

	// Server to clients: broadcast in every mode and channel.
	for i, tc := range godotCases {
		text := fmt.Sprintf("all-%d", i)
		for _, id := range ids {
			for {
				if tc.mode == multiplayer.TransferModeReliable && id != ids[0] {
					break // sent once, below, for both
				}
				require.NoError(t, srv.SendTo(0, tc.mode, tc.channel, []byte(text)))
				if l, ok := clients[id].next(t, "PACKET ", 300*time.Millisecond); ok {
					for !strings.HasSuffix(l, " "+text) && ok {
						l, ok = clients[id].next(t, "PACKET ", 300*time.Millisecond)
					}
					if ok {
						if want := tc.packetLine(1, text); l != want {
							t.Errorf("broadcast %v/%d: client %d saw %q, want %q", tc.mode, tc.channel, id, l, want)
						}
						break
					}
				}
			}
			if tc.mode == multiplayer.TransferModeReliable {
				l := clients[ids[1]].expect(t, "PACKET ")
				for !strings.HasSuffix(l, " "+text) {
					l = clients[ids[1]].expect(t, "PACKET ")
				}
				if want := tc.packetLine(1, text); l != want {
					t.Errorf("broadcast %v/%d: client %d saw %q, want %q", tc.mode, tc.channel, ids[1], l, want)
				}
				break
			}
		}
	}

	// One-peer and all-but targets, reliable on channel 0 so that each
	// client's packets arrive in order: a client not targeted sees the
	// marker broadcast next.
	a, b := ids[0], ids[1]
	rel := godotCases[0]
	require.NoError(t, srv.SendTo(b, multiplayer.TransferModeReliable, 0, []byte("only-b")))
	require.NoError(t, srv.SendTo(-a, multiplayer.TransferModeReliable, 0, []byte("not-a")))
	require.NoError(t, srv.SendTo(a, multiplayer.TransferModeReliable, 0, []byte("only-a")))
	require.NoError(t, srv.SendTo(-b, multiplayer.TransferModeReliable, 0, []byte("not-b")))
	require.NoError(t, srv.SendTo(0, multiplayer.TransferModeReliable, 0, []byte("marker")))
	for id, want := range map[int32][]string{a: {"only-a", "not-b", "marker"}, b: {"only-b", "not-a", "marker"}} {
		for _, text := range want {
			l := clients[id].expect(t, "PACKET ")
			for strings.Contains(l, " all-") {
				l = clients[id].expect(t, "PACKET ") // a copy of an unreliable broadcast above
			}
			if l != rel.packetLine(1, text) {
				t.Errorf("client %d saw %q, want %q", id, l, rel.packetLine(1, text))
			}
		}
	}

	// Ids Godot's server refuses: 1, and one in use. The server resets
	// them without an event. The client has its CONNECT event (ENet
	// connects on VERIFY_CONNECT, before the server's CONNECT event), so a
	// Godot client with a refused id is connected until it times out.
	before := srv.Stats().Refused
	for _, id := range []int32{1, a} {
		c := startC(t, "godot-client", fmt.Sprint(port), fmt.Sprint(id))
		c.expect(t, "PEER_CONNECTED 1 ")
	}
	require.Eventually(t, func() bool { return srv.Stats().Refused == before+2 }, 20*time.Second, time.Millisecond)

	// The server disconnects a; b closes (Godot's close: disconnect_now).
	require.NoError(t, srv.DisconnectPeer(a, false))
	clients[a].expect(t, "PEER_DISCONNECTED 1")
	clients[b].command(t, "close")
	clients[b].expect(t, "CLOSED")
	got := map[multiplayer.Event]bool{}
	for range 2 {
		ev, err := srv.ReadEvent(ctx)
		require.NoError(t, err)
		got[ev] = true
	}
	for _, id := range ids {
		if !got[multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id}] {
			t.Errorf("server events %v; want peer_disconnected(%d)", got, id)
		}
	}
	if ev, ok := srv.PollEvent(); ok {
		t.Errorf("server reported %v for a refused client", ev)
	}
}

// TestMultiplayerGodotServer runs two Go MultiplayerPeer clients against a
// libenet server behaving as Godot 4.6's ENetMultiplayerPeer server: it
// admits them under the ids they drew with channel_count+2 channels, reads
// each packet with Godot's channel, mode and sender, its broadcast,
// one-peer and all-but sends reach the right Go clients reported with the
// mode and channel sent, its disconnect_peer ends a client's session, and
// a Go client's Close reaches it.
func TestMultiplayerGodotServer(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := startC(t, "godot-server", "--channels", "3")
	port := strings.TrimPrefix(c.expect(t, "PORT "), "PORT ")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mps []*MultiplayerPeer
	for range 2 {
		mp, err := DialClient(ctx, "127.0.0.1:"+port, &MultiplayerConfig{Channels: 3})
		require.NoError(t, err)
		defer mp.Close()
		if want := fmt.Sprintf("PEER_CONNECTED %d channels=5", mp.UniqueID()); c.expect(t, "PEER_CONNECTED ") != want {
			t.Fatalf("Godot server did not see %q", want)
		}
		if ev, err := mp.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: 1}) {
			t.Fatalf("client event %v, %v; want peer_connected(1)", ev, err)
		}
		mps = append(mps, mp)
	}
	a, b := mps[0], mps[1]
	idA, idB := a.UniqueID(), b.UniqueID()

	// Clients to server.
	for _, mp := range mps {
		for i, tc := range godotCases {
			text := fmt.Sprintf("up-%d-%d", mp.UniqueID(), i)
			for {
				require.NoError(t, mp.SendTo(1, tc.mode, tc.channel, []byte(text)))
				l, ok := c.next(t, "PACKET ", 300*time.Millisecond)
				for ok && !strings.HasSuffix(l, " "+text) {
					l, ok = c.next(t, "PACKET ", 300*time.Millisecond)
				}
				if ok {
					if want := tc.packetLine(mp.UniqueID(), text); l != want {
						t.Errorf("Godot server saw %q, want %q", l, want)
					}
					break
				}
			}
		}
	}

	// Server broadcast in every mode and channel.
	for i, tc := range godotCases {
		text := fmt.Sprintf("all-%d", i)
		for _, mp := range mps {
			var info multiplayer.PacketInfo
			for ok := false; !ok; {
				if tc.mode != multiplayer.TransferModeReliable || mp == a {
					c.command(t, "send 0 %d %d %s", tc.mode, tc.channel, text)
				}
				info, ok = readFrom(t, ctx, mp, text, 300*time.Millisecond)
			}
			if want := (multiplayer.PacketInfo{From: 1, Channel: tc.channel, Mode: tc.mode}); info != want {
				t.Errorf("broadcast %v/%d read by %d as %+v, want %+v", tc.mode, tc.channel, mp.UniqueID(), info, want)
			}
		}
	}

	// One-peer and all-but targets: reliable on channel 0, in order.
	c.command(t, "send %d 2 0 only-b", idB)
	c.command(t, "send %d 2 0 not-a", -idA)
	c.command(t, "send %d 2 0 only-a", idA)
	c.command(t, "send %d 2 0 not-b", -idB)
	c.command(t, "send 0 2 0 marker")
	for mp, want := range map[*MultiplayerPeer][]string{a: {"only-a", "not-b", "marker"}, b: {"only-b", "not-a", "marker"}} {
		for _, text := range want {
			got, info, err := mp.ReadPacketFrom(ctx)
			for err == nil && strings.HasPrefix(string(got), "all-") {
				got, info, err = mp.ReadPacketFrom(ctx) // a copy of an unreliable broadcast above
			}
			require.NoError(t, err)
			if string(got) != text || info != (multiplayer.PacketInfo{From: 1, Mode: multiplayer.TransferModeReliable}) {
				t.Errorf("client %d read %q %+v, want %q from 1, reliable, channel 0", mp.UniqueID(), got, info, text)
			}
		}
	}

	// A client checks the target as Godot's put_packet: only 0, 1 and -1
	// (its server) pass, and all go to the server.
	if err := a.SendTo(idB, multiplayer.TransferModeReliable, 0, []byte("to-b")); !errors.Is(err, peer.ErrInvalidParameter) {
		t.Errorf("client SendTo(another client) = %v, want ErrInvalidParameter", err)
	}
	require.NoError(t, a.SendTo(-1, multiplayer.TransferModeReliable, 0, []byte("all-but-server")))
	l := c.expect(t, "PACKET ")
	for strings.Contains(l, " up-") {
		l = c.expect(t, "PACKET ") // a late copy of an unreliable packet above
	}
	if want := godotCases[0].packetLine(idA, "all-but-server"); l != want {
		t.Errorf("Godot server saw %q, want %q", l, want)
	}

	// The server kicks a; b closes.
	c.command(t, "kick %d", idA)
	if ev, err := a.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: 1}) {
		t.Errorf("kicked client event %v, %v; want peer_disconnected(1)", ev, err)
	}
	if s := a.ConnectionStatus(); s != multiplayer.ConnectionDisconnected {
		t.Errorf("kicked client status %v, want disconnected", s)
	}
	if l := c.expect(t, "PEER_DISCONNECTED "); l != fmt.Sprintf("PEER_DISCONNECTED %d", idA) {
		t.Errorf("Godot server saw %q after kicking %d", l, idA)
	}
	require.NoError(t, b.Close())
	if l := c.expect(t, "PEER_DISCONNECTED "); l != fmt.Sprintf("PEER_DISCONNECTED %d", idB) {
		t.Errorf("Godot server saw %q after client %d closed", l, idB)
	}
}

// TestMultiplayerMeshLibenet adds a libenet host, connected as a Godot
// mesh peer connects (ENetConnection.connect_to_host with the defaults:
// 255 channels, data 0), to a Go mesh as peer 7: packets flow both ways
// with Godot's channels and flags, and the libenet side's disconnect
// removes peer 7.
func TestMultiplayerMeshLibenet(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h, err := NewHost("127.0.0.1:0", &Config{MaxPeers: 1})
	require.NoError(t, err)
	c := startC(t, "godot-client", fmt.Sprint(h.LocalPort()), "0")
	for {
		e, err := h.Service(ctx)
		require.NoError(t, err)
		if e.Type == EventConnect {
			break
		}
	}
	c.expect(t, "PEER_CONNECTED 1 channels=255")
	m, err := CreateMesh(5)
	require.NoError(t, err)
	defer m.Close()
	require.NoError(t, m.AddMeshPeer(7, h))
	if ev, err := m.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: 7}) {
		t.Fatalf("mesh event %v, %v; want peer_connected(7)", ev, err)
	}
	for i, tc := range godotCases {
		text := fmt.Sprintf("mesh-%d", i)
		var info multiplayer.PacketInfo
		for ok := false; !ok; {
			c.command(t, "send %d %d %s", tc.mode, tc.channel, text)
			info, ok = readFrom(t, ctx, m, text, 300*time.Millisecond)
		}
		if want := (multiplayer.PacketInfo{From: 7, Channel: tc.channel, Mode: tc.mode}); info != want {
			t.Errorf("%v/%d from libenet read as %+v, want %+v", tc.mode, tc.channel, info, want)
		}
		for {
			require.NoError(t, m.SendTo(multiplayer.TargetPeerBroadcast, tc.mode, tc.channel, []byte(text)))
			l, ok := c.next(t, "PACKET ", 300*time.Millisecond)
			for ok && !strings.HasSuffix(l, " "+text) {
				l, ok = c.next(t, "PACKET ", 300*time.Millisecond)
			}
			if ok {
				// The C peer labels its one remote 1.
				if want := tc.packetLine(1, text); l != want {
					t.Errorf("libenet saw %q, want %q", l, want)
				}
				break
			}
		}
	}
	c.command(t, "disconnect")
	if ev, err := m.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: 7}) {
		t.Errorf("mesh event %v, %v; want peer_disconnected(7)", ev, err)
	}
	c.expect(t, "PEER_DISCONNECTED 1")
	if m.GetPeer(7) != nil {
		t.Errorf("peer 7 still in the mesh")
	}
}
