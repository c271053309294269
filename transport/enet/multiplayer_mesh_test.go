package enet_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/stretchr/testify/require"
)

// TestMultiplayerMeshThree joins three mesh peers (ids 1, 2, 3) as Godot's
// create_mesh + add_mesh_peer does, one connected host pair per pair of
// peers: each sees the other two connect, broadcast and all-but targets
// reach exactly the right peers with the sender, channel and mode, a
// CONNECT to a mesh's host is reset, and a disconnect between two peers
// leaves the third connected to both.
func TestMultiplayerMeshThree(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := []int32{1, 2, 3}
	mesh := map[int32]*enet.MultiplayerPeer{}
	for _, id := range ids {
		m, err := enet.CreateMesh(id)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		mesh[id] = m
	}
	var spare *enet.Host // 1's host for 2, the target of a stray CONNECT below
	for i, x := range ids {
		for _, y := range ids[i+1:] {
			hx, hy := connectedHosts(t, ctx)
			if x == 1 && y == 2 {
				spare = hx
			}
			if err := mesh[x].AddMeshPeer(y, hx); err != nil {
				t.Fatal(err)
			}
			if err := mesh[y].AddMeshPeer(x, hy); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range ids {
		got := map[multiplayer.Event]bool{}
		for range 2 {
			ev, err := mesh[id].ReadEvent(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got[ev] = true
		}
		for _, other := range ids {
			if other != id && !got[multiplayer.Event{Type: multiplayer.PeerConnected, ID: other}] {
				t.Errorf("peer %d events %v; want peer_connected(%d)", id, got, other)
			}
		}
	}

	// expect reads the next packet of peer id and checks it.
	expect := func(id int32, text string, want multiplayer.PacketInfo) {
		t.Helper()
		b, info, err := mesh[id].ReadPacketFrom(ctx)
		if err != nil || string(b) != text || info != want {
			t.Errorf("peer %d read %q %+v, %v; want %q %+v", id, b, info, err, text, want)
		}
	}
	rel := func(from int32, ch int) multiplayer.PacketInfo {
		return multiplayer.PacketInfo{From: from, Channel: ch, Mode: multiplayer.TransferModeReliable}
	}
	for _, from := range ids {
		text := fmt.Sprintf("all from %d", from)
		if err := mesh[from].SendTo(multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 2, []byte(text)); err != nil {
			t.Fatal(err)
		}
		for _, to := range ids {
			if to != from {
				expect(to, text, rel(from, 2))
			}
		}
	}
	// 1 sends to all but 2, then to 2 only, then a marker to everyone: 2
	// and 3 each see exactly their packets before the marker.
	for _, s := range []struct {
		target int32
		text   string
	}{{-2, "not 2"}, {2, "only 2"}, {0, "marker"}} {
		if err := mesh[1].SendTo(s.target, multiplayer.TransferModeReliable, 0, []byte(s.text)); err != nil {
			t.Fatal(err)
		}
	}
	expect(3, "not 2", rel(1, 0))
	expect(3, "marker", rel(1, 0))
	expect(2, "only 2", rel(1, 0))
	expect(2, "marker", rel(1, 0))
	// Unreliable modes keep their mode and channel.
	for _, mode := range []multiplayer.TransferMode{multiplayer.TransferModeUnreliable, multiplayer.TransferModeUnreliableOrdered} {
		text := fmt.Sprintf("mode %v", mode)
		for {
			if err := mesh[3].SendTo(1, mode, 1, []byte(text)); err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
			b, info, err := mesh[1].ReadPacketFrom(rctx)
			rcancel()
			if err != nil && ctx.Err() == nil {
				continue // lost on a busy machine
			}
			if string(b) != text || info != (multiplayer.PacketInfo{From: 3, Channel: 1, Mode: mode}) {
				t.Errorf("peer 1 read %q %+v, %v; want %q from 3 on channel 1", b, info, err, text)
			}
			break
		}
	}

	// A stray CONNECT to a mesh's host is reset, as Godot's poll does.
	before := mesh[1].Stats().Refused
	stray, err := enet.NewHost("", &enet.Config{MaxPeers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer stray.Close()
	if _, err := stray.ConnectToHost(spare.LocalAddr().String(), 0, 0); err != nil {
		t.Fatal(err)
	}
	require.Eventually(t, func() bool { return mesh[1].Stats().Refused == before+1 }, 10*time.Second, time.Millisecond)
	if ps := spare.Peers(); len(ps) != 1 || ps[0] != mesh[1].GetPeer(2) {
		t.Errorf("after the stray CONNECT, 1's host for 2 has peers %v", ps)
	}

	// 1 drops 2: they see each other go, 3 keeps both.
	if err := mesh[1].DisconnectPeer(2, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ p, gone int32 }{{1, 2}, {2, 1}} {
		if ev, err := mesh[c.p].ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: c.gone}) {
			t.Errorf("peer %d event %v, %v; want peer_disconnected(%d)", c.p, ev, err, c.gone)
		}
	}
	if err := mesh[3].SendTo(multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 0, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	expect(1, "still here", rel(3, 0))
	expect(2, "still here", rel(3, 0))
	if ev, ok := mesh[3].PollEvent(); ok {
		t.Errorf("peer 3 got %v", ev)
	}
	if err := mesh[1].SendTo(2, multiplayer.TransferModeReliable, 0, []byte("x")); err == nil {
		t.Errorf("peer 1 sent to the dropped peer 2")
	}
}
