package websocket

import (
	"context"
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
	peertest.CheckGoroutines(t)
	b := browsertest.Launch(t)
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
	page := b.NewPage(ctx, "close1009")
	var got []struct {
		Size     int    `json:"size"`
		Code     int    `json:"code"`
		Reason   string `json:"reason"`
		WasClean bool   `json:"wasClean"`
	}
	// One binary message of each size on a fresh connection; the close
	// event each connection ended with.
	require.NoError(t, page.Eval(ctx, &got, `async (url, sizes) => {
		const results = [];
		for (const size of sizes) {
			results.push(await new Promise((resolve) => {
				const ws = new WebSocket(url);
				ws.binaryType = 'arraybuffer';
				ws.onopen = () => ws.send(new Uint8Array(size));
				ws.onclose = (e) => resolve({ size, code: e.code, reason: e.reason, wasClean: e.wasClean });
			}));
		}
		return results;
	}`, wsURL(l), sizes))
	require.Len(t, got, len(sizes))
	for _, r := range got {
		require.Equal(t, CloseMessageTooBig, r.Code, "message of %d bytes: close event %+v", r.Size, r)
	}
	for range sizes {
		require.Equal(t, CloseMessageTooBig, <-serverCodes)
	}
}
