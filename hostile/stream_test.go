package hostile

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/stream"
	"github.com/packetpeer/packetpeer/variant"
)

// rawStream opens a plain TCP connection to a stream server.
func rawStream(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// frame is a PacketPeerStream frame: 4-byte little-endian length, payload.
func frame(payload []byte) []byte {
	return append(le(uint32(len(payload))), payload...)
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := variant.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestStreamLyingLength: a frame header announcing 0x7FFFFFFF bytes followed
// by a few bytes. The server must drop the connection with ErrInvalidData at
// once, without allocating anything like 2 GiB, and keep serving.
func TestStreamLyingLength(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := streamKit()
	s := startServer(t, k)
	before := heapNow()

	c := rawStream(t, s.addr)
	_, err := c.Write(append(le(0x7FFFFFFF), "abcd"...))
	require.NoError(t, err)
	s.expect(t, 5*time.Second, "ErrInvalidData", isOp("conn", peer.ErrInvalidData))
	expectClosedByServer(t, c, 5*time.Second)
	c.Close()

	checkHeap(t, before, 1<<20) // the claim was 2 GiB
	honest(t, k, s.addr)
}

// TestStreamTruncatedFrame: a whole packet, then a header announcing 100
// bytes, 10 bytes, and the client closes. The server's peer must echo the
// packet, then end with an error matching both peer.ErrConnectionError
// (Godot's ERR_CONNECTION_ERROR) and io.ErrUnexpectedEOF (not hang waiting
// for the other 90), and the server keep serving.
func TestStreamTruncatedFrame(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := streamKit()
	s := startServer(t, k)
	before := heapNow()

	c := rawStream(t, s.addr)
	_, err := c.Write(append(frame(marshal(t, "whole")), append(le(100), make([]byte, 10)...)...))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	require.Equal(t, frame(marshal(t, "whole")), expectClosedByServer(t, c, 5*time.Second), "the whole packet was echoed")
	e := s.expect(t, 5*time.Second, "io.ErrUnexpectedEOF", isOp("conn", io.ErrUnexpectedEOF))
	require.ErrorIs(t, e.err, peer.ErrConnectionError)

	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestStreamTruncatedHeader: two bytes of a header, then close.
func TestStreamTruncatedHeader(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := streamKit()
	s := startServer(t, k)

	before := heapNow()
	c := rawStream(t, s.addr)
	_, err := c.Write([]byte{1, 0})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	e := s.expect(t, 5*time.Second, "io.ErrUnexpectedEOF", isOp("conn", io.ErrUnexpectedEOF))
	require.ErrorIs(t, e.err, peer.ErrConnectionError)
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestStreamRandomBytes: 64 KiB of random bytes instead of frames. Whatever
// the bytes say, the server ends the connection with the error the framing
// implies (ErrInvalidData for a length over 65532, io.ErrUnexpectedEOF for a
// frame cut by the close) and keeps serving.
func TestStreamRandomBytes(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := streamKit()
	s := startServer(t, k)
	before := heapNow()

	for seed := range uint64(4) {
		junk := randBytes(rand.New(rand.NewPCG(seed, 99)), 64<<10)
		// What should the server see? Walk the frames as the spec says.
		want := io.ErrUnexpectedEOF
		for off := 0; off < len(junk); {
			if off+4 > len(junk) {
				break
			}
			n := int(binary.LittleEndian.Uint32(junk[off:]))
			if n > stream.DefaultInputBufferMaxSize {
				want = peer.ErrInvalidData
				break
			}
			off += 4 + n
			if off == len(junk) {
				want = io.EOF
			}
		}
		c := rawStream(t, s.addr)
		c.Write(junk) // the server may close before it read everything
		c.Close()
		e := s.expect(t, 5*time.Second, "the connection's end", func(e event) bool { return e.op == "conn" })
		require.ErrorIs(t, e.err, want, "seed %d", seed)
	}
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestStreamSlowReader: a client asks the server to push and never reads a
// byte. The server's puts must fail with ErrTimeout (Config.WriteTimeout)
// once the kernel buffers and the send queue are full, having queued a
// bounded amount; meanwhile other clients are served; the server's goroutine
// for the stuck client is not stuck (it sees the client leave).
func TestStreamSlowReader(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := streamKit()
	s := startServer(t, k)
	before := heapNow()

	c := rawStream(t, s.addr)
	_, err := c.Write(frame(marshal(t, "push")))
	require.NoError(t, err)
	e := s.expect(t, 30*time.Second, "a push timeout", isOp("push", nil))
	require.ErrorIs(t, e.err, peer.ErrTimeout, "push ended after %d bytes", e.n)
	t.Logf("server pushed %d bytes before its put timed out", e.n)
	require.Less(t, e.n, pushLimit)

	honest(t, k, s.addr) // while the stuck client is still connected
	checkHeap(t, before, heapBound)

	require.NoError(t, c.Close())
	s.expect(t, 5*time.Second, "the stuck client's EOF", isOp("conn", nil))
}

// TestStreamIdleConnections: 200 clients connect and send nothing or half a
// header. The server keeps serving others, and what it holds per idle
// connection stays small.
func TestStreamIdleConnections(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := streamKit()
	s := startServer(t, k)
	before := heapNow()

	const n = 200
	for i := range n {
		c := rawStream(t, s.addr)
		if i%2 == 1 {
			_, err := c.Write([]byte{0xFF, 0xFF})
			require.NoError(t, err)
		}
	}
	waitFor(t, 10*time.Second, "every idle client accepted", func() bool { return s.peers.Load() == n })
	honest(t, k, s.addr)
	after := heapNow()
	t.Logf("HEAP %s: %d idle connections hold %d bytes (%d each)", t.Name(), n, int64(after)-int64(before), (int64(after)-int64(before))/n)
	checkHeap(t, before, heapBound)
}

// TestStreamEmptyFrameFlood: 100000 zero-length frames (valid empty
// packets, 400 KB on the wire) then a real value on the same connection.
// Each empty packet is a Variant decoding error (Godot's get_var of an empty
// packet fails with ERR_INVALID_DATA), the connection stays up and the value
// is echoed after them.
func TestStreamEmptyFrameFlood(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := streamKit()
	s := startServer(t, k)
	before := heapNow()

	const n = 100000
	c := rawStream(t, s.addr)
	want := []any{"after", int64(n)}
	msg := append(make([]byte, 4*n), frame(marshal(t, want))...)
	go c.Write(msg) // the echo may come back before the write returns
	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
	var hdr [4]byte
	_, err := io.ReadFull(c, hdr[:])
	require.NoError(t, err)
	payload := make([]byte, binary.LittleEndian.Uint32(hdr[:]))
	_, err = io.ReadFull(c, payload)
	require.NoError(t, err)
	got, _, err := variant.Decode(payload)
	require.NoError(t, err)
	require.True(t, variant.Equal(want, got), "echo %v", got)

	decodeErrs := 0
	for _, e := range s.drain() {
		require.Equal(t, "decode", e.op, "%v", e)
		require.ErrorIs(t, e.err, peer.ErrInvalidData)
		decodeErrs++
	}
	require.Equal(t, n, decodeErrs+int(s.lost.Load()), "every empty packet was read and reported")
	checkHeap(t, before, 1<<20)
}

// TestStreamUnacceptedConnections: 100 clients connect to a Listener whose
// application does not accept. The Listener queues MaxPendingConnections
// (32) and leaves the rest in the kernel's backlog; memory stays bounded;
// once the application accepts again every client is served.
func TestStreamUnacceptedConnections(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, err := stream.Listen("127.0.0.1:0", streamServerConfig())
	require.NoError(t, err)
	s := newServer(t, ln.Addr().String(), adapt(ln.Accept), ln.Close)
	before := heapNow()

	const n = 100
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = rawStream(t, s.addr)
		_, err := conns[i].Write(frame(marshal(t, int64(i))))
		require.NoError(t, err)
	}
	waitFor(t, 10*time.Second, "a connection queued", ln.IsConnectionAvailable)
	checkHeap(t, before, 4<<20)

	s.acceptLoop()
	for i, c := range conns {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		var hdr [4]byte
		_, err := io.ReadFull(c, hdr[:])
		require.NoError(t, err, "client %d was never served", i)
	}
	honest(t, streamKit(), s.addr)
}

// readCounter is an accepted connection that records how much its peer has
// read and how much it had read when its latest read started, so a test
// knows when the peer has taken in everything sent and waits for more.
type readCounter struct {
	net.Conn
	got, waitingAt atomic.Int64
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.waitingAt.Store(c.got.Load())
	n, err := c.Conn.Read(p)
	c.got.Add(int64(n))
	return n, err
}

// countingListener hands out readCounters.
type countingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*readCounter
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &readCounter{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, rc)
	l.mu.Unlock()
	return rc, nil
}

// allWaiting reports whether n connections were accepted and each has read
// want bytes and started another read.
func (l *countingListener) allWaiting(n int, want int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) < n {
		return false
	}
	for _, c := range l.conns {
		if c.waitingAt.Load() != want {
			return false
		}
	}
	return true
}

// liveBytes is the live heap plus the goroutine stacks.
func liveBytes() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

// streamBytesPerStalledConn bounds what a Listener's peer holds while its
// remote end has announced a maximum-size frame (65532 bytes) and sent 16
// bytes of it: the 16 KiB read buffer, the peer's two goroutines and its
// state, but nothing sized by the announced length.
const streamBytesPerStalledConn = 32 << 10

// TestStreamAnnouncedFrameMemory: 1000 connections each announce a
// 65532-byte frame and send 16 bytes of it. What the server holds per
// connection (live heap and stacks, measured once every peer has read those
// bytes and waits for more) must not follow the announced length: at most
// streamBytesPerStalledConn (it was about 83 KiB, the announced frame's
// buffer allocated in full). Then the clients close and every peer ends
// with a truncated-frame error.
func TestStreamAnnouncedFrameMemory(t *testing.T) {
	peertest.CheckGoroutines(t)
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cl := &countingListener{Listener: tln}
	ln := stream.NewListener(cl, streamServerConfig())
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	peers := make(chan *stream.Peer, 4096)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			p, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			peers <- p
		}
	})
	defer func() {
		ln.Close()
		wg.Wait()
	}()

	const n = 1000
	const sent = 16
	msg := append(le(stream.DefaultInputBufferMaxSize), make([]byte, sent)...)
	before := liveBytes()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = rawStream(t, ln.Addr().String())
		_, err := conns[i].Write(msg)
		require.NoError(t, err)
	}
	waitFor(t, 30*time.Second, "every peer waiting for the rest of its frame", func() bool {
		return cl.allWaiting(n, int64(len(msg)))
	})
	after := liveBytes()
	per := (after - before) / n
	t.Logf("MEM %s: %d connections announcing %d bytes and sending %d hold %d bytes (%d per connection, bound %d)",
		t.Name(), n, stream.DefaultInputBufferMaxSize, sent, after-before, per, streamBytesPerStalledConn)
	require.Less(t, per, int64(streamBytesPerStalledConn), "bytes per stalled connection")

	for _, c := range conns {
		c.Close()
	}
	for range n {
		p := <-peers
		_, err := p.ReadPacket(ctx)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.ErrorIs(t, err, peer.ErrConnectionError)
		p.Close()
	}
}
