// Command client is the terminal chat client over WebRTC: it joins the lobby
// on the signalling server, opens the example's data channels to the server
// and chats on the reliable one. Type lines to chat, end input to leave.
//
//	go run ./examples/chat/webrtc/client -signal ws://127.0.0.1:8080/signal -nick alice
package main

import (
	"context"
	"flag"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/webrtc/webchat"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/webrtc"
)

func main() {
	url := flag.String("signal", "ws://127.0.0.1:8080/signal", "signalling server URL")
	lobby := flag.String("lobby", "chat", "lobby the server hosts")
	loopback := flag.Bool("loopback", false, "use only 127.0.0.1 ICE candidates")
	chat.ClientMain(func(ctx context.Context) (peer.PacketPeer, error) {
		return webrtc.Dial(ctx, *url, &webrtc.Config{Lobby: *lobby, Channels: webchat.Channels(), LoopbackOnly: *loopback})
	})
}
