package websocket

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/internal/browsertest"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestBrowserMultiplayerClient: Chromium's WebSocket, the one under every
// Godot web export's WebSocketMultiplayerPeer, joins a Go multiplayer
// server: its first message is one binary frame of 4 bytes holding the id
// the server reported in peer_connected; then packets travel with no
// header both ways, and the browser's close is seen as peer_disconnected.
func TestBrowserMultiplayerClient(t *testing.T) {
	env := browsertest.Find(t)
	peertest.CheckGoroutines(t)
	s := createServer(t, &Config{AllowedOrigins: []string{"*"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	served := make(chan error, 1)
	var id int32
	go func() {
		served <- func() error {
			ev, err := s.ReadEvent(ctx)
			if err != nil {
				return err
			}
			id = ev.ID
			b, info, err := s.ReadPacketFrom(ctx)
			if err != nil {
				return err
			}
			if string(b) != "hello" || info.From != ev.ID {
				t.Errorf("server got %q from %d, want \"hello\" from %d", b, info.From, ev.ID)
			}
			return s.SendTo(multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 0, []byte{0x07, 0x01})
		}()
	}()
	out, errOut, err := browsertest.RunScript(ctx, t, env, "testdata/multiplayer_client.js", mpURL(s))
	require.NoError(t, err, "stderr: %s", errOut)
	require.NoError(t, <-served)
	var got struct {
		ID       int32  `json:"id"`
		Protocol string `json:"protocol"`
		Code     int    `json:"code"`
		Messages []struct {
			Binary bool   `json:"binary"`
			Hex    string `json:"hex"`
		} `json:"messages"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), "stdout: %s", out)
	require.Len(t, got.Messages, 2, "stdout: %s", out)
	require.True(t, got.Messages[0].Binary)
	require.Len(t, got.Messages[0].Hex, 8)
	require.Equal(t, id, got.ID)
	require.True(t, got.Messages[1].Binary)
	require.Equal(t, hex.EncodeToString([]byte{0x07, 0x01}), got.Messages[1].Hex)
	require.Equal(t, 1000, got.Code)
	ev, err := s.ReadEvent(ctx)
	require.NoError(t, err)
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id}, ev)
}
