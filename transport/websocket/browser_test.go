package websocket

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/internal/browsertest"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestBrowserReadsClose1009: Chromium (the browser under every Godot web
// export) sends messages above InboundBufferSize and its WebSocket reports
// the server's close code 1009, not 1006. Before the server drained the
// rest of the message, the kernel reset the connection and Chromium saw
// 1006 with no reason.
func TestBrowserReadsClose1009(t *testing.T) {
	env := browsertest.Find(t)
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{AllowedOrigins: []string{"*"}})
	sizes := []int{70000, 1 << 20, 2 << 20}
	serverCodes := make(chan int, len(sizes))
	go func() {
		for range sizes {
			p, err := l.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				defer p.Close()
				p.ReadPacket(context.Background())
				serverCodes <- p.CloseCode()
			}()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, errOut, err := browsertest.RunScript(ctx, t, env, "testdata/close1009.js", wsURL(l), "70000,1048576,2097152")
	require.NoError(t, err, "stderr: %s", errOut)
	var got []struct {
		Size     int    `json:"size"`
		Code     int    `json:"code"`
		Reason   string `json:"reason"`
		WasClean bool   `json:"wasClean"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), "stdout: %s", out)
	require.Len(t, got, len(sizes))
	for _, r := range got {
		require.Equal(t, CloseMessageTooBig, r.Code, "message of %d bytes: close event %+v", r.Size, r)
	}
	for range sizes {
		require.Equal(t, CloseMessageTooBig, <-serverCodes)
	}
}
