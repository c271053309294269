package websocket

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestListenerStats: each way a Listener drops a connection is counted by
// cause in Stats and logged once through Config.Logger.
func TestListenerStats(t *testing.T) {
	peertest.CheckGoroutines(t)
	var logs syncBuffer
	l, err := Listen("127.0.0.1:0", &Config{
		MaxPendingConnections: 1,
		HandshakeTimeout:      200 * time.Millisecond,
		CloseTimeout:          200 * time.Millisecond,
		Logger:                slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	defer l.Close()
	addr := l.Addr().String()
	want := peer.ListenerStats{}
	check := func(what string) {
		t.Helper()
		// Drop counts, then logs.
		require.Eventually(t, func() bool {
			return l.Stats().ListenerStats == want &&
				strings.Count(logs.String(), "packetpeer: connection dropped") == int(want.Dropped())
		}, 5*time.Second, 5*time.Millisecond, "%s: stats %+v, want %+v; log:\n%s", what, l.Stats().ListenerStats, want, logs.String())
	}

	// Accepted.
	c, _, err := gws.DefaultDialer.DialContext(testCtx(t), "ws://"+addr+"/", nil)
	require.NoError(t, err)
	defer c.Close()
	want.Pending = 1
	check("pending")
	p, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	defer p.Close()
	want.Pending, want.Accepted = 0, 1
	check("accepted")

	// Failed: a request that is not an upgrade, and bytes that are not HTTP.
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	http.DefaultClient.CloseIdleConnections()
	want.Failed = 1
	check("not an upgrade")
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = nc.Write([]byte("\x16\x03\x01 not http\r\n\r\n"))
	require.NoError(t, err)
	io.Copy(io.Discard, nc)
	nc.Close()
	want.Failed = 2
	check("garbage")
	require.Contains(t, logs.String(), "cause=failed")

	// Refused: the pending queue (1) is full.
	c2, _, err := gws.DefaultDialer.DialContext(testCtx(t), "ws://"+addr+"/", nil)
	require.NoError(t, err)
	defer c2.Close()
	want.Pending = 1
	check("second pending")
	_, resp, err = gws.DefaultDialer.DialContext(testCtx(t), "ws://"+addr+"/", nil)
	require.Error(t, err)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp.Body.Close()
	want.Refused = 1
	check("refused")
	require.Contains(t, logs.String(), "cause=refused")

	// Timed out: a client that sends half a request line.
	nc, err = net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = nc.Write([]byte("GET / HT"))
	require.NoError(t, err)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, nc)
	require.NoError(t, err, "the server closes the connection")
	nc.Close()
	want.TimedOut = 1
	check("timed out")
	require.Contains(t, logs.String(), `cause="timed out"`)

	// Evicted: the pending connection when the listener closes.
	require.NoError(t, l.Close())
	want.Pending, want.Evicted = 0, 1
	check("evicted")
	require.Contains(t, logs.String(), "cause=evicted")
}

// TestHandlerStatsWithServe: with a serve function every upgraded peer
// counts as accepted; a nil Logger logs nothing and still counts.
func TestHandlerStatsWithServe(t *testing.T) {
	peertest.CheckGoroutines(t)
	served := make(chan struct{})
	h, err := NewHandler(&Config{SupportedProtocols: []string{"game"}}, func(p *Peer) {
		close(served)
		p.ReadPacket(testCtx(t))
	})
	require.NoError(t, err)
	srv := newHTTPServer(t, h)
	c, _, err := (&gws.Dialer{Subprotocols: []string{"game"}}).DialContext(testCtx(t), srv, nil)
	require.NoError(t, err)
	<-served
	_, resp, err := gws.DefaultDialer.DialContext(testCtx(t), srv, nil) // no subprotocol: refused with 400
	require.Error(t, err)
	resp.Body.Close()
	c.Close()
	require.NoError(t, h.Close())
	require.Equal(t, peer.ListenerStats{Accepted: 1, Failed: 1}, h.Stats().ListenerStats)
}

// newHTTPServer serves h on an httptest server closed at the end of the
// test and returns its ws:// URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// TestListenerStatsTLS: on a wss Listener a client that fails TLS counts as
// failed and one that never starts it as timed out.
func TestListenerStatsTLS(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	var logs syncBuffer
	l := listen(t, &Config{
		HandshakeTimeout: 200 * time.Millisecond,
		TLSConfig:        &tls.Config{Certificates: []tls.Certificate{cert.TLS}},
		Logger:           slog.New(slog.NewTextHandler(&logs, nil)),
	})
	addr := l.Addr().String()

	// Plain HTTP to the TLS port.
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, nc)
	nc.Close()
	require.Eventually(t, func() bool { return l.Stats().Failed == 1 }, 5*time.Second, 5*time.Millisecond, "%+v", l.Stats())

	// A client that never sends its ClientHello.
	nc, err = net.Dial("tcp", addr)
	require.NoError(t, err)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, nc)
	require.NoError(t, err, "the server closes the connection")
	nc.Close()
	require.Eventually(t, func() bool { return l.Stats().TimedOut == 1 }, 5*time.Second, 5*time.Millisecond, "%+v", l.Stats())
	require.Equal(t, peer.ListenerStats{Failed: 1, TimedOut: 1}, l.Stats().ListenerStats)
	require.Eventually(t, func() bool { return strings.Count(logs.String(), "packetpeer: connection dropped") == 2 }, 5*time.Second, 5*time.Millisecond)
}
