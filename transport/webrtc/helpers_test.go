package webrtc

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

// pionGoroutines lists stack substrings of goroutines pion leaves running
// after Close. With pion/webrtc v4.2.26 there are none: PeerConnection.Close
// uses pion's GracefulClose, which waits for its goroutines (ICE agent,
// DTLS, SCTP read loops, data channel read loops). Name them here if a pion
// upgrade changes that.
var pionGoroutines = []string{}

// pair is two PeerConnections wired to each other in-process: descriptions
// and candidates go straight from one's handlers to the other's methods,
// the way an application relays them over its signalling channel.
type pair struct {
	a, b     *PeerConnection
	received chan *DataChannel // data_channel_received on b
}

func newPair(t testing.TB, mutate func(c *Config)) *pair {
	t.Helper()
	pr := &pair{received: make(chan *DataChannel, 16)}
	var mu sync.Mutex // guards a and b while handlers may already run
	peerOf := func(self string) *PeerConnection {
		mu.Lock()
		defer mu.Unlock()
		if self == "a" {
			return pr.b
		}
		return pr.a
	}
	mk := func(self string) *PeerConnection {
		var local **PeerConnection
		if self == "a" {
			local = &pr.a
		} else {
			local = &pr.b
		}
		cfg := &Config{
			LoopbackOnly: true,
			OnSessionDescription: func(typ, sdp string) {
				mu.Lock()
				me := *local
				mu.Unlock()
				if err := me.SetLocalDescription(typ, sdp); err != nil {
					t.Errorf("%s: SetLocalDescription(%s): %v", self, typ, err)
					return
				}
				if err := peerOf(self).SetRemoteDescription(typ, sdp); err != nil {
					t.Errorf("%s: SetRemoteDescription(%s): %v", self, typ, err)
				}
			},
			OnICECandidate: func(media string, index int, name string) {
				if err := peerOf(self).AddICECandidate(media, index, name); err != nil {
					t.Logf("%s: AddICECandidate: %v", self, err)
				}
			},
			OnDataChannel: func(dc *DataChannel) {
				if self == "b" {
					pr.received <- dc
				} else {
					t.Errorf("unexpected data channel on a")
				}
			},
		}
		if mutate != nil {
			mutate(cfg)
		}
		pc, err := NewPeerConnection(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		*local = pc
		mu.Unlock()
		return pc
	}
	mk("a")
	mk("b")
	t.Cleanup(func() {
		pr.a.Close()
		pr.b.Close()
	})
	return pr
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// negotiatedPair opens a negotiated channel with the same options on both
// sides and returns both ends once open.
func negotiatedPair(t testing.TB, opts DataChannelConfig) (*pair, *DataChannel, *DataChannel) {
	t.Helper()
	pr := newPair(t, nil)
	opts.Negotiated = true
	ca, err := pr.a.CreateDataChannel("chan", &opts)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := pr.b.CreateDataChannel("chan", &opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := pr.a.CreateOffer(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	for _, c := range []*DataChannel{ca, cb} {
		if err := c.WaitOpen(ctx); err != nil {
			t.Fatalf("WaitOpen: %v", err)
		}
	}
	return pr, ca, cb
}

func checkGoroutines(t testing.TB) { peertest.CheckGoroutines(t, pionGoroutines...) }
