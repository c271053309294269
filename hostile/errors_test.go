package hostile

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/variant"
)

func enetKit() kit {
	return kit{
		name:      "enet",
		maxPacket: enet.DefaultMaxPacketSize,
		listen: func(t testing.TB) (string, acceptFunc, func() error) {
			ln, err := enet.Listen("127.0.0.1:0", nil)
			require.NoError(t, err)
			return ln.Addr().String(), adapt(ln.Accept), ln.Close
		},
		dial: func(ctx context.Context, addr string) (peer.PacketPeer, error) {
			return enet.Dial(ctx, addr, nil)
		},
	}
}

// checkOpError checks the one error shape: err is a *peer.OpError of the
// transport and op, its text starts "<transport>: <op>: ", and errors.Is
// matches each of want.
func checkOpError(t *testing.T, err error, transport, op string, want ...error) {
	t.Helper()
	var oe *peer.OpError
	require.ErrorAs(t, err, &oe, "%v", err)
	require.Equal(t, transport, oe.Transport, "%v", err)
	require.Equal(t, op, oe.Op, "%v", err)
	prefix := transport + ": " + op + ": "
	require.True(t, strings.HasPrefix(err.Error(), prefix), "%q does not start with %q", err.Error(), prefix)
	for _, w := range want {
		require.ErrorIs(t, err, w)
	}
}

// TestErrorShape checks, on every transport, that a put too large for the
// transport, a packet that is not a Variant and a call after Close fail with
// the one error shape: "<transport>: <op>: ...", matching Godot's code and
// the cause (net.ErrClosed, the *variant.Error).
func TestErrorShape(t *testing.T) {
	// stream joins this table once its errors take the shape.
	kits := []struct {
		k        kit
		oversize *peer.Error // Godot's code for a put above MaxPacketSize
	}{
		{udpKit(), peer.ErrInvalidParameter},
		{dtlsKit(), peer.ErrInvalidParameter},
		{quicKit(), peer.ErrInvalidParameter},
		{websocketKit(), peer.ErrOutOfMemory}, // Godot's WebSocketPeer.send
		{webrtcKit(), peer.ErrInvalidParameter},
		{enetKit(), peer.ErrInvalidParameter},
	}
	for _, c := range kits {
		t.Run(c.k.name, func(t *testing.T) {
			peertest.CheckGoroutines(t)
			name := c.k.name
			addr, accept, closeLn := c.k.listen(t)
			defer closeLn()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			type accepted struct {
				p   peer.PacketPeer
				err error
			}
			acc := make(chan accepted, 1)
			go func() {
				p, err := accept(ctx)
				acc <- accepted{p, err}
			}()
			cl, err := c.k.dial(ctx, addr)
			require.NoError(t, err)
			defer cl.Close()
			// A udp Listener accepts on a remote's first datagram.
			hello, err := variant.Marshal("hello")
			require.NoError(t, err)
			var a accepted
		accept:
			for {
				require.NoError(t, cl.PutPacket(hello))
				select {
				case a = <-acc:
					break accept
				case <-time.After(100 * time.Millisecond):
				}
			}
			require.NoError(t, a.err)
			srv := a.p
			defer srv.Close()

			// Above MaxPacketSize and above the transport's own limit (enet
			// reports Godot's 16 MiB but sends up to its host's 32 MiB).
			err = cl.PutPacket(make([]byte, max(cl.MaxPacketSize(), c.k.maxPacket)+1))
			checkOpError(t, err, name, "put packet", c.oversize)

			// A packet that is not a Variant, resent until one arrives
			// (udp, dtls and webrtc may lose one); hellos read as values.
			garbage := []byte{0xff, 0, 0, 0}
			for {
				require.NoError(t, cl.PutPacket(garbage))
				rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
				_, err = srv.ReadVar(rctx)
				for err == nil {
					_, err = srv.ReadVar(rctx)
				}
				rcancel()
				if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
					break
				}
			}
			checkOpError(t, err, name, "read var", peer.ErrInvalidData, variant.ErrInvalidData)
			var ve *variant.Error
			require.ErrorAs(t, err, &ve)
			require.Equal(t, 0, ve.Offset)
			require.Contains(t, err.Error(), "variant: ERR_INVALID_DATA: ")

			require.NoError(t, cl.Close())
			err = cl.PutPacket([]byte("x"))
			checkOpError(t, err, name, "put packet", net.ErrClosed, peer.ErrClosed)
			require.Equal(t, name+": put packet: use of closed network connection", err.Error())
			_, err = cl.ReadPacket(ctx)
			checkOpError(t, err, name, "read packet", net.ErrClosed)
		})
	}
}
