package websocket

import (
	"context"
	"encoding/hex"
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
	peertest.CheckGoroutines(t)
	b := browsertest.Launch(t)
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
	var got struct {
		ID       int32  `json:"id"`
		Protocol string `json:"protocol"`
		Code     int    `json:"code"`
		Messages []struct {
			Binary bool   `json:"binary"`
			Hex    string `json:"hex"`
		} `json:"messages"`
	}
	// The page plays a Godot web export's WebSocketMultiplayerPeer client:
	// the first binary message is its id (int32 little-endian); it answers
	// "hello", waits for one more message and closes with 1000.
	page := b.NewPage(ctx, "multiplayer")
	require.NoError(t, page.Eval(ctx, &got, `(url) => new Promise((resolve) => {
		const ws = new WebSocket(url);
		ws.binaryType = 'arraybuffer';
		const out = { protocol: '', messages: [] };
		ws.onopen = () => { out.protocol = ws.protocol; };
		ws.onmessage = (e) => {
			const binary = e.data instanceof ArrayBuffer;
			const bytes = binary ? new Uint8Array(e.data) : new TextEncoder().encode(e.data);
			out.messages.push({ binary, hex: Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') });
			if (out.messages.length === 1) {
				out.id = binary && bytes.length === 4 ? new DataView(e.data).getInt32(0, true) : -1;
				ws.send(new TextEncoder().encode('hello'));
			} else {
				ws.close(1000);
			}
		};
		ws.onclose = (e) => { out.code = e.code; resolve(out); };
	})`, mpURL(s)))
	require.NoError(t, <-served)
	require.Len(t, got.Messages, 2, "page saw %+v", got)
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
