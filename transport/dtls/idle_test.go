package dtls_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

// A Listener's peer from which no packet arrives for IdleTimeout is
// dropped: its queued packet can still be read, then reads and puts fail
// with peer.ErrTimeout, the Listener counts and logs it as Expired, and the
// client, told by close_notify, sees the end of the connection. The same
// client address could then connect again (a new handshake).
func TestListenerIdleTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = time.Second // long enough that the first packet beats it on a loaded machine
	cert := newCert(t)
	log := &syncBuffer{}
	l := listen(t, cert, &dtls.Config{IdleTimeout: idle, Logger: slog.New(slog.NewTextHandler(log, nil))})
	ctx := testCtx(t, 20*time.Second)
	client, server := dialAccept(t, ctx, l, trusting(cert))

	require.NoError(t, client.PutPacket([]byte("last words")))
	eventually(t, 5*time.Second, func() bool { return server.AvailablePacketCount() == 1 }, "packet queued")
	last := time.Now()
	got, err := server.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "last words", string(got))

	_, err = server.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.GreaterOrEqual(t, time.Since(last), idle, "expired early")
	require.Contains(t, err.Error(), "IdleTimeout")
	require.ErrorIs(t, server.PutPacket([]byte("x")), peer.ErrTimeout)
	require.Equal(t, dtls.StatusDisconnected, server.Status())
	require.EqualValues(t, 1, l.Stats().Expired)
	require.Len(t, logged(log, "expired"), 1)

	// close_notify reached the client.
	_, err = client.ReadPacket(ctx)
	require.Error(t, err)
	require.Equal(t, dtls.StatusDisconnected, client.Status())

	// A new connection is accepted as usual.
	c2, s2 := dialAccept(t, ctx, l, trusting(cert))
	require.NoError(t, c2.PutPacket([]byte("hi")))
	got, err = s2.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(got))
}

// Packets keep a connection alive: a client sending one every third of
// IdleTimeout for three IdleTimeouts is never dropped. (IdleTimeout is 1 s
// here so that a loaded machine's scheduling delays stay far below it.)
func TestIdleTimeoutKeptAliveByPackets(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = time.Second
	cert := newCert(t)
	l := listen(t, cert, &dtls.Config{IdleTimeout: idle})
	ctx := testCtx(t, 20*time.Second)
	client, server := dialAccept(t, ctx, l, trusting(cert))
	tick := time.NewTicker(idle / 3)
	defer tick.Stop()
	for i := range 9 {
		<-tick.C
		require.NoError(t, client.PutPacket([]byte{byte(i)}))
		got, err := server.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, []byte{byte(i)}, got)
	}
	require.Zero(t, l.Stats().Expired)
	require.Equal(t, dtls.StatusConnected, server.Status())
}

// A Dial peer has no idle timeout by default; with one, a silent server
// ends its reads with peer.ErrTimeout. A negative IdleTimeout on a
// Listener keeps silent peers.
func TestDialIdleTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = 300 * time.Millisecond
	cert := newCert(t)
	l := listen(t, cert, &dtls.Config{IdleTimeout: dtls.KeepIdlePeers})
	ctx := testCtx(t, 20*time.Second)
	cfg := trusting(cert)
	cfg.IdleTimeout = idle
	client, server := dialAccept(t, ctx, l, cfg)
	start := time.Now()
	_, err := client.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.GreaterOrEqual(t, time.Since(start), idle)

	// The server kept its peer (KeepIdlePeers) and saw close_notify.
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = server.ReadPacket(rctx)
	require.Error(t, err)
	require.NotErrorIs(t, err, peer.ErrTimeout)
	require.Zero(t, l.Stats().Expired)
}
