package webrtc

import (
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

func TestConformanceReliable(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		pr, a, b := negotiatedPair(t, DataChannelConfig{ID: 1})
		t.Cleanup(func() { pr.a.Close(); pr.b.Close() })
		return a, b
	}, peertest.Config{IgnoreGoroutines: pionGoroutines})
}

func TestConformanceUnreliable(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		pr, a, b := negotiatedPair(t, DataChannelConfig{ID: 3, Ordered: Ptr(false), MaxRetransmits: Ptr(0)})
		t.Cleanup(func() { pr.a.Close(); pr.b.Close() })
		return a, b
	}, peertest.Config{Unreliable: true, Unordered: true, IgnoreGoroutines: pionGoroutines})
}
