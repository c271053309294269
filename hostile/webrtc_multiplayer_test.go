package hostile

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

func rtcMPConfig(handshake time.Duration) *webrtc.MultiplayerConfig {
	return &webrtc.MultiplayerConfig{Connection: &webrtc.Config{LoopbackOnly: true, Lobby: rtcLobby,
		HandshakeTimeout: handshake, ReceiveBufferBytes: 64 << 10}}
}

// rtcMPHonest checks that a fresh DialMultiplayer client connects to srv
// and gets a packet.
func rtcMPHonest(t *testing.T, url string, srv *webrtc.MultiplayerPeer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := webrtc.DialMultiplayer(ctx, url, rtcMPConfig(10*time.Second))
	require.NoError(t, err)
	defer c.Close()
	// The server's end may open a moment after the client's.
	for _, dc := range srv.GetPeer(c.UniqueID()).Channels {
		require.NoError(t, dc.WaitOpen(ctx))
	}
	require.NoError(t, srv.SendTo(c.UniqueID(), multiplayer.TransferModeReliable, 0, []byte("hi")))
	b, err := c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(b))
}

// WebRTC multiplayer server, members that never connect (the WebRTC form
// of clients that never send their id): 20 join the lobby and never offer,
// 5 offer garbage. The server adds a peer for each, removes the silent
// ones after HandshakeTimeout (Stats.TimedOut) and the garbage ones at
// once (Stats.Failed), never reports them connected, keeps serving an
// honest client, and holds at most 96 KiB per pending member (measured 78
// KB with the raw signalling client's side: the PeerConnection with its
// three channels and ICE gathering, as a Listener's silent joiner costs),
// and little once they are removed: 2 MiB bound on the whole run, while
// the 25 raw signalling connections are still open (measured 0.9 MB, most
// of it their WebSocket buffers on both ends).
func TestWebRTCMultiplayerSilentMembers(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := signalingServer(t)
	srv, err := webrtc.ListenMultiplayer(url, rtcMPConfig(4*time.Second))
	require.NoError(t, err)
	defer srv.Close()
	before := heapNow()

	const silent, garbage = 20, 5
	for range silent {
		joinLobby(t, sigClient(t, url))
	}
	waitFor(t, 10*time.Second, "a peer for each silent member", func() bool { return len(srv.GetPeers()) == silent })
	during := heapNow()
	per := (int64(during) - int64(before)) / silent
	t.Logf("HEAP %s: %d bytes per pending member", t.Name(), per)
	require.Less(t, per, int64(96<<10))

	for range garbage {
		c := sigClient(t, url)
		joinLobby(t, c)
		sendSig(t, c, sigMsg{Type: int(signaling.Offer), ID: 1, Data: "v=0\r\ngarbage\r\n"})
	}
	rtcMPHonest(t, url, srv)
	waitFor(t, 10*time.Second, "the silent members to time out and the honest one to leave", func() bool {
		st := srv.Stats()
		return st.TimedOut == silent && st.Failed == garbage && len(srv.GetPeers()) == 0
	})
	require.EqualValues(t, 1, srv.Stats().Connected)
	connected := 0
	for {
		ev, ok := srv.PollEvent()
		if !ok {
			break
		}
		if ev.Type == multiplayer.PeerConnected {
			connected++
		}
	}
	require.Equal(t, 1, connected, "only the honest client is reported connected")
	checkHeap(t, before, 2<<20)
}

// fakeSignalling is a signalling server that obeys the test: it accepts
// one host, tells it it hosts lobby rtcLobby, then sends it the messages
// given, and keeps the link open until the test ends.
func fakeSignalling(t *testing.T, toHost func(send func(signaling.Message))) string {
	t.Helper()
	done := make(chan struct{})
	var up gws.Upgrader
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if _, _, err := c.ReadMessage(); err != nil { // JOIN
			return
		}
		send := func(m signaling.Message) { c.WriteMessage(gws.TextMessage, m.Marshal()) }
		toHost(send)
		go func() { // read until the host leaves
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		<-done
	}))
	t.Cleanup(func() {
		close(done)
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

// A signalling server that lies about ids: PEER_CONNECT for 0, 1 (the
// server itself), -5, 2^31 and twice for 7. The WebRTC multiplayer server
// refuses every one but the first 7 (the message with 2^31 does not parse)
// and counts them (Stats.Refused); a
// client told id 0, 1 or -3 by its signalling server fails to dial with
// ErrCantConnect.
func TestWebRTCMultiplayerBadIDs(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := fakeSignalling(t, func(send func(signaling.Message)) {
		send(signaling.Message{Type: signaling.ID, ID: 1})
		send(signaling.Message{Type: signaling.Join, Data: rtcLobby})
		// 2^31 does not even parse as a message: the host drops it unread.
		for _, id := range []int{0, 1, -5, math.MaxInt32 + 1, 7, 7} {
			send(signaling.Message{Type: signaling.PeerConnect, ID: id})
		}
	})
	srv, err := webrtc.ListenMultiplayer(url, rtcMPConfig(10*time.Second))
	require.NoError(t, err)
	defer srv.Close()
	waitFor(t, 10*time.Second, "the bad ids to be refused", func() bool { return srv.Stats().Refused == 4 })
	require.Len(t, srv.GetPeers(), 1)
	require.True(t, srv.HasPeer(7))
	require.False(t, srv.GetPeer(7).Connected)

	for _, id := range []int{0, 1, -3} {
		curl := fakeSignalling(t, func(send func(signaling.Message)) {
			send(signaling.Message{Type: signaling.ID, ID: id})
			send(signaling.Message{Type: signaling.PeerConnect, ID: 1})
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := webrtc.DialMultiplayer(ctx, curl, rtcMPConfig(10*time.Second))
		cancel()
		if c != nil {
			c.Close()
		}
		require.ErrorIs(t, err, peer.ErrCantConnect, "client given id %d", id)
	}
}

// Floods that go nowhere: the application sends 100000 packets to absent
// targets (refused with ErrInvalidParameter, nothing kept); a connected
// client floods the server on the unreliable channel while the application
// reads nothing (the channel's queue, 64 KiB here, fills and the rest is
// dropped and counted by the channel, as Godot's ring buffer drops) and on
// the reliable one (SCTP flow control holds the client back). The live heap
// stays under 4 MiB (measured 2.0 MB: the server's SCTP receive window, 1
// MiB, two 64 KiB channel queues, and the flooder's own 64 KiB send queues
// in the same process) and an honest client is still served.
func TestWebRTCMultiplayerFloods(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := signalingServer(t)
	srv, err := webrtc.ListenMultiplayer(url, rtcMPConfig(10*time.Second))
	require.NoError(t, err)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fcfg := rtcMPConfig(10 * time.Second)
	fcfg.Connection.MaxBufferedAmount = 64 << 10 // keep the flooder's own queues out of the figure
	flooder, err := webrtc.DialMultiplayer(ctx, url, fcfg)
	require.NoError(t, err)
	defer flooder.Close()
	for _, dc := range srv.GetPeer(flooder.UniqueID()).Channels {
		require.NoError(t, dc.WaitOpen(ctx))
	}
	before := heapNow()

	pkt := make([]byte, 1000)
	for i := range 100000 {
		target := int32(1000 + i)
		err := srv.SendTo(target, multiplayer.TransferModeReliable, 0, pkt)
		if !errors.Is(err, peer.ErrInvalidParameter) {
			t.Fatalf("SendTo(absent %d) = %v", target, err)
		}
	}
	require.ErrorIs(t, flooder.SendTo(5, multiplayer.TransferModeReliable, 0, pkt), peer.ErrInvalidParameter,
		"a client only reaches the server")

	const n = 2000 // 2 MB each way, 32 times the channel queue
	for range n {
		require.NoError(t, flooder.SendTo(1, multiplayer.TransferModeUnreliable, 0, pkt))
	}
	put := make(chan error, 1)
	go func() {
		// Reliable: blocks once the server's queue and SCTP's window are
		// full; ends when the server closes.
		for range n {
			if err := flooder.SendTo(1, multiplayer.TransferModeReliable, 0, pkt); err != nil {
				put <- err
				return
			}
		}
		put <- nil
	}()
	unreliable := srv.GetPeer(flooder.UniqueID()).Channels[2]
	waitFor(t, 20*time.Second, "the unreliable channel to drop", func() bool { return unreliable.Dropped() > 0 })
	rtcMPHonest(t, url, srv)
	checkHeap(t, before, 4<<20)
	t.Logf("dropped %d of %d unreliable packets; %d packets queued", unreliable.Dropped(), n, srv.AvailablePacketCount())
	require.LessOrEqual(t, srv.AvailablePacketCount(), 2*(64<<10)/len(pkt), "two channels' queues at most")
	srv.Close()
	flooder.Close()
	<-put
}

// What an idle connected client costs: 10 DialMultiplayer clients of a
// ListenMultiplayer server, both ends in this process (so the figure is
// an upper bound for the server's share). Bound: 1 MiB per client
// (measured 689 KB; most of it is pion's data channel read loops, which
// hold a 64 KiB buffer each whatever MaxMessageSize: 3 channels x 2 ends).
func TestWebRTCMultiplayerIdleClients(t *testing.T) {
	peertest.CheckGoroutines(t)
	per := idleClientCost(t, rtcMPConfig(10*time.Second))
	t.Logf("HEAP per idle WebRTC multiplayer client: %d bytes (server and client)", per)
	require.Less(t, per, int64(1<<20))
}

func idleClientCost(t *testing.T, cfg *webrtc.MultiplayerConfig) int64 {
	url := signalingServer(t)
	srv, err := webrtc.ListenMultiplayer(url, cfg)
	require.NoError(t, err)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	warm, err := webrtc.DialMultiplayer(ctx, url, cfg)
	require.NoError(t, err)
	defer warm.Close()
	const clients = 10
	before := heapNow()
	for range clients {
		c, err := webrtc.DialMultiplayer(ctx, url, cfg)
		require.NoError(t, err)
		defer c.Close()
		for _, dc := range srv.GetPeer(c.UniqueID()).Channels {
			require.NoError(t, dc.WaitOpen(ctx))
		}
	}
	return (int64(heapNow()) - int64(before)) / clients
}
