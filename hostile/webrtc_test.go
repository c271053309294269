package hostile

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

const rtcLobby = "hostile"

func webrtcKit() kit {
	return kit{
		name:      "webrtc",
		maxPacket: webrtc.DefaultMaxMessageSize,
		listen: func(t testing.TB) (string, acceptFunc, func() error) {
			url := signalingServer(t)
			ln, err := webrtc.Listen(url, &webrtc.Config{LoopbackOnly: true, Lobby: rtcLobby, HandshakeTimeout: 3 * time.Second})
			require.NoError(t, err)
			return url, adapt(ln.Accept), ln.Close
		},
		dial: func(ctx context.Context, url string) (peer.PacketPeer, error) {
			return webrtc.Dial(ctx, url, &webrtc.Config{LoopbackOnly: true, Lobby: rtcLobby})
		},
	}
}

// webrtcServer starts a signalling server and a webrtc Listener hosting
// rtcLobby on it, served by an echo server. It returns the signalling URL.
func webrtcServer(t *testing.T) (string, *server) {
	t.Helper()
	s := startServer(t, webrtcKit())
	return s.addr, s
}

// signalingServer starts a signalling server on 127.0.0.1 and returns its
// ws:// URL.
func signalingServer(t testing.TB) string {
	t.Helper()
	sig := signaling.NewServer(nil)
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: sig, ReadHeaderTimeout: time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		hs.Serve(hl)
	}()
	t.Cleanup(func() {
		sig.Close()
		hs.Close()
		<-done
	})
	return "ws://" + hl.Addr().String() + "/"
}

type sigMsg struct {
	Type int    `json:"type"`
	ID   int    `json:"id"`
	Data string `json:"data"`
}

// sigClient is a raw signalling client: a gorilla WebSocket.
func sigClient(t *testing.T, url string) *gws.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := gws.DefaultDialer.DialContext(ctx, url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func sendSig(t *testing.T, c *gws.Conn, m sigMsg) {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, c.WriteMessage(gws.TextMessage, b))
}

// joinLobby joins rtcLobby as a client-server member and waits for the
// server's JOIN confirmation.
func joinLobby(t *testing.T, c *gws.Conn) {
	t.Helper()
	sendSig(t, c, sigMsg{Type: int(signaling.Join), ID: 1, Data: rtcLobby})
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		_, b, err := c.ReadMessage()
		require.NoError(t, err)
		var m sigMsg
		require.NoError(t, json.Unmarshal(b, &m))
		if m.Type == int(signaling.Join) {
			require.NoError(t, c.SetReadDeadline(time.Time{}))
			return
		}
	}
}

// TestWebRTCSignallingGarbage: the signalling server closes clients that
// send malformed JSON, unknown types or oversize messages; a lobby member
// that sends the host a garbage offer, garbage candidates and an unasked
// answer gets no connection; the host keeps accepting honest clients.
func TestWebRTCSignallingGarbage(t *testing.T) {
	peertest.CheckGoroutines(t)
	url, s := webrtcServer(t)
	before := heapNow()

	for _, msg := range []string{"not json", `{"type":99,"id":0,"data":""}`, strings.Repeat("x", 70<<10)} {
		c := sigClient(t, url)
		werr := c.WriteMessage(gws.TextMessage, []byte(msg)) // an oversize one may be cut short by the close
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		var err error
		for err == nil {
			_, _, err = c.ReadMessage()
		}
		var ce *gws.CloseError
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server did not close the connection for %.20q", msg)
		if !errors.As(err, &ce) && werr != nil {
			t.Logf("%.20q: connection reset while writing (%v)", msg, werr)
			continue
		}
		require.True(t, errors.As(err, &ce), "expected a close frame for %.20q, got %v", msg, err)
		t.Logf("%.20q: closed with %d %q", msg, ce.Code, ce.Text)
		require.Contains(t, []int{signaling.CloseProtocolError, gws.CloseMessageTooBig}, ce.Code)
	}

	c := sigClient(t, url)
	joinLobby(t, c)
	sendSig(t, c, sigMsg{Type: int(signaling.Offer), ID: 1, Data: "v=0\r\ngarbage\r\n"})
	sendSig(t, c, sigMsg{Type: int(signaling.Candidate), ID: 1, Data: "\n0\n0\ncandidate:garbage"})
	sendSig(t, c, sigMsg{Type: int(signaling.Candidate), ID: 1, Data: "no newlines"})
	sendSig(t, c, sigMsg{Type: int(signaling.Answer), ID: 1, Data: strings.Repeat("a=x\r\n", 1000)})

	honest(t, webrtcKit(), url)
	require.Equal(t, int64(1), s.peers.Load(), "only the honest client became a peer")
	c.Close()
	checkHeap(t, before, heapBound)
}

// TestWebRTCSilentJoiners: 20 members join the host's lobby and never send
// an offer. The host sets up a connection for each (until HandshakeTimeout
// or until they leave); it keeps serving an honest client, and what the
// pending setups cost is measured and bounded.
func TestWebRTCSilentJoiners(t *testing.T) {
	peertest.CheckGoroutines(t)
	url, s := webrtcServer(t)
	before := heapNow()

	const n = 20
	conns := make([]*gws.Conn, n)
	for i := range conns {
		conns[i] = sigClient(t, url)
		joinLobby(t, conns[i])
	}
	honest(t, webrtcKit(), url)
	during := heapNow()
	t.Logf("HEAP %s: %d silent joiners cost %d bytes (%d each) on the host", t.Name(), n,
		int64(during)-int64(before), (int64(during)-int64(before))/n)
	require.Less(t, int64(during)-int64(before), int64(heapBound))
	// The host closes first: members leaving while it closes hit the known
	// race of TestWebRTCJoinLeaveChurn.
	s.close()
	for _, c := range conns {
		c.Close()
	}
}

// TestWebRTCJoinLeaveChurn: members join the host's lobby and leave while
// the host is setting their connections up, at the moment the host closes
// (40 rounds of 10). Every setup must be torn down cleanly: no data race, no
// goroutine left.
func TestWebRTCJoinLeaveChurn(t *testing.T) {
	peertest.CheckGoroutines(t)
	for round := range 40 {
		url, s := webrtcServer(t)
		conns := make([]*gws.Conn, 10)
		for i := range conns {
			conns[i] = sigClient(t, url)
			joinLobby(t, conns[i])
		}
		for _, c := range conns {
			c.Close()
		}
		// Not synchronisation: a varying delay (0 to 3.5 ms) so that the
		// host's Close meets the members' departures at different points.
		time.Sleep(time.Duration(round%8) * 500 * time.Microsecond)
		s.close()
	}
}

// TestWebRTCSignallingSlowMembers: four members of a mesh lobby never read,
// while the lobby's host relays them 60 KB offers through the signalling
// server. The server must disconnect a slow member ("too slow to read")
// while holding a bounded amount of memory for it.
func TestWebRTCSignallingSlowMembers(t *testing.T) {
	peertest.CheckGoroutines(t)
	url := signalingServer(t)
	const lobby = "slow"
	join := func(c *gws.Conn) int {
		t.Helper()
		sendSig(t, c, sigMsg{Type: int(signaling.Join), ID: 0, Data: lobby})
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		id := 0
		for {
			_, b, err := c.ReadMessage()
			require.NoError(t, err)
			var m sigMsg
			require.NoError(t, json.Unmarshal(b, &m))
			switch m.Type {
			case int(signaling.ID):
				id = m.ID
			case int(signaling.Join):
				require.NoError(t, c.SetReadDeadline(time.Time{}))
				return id
			}
		}
	}
	const slow = 4
	flooder := sigClient(t, url)
	join(flooder) // the lobby's host: the lobby lives as long as it does
	var ids []int
	for range slow {
		ids = append(ids, join(sigClient(t, url))) // and never read again
	}
	gone := make(chan int, slow)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			_, b, err := flooder.ReadMessage()
			if err != nil {
				return
			}
			var m sigMsg
			if json.Unmarshal(b, &m) == nil && m.Type == int(signaling.PeerDisconnect) {
				gone <- m.ID
			}
		}
	}()
	before := heapNow()

	offer := strings.Repeat("o", 60<<10)
	peak := int64(0)
	deadline := time.Now().Add(60 * time.Second)
	rounds := 0
flood:
	for ; ; rounds++ {
		require.True(t, time.Now().Before(deadline), "no slow member disconnected after %d rounds", rounds)
		select {
		case <-gone:
			break flood
		default:
		}
		for _, id := range ids {
			b, _ := json.Marshal(sigMsg{Type: int(signaling.Offer), ID: id, Data: offer})
			if flooder.WriteMessage(gws.TextMessage, b) != nil {
				break flood // cut off for addressing a member that just left
			}
		}
		if rounds%16 == 0 {
			peak = max(peak, int64(heapNow())-int64(before))
		}
	}
	t.Logf("HEAP %s: peak growth %d bytes (%d per slow member) over %d rounds of %d offers", t.Name(),
		peak, peak/slow, rounds, slow)
	flooder.Close()
	<-readerDone
	require.Less(t, peak, int64(heapBound), "signalling server memory for %d slow members", slow)
}
