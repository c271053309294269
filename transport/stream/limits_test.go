package stream

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// syncBuffer is a log destination shared by the Listener's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, nil))
}

// dialRaw opens a plain TCP connection to addr, closed at the end of the test.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// TestIdleTimeout: a Listener's peer whose remote end sends nothing, or
// stops in the middle of a frame, is closed after IdleTimeout (not before)
// with an error matching peer.ErrTimeout, after the packets it sent before;
// its puts fail with the same error, the remote end sees the connection
// close, and the Listener counts and logs each as expired.
func TestIdleTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = 200 * time.Millisecond
	var logs syncBuffer
	ln, err := Listen("127.0.0.1:0", &Config{IdleTimeout: idle, Logger: testLogger(&logs)})
	require.NoError(t, err)
	defer ln.Close()
	ctx := testCtx(t)

	cases := []struct {
		name string
		tail []byte // sent after a whole packet, then silence
	}{
		{"silent", nil},
		{"stalled header", []byte{0x60, 0xea}},
		{"stalled frame", append(binary.LittleEndian.AppendUint32(nil, 60000), make([]byte, 100)...)},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := dialRaw(t, ln.Addr().String())
			p, err := ln.Accept(ctx)
			require.NoError(t, err)
			defer p.Close()
			start := time.Now()
			_, err = raw.Write(append(frame([]byte("before")), tc.tail...))
			require.NoError(t, err)
			got, err := p.ReadPacket(ctx)
			require.NoError(t, err)
			require.Equal(t, "before", string(got))
			_, err = p.ReadPacket(ctx)
			require.ErrorIs(t, err, peer.ErrTimeout)
			require.GreaterOrEqual(t, time.Since(start), idle, "closed before IdleTimeout")
			require.Contains(t, err.Error(), "IdleTimeout")
			require.ErrorIs(t, p.PutPacket([]byte("x")), peer.ErrTimeout)
			require.Equal(t, StatusError, p.Status())
			_, err = io.ReadAll(raw)
			require.NoError(t, err, "the remote end sees the connection close")
			require.Equal(t, uint64(i+1), ln.Stats().Expired)
		})
	}
	s := ln.Stats()
	require.Equal(t, uint64(3), s.Accepted)
	require.Equal(t, uint64(3), s.Dropped(), "%+v", s)
	require.Equal(t, 3, strings.Count(logs.String(), "cause=expired"), logs.String())
	require.Contains(t, logs.String(), "transport=stream")
}

// TestIdleTimeoutNotWhileQueueFull: while the application does not read and
// the receive queue is full, the peer is not waiting for its remote end, so
// it does not expire however long that lasts.
func TestIdleTimeoutNotWhileQueueFull(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = 100 * time.Millisecond
	ln, err := Listen("127.0.0.1:0", &Config{IdleTimeout: idle, ReceiveQueuePackets: 2})
	require.NoError(t, err)
	defer ln.Close()
	ctx := testCtx(t)
	raw := dialRaw(t, ln.Addr().String())
	p, err := ln.Accept(ctx)
	require.NoError(t, err)
	defer p.Close()
	const n = 10
	var msg []byte
	for i := range n {
		msg = append(msg, frame([]byte{byte(i)})...)
	}
	_, err = raw.Write(msg)
	require.NoError(t, err)
	// The queue holds 2 packets; the reader waits on it, not on the
	// remote end, for ten idle timeouts.
	<-time.After(10 * idle)
	for i := range n {
		got, err := p.ReadPacket(ctx)
		require.NoError(t, err, "packet %d", i)
		require.Equal(t, []byte{byte(i)}, got)
	}
	require.Zero(t, ln.Stats().Expired)
}

// TestIdleTimeoutDefaults: a Listener's peers get DefaultIdleTimeout unless
// configured, negative disables it; Dial and New peers have none unless
// configured, and a configured one applies to them.
func TestIdleTimeoutDefaults(t *testing.T) {
	peertest.CheckGoroutines(t)
	for _, tc := range []struct {
		cfg              *Config
		listener, dialed time.Duration // 0: no watchdog
	}{
		{nil, DefaultIdleTimeout, 0},
		{&Config{}, DefaultIdleTimeout, 0},
		{&Config{IdleTimeout: time.Hour}, time.Hour, time.Hour},
		{&Config{IdleTimeout: -1}, 0, 0},
	} {
		a, b := pair(t, "tcp", "127.0.0.1:0", tc.cfg)
		for _, x := range []struct {
			p    *Peer
			want time.Duration
		}{{b, tc.listener}, {a, tc.dialed}} {
			if x.want == 0 {
				require.Nil(t, x.p.t.idle, "%+v", tc.cfg)
			} else {
				require.NotNil(t, x.p.t.idle, "%+v", tc.cfg)
				require.Equal(t, x.want, x.p.t.cfg.IdleTimeout)
			}
		}
	}
	p, _ := rawPair(t, &Config{IdleTimeout: 50 * time.Millisecond})
	_, err := p.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, peer.ErrTimeout, "a configured IdleTimeout applies to a dialled peer")
}

// flakyListener fails its first Accept with a transient error.
type flakyListener struct {
	net.Listener
	failed atomic.Bool
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if !l.failed.Swap(true) {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

// TestListenerStats: every drop cause a stream Listener produces is counted
// and logged once: a failed accept, a failed and a timed-out TLS handshake,
// an expired peer, connections still waiting to be taken at Close.
func TestListenerStats(t *testing.T) {
	peertest.CheckGoroutines(t)
	const idle = 200 * time.Millisecond
	ctx := testCtx(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	var logs syncBuffer
	cfg := &Config{IdleTimeout: idle, Logger: testLogger(&logs)}

	// TLS: one client sends garbage instead of a ClientHello, one sends
	// nothing, one handshakes and then goes silent.
	tln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
	require.NoError(t, err)
	ln := NewListener(&flakyListener{Listener: tln}, cfg)
	defer ln.Close()
	garbage := dialRaw(t, ln.Addr().String())
	_, err = garbage.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	p1, err := ln.Accept(ctx)
	require.NoError(t, err)
	defer p1.Close()
	_, err = p1.ReadPacket(ctx)
	require.Error(t, err)
	require.NotErrorIs(t, err, peer.ErrTimeout, "the handshake failed at once")
	require.Equal(t, uint64(2), ln.Stats().Failed, "the failed accept and the failed handshake")

	dialRaw(t, ln.Addr().String()) // silent
	p2, err := ln.Accept(ctx)
	require.NoError(t, err)
	defer p2.Close()
	_, err = p2.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.Equal(t, uint64(1), ln.Stats().TimedOut)

	// The server handshakes when its peer starts reading: accept first.
	accepted := make(chan *Peer, 1)
	go func() {
		p, _ := ln.Accept(ctx)
		accepted <- p
	}()
	tc, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: cert.Pool, ServerName: "localhost"})
	require.NoError(t, err)
	defer tc.Close()
	p3 := <-accepted
	require.NotNil(t, p3)
	defer p3.Close()
	_, err = p3.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.Equal(t, uint64(1), ln.Stats().Expired)

	// Two connections never taken.
	for range 2 {
		dialRaw(t, ln.Addr().String())
	}
	for ln.Stats().Pending < 2 {
		waitTick(t, ctx)
	}
	require.NoError(t, ln.Close())

	s := ln.Stats()
	want := peer.ListenerStats{Accepted: 3, Failed: 2, TimedOut: 1, Expired: 1, Evicted: 2}
	require.Equal(t, want, s.ListenerStats)
	out := logs.String()
	for cause, n := range map[string]int{"cause=failed": 2, `cause="timed out"`: 1, "cause=expired": 1, "cause=evicted": 2} {
		require.Equal(t, n, strings.Count(out, cause), "%s in\n%s", cause, out)
	}
	require.Equal(t, 6, strings.Count(out, "packetpeer: connection dropped"), out)
	require.Contains(t, out, "too many open files")
	require.Contains(t, out, "remote=127.0.0.1:")
}

// TestTruncatedFrame: a frame cut short by the remote end's close (in its
// header or its payload, below and above the reader's buffer size) ends the
// peer with an error matching both peer.ErrConnectionError and
// io.ErrUnexpectedEOF, after every whole packet sent before it.
func TestTruncatedFrame(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	for _, tail := range [][]byte{
		{100},
		{100, 0, 0},
		append(binary.LittleEndian.AppendUint32(nil, 100), make([]byte, 10)...),
		append(binary.LittleEndian.AppendUint32(nil, 60000), make([]byte, 20000)...),
	} {
		p, raw := rawPair(t, nil)
		var msg []byte
		for i := range 3 {
			msg = append(msg, frame(bytes.Repeat([]byte{byte(i)}, 1000*i+1))...)
		}
		_, err := raw.Write(append(msg, tail...))
		require.NoError(t, err)
		require.NoError(t, raw.Close())
		for i := range 3 {
			got, err := p.ReadPacket(ctx)
			require.NoError(t, err, "packet %d", i)
			require.Equal(t, bytes.Repeat([]byte{byte(i)}, 1000*i+1), got)
		}
		_, err = p.ReadPacket(ctx)
		require.ErrorIs(t, err, peer.ErrConnectionError)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.True(t, errors.Is(p.PacketError(), io.ErrUnexpectedEOF))
		require.Equal(t, StatusError, p.Status())
		t.Log(err)
	}
}

// TestWriteTimeout: PutPacket to a TCP remote end that stops reading, with
// the default WriteTimeout and with a negative one. The two take about
// DefaultWriteTimeout each, so they run in parallel.
func TestWriteTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		testWriteTimeoutDefault(t)
	})
	t.Run("negative", func(t *testing.T) {
		t.Parallel()
		testWriteTimeoutNegative(t)
	})
}

// testWriteTimeoutDefault: with the default Config, PutPacket to a TCP
// remote end that stops reading fails with peer.ErrTimeout after
// DefaultWriteTimeout, instead of blocking for ever (as it did when the
// default was 0), and the packet that timed out is not sent.
func testWriteTimeoutDefault(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	remote, err := ln.Accept() // never read
	require.NoError(t, err)
	defer remote.Close()
	// Small kernel buffers: the send queue fills after a few packets.
	require.NoError(t, c.(*net.TCPConn).SetWriteBuffer(8<<10))
	require.NoError(t, remote.(*net.TCPConn).SetReadBuffer(8<<10))
	p := New(c, nil)
	defer p.Close()

	type result struct {
		sent    int
		err     error
		waiting time.Duration // how long the failing put took
	}
	done := make(chan result, 1)
	go func() {
		pkt := make([]byte, 32<<10)
		for sent := 0; ; sent++ {
			start := time.Now()
			if err := p.PutPacket(pkt); err != nil {
				done <- result{sent, err, time.Since(start)}
				return
			}
		}
	}()
	select {
	case r := <-done:
		t.Logf("%d packets of 32 KiB queued or sent, then %v after %v", r.sent, r.err, r.waiting)
		require.ErrorIs(t, r.err, peer.ErrTimeout)
		require.GreaterOrEqual(t, r.waiting, DefaultWriteTimeout)
	case <-time.After(3 * DefaultWriteTimeout):
		p.Close() // lets the blocked put return, so no goroutine is left
		<-done
		t.Fatalf("PutPacket to a remote end that does not read still blocked after %v", 3*DefaultWriteTimeout)
	}
}

// testWriteTimeoutNegative: a negative WriteTimeout waits as long as it
// takes (Godot's blocking put_packet): the put still waits after
// DefaultWriteTimeout, and Close ends the wait with net.ErrClosed.
func testWriteTimeoutNegative(t *testing.T) {
	require.Equal(t, DefaultWriteTimeout, (*Config)(nil).withDefaults().WriteTimeout)
	require.Equal(t, time.Duration(-1), (&Config{WriteTimeout: -1}).withDefaults().WriteTimeout)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	remote, err := ln.Accept() // never read
	require.NoError(t, err)
	defer remote.Close()
	require.NoError(t, c.(*net.TCPConn).SetWriteBuffer(8<<10))
	require.NoError(t, remote.(*net.TCPConn).SetReadBuffer(8<<10))
	p := New(c, &Config{WriteTimeout: -1, Linger: -1})
	done := make(chan error, 1)
	go func() {
		pkt := make([]byte, 32<<10)
		for {
			if err := p.PutPacket(pkt); err != nil {
				done <- err
				return
			}
		}
	}()
	// Wait until a put waits for room, then past DefaultWriteTimeout.
	ctx := testCtx(t)
	start := time.Now()
	for {
		p.t.wr.mu.Lock()
		waiting := p.t.wr.roomWaiters > 0
		p.t.wr.mu.Unlock()
		if waiting {
			break
		}
		waitTick(t, ctx)
	}
	t.Logf("the send queue was full after %v", time.Since(start))
	select {
	case err := <-done:
		t.Fatalf("PutPacket returned %v with a negative WriteTimeout", err)
	case <-time.After(DefaultWriteTimeout + time.Second):
	}
	require.NoError(t, p.Close())
	require.ErrorIs(t, <-done, net.ErrClosed)
}
