package enet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestMultiplayerLibenetServer joins a libenet 1.3.17 host (the ENet
// Godot's server runs on) with a Go MultiplayerPeer client: libenet sees the
// client's id as the CONNECT data and Channels+2 channels, receives each
// transfer mode on Godot's ENet channel with Godot's flags, and its echoes
// (same channel, same flags) come back with the mode and channel they were
// sent with.
func TestMultiplayerLibenetServer(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := startC(t, "server")
	port := strings.TrimPrefix(c.expect(t, "PORT "), "PORT ")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mp, err := DialClient(ctx, "127.0.0.1:"+port, &MultiplayerConfig{Channels: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer mp.Close()
	want := fmt.Sprintf("CONNECT data=%08x ", uint32(mp.UniqueID()))
	if l := c.expect(t, "CONNECT "); !strings.HasPrefix(l, want) || !strings.HasSuffix(l, " channels=5") {
		t.Fatalf("libenet saw %q, want %q... channels=5", l, want)
	}
	cases := []struct {
		mode    multiplayer.TransferMode
		channel int
		enetCh  int
		flags   int // as libenet reports a received packet
	}{
		{multiplayer.TransferModeReliable, 0, 0, 1},
		{multiplayer.TransferModeUnreliableOrdered, 0, 1, 0},
		{multiplayer.TransferModeUnreliable, 0, 1, 2},
		{multiplayer.TransferModeReliable, 2, 3, 1},
		{multiplayer.TransferModeUnreliableOrdered, 1, 2, 0},
		{multiplayer.TransferModeUnreliable, 3, 4, 2},
	}
	for i, tc := range cases {
		pkt := []byte(strings.Repeat("x", 10+i))
		var info multiplayer.PacketInfo
		for {
			if err := mp.SendTo(1, tc.mode, tc.channel, pkt); err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
			b, in, err := mp.ReadPacketFrom(rctx)
			rcancel()
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				continue // an unreliable packet or its echo was lost
			}
			if err != nil || string(b) != string(pkt) {
				t.Fatalf("%v/%d: echo %q, %v", tc.mode, tc.channel, b, err)
			}
			info = in
			break
		}
		line := fmt.Sprintf("RECV ch=%d len=%d flags=%d ", tc.enetCh, len(pkt), tc.flags)
		l := c.expect(t, "RECV ")
		for !strings.Contains(l, fmt.Sprintf(" len=%d ", len(pkt))) {
			l = c.expect(t, "RECV ") // a resent copy of an earlier case
		}
		if !strings.HasPrefix(l, line) {
			t.Errorf("%v on transfer channel %d: libenet saw %q, want %q", tc.mode, tc.channel, l, line)
		}
		if want := (multiplayer.PacketInfo{From: 1, Channel: tc.channel, Mode: tc.mode}); info != want {
			t.Errorf("echo of %v on transfer channel %d reported as %+v, want %+v", tc.mode, tc.channel, info, want)
		}
	}
}
