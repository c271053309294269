package hostile

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/quic"
)

// rawQUIC is an attacker speaking QUIC with quic-go directly: the TLS and
// ALPN of a packetpeer client, then whatever bytes it likes on the stream.
func rawQUIC(t *testing.T, ctx context.Context, addr string) (*quicgo.Conn, *quicgo.Stream) {
	t.Helper()
	qc, err := quicgo.DialAddr(ctx, addr, &tls.Config{RootCAs: testCert().Pool, ServerName: "127.0.0.1",
		NextProtos: []string{quic.DefaultALPN}}, &quicgo.Config{EnableDatagrams: true})
	require.NoError(t, err)
	t.Cleanup(func() { qc.CloseWithError(0, "") })
	str, err := qc.OpenStreamSync(ctx)
	require.NoError(t, err)
	_, err = str.Write(le(0)) // the empty frame a packetpeer client opens with
	require.NoError(t, err)
	return qc, str
}

// expectAppError waits for qc to be closed by the server and checks the
// application error code (a Godot error code).
func expectAppError(t *testing.T, qc *quicgo.Conn, want *peer.Error) {
	t.Helper()
	select {
	case <-qc.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not close the connection")
	}
	var ae *quicgo.ApplicationError
	require.True(t, errors.As(context.Cause(qc.Context()), &ae), "close cause: %v", context.Cause(qc.Context()))
	require.Equal(t, want.Code(), int(ae.ErrorCode), "application error code (%v)", ae)
}

// TestQUICLyingLength: a reliable frame announcing 0x7FFFFFFF bytes closes
// the connection with ErrInvalidData (the client sees Godot's code 30),
// before anything is allocated for it.
func TestQUICLyingLength(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := quicKit()
	s := startServer(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := heapNow()

	qc, str := rawQUIC(t, ctx, s.addr)
	_, err := str.Write(append(le(0x7FFFFFFF), "abcd"...))
	require.NoError(t, err)
	s.expect(t, 5*time.Second, "ErrInvalidData", isOp("conn", peer.ErrInvalidData))
	expectAppError(t, qc, peer.ErrInvalidData)
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestQUICTruncatedFrame: a whole packet, then the stream ends (FIN) inside
// a frame. The server reads the packet, then its peer ends with an error
// matching both peer.ErrConnectionError and io.ErrUnexpectedEOF, as on every
// reliable transport, and closes the connection with Godot's
// ERR_CONNECTION_ERROR code.
func TestQUICTruncatedFrame(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := quicKit()
	s := startServer(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	before := heapNow()
	qc, str := rawQUIC(t, ctx, s.addr)
	_, err := str.Write(append(frame(marshal(t, "whole")), append(le(100), make([]byte, 10)...)...))
	require.NoError(t, err)
	require.NoError(t, str.Close())
	e := s.expect(t, 5*time.Second, "io.ErrUnexpectedEOF", isOp("conn", io.ErrUnexpectedEOF))
	require.ErrorIs(t, e.err, peer.ErrConnectionError)
	// The server read the whole packet first: it echoed it, or its echo
	// failed because the connection was closing (the FIN means the client
	// closed).
	puts := 0
	for _, e := range s.drain() {
		if e.op == "put" {
			puts++
		}
	}
	require.Equal(t, 1, int(s.echoed.Load())+puts, "the whole packet was not read before the error")
	expectAppError(t, qc, peer.ErrConnectionError)
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestQUICMalformedDatagrams: datagrams with an unknown mode byte or
// shorter than the 4-byte header close the connection with ErrInvalidData.
func TestQUICMalformedDatagrams(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := quicKit()
	s := startServer(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	before := heapNow()
	for _, dg := range [][]byte{{9, 0, 0, 0, 'x'}, {0, 1}} {
		qc, _ := rawQUIC(t, ctx, s.addr)
		require.NoError(t, qc.SendDatagram(dg))
		s.expect(t, 5*time.Second, "ErrInvalidData", isOp("conn", peer.ErrInvalidData))
		expectAppError(t, qc, peer.ErrInvalidData)
	}
	checkHeap(t, before, 1<<20)
	honest(t, k, s.addr)
}

// TestQUICSlowReader: a client asks for a push and never reads. QUIC flow
// control makes the server's PutPacket wait (reliable mode has no write
// timeout); memory stays bounded, others are served, and the waiting put
// ends with an error as soon as the client goes away.
func TestQUICSlowReader(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := quicKit()
	s := startServer(t, k)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := heapNow()

	qc, str := rawQUIC(t, ctx, s.addr)
	_, err := str.Write(frame(marshal(t, "push")))
	require.NoError(t, err)

	honest(t, k, s.addr)
	checkHeap(t, before, heapBound)
	for _, e := range s.drain() {
		require.NotEqual(t, "push", e.op, "the push should still be blocked by flow control, got %v", e)
	}
	qc.CloseWithError(0, "bye")
	e := s.expect(t, 5*time.Second, "the blocked push to fail", isOp("push", nil))
	require.Error(t, e.err, "push of %d bytes", e.n)
	t.Logf("push blocked after %d bytes, then failed with %v", e.n, e.err)
}

// captureQUICFlight returns the first datagrams of a QUIC client's handshake
// (its Initial packets, with a fresh connection ID each time).
func captureQUICFlight(t *testing.T, sink *net.UDPConn) [][]byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if p, err := quicDial(ctx, sink.LocalAddr().String()); err == nil {
			p.Close()
		}
	}()
	var flight [][]byte
	deadline := time.Now().Add(5 * time.Second)
	for {
		require.NoError(t, sink.SetReadDeadline(deadline))
		buf := make([]byte, 2048)
		n, _, err := sink.ReadFromUDP(buf)
		if err != nil {
			break
		}
		flight = append(flight, buf[:n])
		// The rest of the flight follows at once; a retransmission would
		// come only after a probe timeout.
		deadline = time.Now().Add(50 * time.Millisecond)
	}
	cancel()
	<-done
	require.NotEmpty(t, flight)
	return flight
}

// TestQUICAbandonedHandshakes: 40 sources each send a genuine first flight
// (fresh connection IDs) and then go silent, and 100 sockets send random
// datagrams, some shaped like Initial packets. The server keeps serving an
// honest client, memory stays bounded, and no goroutine outlives Close.
func TestQUICAbandonedHandshakes(t *testing.T) {
	peertest.CheckGoroutines(t)
	k := quicKit()
	s := startServer(t, k)
	dst, err := net.ResolveUDPAddr("udp", s.addr)
	require.NoError(t, err)
	sink := udpSockets(t, 1)[0]
	const n = 40
	flights := make([][][]byte, n)
	for i := range flights {
		flights[i] = captureQUICFlight(t, sink)
	}
	before := heapNow()

	for i, sock := range udpSockets(t, n) {
		for _, d := range flights[i] {
			_, err := sock.WriteToUDP(d, dst)
			require.NoError(t, err)
		}
	}
	r := rand.New(rand.NewPCG(9, 10))
	for i, sock := range udpSockets(t, 100) {
		junk := randBytes(r, 1+r.IntN(1400))
		if i%2 == 0 {
			// Long header, Initial, QUIC v1, 8-byte connection IDs, then
			// garbage where the protected payload is; padded to 1200.
			junk = append(junk, make([]byte, max(0, 1200-len(junk)))...)
			copy(junk, []byte{0xC3, 0, 0, 0, 1, 8})
			junk[14] = 8
		}
		_, err := sock.WriteToUDP(junk, dst)
		require.NoError(t, err)
	}
	honest(t, k, s.addr)
	checkHeap(t, before, heapBound)
	require.Equal(t, int64(1), s.peers.Load(), "only the honest client became a peer")
}

// TestQUICUnacceptedConnections: 8 clients connect to a Listener whose
// application does not accept (MaxPendingConnections 2). The Listener holds
// at most 2, quic-go queues a few more and refuses the rest; nothing grows
// without bound, and once the application accepts, new clients are served.
func TestQUICUnacceptedConnections(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := quicServerConfig()
	cfg.MaxPendingConnections = 2
	ln, err := quic.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	s := newServer(t, ln.Addr().String(), adapt(ln.Accept), ln.Close)
	before := heapNow()

	const n = 8
	ok := 0
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		p, err := quicDial(ctx, s.addr)
		cancel()
		if err != nil {
			continue // refused, or queued by quic-go beyond the dial's patience
		}
		ok++
		t.Cleanup(func() { p.Close() })
	}
	t.Logf("%d of %d dials completed while nothing was accepted", ok, n)
	require.LessOrEqual(t, ok, 2, "more connections completed than MaxPendingConnections")
	checkHeap(t, before, heapBound)
	s.acceptLoop()
	honest(t, quicKit(), s.addr)
}

// TestQUICStreamlessConnections: clients that complete the QUIC handshake
// but never open the reliable stream fill every pending slot
// (MaxPendingConnections 8 here, default HandshakeTimeout). An honest client
// must still get in.
func TestQUICStreamlessConnections(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := quicServerConfig()
	cfg.MaxPendingConnections = 8
	cfg.HandshakeTimeout = 0 // the default, 10 s
	ln, err := quic.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	s := newServer(t, ln.Addr().String(), adapt(ln.Accept), ln.Close)
	s.acceptLoop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 8 {
		qc, err := quicgo.DialAddr(ctx, s.addr, &tls.Config{RootCAs: testCert().Pool, ServerName: "127.0.0.1",
			NextProtos: []string{quic.DefaultALPN}}, &quicgo.Config{})
		require.NoError(t, err)
		t.Cleanup(func() { qc.CloseWithError(0, "") })
	}
	hctx, hcancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer hcancel()
	p, err := quicDial(hctx, s.addr)
	require.NoError(t, err, "an honest client could not connect while streamless connections held every slot")
	p.Close()
}
