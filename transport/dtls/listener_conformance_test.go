package dtls_test

import (
	"context"
	"io"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

var _ peer.Listener[*dtls.Peer] = (*dtls.Listener)(nil)

func TestListenerConformance(t *testing.T) {
	cert := newCert(t)
	peertest.TestListener(t, peertest.ListenerHarness[*dtls.Peer]{
		Listen: func(t *testing.T, maxPending int) peer.Listener[*dtls.Peer] {
			l, err := dtls.Listen("127.0.0.1:0", &dtls.Config{TLS: dtls.ServerOptions(cert.TLS), MaxPendingConnections: maxPending})
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		Connect: func(ctx context.Context, ln peer.Listener[*dtls.Peer]) (io.Closer, error) {
			return dtls.Dial(ctx, ln.Addr().String(), trusting(cert))
		},
		Refuses: true,
	})
}
