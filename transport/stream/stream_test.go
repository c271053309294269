package stream

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/variant"
	"github.com/stretchr/testify/require"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pair returns a connected (dialled, accepted) pair over network.
func pair(t *testing.T, network, addr string, cfg *Config) (*Peer, *Peer) {
	t.Helper()
	ln, err := ListenNetwork(network, addr, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	ctx := testCtx(t)
	a, err := DialNetwork(ctx, network, ln.Addr().String(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { a.Close() })
	b, err := ln.Accept(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return a, b
}

func TestConformanceTCP(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		return pair(t, "tcp", "127.0.0.1:0", nil)
	}, peertest.Config{})
}

func TestConformanceUnix(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		return pair(t, "unix", filepath.Join(t.TempDir(), "s.sock"), nil)
	}, peertest.Config{})
}

func TestConformancePipe(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		c1, c2 := net.Pipe()
		return New(c1, nil), New(c2, nil)
	}, peertest.Config{})
}

func TestConformanceTLS(t *testing.T) {
	cert, err := devcert.New()
	require.NoError(t, err)
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		tln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
		require.NoError(t, err)
		ln := NewListener(tln, nil)
		t.Cleanup(func() { ln.Close() })
		// The server handshakes when its peer starts reading, so accept first.
		type res struct {
			p   *Peer
			err error
		}
		accepted := make(chan res, 1)
		go func() {
			b, err := ln.Accept(testCtx(t))
			accepted <- res{b, err}
		}()
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: cert.Pool, ServerName: "localhost"})
		require.NoError(t, err)
		a := New(c, nil)
		r := <-accepted
		require.NoError(t, r.err)
		return a, r.p
	}, peertest.Config{})
}

// rawPair returns a stream Peer dialled to a raw TCP conn on the other end.
func rawPair(t *testing.T, cfg *Config) (*Peer, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	p, err := Dial(testCtx(t), ln.Addr().String(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	raw, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	return p, raw
}

func frame(p []byte) []byte { return appendFrame(nil, p) }

func TestWireFormatOut(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, raw := rawPair(t, nil)
	msgs := [][]byte{[]byte("hello"), {0}, bytes.Repeat([]byte{0xAB}, 1200), bytes.Repeat([]byte{7}, DefaultOutputBufferMaxSize)}
	var want []byte
	for _, m := range msgs {
		require.NoError(t, p.PutPacket(m))
		want = append(want, frame(m)...)
	}
	require.NoError(t, p.PutPacket(nil)) // sends nothing
	require.NoError(t, p.PutVar("hi"))
	// Godot's var_to_bytes("hi"): STRING (4), length 2, "hi" padded to 4.
	want = append(want, 12, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 'h', 'i', 0, 0)
	got := make([]byte, len(want))
	_, err := io.ReadFull(raw, got)
	require.NoError(t, err)
	require.Equal(t, []byte{5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}, got[:9])
	require.True(t, bytes.Equal(want, got), "wire bytes differ from len LE + payload")
}

func TestWireFormatIn(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, raw := rawPair(t, nil)
	ctx := testCtx(t)
	msgs := [][]byte{[]byte("hello"), {}, {1, 2, 3}, bytes.Repeat([]byte{9}, DefaultInputBufferMaxSize)}
	var wire []byte
	for _, m := range msgs {
		wire = append(wire, frame(m)...)
	}
	_, err := raw.Write(wire) // several frames in one write
	require.NoError(t, err)
	for i, m := range msgs {
		got, err := p.ReadPacket(ctx)
		require.NoError(t, err, "packet %d", i)
		require.Equal(t, len(m), len(got), "packet %d", i)
		require.True(t, bytes.Equal(m, got), "packet %d", i)
	}
	// A Godot put_var(Dictionary) frame written by hand: {"a": 1}.
	dict := []byte{27, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 'a', 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0}
	_, err = raw.Write(frame(dict))
	require.NoError(t, err)
	v, err := p.ReadVar(ctx)
	require.NoError(t, err)
	require.Contains(t, fmt.Sprint(v), "a")
}

func TestPartialReads(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, raw := rawPair(t, nil)
	ctx := testCtx(t)
	payload := []byte("one byte at a time, reassembled")
	wire := append(frame(payload), frame([]byte("next"))...)
	for i := range wire {
		_, err := raw.Write(wire[i : i+1])
		require.NoError(t, err)
		if i < 4+len(payload)-1 {
			require.Equal(t, 0, p.AvailablePacketCount(), "a packet appeared before its last byte (byte %d)", i)
		}
	}
	got, err := p.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, payload, got)
	got, err = p.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "next", string(got))
}

func TestOversizeOutgoing(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := pair(t, "tcp", "127.0.0.1:0", nil)
	require.Equal(t, 65532, a.OutputBufferMaxSize())
	require.Equal(t, 65532, a.InputBufferMaxSize())
	require.Equal(t, 65532, a.MaxPacketSize())
	err := a.PutPacket(make([]byte, 65533))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.Contains(t, err.Error(), "65533")
	require.Contains(t, err.Error(), "65532")
	require.NoError(t, a.PutPacket([]byte("still works")))
	got, err := b.ReadPacket(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, "still works", string(got))

	// Smaller configured limits apply to both directions.
	c, d := pair(t, "tcp", "127.0.0.1:0", &Config{InputBufferMaxSize: 100, OutputBufferMaxSize: 200})
	require.ErrorIs(t, c.PutPacket(make([]byte, 201)), peer.ErrInvalidParameter)
	require.NoError(t, c.PutPacket(make([]byte, 150))) // d accepts only 100
	_, err = d.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, peer.ErrInvalidData)
}

func TestHostileLength(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, raw := rawPair(t, nil)
	ctx := testCtx(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	hostile := []byte{0, 0, 0, 0x80} // 2 GiB
	_, err := raw.Write(append(frame([]byte("queued")), hostile...))
	require.NoError(t, err)
	got, err := p.ReadPacket(ctx)
	require.NoError(t, err, "packets before the bad frame are still delivered")
	require.Equal(t, "queued", string(got))
	_, err = p.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrInvalidData)
	require.Contains(t, err.Error(), "2147483648")
	require.ErrorIs(t, p.PacketError(), peer.ErrInvalidData)
	require.ErrorIs(t, p.PutPacket([]byte("x")), peer.ErrInvalidData)
	require.Equal(t, StatusError, p.Status())
	// The peer hung up on the raw end.
	_, err = io.ReadAll(raw)
	require.NoError(t, err, "raw end sees a clean EOF after the disconnect")
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "allocated for the hostile frame")
}

func TestBackPressure(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer ln.Close()
	ctx := testCtx(t)
	a, err := Dial(ctx, ln.Addr().String(), &Config{WriteTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer a.Close()
	b, err := ln.Accept(ctx) // never reads
	require.NoError(t, err)
	defer b.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pkt := make([]byte, 1200)
	sent := 0
	for {
		err := a.PutPacket(pkt)
		if err != nil {
			require.ErrorIs(t, err, peer.ErrTimeout)
			break
		}
		sent++
		require.Less(t, sent, 1<<20, "PutPacket never blocked")
	}
	runtime.ReadMemStats(&after)
	t.Logf("sent %d packets (%d KiB) before blocking", sent, sent*1204>>10)
	require.Less(t, after.HeapInuse, before.HeapInuse+16<<20, "heap grew without bound")
	// The receiver's queue is full and bounded.
	require.LessOrEqual(t, b.AvailablePacketCount()*1204, DefaultReceiveQueueBytes)

	// WritePacket gives a per-call bound.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, a.WritePacket(cctx, pkt), context.DeadlineExceeded)
	require.ErrorIs(t, a.WritePacket(cctx, nil), context.DeadlineExceeded, "an ended context is checked first")

	// The receiver can still read everything that was sent, in order.
	got, err := b.ReadPacket(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1200)

	// Dropping the stuck client does not wait for Linger (5 s by default).
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(DefaultLinger - time.Second):
		t.Fatal("Close of a stuck peer lingered")
	}
}

func TestRemoteCloseDeliversQueued(t *testing.T) {
	peertest.CheckGoroutines(t)
	for _, network := range []string{"tcp", "pipe"} {
		t.Run(network, func(t *testing.T) {
			var a, b *Peer
			if network == "pipe" {
				c1, c2 := net.Pipe()
				a, b = New(c1, nil), New(c2, nil)
				defer b.Close()
			} else {
				a, b = pair(t, "tcp", "127.0.0.1:0", nil)
			}
			const n = 1000
			var buf [4]byte
			for i := range n {
				binary.LittleEndian.PutUint32(buf[:], uint32(i))
				require.NoError(t, a.PutPacket(buf[:]))
			}
			require.Equal(t, StatusConnected, b.Status())
			require.NoError(t, a.Close())
			require.Equal(t, StatusNone, a.Status())
			ctx := testCtx(t)
			for i := range n {
				got, err := b.ReadPacket(ctx)
				require.NoError(t, err, "packet %d", i)
				require.Equal(t, uint32(i), binary.LittleEndian.Uint32(got))
			}
			_, err := b.ReadPacket(ctx)
			require.ErrorIs(t, err, io.EOF)
			_, err = b.GetPacket()
			require.ErrorIs(t, err, io.EOF)
			require.Equal(t, StatusNone, b.Status())
			require.Equal(t, "none", b.Status().String())
		})
	}
}

func TestListener(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, err := Listen("127.0.0.1:0", &Config{MaxPendingConnections: 2})
	require.NoError(t, err)
	ctx := testCtx(t)
	require.False(t, ln.IsConnectionAvailable())
	_, err = ln.TakeConnection()
	require.ErrorIs(t, err, peer.ErrUnavailable)

	// A Godot-style polling server.
	a, err := Dial(ctx, ln.Addr().String(), nil)
	require.NoError(t, err)
	defer a.Close()
	for !ln.IsConnectionAvailable() {
		waitTick(t, ctx)
	}
	b, err := ln.TakeConnection()
	require.NoError(t, err)
	require.Equal(t, a.LocalAddr().String(), b.RemoteAddr().String())
	require.NoError(t, a.PutVar("hi"))
	v, err := b.ReadVar(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", v)

	// Pending connections, more than the queue holds.
	var raws []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		raws = append(raws, c)
	}
	for !ln.IsConnectionAvailable() {
		waitTick(t, ctx)
	}
	require.NoError(t, ln.Close())
	require.NoError(t, ln.Close())
	_, err = ln.TakeConnection()
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = ln.Accept(ctx)
	require.ErrorIs(t, err, net.ErrClosed)
	// The taken peer was closed too.
	_, err = b.ReadPacket(ctx)
	require.ErrorIs(t, err, net.ErrClosed)
	// Every pending or backlogged connection was closed or reset.
	for i, c := range raws {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Read(make([]byte, 1))
		require.Error(t, err, "raw conn %d", i)
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "raw conn %d was left open: %v", i, err)
	}
	// The dialler sees the server's end go away.
	_, err = a.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)
}

func TestDialErrors(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(testCtx(t), addr, nil)
	require.ErrorIs(t, err, peer.ErrCantConnect)
	_, err = Listen("256.0.0.1:0", nil)
	require.ErrorIs(t, err, peer.ErrCantCreate)
	_, err = ListenNetwork("unix", filepath.Join(t.TempDir(), "no", "such", "dir"), nil)
	require.ErrorIs(t, err, peer.ErrCantCreate)
	_, err = DialNetwork(testCtx(t), "udp", "127.0.0.1:1", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = ListenNetwork("udp", "127.0.0.1:0", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
}

func TestNoDelay(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, _ := pair(t, "tcp", "127.0.0.1:0", &Config{DisableNoDelay: true})
	require.NoError(t, a.SetNoDelay(true))
	require.NoError(t, a.SetNoDelay(false))
	c1, c2 := net.Pipe()
	p := New(c1, nil)
	defer p.Close()
	defer c2.Close()
	require.NoError(t, p.SetNoDelay(true), "no-op on non-TCP streams")
	require.Equal(t, c1, p.Stream())
}

func TestPutAllocs(t *testing.T) {
	a, b := pair(t, "tcp", "127.0.0.1:0", nil)
	ctx := testCtx(t)
	done := make(chan error, 1)
	const rounds = 2000
	go func() {
		buf := make([]byte, 0, 64) // AppendPacket: the reader allocates nothing either
		for range rounds + 10 {
			if _, err := b.AppendPacket(ctx, buf[:0]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	pkt := make([]byte, 64)
	for range 10 {
		require.NoError(t, a.PutPacket(pkt))
	}
	allocs := testing.AllocsPerRun(rounds, func() {
		if err := a.PutPacket(pkt); err != nil {
			panic(err)
		}
	})
	require.NoError(t, <-done)
	require.Zero(t, allocs, "PutPacket allocates")
}

// waitTick waits a millisecond, for conditions that have no event to wait on.
func waitTick(t *testing.T, ctx context.Context) {
	t.Helper()
	timer := time.NewTimer(time.Millisecond)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
}

// countingConn counts Write calls on a real connection.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func TestWritesCoalesced(t *testing.T) {
	peertest.CheckGoroutines(t)
	// net.Pipe's Write blocks until the other end reads, and nobody reads c2
	// until every packet is put: everything put while the first Write is
	// pending must go out in a single second Write.
	c1, c2 := net.Pipe()
	defer c2.Close()
	cc := &countingConn{Conn: c1}
	a := New(cc, nil)
	defer a.Close()
	const n = 500
	var want []byte
	for i := range n {
		p := []byte{byte(i), 1, 2, 3}
		require.NoError(t, a.PutPacket(p))
		want = append(want, frame(p)...)
	}
	c2.SetReadDeadline(time.Now().Add(20 * time.Second))
	got := make([]byte, len(want))
	_, err := io.ReadFull(c2, got)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.LessOrEqual(t, cc.writes.Load(), int64(2), "%d packets took %d writes", n, cc.writes.Load())

	// A lone packet is written without waiting for more traffic.
	require.NoError(t, a.PutPacket([]byte("alone")))
	got = make([]byte, 9)
	_, err = io.ReadFull(c2, got)
	require.NoError(t, err)
	require.Equal(t, frame([]byte("alone")), got)
}

// Golden bytes from ../shared/vectors/godot4-variant.json.
const (
	// framed_stream_peer_put_var_int: PacketPeerStream.put_var(42) on the wire.
	vecFramedInt42 = "08000000020000002a000000"
	// dictionary_str_int: var_to_bytes({"a": 1}), framed here by hand.
	vecDictStrInt = "1b000000010000000400000001000000610000000200000001000000"
)

// TestGodotVectors plays a Godot PacketPeerStream with a raw TCP socket.
func TestGodotVectors(t *testing.T) {
	peertest.CheckGoroutines(t)
	p, raw := rawPair(t, nil)
	ctx := testCtx(t)
	dict, _ := hex.DecodeString(vecDictStrInt)
	in, _ := hex.DecodeString(vecFramedInt42)
	in = append(in, frame(dict)...)
	_, err := raw.Write(in)
	require.NoError(t, err)
	v, err := p.ReadVar(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(42), v)
	v, err = p.ReadVar(ctx)
	require.NoError(t, err)
	enc, err := variant.Marshal(v)
	require.NoError(t, err)
	require.Equal(t, dict, enc)

	require.NoError(t, p.PutVar(42))
	require.NoError(t, p.PutVar(variant.NewDictionary("a", 1)))
	want := vecFramedInt42 + hex.EncodeToString(frame(dict))
	got := make([]byte, len(want)/2)
	_, err = io.ReadFull(raw, got)
	require.NoError(t, err)
	require.Equal(t, want, hex.EncodeToString(got))
}

func TestCloseDuringPuts(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := pair(t, "tcp", "127.0.0.1:0", &Config{SendQueueBytes: 1 << 16})
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkt := make([]byte, 1000)
			<-start
			for {
				if err := a.PutPacket(pkt); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	close(start)
	// Let the queue fill (b never reads), then close in the middle of it.
	ctx := testCtx(t)
	for b.AvailablePacketCount() == 0 {
		waitTick(t, ctx)
	}
	require.NoError(t, a.Close())
	wg.Wait()
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, net.ErrClosed)
	}
}

func TestNilStream(t *testing.T) {
	peertest.CheckGoroutines(t)
	p := New(nil, nil)
	_, err := p.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, peer.ErrUnconfigured)
	require.Equal(t, StatusError, p.Status())
	// The first put is queued; the writer's failure is reported after.
	for p.PutPacket([]byte("x")) == nil {
		waitTick(t, testCtx(t))
	}
	require.ErrorIs(t, p.PutPacket([]byte("x")), peer.ErrUnconfigured)
	require.NoError(t, p.Close())
}

func TestConfigClamped(t *testing.T) {
	c := (&Config{InputBufferMaxSize: 1 << 40, OutputBufferMaxSize: -5, SendQueueBytes: 1 << 50}).withDefaults()
	require.Equal(t, MaxBufferMaxSize, c.InputBufferMaxSize)
	require.Equal(t, DefaultOutputBufferMaxSize, c.OutputBufferMaxSize)
	require.Equal(t, MaxBufferMaxSize+4, c.ReceiveQueueBytes)
	require.Equal(t, MaxQueueBytes, c.SendQueueBytes)
	var nilCfg *Config
	d := nilCfg.withDefaults()
	require.Equal(t, 65532, d.InputBufferMaxSize)
	require.Equal(t, 1<<16, d.ReceiveQueueBytes)
	require.Equal(t, DefaultLinger, d.Linger)
}

// TestErrorShape: every error the package makes is a *peer.OpError naming
// the transport, Godot's code and the cause, and reads as one line.
func TestErrorShape(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	check := func(name string, err error, op string, code *peer.Error, cause error) {
		t.Helper()
		var oe *peer.OpError
		require.ErrorAs(t, err, &oe, name)
		require.Equal(t, "stream", oe.Transport, "%s: %v", name, err)
		require.Equal(t, op, oe.Op, "%s: %v", name, err)
		if code != nil {
			require.ErrorIs(t, err, code, name)
			require.Same(t, code, oe.Code, "%s: %v", name, err)
		}
		if cause != nil {
			require.ErrorIs(t, err, cause, name)
		}
		require.True(t, strings.HasPrefix(err.Error(), "stream: "+op+": "), "%s: %q", name, err)
		t.Logf("%s: %v", name, err)
	}

	// Dial and Listen.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(ctx, addr, nil)
	check("dial refused", err, "dial", peer.ErrCantConnect, syscall.ECONNREFUSED)
	_, err = Listen("256.0.0.1:0", nil)
	check("listen", err, "listen", peer.ErrCantCreate, nil)
	_, err = DialNetwork(ctx, "udp", "127.0.0.1:1", nil)
	check("dial udp", err, "dial", peer.ErrInvalidParameter, nil)

	// Puts.
	p, _ := rawPair(t, &Config{WriteTimeout: 100 * time.Millisecond}) // never read
	err = p.PutPacket(make([]byte, DefaultOutputBufferMaxSize+1))
	check("oversize put", err, "put packet", peer.ErrInvalidParameter, nil)
	expired, cancel := context.WithCancel(ctx)
	cancel()
	err = p.WritePacket(expired, []byte("x"))
	check("write with an ended context", err, "write packet", peer.ErrTimeout, context.Canceled)
	for err = nil; err == nil; err = p.PutPacket(make([]byte, 32<<10)) {
	}
	check("write timeout", err, "put packet", peer.ErrTimeout, nil)

	require.NoError(t, p.Close())
	err = p.PutPacket([]byte("x"))
	check("put after Close", err, "put packet", nil, net.ErrClosed)

	// The remote end resets the connection: a failed stream read.
	p, raw := rawPair(t, nil)
	require.NoError(t, raw.(*net.TCPConn).SetLinger(0))
	require.NoError(t, raw.Close())
	_, err = p.ReadPacket(ctx)
	check("connection reset", err, "read packet", peer.ErrConnectionError, syscall.ECONNRESET)
	require.Equal(t, StatusError, p.Status())

	// A frame cut short, and a frame too large.
	p, raw = rawPair(t, nil)
	_, err = raw.Write([]byte{9, 0, 0, 0, 'c', 'u'})
	require.NoError(t, err)
	require.NoError(t, raw.Close())
	_, err = p.ReadPacket(ctx)
	check("truncated frame", err, "read packet", peer.ErrConnectionError, io.ErrUnexpectedEOF)
	require.NotErrorIs(t, err, io.EOF)
	p, raw = rawPair(t, &Config{InputBufferMaxSize: 10})
	_, err = raw.Write([]byte{11, 0, 0, 0})
	require.NoError(t, err)
	_, err = p.ReadPacket(ctx)
	check("oversize frame", err, "read packet", peer.ErrInvalidData, nil)

	// No stream at all.
	p = New(nil, nil)
	defer p.Close()
	_, err = p.ReadPacket(ctx)
	check("no stream", err, "read packet", peer.ErrUnconfigured, nil)
}
