package webrtc

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

var _ peer.Listener[*Peer] = (*Listener)(nil)

func TestListenerConformance(t *testing.T) {
	peertest.TestListener(t, peertest.ListenerHarness[*Peer]{
		Listen: func(t *testing.T, maxPending int) peer.Listener[*Peer] {
			l, err := Listen(signalingURL(t), &Config{LoopbackOnly: true, MaxPendingConnections: maxPending})
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		Connect: func(ctx context.Context, ln peer.Listener[*Peer]) (io.Closer, error) {
			url, lobby, _ := strings.Cut(ln.Addr().String(), "#")
			return Dial(ctx, url, &Config{LoopbackOnly: true, Lobby: lobby})
		},
		Refuses:          true,
		IgnoreGoroutines: pionGoroutines,
	})
}
