package webrtc

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestListenerStats: each way a Listener drops a lobby member is counted by
// cause in Stats and logged once through Config.Logger.
func TestListenerStats(t *testing.T) {
	checkGoroutines(t)
	url := signalingURL(t)
	var logs syncBuffer
	l, err := Listen(url, &Config{LoopbackOnly: true, Lobby: "stats", HandshakeTimeout: 500 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer l.Close()
	ctx := ctxT(t)
	want := peer.ListenerStats{}
	check := func(what string) {
		t.Helper()
		require.Eventually(t, func() bool {
			return l.Stats().ListenerStats == want &&
				strings.Count(logs.String(), "packetpeer: connection dropped") == int(want.Dropped())
		}, 10*time.Second, 5*time.Millisecond, "%s: stats %+v, want %+v; log:\n%s", what, l.Stats().ListenerStats, want, logs.String())
	}

	// Timed out: a member that never answers the offer.
	silent, err := signaling.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer silent.Close()
	require.NoError(t, silent.Join("stats", false))
	want.TimedOut = 1
	check("silent member")
	require.Contains(t, logs.String(), `cause="timed out"`)

	// Failed: a member whose offer is not an SDP.
	rude, err := signaling.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer rude.Close()
	require.NoError(t, rude.Join("stats", false))
	require.NoError(t, rude.SendOffer(1, "not an sdp"))
	want.Failed = 1
	check("bad answer")
	require.Contains(t, logs.String(), "cause=failed")

	// Accepted, then one left waiting when the listener closes: evicted.
	dialAccept(t, url, l)
	want.Accepted = 1
	check("accepted")
	p, err := Dial(ctx, url, &Config{LoopbackOnly: true, Lobby: "stats"})
	require.NoError(t, err)
	defer p.Close()
	require.Eventually(t, l.IsConnectionAvailable, 10*time.Second, 5*time.Millisecond)
	want.Pending = 1
	check("waiting")
	require.NoError(t, l.Close())
	want.Pending, want.Evicted = 0, 1
	check("evicted")
	require.Contains(t, logs.String(), "cause=evicted")
}
