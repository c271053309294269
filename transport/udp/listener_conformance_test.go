package udp

import (
	"context"
	"io"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

var _ peer.Listener[*Peer] = (*Listener)(nil)

func TestListenerConformance(t *testing.T) { peertest.TestListener(t, listenerHarness(false)) }

// listenerHarness runs the listener contract on a Listener, polled (through
// polledListener) or not.
func listenerHarness(polled bool) peertest.ListenerHarness[*Peer] {
	return peertest.ListenerHarness[*Peer]{
		Listen: func(t *testing.T, maxPending int) peer.Listener[*Peer] {
			l, err := Listen("127.0.0.1:0", &Config{MaxPendingConnections: maxPending, Polled: polled})
			if err != nil {
				t.Fatal(err)
			}
			if polled {
				return polledListener{l}
			}
			return l
		},
		Connect: func(ctx context.Context, ln peer.Listener[*Peer]) (io.Closer, error) {
			c, err := Dial(ctx, ln.Addr().String(), nil)
			if err != nil {
				return nil, err
			}
			if err := c.PutPacket([]byte("hello")); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
		Refuses: true,
	}
}
