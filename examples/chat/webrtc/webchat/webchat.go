// Package webchat is the WebRTC chat example's shared part: the channel
// layout, the browser page (plain HTML and JavaScript embedded in the
// binary with a go:embed directive, no build step) and the server loop that
// the ./server command runs.
//
// A browser, a Godot 4 game (examples/godot/webrtc_chat_client.gd) or the
// Go client (./client) joins lobby "chat" on the signalling server (Godot's
// webrtc_signaling protocol, served at /signal) and opens two negotiated
// data channels to the Go server, which hosts the lobby:
//
//	id 1 "reliable"    ordered, reliable: the chat (Godot Dictionaries, put_var)
//	id 3 "unreliable"  unordered, maxRetransmits 0: pings the server echoes
package webchat

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

//go:embed index.html
var page []byte

// Channels returns the example's data channels, in the order Dial and Accept
// expect them (the first is the chat).
func Channels() []webrtc.ChannelConfig {
	return []webrtc.ChannelConfig{
		{Label: "reliable", DataChannelConfig: webrtc.DataChannelConfig{Negotiated: true, ID: 1}},
		{Label: "unreliable", DataChannelConfig: webrtc.DataChannelConfig{Negotiated: true, ID: 3,
			Ordered: webrtc.Ptr(false), MaxRetransmits: webrtc.Ptr(0)}},
	}
}

// Handler serves the page at / and the signalling server at /signal.
func Handler(sig *signaling.Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/signal", sig)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	return mux
}

// Serve serves room on l with peer.Serve until ctx ends (then it returns
// nil) or l fails: each peer joins room on its reliable channel, and its
// unreliable channel echoes every packet. It returns after every peer's
// goroutines have ended.
func Serve(ctx context.Context, l *webrtc.Listener, room *chat.Room) error {
	return peer.Serve(ctx, l, func(ctx context.Context, p *webrtc.Peer) {
		room.Logger().Info("peer connected", "lobby", l.Lobby())
		if u := p.Connection().Channel("unreliable"); u != nil {
			echoed := make(chan struct{})
			go func() {
				defer close(echoed)
				echo(ctx, u)
			}()
			defer func() {
				u.Close()
				<-echoed
			}()
		}
		room.Serve(ctx, p)
	})
}

// echo sends every packet back on the same channel until it closes.
func echo(ctx context.Context, c *webrtc.DataChannel) {
	defer c.Close()
	for {
		b, err := c.ReadPacket(ctx)
		if err != nil {
			return
		}
		if c.PutPacket(b) != nil {
			return
		}
	}
}
