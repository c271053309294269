package websocket

import (
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

type countingConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func tcpPair(t *testing.T) (a, b net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	a, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	b, err = ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return a, b
}

func TestBatchConnCorking(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := tcpPair(t)
	cc := &countingConn{Conn: a}
	bc := newBatchConn(cc)
	bc.cork()
	for i := range 100 {
		n, err := bc.Write([]byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9})
		require.NoError(t, err)
		require.Equal(t, 10, n)
	}
	require.Zero(t, cc.writes.Load(), "corked writes reached the socket")
	require.NoError(t, bc.uncork())
	require.Equal(t, int32(1), cc.writes.Load(), "a batch is one write")
	got := make([]byte, 1000)
	_, err := io.ReadFull(b, got)
	require.NoError(t, err)
	for i := range 100 {
		require.Equal(t, byte(i), got[10*i])
	}
	// Uncorked writes go straight through; a batch never exceeds maxBatch.
	_, err = bc.Write([]byte("x"))
	require.NoError(t, err)
	require.Equal(t, int32(2), cc.writes.Load())
	bc.cork()
	go io.Copy(io.Discard, b)
	for range 3 * maxBatch / 1000 {
		bc.Write(make([]byte, 1000))
	}
	require.GreaterOrEqual(t, cc.writes.Load(), int32(4))
	require.NoError(t, bc.uncork())
}

func TestBatchConnDeadlineWhileHeld(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, _ := tcpPair(t)
	bc := newBatchConn(a)
	bc.sem <- struct{}{} // a write in progress that never ends
	require.NoError(t, bc.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
	start := time.Now()
	_, err := bc.Write([]byte("pong"))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
	require.Less(t, time.Since(start), 5*time.Second)
	<-bc.sem
	require.NoError(t, bc.SetWriteDeadline(time.Time{}))
	_, err = bc.Write([]byte("ok"))
	require.NoError(t, err)
}

func TestWrapListener(t *testing.T) {
	peertest.CheckGoroutines(t)
	h, err := NewHandler(nil, nil)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/ws", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(WrapListener(ln))
	}()
	defer func() {
		srv.Close()
		h.Close()
		<-done
	}()
	c, err := Dial(testCtx(t), "ws://"+ln.Addr().String()+"/ws", nil)
	require.NoError(t, err)
	defer c.Close()
	s, err := h.Accept(testCtx(t))
	require.NoError(t, err)
	defer s.Close()
	require.NotNil(t, s.c.batch, "upgraded connection is not coalescing")
	require.NotNil(t, c.c.batch)
	for i := range 100 {
		require.NoError(t, s.PutPacket([]byte{byte(i)}))
	}
	for i := range 100 {
		require.Equal(t, []byte{byte(i)}, readPacket(t, c))
	}
	require.NoError(t, s.SetNoDelay(true))

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "page", string(body))
	http.DefaultClient.CloseIdleConnections()
}
