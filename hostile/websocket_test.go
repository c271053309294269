package hostile

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// wsHost is the host:port of a websocket server's ws:// URL.
func wsHost(s *server) string {
	return strings.TrimSuffix(strings.TrimPrefix(s.addr, "ws://"), "/")
}

// gorillaDial opens a plain gorilla/websocket client: the attacker gets
// full control of what is read and written.
func gorillaDial(t *testing.T, s *server) *gws.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := gws.DefaultDialer.DialContext(ctx, s.addr, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// maskedFrame is a client frame: first byte b0 (FIN, RSV, opcode), masked
// payload.
func maskedFrame(b0 byte, payload []byte) []byte {
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = append(f, key[:]...)
	for i, c := range payload {
		f = append(f, c^key[i%4])
	}
	return f
}

// expectCloseCode reads from c until the server's close frame and checks
// its code.
func expectCloseCode(t *testing.T, c *gws.Conn, code int) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *gws.CloseError
		require.True(t, errors.As(err, &ce), "expected close frame %d, got %v", code, err)
		require.Equal(t, code, ce.Code, "close code")
		return
	}
}

// TestWebSocketUnfinishedHandshakes: 60 TCP clients that connect and send
// nothing, half a request line, or all headers but the final blank line.
// While they hang the server serves an honest client; each is disconnected
// after HandshakeTimeout (300 ms here); nothing stays allocated.
func TestWebSocketUnfinishedHandshakes(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)
	before := heapNow()

	partial := []string{
		"",
		"GET / HT",
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
	}
	const n = 60
	conns := make([]net.Conn, n)
	start := time.Now()
	for i := range conns {
		c := rawStream(t, wsHost(s))
		_, err := c.Write([]byte(partial[i%len(partial)]))
		require.NoError(t, err)
		conns[i] = c
	}
	honest(t, k, s.addr)
	for _, c := range conns {
		expectClosedByServer(t, c, 5*time.Second)
		c.Close()
	}
	t.Logf("all %d dropped %v after the first connected", n, time.Since(start))
	require.Zero(t, s.peers.Load()-1, "no unfinished handshake became a peer")
	checkHeap(t, before, 1<<20)
}

// TestWebSocketSlowBody: a request whose headers complete but whose
// announced body never comes. It is not a valid upgrade, and the server
// must not hold the connection longer than HandshakeTimeout for it.
func TestWebSocketSlowBody(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)

	c := rawStream(t, wsHost(s))
	_, err := c.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"))
	require.NoError(t, err)
	got := expectClosedByServer(t, c, 3*time.Second)
	t.Logf("server answered %q", truncate(got))
	honest(t, k, s.addr)
}

// TestWebSocketRandomBytes: 64 KiB of random bytes, a plain HTTP request
// without an upgrade, and 1 MiB of headers, instead of a handshake. The server answers with an HTTP
// error or closes; either way the connection ends within the handshake
// timeout and the server keeps serving.
func TestWebSocketRandomBytes(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)
	before := heapNow()

	for seed := range uint64(4) {
		c := rawStream(t, wsHost(s))
		c.Write(randBytes(rand.New(rand.NewPCG(seed, 7)), 64<<10)) // may fail once the server closed
		expectClosedByServer(t, c, 5*time.Second)
		c.Close()
	}
	c := rawStream(t, wsHost(s))
	_, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	got := expectClosedByServer(t, c, 5*time.Second)
	require.True(t, strings.HasPrefix(string(got), "HTTP/1.1 400"), "answer: %q", truncate(got))
	c.Close()

	// Headers far beyond MaxHeaderBytes.
	c = rawStream(t, wsHost(s))
	go c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nX-Junk: " + strings.Repeat("a", 1<<20))) // ends when the connection does
	got = expectClosedByServer(t, c, 5*time.Second)
	require.True(t, strings.HasPrefix(string(got), "HTTP/1.1 431"), "answer: %q", truncate(got))
	c.Close()

	require.Zero(t, s.peers.Load())
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestWebSocketSlowReader: a client completes the handshake, asks the server
// to push and never reads. The server's PutPacket must fail with
// ErrOutOfMemory once its bounded outbound queue is full (it never blocks),
// memory stays bounded and other clients are served.
func TestWebSocketSlowReader(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)
	before := heapNow()

	c := gorillaDial(t, s)
	require.NoError(t, c.WriteMessage(gws.BinaryMessage, marshal(t, "push")))
	e := s.expect(t, 30*time.Second, "a push failure", isOp("push", nil))
	require.ErrorIs(t, e.err, peer.ErrOutOfMemory, "push ended after %d bytes", e.n)
	t.Logf("server queued %d bytes before PutPacket refused more", e.n)

	honest(t, k, s.addr)
	checkHeap(t, before, heapBound)
	c.Close()
	s.expect(t, 5*time.Second, "the stuck client's end", isOp("conn", nil))
}

// TestWebSocketOversizeMessage: a 70000-byte message (InboundBufferSize is
// 65535) fails the connection with close code 1009 and ErrOutOfMemory.
func TestWebSocketOversizeMessage(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)

	before := heapNow()
	c := gorillaDial(t, s)
	// The server reads (and discards) the rest of the message after failing
	// the connection: the write completes and the close code arrives.
	require.NoError(t, c.WriteMessage(gws.BinaryMessage, make([]byte, 1<<20)))
	expectCloseCode(t, c, websocket.CloseMessageTooBig)
	e := s.expect(t, 5*time.Second, "ErrOutOfMemory", isOp("conn", peer.ErrOutOfMemory))
	var ce *websocket.CloseError
	require.True(t, errors.As(e.err, &ce), "%v", e.err)
	require.Equal(t, websocket.CloseMessageTooBig, ce.Code)
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestWebSocketLyingFrameLength: a frame header announcing 2^63-1 bytes is
// refused with 1009 before anything is allocated for it.
func TestWebSocketLyingFrameLength(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)
	before := heapNow()

	c := gorillaDial(t, s)
	hdr := []byte{0x82, 0x80 | 127}
	hdr = binary.BigEndian.AppendUint64(hdr, 1<<63-1)
	hdr = append(hdr, 1, 2, 3, 4, 'a', 'b')
	_, err := c.NetConn().Write(hdr)
	require.NoError(t, err)
	expectCloseCode(t, c, websocket.CloseMessageTooBig)
	s.expect(t, 5*time.Second, "ErrOutOfMemory", isOp("conn", peer.ErrOutOfMemory))
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestWebSocketMalformedFrames: frames RFC 6455 forbids each fail the
// connection with close code 1002 and ErrInvalidData.
func TestWebSocketMalformedFrames(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)

	before := heapNow()
	cases := []struct {
		name  string
		frame []byte
	}{
		{"unmasked client frame", append([]byte{0x82, 5}, "hello"...)},
		{"reserved bits set", maskedFrame(0x82|0x70, []byte("hello"))},
		{"unknown opcode", maskedFrame(0x83, []byte("hello"))},
		{"fragmented ping", maskedFrame(0x09, []byte("hi"))},
		{"ping over 125 bytes", maskedFrame(0x89, make([]byte, 126))},
		{"continuation without start", maskedFrame(0x80, []byte("hello"))},
		{"close code 1005 on the wire", maskedFrame(0x88, []byte{0x03, 0xED})},
		// RFC 6455 5.5.1: a close payload is empty or starts with a 2-byte
		// code; gorilla alone reads a 1-byte one as "no code" (1005).
		{"close payload of 1 byte 0x00", maskedFrame(0x88, []byte{0x00})},
		{"close payload of 1 byte 0x03", maskedFrame(0x88, []byte{0x03})},
		{"close payload of 1 byte 0xff", maskedFrame(0x88, []byte{0xff})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := gorillaDial(t, s)
			_, err := c.NetConn().Write(tc.frame)
			require.NoError(t, err)
			expectCloseCode(t, c, websocket.CloseProtocolError)
			e := s.expect(t, 5*time.Second, "ErrInvalidData", isOp("conn", nil))
			require.ErrorIs(t, e.err, peer.ErrInvalidData)
		})
	}
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// wsServer starts a websocket echo server with cfg; accepting is left to
// the caller (acceptLoop).
func wsServer(t *testing.T, cfg *websocket.Config) *server {
	t.Helper()
	ln, err := websocket.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	return newServer(t, "ws://"+ln.Addr().String()+"/", adapt(ln.Accept), ln.Close)
}

// TestWebSocketSilentClientHeartbeat: with HeartbeatInterval set, a client
// that completes the handshake and then never reads (so never answers a
// ping) is dropped with ErrTimeout.
func TestWebSocketSilentClientHeartbeat(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := wsServerConfig()
	cfg.HeartbeatInterval = 500 * time.Millisecond
	s := wsServer(t, cfg)
	s.acceptLoop()

	before := heapNow()
	start := time.Now()
	gorillaDial(t, s)
	e := s.expect(t, 5*time.Second, "ErrTimeout", isOp("conn", nil))
	require.ErrorIs(t, e.err, peer.ErrTimeout)
	t.Logf("silent client dropped after %v", time.Since(start))
	checkHeap(t, before, 1<<20)
	honest(t, websocketKit(), s.addr)
}

// TestWebSocketFragmentedOversize: a message split in fragments that are
// each small but add up to more than InboundBufferSize fails with 1009.
func TestWebSocketFragmentedOversize(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)
	before := heapNow()

	c := gorillaDial(t, s)
	frag := make([]byte, 30000)
	raw := maskedFrame(0x02, frag) // binary, FIN clear
	for range 40 {                 // 1.2 MB: more than the socket buffers hold
		raw = append(raw, maskedFrame(0x00, frag)...) // continuation, FIN clear
	}
	_, err := c.NetConn().Write(raw) // see TestWebSocketOversizeMessage
	require.NoError(t, err)
	expectCloseCode(t, c, websocket.CloseMessageTooBig)
	s.expect(t, 5*time.Second, "ErrOutOfMemory", isOp("conn", peer.ErrOutOfMemory))
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestWebSocketDrainFlood: 20 clients each send the header of an oversize
// message and then flood the server with bytes, never reading past the
// close frame and never closing. The server reads what they send after
// failing the connection (so an honest remote reads close code 1009) but
// keeps none of it, and drops each after CloseTimeout (300 ms here) or 4 MiB.
func TestWebSocketDrainFlood(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)
	before := heapNow()

	const clients = 20
	done := make(chan struct{})
	var floods []chan struct{}
	for range clients {
		c := gorillaDial(t, s)
		hdr := []byte{0x82, 0x80 | 127}
		hdr = binary.BigEndian.AppendUint64(hdr, 1<<40)
		_, err := c.NetConn().Write(append(hdr, 1, 2, 3, 4))
		require.NoError(t, err)
		expectCloseCode(t, c, websocket.CloseMessageTooBig)
		ended := make(chan struct{})
		floods = append(floods, ended)
		go func() {
			defer close(ended)
			buf := make([]byte, 16<<10)
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := c.NetConn().Write(buf); err != nil {
					return
				}
			}
		}()
	}
	for range clients {
		s.expect(t, 10*time.Second, "ErrOutOfMemory", isOp("conn", peer.ErrOutOfMemory))
	}
	close(done)
	for _, f := range floods {
		<-f
	}
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestWebSocketPendingCap: upgrades nobody accepts wait in a queue of
// MaxPendingConnections; further ones are refused with HTTP 503 (or, when
// the queue filled up while they were upgrading, closed at once with 1013
// "try again later"). Exactly the cap stays pending.
func TestWebSocketPendingCap(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := wsServerConfig()
	cfg.MaxPendingConnections = 4
	s := wsServer(t, cfg)
	before := heapNow()

	var upgraded []*gws.Conn
	refused := 0
	for range 12 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, resp, err := gws.DefaultDialer.DialContext(ctx, s.addr, nil)
		cancel()
		if err == nil {
			upgraded = append(upgraded, c)
			t.Cleanup(func() { c.Close() })
			continue
		}
		require.NotNil(t, resp, "dial error without a response: %v", err)
		require.Equal(t, 503, resp.StatusCode)
		resp.Body.Close()
		refused++
	}
	// Read every upgraded client at once: a 1013 close arrives at once, a
	// pending one stays silent until the deadline.
	results := make(chan error, len(upgraded))
	for _, c := range upgraded {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
		go func() {
			_, _, err := c.ReadMessage()
			results <- err
		}()
	}
	pending, tryLater := 0, 0
	for range upgraded {
		err := <-results
		var ce *gws.CloseError
		var ne net.Error
		switch {
		case errors.As(err, &ce):
			require.Equal(t, websocket.CloseTryAgainLater, ce.Code)
			tryLater++
		case errors.As(err, &ne) && ne.Timeout():
			pending++ // still waiting for Accept
		default:
			t.Fatalf("unexpected read result on an upgraded client: %v", err)
		}
	}
	t.Logf("%d pending, %d refused with 503, %d closed with 1013", pending, refused, tryLater)
	require.Equal(t, 4, pending)
	require.Equal(t, 8, refused+tryLater)
	checkHeap(t, before, 2<<20)
	s.acceptLoop() // the queue drains; new clients are served again
	honest(t, websocketKit(), s.addr)
}

// TestWebSocketPingFlood: a client sends 50000 pings and never reads the
// pongs. Its own connection may stall, but the server keeps serving others,
// memory stays bounded, and the server sees the client leave.
func TestWebSocketPingFlood(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := websocketKit()
	s := startServer(t, k)
	before := heapNow()

	c := rawStream(t, wsHost(s))
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	_, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	require.NoError(t, err)
	resp := make([]byte, 12)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadFull(c, resp)
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 101", string(resp))

	ping := maskedFrame(0x89, make([]byte, 125))
	flood := make([]byte, 0, 50000*len(ping))
	for range 50000 {
		flood = append(flood, ping...)
	}
	require.NoError(t, c.SetWriteDeadline(time.Now().Add(2*time.Second)))
	n, err := c.Write(flood) // stalls once both directions' buffers are full
	t.Logf("wrote %d of %d bytes of pings (%v)", n, len(flood), err)
	honest(t, k, s.addr)
	checkHeap(t, before, heapBound)
	c.Close()
	s.expect(t, 10*time.Second, "the flooding client's end", isOp("conn", nil))
}
