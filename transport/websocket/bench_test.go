package websocket

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

// Benchmarks: the SDK against raw gorilla/websocket doing the same work —
// n binary messages of one size sent over loopback by one goroutine and
// received by another, client to server (masked frames) and server to
// client. Run them in one go:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./transport/websocket/

var benchSizes = []int{64, 1200}

// BenchmarkWebSocket runs SDK and raw side by side for each direction and
// size, so that both see the same machine load.
func BenchmarkWebSocket(b *testing.B) {
	for _, dir := range []string{"c2s", "s2c"} {
		for _, size := range benchSizes {
			name := dir + "/" + strconv.Itoa(size)
			b.Run(name+"/sdk", func(b *testing.B) { benchSDK(b, dir, size, false) })
			b.Run(name+"/handler", func(b *testing.B) { benchSDK(b, dir, size, true) })
			b.Run(name+"/raw", func(b *testing.B) { benchRaw(b, dir, size) })
		}
	}
}

// benchSDK measures Dial + Listen, or with handler Dial + Handler on a plain
// http.Server (no WrapListener: frame-by-frame writes on the server side).
func benchSDK(b *testing.B, dir string, size int, handler bool) {
	var c, s *Peer
	if handler {
		c, s = handlerPair(b)
	} else {
		c, s = pair(b, nil, nil)
	}
	src, dst := c, s
	if dir == "s2c" {
		src, dst = s, c
	}
	ctx := context.Background()
	msg := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		for range b.N {
			if err := src.WritePacket(ctx, msg); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := range b.N {
		p, err := dst.ReadPacket(ctx)
		if err != nil || len(p) != size {
			b.Fatalf("read %d: %d bytes, %v", i, len(p), err)
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func handlerPair(b *testing.B) (client, server *Peer) {
	h, err := NewHandler(nil, nil)
	require.NoError(b, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	b.Cleanup(func() {
		srv.Close()
		h.Close()
	})
	client, err = Dial(context.Background(), "ws://"+ln.Addr().String()+"/", nil)
	require.NoError(b, err)
	b.Cleanup(func() { client.Close() })
	server, err = h.Accept(context.Background())
	require.NoError(b, err)
	return client, server
}

// rawPair returns two raw gorilla connections over loopback.
func rawPair(b *testing.B) (client, server *gws.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	ch := make(chan *gws.Conn, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := gws.Upgrader{}
		c, err := up.Upgrade(w, r, nil)
		if err == nil {
			ch <- c
		}
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	client, _, err = gws.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/", nil)
	require.NoError(b, err)
	server = <-ch
	b.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// benchRaw is the same work on raw gorilla connections: WriteMessage from
// one goroutine, NextReader + ReadFull into a reused buffer in another.
func benchRaw(b *testing.B, dir string, size int) {
	c, s := rawPair(b)
	src, dst := c, s
	if dir == "s2c" {
		src, dst = s, c
	}
	msg := make([]byte, size)
	buf := make([]byte, 65536)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		for range b.N {
			if err := src.WriteMessage(gws.BinaryMessage, msg); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := range b.N {
		_, r, err := dst.NextReader()
		if err != nil {
			b.Fatalf("read %d: %v", i, err)
		}
		n, err := io.ReadFull(r, buf[:size])
		if err != nil || n != size {
			b.Fatalf("read %d: %d bytes, %v", i, n, err)
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestPutPacketZeroAlloc checks the hot send path (queueing and the
// server's frame write) allocates nothing once warm. The client is a raw
// socket that does not read, so its allocations do not count.
func TestPutPacketZeroAlloc(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{CloseTimeout: 50 * time.Millisecond})
	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	_, _, err = godotClientHandshake(nc, l.Addr().String(), "/", nil)
	require.NoError(t, err)
	s, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	defer s.Close()
	msg := make([]byte, 64)
	for range 10 { // warm the queue buffers
		require.NoError(t, s.WritePacket(testCtx(t), msg))
	}
	allocs := testing.AllocsPerRun(200, func() {
		if err := s.PutPacket(msg); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "PutPacket allocates")
}

// BenchmarkFrameWatchScan is the frame tracker's cost on the read path:
// one 4 KiB read of 64-byte client messages (about 58 frames).
func BenchmarkFrameWatchScan(b *testing.B) {
	var buf []byte
	for len(buf)+70 <= 4096 {
		buf = append(buf, clientFrame(0x2, make([]byte, 64), true)...)
	}
	frames := len(buf) / len(clientFrame(0x2, make([]byte, 64), true))
	w := newFrameWatch(nil, false)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		w.scan(buf)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
}
