package webrtc_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

// A Go program hosts lobby "game" on a signalling server; another (or a
// Godot game, or a browser) dials it and they exchange Godot Variants over a
// reliable data channel.
func Example() {
	// The signalling server (Godot's webrtc_signaling protocol); any HTTP
	// server can mount it.
	sig := signaling.NewServer(nil)
	hs := httptest.NewServer(sig)
	defer hs.Close()
	defer sig.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// LoopbackOnly keeps the example on 127.0.0.1; leave it out on a network.
	l, err := webrtc.Listen(url, &webrtc.Config{Lobby: "game", LoopbackOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()

	go func() {
		p, err := webrtc.Dial(ctx, url, &webrtc.Config{Lobby: "game", LoopbackOnly: true})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer p.Close()
		p.PutVar(map[string]any{"hello": "from the dialer"})
		p.ReadPacket(ctx) // wait for the reply before closing
	}()

	p, err := l.Accept(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := p.ReadVar(ctx)
	fmt.Println(v, err)
	fmt.Println(p.Label(), p.ID(), p.IsOrdered(), p.MaxRetransmits() == webrtc.Unset)
	p.PutPacket([]byte("bye"))
	// Output:
	// {"hello": "from the dialer"} <nil>
	// reliable 1 true true
}

// PeerConnection is Godot's WebRTCPeerConnection: the application relays
// descriptions and candidates itself. Here both peers are in one program.
func ExamplePeerConnection() {
	var a, b *webrtc.PeerConnection
	relay := func(to **webrtc.PeerConnection, from **webrtc.PeerConnection) *webrtc.Config {
		return &webrtc.Config{
			LoopbackOnly: true,
			OnSessionDescription: func(typ, sdp string) {
				(*from).SetLocalDescription(typ, sdp) // as Godot's demo does
				(*to).SetRemoteDescription(typ, sdp)
			},
			OnICECandidate: func(media string, index int, name string) {
				(*to).AddICECandidate(media, index, name)
			},
		}
	}
	a, _ = webrtc.NewPeerConnection(relay(&b, &a))
	b, _ = webrtc.NewPeerConnection(relay(&a, &b))
	defer a.Close()
	defer b.Close()

	opts := &webrtc.DataChannelConfig{Negotiated: true, ID: 7, Ordered: webrtc.Ptr(false), MaxRetransmits: webrtc.Ptr(0)}
	ca, _ := a.CreateDataChannel("positions", opts)
	cb, _ := b.CreateDataChannel("positions", opts)
	a.CreateOffer()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ca.WaitOpen(ctx)
	cb.WaitOpen(ctx)
	fmt.Println(a.ConnectionState(), ca.ReadyState(), ca.MaxRetransmits(), ca.MaxPacketLifeTime())
	// Output: STATE_CONNECTED STATE_OPEN 0 65535
}
