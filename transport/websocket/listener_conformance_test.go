package websocket

import (
	"context"
	"io"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

var _ peer.Listener[*Peer] = (*Listener)(nil)

func TestListenerConformance(t *testing.T) {
	peertest.TestListener(t, peertest.ListenerHarness[*Peer]{
		Listen: func(t *testing.T, maxPending int) peer.Listener[*Peer] {
			l, err := Listen("127.0.0.1:0", &Config{MaxPendingConnections: maxPending})
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		Connect: func(ctx context.Context, ln peer.Listener[*Peer]) (io.Closer, error) {
			return Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
		},
		Refuses: true,
	})
}
