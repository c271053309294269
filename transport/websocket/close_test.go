package websocket

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestOversizeCloseReachesClient: a client that sends 1 MiB to a server
// whose limit is 64 KiB completes its write (no reset) and reads close code
// 1009, over ws, wss and a Handler on the caller's http.Server. Before the
// server drained, it closed with the message unread and the client's write
// met "connection reset by peer".
func TestOversizeCloseReachesClient(t *testing.T) {
	cert, err := devcert.New()
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (url string, d *gws.Dialer, accept func() *Peer)
	}{
		{"ws", func(t *testing.T) (string, *gws.Dialer, func() *Peer) {
			l := listen(t, nil)
			return wsURL(l), gws.DefaultDialer, func() *Peer { return accept(t, l.Accept) }
		}},
		{"wss", func(t *testing.T) (string, *gws.Dialer, func() *Peer) {
			l := listen(t, &Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
			d := &gws.Dialer{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}}
			return "wss://" + l.Addr().String() + "/", d, func() *Peer { return accept(t, l.Accept) }
		}},
		{"handler", func(t *testing.T) (string, *gws.Dialer, func() *Peer) {
			h, err := NewHandler(nil, nil)
			require.NoError(t, err)
			srv := httptest.NewServer(h)
			t.Cleanup(func() { h.Close(); srv.Close() })
			return "ws" + strings.TrimPrefix(srv.URL, "http"), gws.DefaultDialer, func() *Peer { return accept(t, h.Accept) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peertest.CheckGoroutines(t)
			url, d, acc := tc.start(t)
			c, _, err := d.DialContext(testCtx(t), url, nil)
			require.NoError(t, err)
			defer c.Close()
			s := acc()
			require.NoError(t, c.SetWriteDeadline(time.Now().Add(10*time.Second)))
			require.NoError(t, c.WriteMessage(gws.BinaryMessage, make([]byte, 1<<20)), "the server must read the message it refused")
			require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
			_, _, err = c.ReadMessage()
			var ce *gws.CloseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, CloseMessageTooBig, ce.Code)

			_, err = s.ReadPacket(testCtx(t))
			var sce *CloseError
			require.ErrorAs(t, err, &sce)
			require.Equal(t, CloseMessageTooBig, sce.Code)
			require.ErrorIs(t, err, peer.ErrOutOfMemory)
		})
	}
}

func accept(t *testing.T, f func(ctx context.Context) (*Peer, error)) *Peer {
	t.Helper()
	p, err := f(testCtx(t))
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// oversizeClient opens a raw client connection to l, sends the header of a
// 1 MiB binary frame (above the server's limit) and returns the connection,
// its reader and the server's peer.
func oversizeClient(t *testing.T, l *Listener) (net.Conn, *bufio.Reader, *Peer) {
	t.Helper()
	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, nc.SetDeadline(time.Now().Add(30*time.Second)))
	_, br, err := godotClientHandshake(nc, l.Addr().String(), "/", nil)
	require.NoError(t, err)
	s := accept(t, l.Accept)
	hdr := binary.BigEndian.AppendUint64([]byte{0x82, 0x80 | 127}, 1<<20)
	_, err = nc.Write(append(hdr, 1, 2, 3, 4))
	require.NoError(t, err)
	return nc, br, s
}

// expectClose1009 reads the server's close frame and then the end of the
// stream (the server half-closed).
func expectClose1009(t *testing.T, br *bufio.Reader) {
	t.Helper()
	op, _, p, err := readServerFrame(br)
	require.NoError(t, err)
	require.Equal(t, byte(0x8), op, "want a close frame")
	require.Equal(t, uint16(CloseMessageTooBig), binary.BigEndian.Uint16(p))
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the server half-closes after its close frame")
}

// TestOversizeDrainStopsAtCloseTimeout: a client that, after an oversize
// message, keeps sending a byte at a time and never closes holds the
// connection no longer than CloseTimeout.
func TestOversizeDrainStopsAtCloseTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{CloseTimeout: 200 * time.Millisecond})
	nc, br, s := oversizeClient(t, l)
	expectClose1009(t, br)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := nc.Write([]byte{0}); err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	select {
	case <-s.Disconnected():
	case <-time.After(5 * time.Second):
		t.Fatal("a trickling client kept the connection past CloseTimeout")
	}
	require.Equal(t, CloseMessageTooBig, s.CloseCode())
}

// TestOversizeDrainStopsAtByteLimit: a client that floods after an
// oversize message and never closes is cut off after closeDrainLimit bytes,
// long before the CloseTimeout of a minute; everything it wrote before the
// limit was read, none of it kept.
func TestOversizeDrainStopsAtByteLimit(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{CloseTimeout: time.Minute})
	nc, br, s := oversizeClient(t, l)
	expectClose1009(t, br)
	written := make(chan int, 1)
	go func() {
		buf := make([]byte, 32<<10)
		n := 0
		for {
			k, err := nc.Write(buf)
			n += k
			if err != nil {
				written <- n
				return
			}
		}
	}()
	select {
	case <-s.Disconnected():
	case <-time.After(20 * time.Second):
		t.Fatal("a flooding client kept the connection open")
	}
	nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	n := <-written
	require.GreaterOrEqual(t, n, closeDrainLimit-(1<<20), "the drain stopped before its limit")
}

// TestOversizeDrainEndsAtRemoteClose: the drain ends as soon as the
// remote's close frame has arrived, even if the remote keeps its socket
// open.
func TestOversizeDrainEndsAtRemoteClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{CloseTimeout: time.Minute})
	nc, br, s := oversizeClient(t, l)
	expectClose1009(t, br)
	// The rest of the message in pieces, then the close answer.
	rest := make([]byte, 1<<20)
	for len(rest) > 0 {
		k := min(len(rest), 100000)
		_, err := nc.Write(rest[:k])
		require.NoError(t, err)
		rest = rest[k:]
	}
	_, err := nc.Write(clientFrame(0x8, []byte{0x03, 0xf1}, true))
	require.NoError(t, err)
	select {
	case <-s.Disconnected():
	case <-time.After(20 * time.Second):
		t.Fatal("the drain did not end at the remote's close frame")
	}
}

// TestTruncatedFrame: a connection that ends inside a frame delivers every
// whole message before it, then an error matching ErrConnectionError and
// io.ErrUnexpectedEOF; one that ends between frames (no close frame)
// matches ErrConnectionError only. Server side and client side, at every
// cut of the last frame.
func TestTruncatedFrame(t *testing.T) {
	whole := append(clientFrame(0x2, []byte("one"), true), clientFrame(0x1, []byte("two"), true)...)
	last := clientFrame(0x2, make([]byte, 300), true)
	for cut := 0; cut < len(last); cut += 37 {
		t.Run(fmt.Sprintf("server/cut%d", cut), func(t *testing.T) {
			peertest.CheckGoroutines(t)
			l := listen(t, nil)
			nc, err := net.Dial("tcp", l.Addr().String())
			require.NoError(t, err)
			defer nc.Close()
			_, _, err = godotClientHandshake(nc, l.Addr().String(), "/", nil)
			require.NoError(t, err)
			s := accept(t, l.Accept)
			_, err = nc.Write(append(append([]byte(nil), whole...), last[:cut]...))
			require.NoError(t, err)
			nc.Close()
			checkTruncated(t, s, cut > 0)
		})
	}
	srvWhole := append(serverFrame(0x2, []byte("one")), serverFrame(0x1, []byte("two"))...)
	srvLast := serverFrame(0x2, make([]byte, 300))
	for cut := 0; cut < len(srvLast); cut += 37 {
		t.Run(fmt.Sprintf("client/cut%d", cut), func(t *testing.T) {
			peertest.CheckGoroutines(t)
			addr, conns := rawServer(t)
			dialed := make(chan *Peer, 1)
			go func() {
				p, err := Dial(testCtx(t), "ws://"+addr+"/", nil)
				if err != nil {
					t.Error(err)
				}
				dialed <- p
			}()
			nc := <-conns
			defer nc.Close()
			// The 101 response and the frames leave in one write, so the
			// frames arrive with the response, in gorilla's buffer.
			resp, err := serverHandshake(nc)
			require.NoError(t, err)
			_, err = nc.Write(append(append(resp, srvWhole...), srvLast[:cut]...))
			require.NoError(t, err)
			nc.Close()
			p := <-dialed
			require.NotNil(t, p)
			defer p.Close()
			checkTruncated(t, p, cut > 0)
		})
	}
}

func checkTruncated(t *testing.T, p *Peer, midFrame bool) {
	t.Helper()
	for _, want := range []string{"one", "two"} {
		require.Equal(t, want, string(readPacket(t, p)))
	}
	_, err := p.ReadPacket(testCtx(t))
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, CloseCodeUnclean, ce.Code)
	require.Equal(t, midFrame, errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
	require.ErrorIs(t, err, peer.ErrConnectionError)
	require.NotErrorIs(t, err, io.EOF)
}

// serverFrame is an unmasked server frame.
func serverFrame(opcode byte, payload []byte) []byte {
	f := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		f = append(f, byte(n))
	default:
		f = append(f, 126, byte(n>>8), byte(n))
	}
	return append(f, payload...)
}

// serverHandshake reads a client's upgrade request from nc and returns the
// 101 response to send.
func serverHandshake(nc net.Conn) ([]byte, error) {
	req, err := http.ReadRequest(bufio.NewReader(nc))
	if err != nil {
		return nil, err
	}
	return []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"), nil
}

// TestClientOneByteClosePayload: a server's close frame with a 1-byte
// payload fails a Dial'd client's connection with 1002 (RFC 6455 5.5.1),
// where gorilla alone would read it as "no code" and answer 1005.
func TestClientOneByteClosePayload(t *testing.T) {
	peertest.CheckGoroutines(t)
	addr, conns := rawServer(t)
	dialed := make(chan *Peer, 1)
	go func() {
		p, err := Dial(testCtx(t), "ws://"+addr+"/", &Config{CloseTimeout: 5 * time.Second})
		if err != nil {
			t.Error(err)
		}
		dialed <- p
	}()
	nc := <-conns
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	resp, err := serverHandshake(nc)
	require.NoError(t, err)
	_, err = nc.Write(append(resp, serverFrame(0x8, []byte{0x03})...))
	require.NoError(t, err)
	p := <-dialed
	require.NotNil(t, p)
	defer p.Close()
	// The client's answer: a masked close frame with code 1002.
	var hdr [6]byte
	_, err = io.ReadFull(nc, hdr[:])
	require.NoError(t, err)
	require.Equal(t, byte(0x88), hdr[0])
	payload := make([]byte, hdr[1]&0x7f)
	_, err = io.ReadFull(nc, payload)
	require.NoError(t, err)
	for i := range payload {
		payload[i] ^= hdr[2+i%4]
	}
	require.Equal(t, uint16(CloseProtocolError), binary.BigEndian.Uint16(payload))
	nc.Close()
	<-p.Disconnected()
	require.Equal(t, CloseProtocolError, p.CloseCode())
	_, err = p.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, peer.ErrInvalidData)
}

// TestOversizeDrainWithStuckWriter: when the remote sends an oversize
// message while not reading what the server sends (its writer is stuck on
// full socket buffers), the server still drops the connection within about
// CloseTimeout.
func TestOversizeDrainWithStuckWriter(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{CloseTimeout: 300 * time.Millisecond})
	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	_, _, err = godotClientHandshake(nc, l.Addr().String(), "/", nil)
	require.NoError(t, err)
	s := accept(t, l.Accept)
	// Fill the socket buffers: the writer blocks once a queued message
	// cannot leave within 200 ms.
	msg := make([]byte, 60000)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := s.WritePacket(ctx, msg)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			break
		}
	}
	hdr := binary.BigEndian.AppendUint64([]byte{0x82, 0x80 | 127}, 1<<20)
	_, err = nc.Write(append(hdr, 1, 2, 3, 4))
	require.NoError(t, err)
	select {
	case <-s.Disconnected():
	case <-time.After(10 * time.Second):
		t.Fatal("a stuck writer kept the failed connection open")
	}
	require.Equal(t, CloseMessageTooBig, s.CloseCode())
}
