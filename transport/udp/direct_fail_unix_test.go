//go:build unix

package udp

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// A fatal socket error on a direct peer ends its reads with the error at
// once, rather than sending ReadPacket back to wait in the socket.
func TestDirectReadFatalError(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := dialPair(t, nil)
	defer a.Close()
	defer b.Close()
	d := b.t.direct
	require.NotNil(t, d)
	b.t.sockMu.Lock()
	// What the socket could report.
	require.True(t, b.t.readFailed(&net.OpError{Op: "read", Net: "udp", Err: syscall.EINVAL}))
	b.t.sockMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := b.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrConnectionError)
	require.ErrorIs(t, err, syscall.EINVAL)
	require.NoError(t, b.Wait(ctx), "Wait returns: GetPacket has the error to report")
	_, err = b.GetPacket()
	require.ErrorIs(t, err, peer.ErrConnectionError)
}
