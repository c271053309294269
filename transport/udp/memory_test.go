package udp

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

// maxBytesPerIdleRemote is the bound TestListenerMemoryPerRemote checks: what
// a Listener holds for a remote that sent one small datagram and was
// accepted (peer, receive ring, bookkeeping), measured as heap growth per
// remote. It was 64 KiB (the whole receive ring, allocated at once) before
// rings grew with what they hold; it is about 1.2 KiB now, of which 128
// bytes of ring.
const maxBytesPerIdleRemote = 1536

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestListenerMemoryPerRemote: many remotes each send one 32-byte datagram
// and are accepted (a server that takes every connection, the case a flood
// from many source ports exploits). The heap grows by at most
// maxBytesPerIdleRemote per remote.
func TestListenerMemoryPerRemote(t *testing.T) {
	peertest.CheckGoroutines(t)
	const remotes = 1000
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	to := listenerAddr(l)
	payload := make([]byte, 32)

	// Sockets stay open so that no source port is reused.
	socks := rawSockets(t, remotes)
	peers := make([]*Peer, 0, remotes)
	ctx := testCtx(t)
	before := heapAlloc()
	for _, c := range socks {
		_, err = c.WriteToUDPAddrPort(payload, to)
		require.NoError(t, err)
		p, err := l.Accept(ctx)
		require.NoError(t, err)
		peers = append(peers, p)
	}
	waitFor(t, "every datagram queued", func() bool {
		for _, p := range peers {
			if p.AvailablePacketCount() != 1 {
				return false
			}
		}
		return true
	})
	after := heapAlloc()
	active := l.Stats().Active
	require.Equal(t, remotes, active)
	perRemote := int(after-before) / active
	t.Logf("%d remotes, heap +%d KiB, %d bytes per idle remote (bound %d)", active, (after-before)/1024, perRemote, maxBytesPerIdleRemote)
	require.LessOrEqual(t, perRemote, maxBytesPerIdleRemote)

	// A peer's ring still grows to hold the largest datagram, and more.
	p := peers[0]
	_, err = p.GetPacket()
	require.NoError(t, err)
	big := make([]byte, 60000)
	for i := range big {
		big[i] = byte(i)
	}
	_, err = socks[0].WriteToUDPAddrPort(big, to)
	require.NoError(t, err)
	_, err = socks[0].WriteToUDPAddrPort(payload, to)
	require.NoError(t, err)
	got, err := p.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, big, got)
	got, err = p.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, payload, got)
	require.Zero(t, p.Stats().DroppedFull)
	runtime.KeepAlive(peers)
}

// A Listener's peers expire after DefaultIdleTimeout unless IdleTimeout
// says otherwise; a negative IdleTimeout keeps them, as Godot does.
func TestListenerIdleTimeoutDefault(t *testing.T) {
	peertest.CheckGoroutines(t)
	for _, tc := range []struct {
		cfg  *Config
		want time.Duration
	}{
		{nil, DefaultIdleTimeout},
		{&Config{}, DefaultIdleTimeout},
		{&Config{IdleTimeout: time.Second}, time.Second},
		{&Config{IdleTimeout: KeepIdlePeers}, 0},
		{&Config{IdleTimeout: -time.Hour}, 0},
	} {
		l, err := Listen("127.0.0.1:0", tc.cfg)
		require.NoError(t, err)
		if tc.want > 0 {
			require.NotNil(t, l.expireDone, "%+v: no expiry", tc.cfg)
			require.Equal(t, tc.want, l.cfg.IdleTimeout)
		} else {
			require.Nil(t, l.expireDone, "%+v: peers expire", tc.cfg)
		}
		require.NoError(t, l.Close())
	}
}
