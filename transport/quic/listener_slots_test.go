package quic

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// streamless completes the QUIC handshake with l and never opens the
// reliable stream (until the caller does).
func streamless(t *testing.T, ctx context.Context, l *Listener) *quicgo.Conn {
	t.Helper()
	qc, err := quicgo.DialAddr(ctx, l.Addr().String(), &tls.Config{RootCAs: testCert(t).Pool,
		ServerName: "127.0.0.1", NextProtos: []string{DefaultALPN}}, &quicgo.Config{EnableDatagrams: true, KeepAlivePeriod: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { qc.CloseWithError(0, "") })
	return qc
}

// appCode returns the application error code qc was closed with, waiting
// up to 15 s for the close: on a loaded machine the CONNECTION_CLOSE can be
// dropped on loopback, and the idle client then learns of it only when its
// next keep-alive (every second, see streamless) is answered with the close.
func appCode(t *testing.T, qc *quicgo.Conn) int {
	t.Helper()
	select {
	case <-qc.Context().Done():
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not close the connection")
	}
	var ae *quicgo.ApplicationError
	require.True(t, errors.As(context.Cause(qc.Context()), &ae), "close cause: %v", context.Cause(qc.Context()))
	return int(ae.ErrorCode)
}

// TestStreamlessEvictedWhenFull: connections that never open their stream
// fill every slot; a new client evicts the oldest of them once it has waited
// evictGrace, gets in, and the other waiting connection is left alone.
func TestStreamlessEvictedWhenFull(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{MaxPendingConnections: 2}) // default 10 s handshake timeout
	ctx := testCtx(t, 10*time.Second)
	oldest := streamless(t, ctx, l)
	newer := streamless(t, ctx, l)
	require.Eventually(t, func() bool { return l.Stats().Waiting == 2 }, 5*time.Second, 5*time.Millisecond)

	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	c, err := Dial(dctx, l.Addr().String(), clientConfig(t, nil))
	require.NoError(t, err, "an honest client could not get in while streamless connections held every slot")
	defer c.Close()
	took := time.Since(start)
	t.Logf("honest dial took %v with every slot held; stats %+v", took, l.Stats())
	require.Less(t, took, evictGrace+2*time.Second, "the eviction came late")

	s, err := l.Accept(ctx)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, c.PutPacket([]byte("hi")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(got))

	require.Equal(t, peer.ErrBusy.Code(), appCode(t, oldest), "the oldest streamless connection is evicted with ERR_BUSY")
	require.NoError(t, newer.Context().Err(), "only one connection should have been evicted")
	st := l.Stats()
	require.Equal(t, uint64(1), st.Evicted)
	require.Equal(t, 1, st.Waiting)
}

// TestSlowStreamKeptWhileSlotsFree: a client that opens its stream well
// after evictGrace still gets in when nobody needs its slot, and a
// connection waiting in the accept queue (stream open, not taken) is never
// evicted: a newer client then waits for a slot instead.
func TestSlowStreamKeptWhileSlotsFree(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{MaxPendingConnections: 2})
	ctx := testCtx(t, 10*time.Second)

	slow := streamless(t, ctx, l)
	require.Eventually(t, func() bool { return l.Stats().Waiting == 1 }, 5*time.Second, 5*time.Millisecond)
	c1, err := Dial(ctx, l.Addr().String(), clientConfig(t, nil))
	require.NoError(t, err)
	defer c1.Close()
	// c1 waits in the accept queue, slow waits for its stream: both slots
	// are held. Let evictGrace pass with no newcomer: slow keeps its slot.
	<-time.After(evictGrace + 200*time.Millisecond)
	str, err := slow.OpenStreamSync(ctx)
	require.NoError(t, err)
	_, err = str.Write(openMarker[:])
	require.NoError(t, err)

	var m [frameHeaderSize]byte
	require.NoError(t, str.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = str.Read(m[:])
	require.NoError(t, err, "the slow client was not accepted")
	require.Equal(t, openMarker, m)
	require.Equal(t, 2, l.Stats().Pending)

	// Both slots now hold peers waiting to be taken: nothing may be evicted.
	_, err = Dial(ctx, l.Addr().String(), clientConfig(t, &Config{HandshakeTimeout: 300 * time.Millisecond}))
	require.ErrorIs(t, err, peer.ErrCantConnect)
	st := l.Stats()
	require.Equal(t, uint64(0), st.Evicted, "%+v", st)
	require.NoError(t, slow.Context().Err())
	for range 2 {
		s, err := l.Accept(ctx)
		require.NoError(t, err)
		s.Close()
	}
}
