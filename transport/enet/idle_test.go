package enet

import (
	"testing"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// TestIdleConnectionBytes states what an idle connection costs each side:
// about 96 bytes per channel plus about 1 KiB (Peer, queues). The bound
// checked: 255 channels ≤ 28 KiB, 2 channels ≤ 2 KiB per side.
func TestIdleConnectionBytes(t *testing.T) {
	for _, tc := range []struct {
		channels int
		limit    int64
	}{{255, 28 << 10}, {2, 2 << 10}} {
		peertest.CheckGoroutines(t)
		const n = 64
		srv, err := NewHost("127.0.0.1:0", &Config{MaxPeers: n})
		require.NoError(t, err)
		cli, err := NewHost("", &Config{MaxPeers: n})
		require.NoError(t, err)
		ctx := testCtx(t)
		before := heapAlloc()
		for range n {
			_, err := cli.ConnectToHost(srv.LocalAddr().String(), tc.channels, 0)
			require.NoError(t, err)
		}
		for got := 0; got < n; {
			ev, err := srv.Service(ctx)
			require.NoError(t, err)
			if ev.Type == EventConnect {
				got++
			}
		}
		for got := 0; got < n; {
			ev, err := cli.Service(ctx)
			require.NoError(t, err)
			if ev.Type == EventConnect {
				got++
			}
		}
		perSide := (int64(heapAlloc()) - int64(before)) / (2 * n)
		t.Logf("%d channels: %d bytes per connection per side", tc.channels, perSide)
		require.LessOrEqual(t, perSide, tc.limit)
		cli.Close()
		srv.Close()
	}
}

// TestHostBytes states what a Host costs before any connection: about
// 60 KB with one peer slot (as Dial's), 16 KiB of it read buffers. The
// bound checked: 64 KiB.
func TestHostBytes(t *testing.T) {
	peertest.CheckGoroutines(t)
	const n = 32
	hs := make([]*Host, n)
	before := heapAlloc()
	for i := range hs {
		h, err := NewHost("127.0.0.1:0", &Config{MaxPeers: 1})
		require.NoError(t, err)
		hs[i] = h
	}
	perHost := (int64(heapAlloc()) - int64(before)) / n
	t.Logf("%d bytes per one-peer host", perHost)
	require.LessOrEqual(t, perHost, int64(64<<10))
	for _, h := range hs {
		require.NoError(t, h.Close())
	}
}
