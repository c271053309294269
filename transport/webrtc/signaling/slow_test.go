package signaling

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// TestSlowMemberDropped: a mesh member that never reads while the host
// relays it offers. Its queue on the server must stay within SendQueueBytes,
// and once full the member must be dropped at once (not after WriteTimeout,
// here a minute, while the writer is blocked in WriteMessage), removed from
// the lobby and announced to the others with PEER_DISCONNECT.
func TestSlowMemberDropped(t *testing.T) {
	peertest.CheckGoroutines(t)
	const bound = 128 << 10
	s := NewServer(&ServerConfig{SendQueueBytes: bound, WriteTimeout: time.Minute})
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	url := "ws" + strings.TrimPrefix(hs.URL, "http")

	host := dial(t, url)
	require.NoError(t, host.Join("slow", true))
	require.Equal(t, Message{Type: ID, ID: 1, Data: "true"}, read(t, host))
	require.Equal(t, Message{Type: Join, Data: "slow"}, read(t, host))
	joinMember := func() (*Client, int) {
		c := dial(t, url)
		require.NoError(t, c.Join("slow", true))
		id := read(t, c)
		require.Equal(t, ID, id.Type)
		for m := read(t, c); m.Type != Join; m = read(t, c) {
		}
		require.Equal(t, Message{Type: PeerConnect, ID: id.ID}, read(t, host))
		return c, id.ID
	}
	watcher, _ := joinMember()
	slow, slowID := joinMember()
	require.Equal(t, Message{Type: PeerConnect, ID: slowID}, read(t, watcher))
	s.mu.Lock()
	sp := s.peers[slowID]
	s.mu.Unlock()
	require.NotNil(t, sp)
	// Keep the kernel's buffering between the server and the slow member
	// (which never reads again) well below one offer, so that the server's
	// writer blocks in WriteMessage on the first one.
	require.NoError(t, slow.conn.NetConn().(*net.TCPConn).SetReadBuffer(4096))
	require.NoError(t, sp.conn.NetConn().(*net.TCPConn).SetWriteBuffer(4096))

	offer := strings.Repeat("o", 48<<10)
	written := func() int {
		sp.qmu.Lock()
		defer sp.qmu.Unlock()
		return sp.written
	}
	// Fill the kernel's buffers, one offer at a time, until the writer stays
	// blocked in WriteMessage (an offer not written within half a second).
	sent := 0
	base := written()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
fill:
	for ; sent < 1000; sent++ { // 48 MB at most, far beyond socket buffers
		require.NoError(t, host.SendOffer(slowID, offer))
		stuck := time.Now().Add(500 * time.Millisecond)
		for written()-base < sent+1 {
			if time.Now().After(stuck) {
				break fill
			}
			<-tick.C
		}
	}
	require.Less(t, sent, 1000, "the writer never blocked")
	t.Logf("writer blocked after %d offers of %d bytes", sent+1, len(offer))

	// Now the queue fills and the member must be dropped.
	maxQueued := 0
flood:
	for ; sent < 2000; sent++ {
		select {
		case <-sp.close:
			break flood
		default:
		}
		if host.SendOffer(slowID, offer) != nil {
			break // the host may be cut off for addressing a member just dropped
		}
		sp.qmu.Lock()
		maxQueued = max(maxQueued, sp.queued)
		sp.qmu.Unlock()
	}
	select {
	case <-sp.close:
	case <-time.After(5 * time.Second):
		t.Fatalf("slow member not dropped after %d offers of %d bytes", sent, len(offer))
	}
	dropped := time.Now()
	require.Equal(t, "Too slow to read signalling messages", sp.why)
	t.Logf("dropped after %d offers; largest queue seen %d bytes (bound %d)", sent, maxQueued, bound)
	require.LessOrEqual(t, maxQueued, bound, "queued bytes for the slow member")

	// The writer blocked in WriteMessage returns at once (the write deadline
	// is a minute away), so the member leaves its lobby promptly.
	require.Equal(t, Message{Type: PeerDisconnect, ID: slowID}, read(t, watcher))
	require.Less(t, time.Since(dropped), 5*time.Second)
	s.mu.Lock()
	_, still := s.peers[slowID]
	s.mu.Unlock()
	require.False(t, still, "a dropped member is removed from the server")
	sp.qmu.Lock()
	require.Zero(t, sp.queued, "a dropped member's queue is released")
	require.Nil(t, sp.queue)
	sp.qmu.Unlock()
}

// TestQueueBoundDefaults: zero fields mean the documented defaults.
func TestQueueBoundDefaults(t *testing.T) {
	s := NewServer(nil)
	require.Equal(t, DefaultSendQueueBytes, s.cfg.SendQueueBytes)
	require.Equal(t, DefaultSendQueueMessages, s.cfg.SendQueueMessages)
	require.Equal(t, 10*time.Second, s.cfg.WriteTimeout)
	require.Greater(t, DefaultSendQueueBytes, MaxMessageSize, "one message of the largest size always fits")
}
