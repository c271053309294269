package quic

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

func TestTransferModeValues(t *testing.T) {
	// Godot's MultiplayerPeer.TransferMode values.
	require.Equal(t, 0, int(TransferModeUnreliable))
	require.Equal(t, 1, int(TransferModeUnreliableOrdered))
	require.Equal(t, 2, int(TransferModeReliable))
	require.Equal(t, "TRANSFER_MODE_UNRELIABLE_ORDERED", TransferModeUnreliableOrdered.String())
	require.Equal(t, "TransferMode(7)", TransferMode(7).String())
}

func TestDefaultsAndModeSwitch(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, nil)
	require.Equal(t, TransferModeReliable, c.TransferMode(), "default mode is reliable, as Godot's")
	require.Equal(t, DefaultMaxPacketSize, c.MaxPacketSize())
	require.True(t, c.DatagramsEnabled())
	require.Equal(t, DefaultALPN, c.TLSConnectionState().NegotiatedProtocol)
	require.Equal(t, s.LocalAddr().String(), c.RemoteAddr().String())

	err := c.SetTransferMode(TransferMode(3))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.Equal(t, TransferModeReliable, c.TransferMode(), "a refused mode changes nothing")
	require.ErrorIs(t, c.PutPacketMode([]byte("x"), TransferMode(-1)), peer.ErrInvalidParameter)

	require.NoError(t, c.SetTransferMode(TransferModeUnreliable))
	require.Equal(t, c.MaxDatagramSize(), c.MaxPacketSize(), "MaxPacketSize follows the mode")
	require.Greater(t, c.MaxDatagramSize(), 1100)
	require.Less(t, c.MaxDatagramSize(), 1500)
}

// readMode reads one packet and returns a copy with its mode.
func readMode(ctx context.Context, p *Peer) ([]byte, TransferMode, error) {
	b, err := p.ReadPacket(ctx)
	if err != nil {
		return nil, 0, err
	}
	return bytes.Clone(b), p.PacketMode(), nil
}

func TestAllModesOneQueue(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, nil)
	ctx := testCtx(t, 10*time.Second)

	// Reliable: order kept, mode reported.
	for i := range 100 {
		require.NoError(t, c.PutPacket([]byte(fmt.Sprintf("r%03d", i))))
	}
	for i := range 100 {
		b, mode, err := readMode(ctx, s)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("r%03d", i), string(b))
		require.Equal(t, TransferModeReliable, mode)
	}

	// Unreliable: delivered on loopback (resent until seen), mode reported.
	for _, mode := range []TransferMode{TransferModeUnreliable, TransferModeUnreliableOrdered} {
		want := "u-" + mode.String()
		for {
			require.NoError(t, c.PutPacketMode([]byte(want), mode))
			rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			b, got, err := readMode(rctx, s)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				continue
			}
			require.NoError(t, err)
			require.Equal(t, want, string(b))
			require.Equal(t, mode, got)
			break
		}
	}

	// SetTransferMode changes what PutPacket and PutVar use.
	require.NoError(t, s.SetTransferMode(TransferModeUnreliableOrdered))
	for {
		require.NoError(t, s.PutVar("hello"))
		rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		v, err := c.ReadVar(rctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			continue
		}
		require.NoError(t, err)
		require.Equal(t, "hello", v)
		require.Equal(t, TransferModeUnreliableOrdered, c.PacketMode())
		break
	}
}

func TestUnreliableOrderedLive(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, nil)
	require.NoError(t, c.SetTransferMode(TransferModeUnreliableOrdered))
	ctx := testCtx(t, 10*time.Second)
	const n = 300
	var buf [4]byte
	for i := range n {
		binary.LittleEndian.PutUint32(buf[:], uint32(i))
		require.NoError(t, c.PutPacket(buf[:]))
	}
	require.NoError(t, c.PutPacketMode([]byte("end"), TransferModeReliable))
	// Everything received before "end" must be strictly increasing.
	last, got := -1, 0
	for {
		b, mode, err := readMode(ctx, s)
		require.NoError(t, err)
		if mode == TransferModeReliable {
			require.Equal(t, "end", string(b))
			break
		}
		require.Equal(t, TransferModeUnreliableOrdered, mode)
		i := int(binary.LittleEndian.Uint32(b))
		require.Greater(t, i, last, "ordered packet %d arrived after %d", i, last)
		last = i
		got++
	}
	t.Logf("%d of %d ordered datagrams arrived before the reliable marker, %d dropped as late", got, n, s.PeerStats().DroppedLate)
}

func TestOrderFilter(t *testing.T) {
	var f orderFilter
	steps := []struct {
		seq  uint32
		want bool
	}{
		{5, true},  // the first is always accepted
		{5, false}, // duplicate
		{4, false}, // late
		{7, true},  // newer, with a gap (6 lost)
		{6, false}, // arrived after 7: dropped
		{8, true},
		{8 + seqHalf - 1, true}, // far ahead but within half the space
		{8, false},              // now behind
		{seqMask, true},         // wraps below: seqMask is ahead of 8+2^23-1
		{0, true},               // wrap-around: 0 follows 2^24-1
		{seqMask - 1, false},    // before the wrap: late
		{3, true},
		{3 + seqHalf, false},  // exactly half ahead counts as behind
		{(1 << 24) + 4, true}, // only 24 bits count
	}
	for i, st := range steps {
		require.Equal(t, st.want, f.accept(st.seq), "step %d: accept(%d) after %d", i, st.seq, f.last)
	}
}

func TestDatagramHeader(t *testing.T) {
	b := make([]byte, datagramHeaderSize)
	putDatagramHeader(b, TransferModeUnreliableOrdered, 0x123456)
	require.Equal(t, []byte{1, 0x56, 0x34, 0x12}, b)
	require.Equal(t, uint32(0x123456), datagramSeq(b))
}

func TestOversizeDatagram(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, nil)
	ctx := testCtx(t, 10*time.Second)
	limit := c.MaxDatagramSize()
	require.Greater(t, limit, 0)
	for _, n := range []int{limit + 1, 1500, 70000} {
		for _, mode := range []TransferMode{TransferModeUnreliable, TransferModeUnreliableOrdered} {
			err := c.PutPacketMode(make([]byte, n), mode)
			require.ErrorIs(t, err, peer.ErrInvalidParameter, "%d bytes %v", n, mode)
			require.Contains(t, err.Error(), fmt.Sprintf("%d bytes", n))
			require.Contains(t, err.Error(), fmt.Sprint(c.MaxDatagramSize()))
		}
	}
	// Exactly the limit goes through (resent until seen: it is unreliable).
	p := bytes.Repeat([]byte{0xab}, limit)
	for {
		require.NoError(t, c.PutPacketMode(p, TransferModeUnreliable))
		rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		b, err := s.ReadPacket(rctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			continue
		}
		require.NoError(t, err)
		require.Equal(t, p, b)
		break
	}
	// Reliable has its own limit.
	err := c.PutPacket(make([]byte, DefaultMaxPacketSize+1))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.Contains(t, err.Error(), "65533 bytes exceeds max packet size 65532")
	// The connection is still fine.
	require.NoError(t, c.PutPacket([]byte("still open")))
	b, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "still open", string(b))
}

func TestDatagramsDisabled(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, &Config{DisableDatagrams: true})
	for _, p := range []*Peer{c, s} {
		require.False(t, p.DatagramsEnabled())
		require.Equal(t, 0, p.MaxDatagramSize())
		require.ErrorIs(t, p.PutPacketMode([]byte("x"), TransferModeUnreliable), peer.ErrUnavailable)
		require.ErrorIs(t, p.SetTransferMode(TransferModeUnreliableOrdered), peer.ErrUnavailable)
		require.Equal(t, TransferModeReliable, p.TransferMode())
	}
	require.NoError(t, c.PutPacket([]byte("reliable works")))
	b, err := s.ReadPacket(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	require.Equal(t, "reliable works", string(b))
}

func TestLargeReliablePackets(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := &Config{MaxPacketSize: 1 << 20}
	c, s, _ := pair(t, cfg, cfg)
	ctx := testCtx(t, 10*time.Second)
	sizes := []int{1, copyLimit, copyLimit + 1, 200000, 1 << 20}
	go func() {
		for i, n := range sizes {
			if err := c.PutPacket(bytes.Repeat([]byte{byte(i + 1)}, n)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i, n := range sizes {
		b, err := s.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, bytes.Repeat([]byte{byte(i + 1)}, n), b)
	}
}

func TestCloseDeliversPending(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, nil)
	ctx := testCtx(t, 10*time.Second)
	const n = 200
	for i := range n {
		require.NoError(t, c.PutPacket([]byte(fmt.Sprint(i))))
	}
	start := time.Now()
	require.NoError(t, c.Close())
	// The server read everything and closed the connection, so Close did not
	// have to wait for its timeout.
	require.Less(t, time.Since(start), DefaultCloseTimeout)
	for i := range n {
		b, err := s.ReadPacket(ctx)
		require.NoError(t, err, "packet %d", i)
		require.Equal(t, fmt.Sprint(i), string(b))
	}
	_, err := s.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)
	require.ErrorIs(t, s.PutPacket([]byte("x")), io.EOF, "puts fail once the remote end closed")
	require.ErrorIs(t, c.PutPacket([]byte("x")), net.ErrClosed)
}

func TestServerClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, _, l := pair(t, nil, nil)
	ctx := testCtx(t, 10*time.Second)
	errc := make(chan error, 1)
	go func() {
		_, err := c.ReadPacket(ctx)
		errc <- err
	}()
	start := time.Now()
	require.NoError(t, l.Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, io.EOF)
		require.Less(t, time.Since(start), 2*time.Second)
	case <-ctx.Done():
		t.Fatal("the client did not see the server close")
	}
	_, err := l.Accept(ctx)
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = l.TakeConnection()
	require.ErrorIs(t, err, net.ErrClosed)
	require.False(t, l.IsConnectionAvailable())
	require.NoError(t, l.Close())
}

func TestIdleTimeoutBothSilent(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := &Config{IdleTimeout: 300 * time.Millisecond, KeepAlivePeriod: -1}
	c, s, _ := pair(t, cfg, cfg)
	ctx := testCtx(t, 10*time.Second)
	start := time.Now()
	for _, p := range []*Peer{c, s} {
		_, err := p.ReadPacket(ctx)
		require.ErrorIs(t, err, peer.ErrTimeout)
		require.Contains(t, err.Error(), "idle timeout")
	}
	require.Less(t, time.Since(start), 5*time.Second)
	require.ErrorIs(t, c.PutPacket([]byte("x")), peer.ErrTimeout)
}

func TestIdleTimeoutPeerVanishes(t *testing.T) {
	peertest.CheckGoroutines(t)
	// The server sends keep-alives, but the client disappears without a word
	// (its socket closes without CONNECTION_CLOSE): the server times out.
	c, s, _ := pair(t, &Config{IdleTimeout: 400 * time.Millisecond}, nil)
	ctx := testCtx(t, 10*time.Second)
	c.c.tr.Close()
	start := time.Now()
	_, err := s.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestKeepAliveKeepsIdleConnectionOpen(t *testing.T) {
	peertest.CheckGoroutines(t)
	// Keep-alives every 100 ms leave a wide margin on a loaded machine.
	cfg := &Config{IdleTimeout: time.Second, KeepAlivePeriod: 100 * time.Millisecond}
	c, s, _ := pair(t, cfg, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	_, err := s.ReadPacket(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "2.5× the idle timeout passed without a timeout")
	require.NoError(t, c.PutPacket([]byte("alive")))
	b, err := s.ReadPacket(testCtx(t, 5*time.Second))
	require.NoError(t, err)
	require.Equal(t, "alive", string(b))
}

// rawClient dials l with quic-go directly and opens the stream, for tests
// that must send what Dial never would.
func rawClient(t *testing.T, l *Listener) (*quicgo.Conn, *quicgo.Stream) {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	qc, err := quicgo.DialAddr(ctx, l.Addr().String(),
		&tls.Config{RootCAs: testCert(t).Pool, NextProtos: []string{DefaultALPN}},
		&quicgo.Config{EnableDatagrams: true})
	require.NoError(t, err)
	t.Cleanup(func() { qc.CloseWithError(0, "") })
	str, err := qc.OpenStreamSync(ctx)
	require.NoError(t, err)
	return qc, str
}

func TestHostileFrameLength(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	qc, str := rawClient(t, l)
	ctx := testCtx(t, 10*time.Second)
	// A valid packet, then a frame claiming 2 GiB.
	msg := appendFrame(nil, []byte("ok"))
	msg = binary.LittleEndian.AppendUint32(msg, 2<<30)
	_, err := str.Write(msg)
	require.NoError(t, err)

	s, err := l.Accept(ctx)
	require.NoError(t, err)
	b, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", string(b))
	_, err = s.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrInvalidData)
	require.Contains(t, err.Error(), "2147483648")

	// The client was told why, with Godot's code.
	select {
	case <-qc.Context().Done():
	case <-ctx.Done():
		t.Fatal("the connection stayed open")
	}
	ae, ok := errors.AsType[*quicgo.ApplicationError](context.Cause(qc.Context()))
	require.True(t, ok, "close cause %v", context.Cause(qc.Context()))
	require.Equal(t, quicgo.ApplicationErrorCode(peer.ErrInvalidData.Code()), ae.ErrorCode)
	require.NoError(t, s.Close())
}

func TestMalformedDatagram(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	qc, str := rawClient(t, l)
	ctx := testCtx(t, 10*time.Second)
	_, err := str.Write(openMarker[:])
	require.NoError(t, err)
	s, err := l.Accept(ctx)
	require.NoError(t, err)
	require.NoError(t, qc.SendDatagram([]byte{9, 0, 0, 0, 'x'})) // unknown mode 9
	_, err = s.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrInvalidData)
	require.Contains(t, err.Error(), "invalid header")
	require.NoError(t, s.Close())
}

// TestTruncatedStream: the remote end ends its stream (FIN) inside a frame,
// in the header or the payload, after whole packets. The peer delivers the
// whole packets, then fails with an error matching both
// peer.ErrConnectionError and io.ErrUnexpectedEOF, and closes the
// connection with that Godot code (27).
func TestTruncatedStream(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	ctx := testCtx(t, 10*time.Second)
	for _, tail := range [][]byte{
		{10, 0},
		append(binary.LittleEndian.AppendUint32(nil, 10), "short"...),
		append(binary.LittleEndian.AppendUint32(nil, 60000), make([]byte, 30000)...),
	} {
		qc, str := rawClient(t, l)
		var msg []byte
		for i := range 3 {
			msg = appendFrame(msg, bytes.Repeat([]byte{byte(i + 1)}, 1000*i+1))
		}
		_, err := str.Write(append(msg, tail...))
		require.NoError(t, err)
		require.NoError(t, str.Close()) // FIN inside the frame
		s, err := l.Accept(ctx)
		require.NoError(t, err)
		for i := range 3 {
			got, err := s.ReadPacket(ctx)
			require.NoError(t, err, "packet %d", i)
			require.Equal(t, bytes.Repeat([]byte{byte(i + 1)}, 1000*i+1), got)
		}
		_, err = s.ReadPacket(ctx)
		require.ErrorIs(t, err, peer.ErrConnectionError)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.Contains(t, err.Error(), "the stream ended")
		select {
		case <-qc.Context().Done():
		case <-ctx.Done():
			t.Fatal("the peer did not close the connection")
		}
		var ae *quicgo.ApplicationError
		require.ErrorAs(t, context.Cause(qc.Context()), &ae)
		require.Equal(t, peer.ErrConnectionError.Code(), int(ae.ErrorCode))
		require.NoError(t, s.Close())
	}
}

func TestAcceptAndTakeConnection(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	ctx := testCtx(t, 10*time.Second)
	require.False(t, l.IsConnectionAvailable())
	_, err := l.TakeConnection()
	require.ErrorIs(t, err, peer.ErrUnavailable)

	c1, err := Dial(ctx, l.Addr().String(), clientConfig(t, nil))
	require.NoError(t, err)
	defer c1.Close()
	// Godot's polling style: poll until available (bounded by ctx).
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !l.IsConnectionAvailable() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("no connection became available")
		}
	}
	s1, err := l.TakeConnection()
	require.NoError(t, err)
	defer s1.Close()
	require.Equal(t, c1.LocalAddr().(*net.UDPAddr).Port, s1.RemoteAddr().(*net.UDPAddr).Port)

	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err = l.Accept(cctx)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestConcurrentClients(t *testing.T) {
	peertest.CheckGoroutines(t)
	const clients = 100
	l := listen(t, nil)
	ctx := testCtx(t, 60*time.Second)

	// Echo server.
	var swg sync.WaitGroup
	swg.Add(1)
	go func() {
		defer swg.Done()
		for range clients {
			p, err := l.Accept(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			swg.Add(1)
			go func() {
				defer swg.Done()
				defer p.Close()
				b, err := p.ReadPacket(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if err := p.PutPacket(b); err != nil {
					t.Error(err)
				}
				p.ReadPacket(ctx) // until the client closes
			}()
		}
	}()

	// All clients are connected at once; handshakes are limited to 16 at a
	// time so that a starved test machine does not overflow quic-go's accept
	// queue of 32 (refusals are covered by TestListenerRefusesWhenFull).
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	handshakes := make(chan struct{}, 16)
	connected := make(chan struct{})
	var nconn sync.WaitGroup
	nconn.Add(clients)
	go func() { nconn.Wait(); close(connected) }()
	for i := range clients {
		wg.Go(func() {
			handshakes <- struct{}{}
			c, err := Dial(ctx, l.Addr().String(), clientConfig(t, nil))
			<-handshakes
			nconn.Done()
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			select {
			case <-connected:
			case <-ctx.Done():
				return
			}
			msg := []byte(fmt.Sprintf("client %d", i))
			if err := c.PutPacket(msg); err != nil {
				errc <- err
				return
			}
			b, err := c.ReadPacket(ctx)
			if err != nil {
				errc <- fmt.Errorf("client %d read: %w", i, err)
				return
			}
			if !bytes.Equal(b, msg) {
				errc <- fmt.Errorf("client %d got %q", i, b)
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	swg.Wait()
}

func TestDialErrors(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	ctx := testCtx(t, 10*time.Second)

	// A certificate the client does not trust.
	other, err := devcert.New()
	require.NoError(t, err)
	_, err = Dial(ctx, l.Addr().String(), &Config{TLSConfig: &tls.Config{RootCAs: other.Pool}})
	require.ErrorIs(t, err, peer.ErrCantConnect)

	// ... accepted when verification is explicitly skipped.
	c, err := Dial(ctx, l.Addr().String(), &Config{UnsafeSkipVerify: true})
	require.NoError(t, err)
	require.NoError(t, c.Close())

	// A host name the certificate does not name.
	_, err = Dial(ctx, l.Addr().String(), &Config{TLSConfig: &tls.Config{RootCAs: testCert(t).Pool, ServerName: "example.com"}})
	require.ErrorIs(t, err, peer.ErrCantConnect)

	// Another ALPN protocol.
	_, err = Dial(ctx, l.Addr().String(), &Config{TLSConfig: &tls.Config{RootCAs: testCert(t).Pool, NextProtos: []string{"h3"}}})
	require.ErrorIs(t, err, peer.ErrCantConnect)

	// Nobody listening: bounded by HandshakeTimeout.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	pc.Close()
	start := time.Now()
	_, err = Dial(ctx, addr, clientConfig(t, &Config{HandshakeTimeout: 200 * time.Millisecond}))
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.Less(t, time.Since(start), 3*time.Second)

	// A cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Dial(cctx, l.Addr().String(), clientConfig(t, nil))
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.ErrorIs(t, err, context.Canceled)

	_, err = Dial(ctx, "no-such-host.invalid:1", clientConfig(t, nil))
	require.ErrorIs(t, err, peer.ErrCantResolve)
}

func TestConfigErrors(t *testing.T) {
	_, err := Listen("127.0.0.1:0", nil)
	require.ErrorIs(t, err, peer.ErrUnconfigured)
	require.Contains(t, err.Error(), "devcert")
	for _, n := range []int{-1, MaxMaxPacketSize + 1} {
		_, err = Listen("127.0.0.1:0", serverConfig(t, &Config{MaxPacketSize: n}))
		require.ErrorIs(t, err, peer.ErrInvalidParameter)
		_, err = Dial(context.Background(), "127.0.0.1:1", &Config{MaxPacketSize: n})
		require.ErrorIs(t, err, peer.ErrInvalidParameter)
	}
	l, err := Listen("127.0.0.1:0", serverConfig(t, nil))
	require.NoError(t, err)
	_, err = Listen(l.Addr().String(), serverConfig(t, nil))
	require.ErrorIs(t, err, peer.ErrCantCreate, "port in use")
	require.NoError(t, l.Close())
}

func TestReceiverLimitClosesOversizedSender(t *testing.T) {
	peertest.CheckGoroutines(t)
	// The client may send 100 KB, the server accepts 1000 bytes.
	c, s, _ := pair(t, &Config{MaxPacketSize: 1000}, &Config{MaxPacketSize: 100000})
	ctx := testCtx(t, 10*time.Second)
	require.NoError(t, c.PutPacket(make([]byte, 5000)))
	_, err := s.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrInvalidData)
	_, err = c.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrInvalidData, "the sender learns why")
	require.True(t, strings.Contains(err.Error(), "5000"), err.Error())
}

func TestListenerPendingLimit(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{MaxPendingConnections: 1})
	ctx := testCtx(t, 10*time.Second)
	ccfg := clientConfig(t, &Config{HandshakeTimeout: 300 * time.Millisecond})
	c1, err := Dial(ctx, l.Addr().String(), ccfg)
	require.NoError(t, err)
	defer c1.Close()
	// Nobody accepts c1, so the Listener takes no second connection.
	_, err = Dial(ctx, l.Addr().String(), ccfg)
	require.ErrorIs(t, err, peer.ErrCantConnect)
	s1, err := l.Accept(ctx)
	require.NoError(t, err)
	defer s1.Close()
	require.Equal(t, c1.LocalAddr().(*net.UDPAddr).Port, s1.RemoteAddr().(*net.UDPAddr).Port)
}

func TestMigrate(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, nil)
	ctx := testCtx(t, 10*time.Second)
	before := s.RemoteAddr().String()
	require.NoError(t, c.PutPacket([]byte("before")))
	b, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "before", string(b))

	require.NoError(t, c.Migrate(ctx))
	require.NotEqual(t, before, c.LocalAddr().String(), "the client has a new socket")
	// Reliable packets flow both ways on the new path.
	require.NoError(t, c.PutPacket([]byte("after")))
	b, err = s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "after", string(b))
	require.NoError(t, s.PutPacket([]byte("reply")))
	b, err = c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "reply", string(b))
	require.Equal(t, c.LocalAddr().(*net.UDPAddr).Port, s.RemoteAddr().(*net.UDPAddr).Port, "the server follows the client")

	require.ErrorIs(t, s.Migrate(ctx), peer.ErrUnavailable, "servers do not migrate")
}

func TestCloseBothEndsAtOnce(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, nil)
	require.NoError(t, c.PutPacket([]byte("x")))
	require.NoError(t, s.PutPacket([]byte("y")))
	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range []*Peer{c, s} {
		wg.Go(func() { p.Close() })
	}
	wg.Wait()
	// Each end read the other's end of stream and closed the connection, so
	// neither waited for its CloseTimeout.
	require.Less(t, time.Since(start), DefaultCloseTimeout)
}

func TestCloseWakesReadAtOnce(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{CloseTimeout: 2 * time.Second})
	_, str := rawClient(t, l) // a client that never reads nor closes
	_, err := str.Write(openMarker[:])
	require.NoError(t, err)
	ctx := testCtx(t, 10*time.Second)
	s, err := l.Accept(ctx)
	require.NoError(t, err)
	woke := make(chan time.Time, 1)
	go func() {
		_, err := s.ReadPacket(ctx)
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("ReadPacket = %v, want net.ErrClosed", err)
		}
		woke <- time.Now()
	}()
	start := time.Now()
	require.NoError(t, s.Close())
	closed := time.Since(start)
	require.GreaterOrEqual(t, closed, 2*time.Second, "Close waits CloseTimeout for a silent remote")
	require.Less(t, (<-woke).Sub(start), time.Second, "but the read ended at once")
}

// ownAllocs returns how many objects have been allocated so far by this
// module's non-test code: allocations whose innermost github.com/ frame is
// ours (allocations inside quic-go are quic-go's). It needs
// runtime.MemProfileRate = 1.
func ownAllocs() int64 {
	runtime.GC() // the profile is as of the last completed GC
	runtime.GC()
	n, _ := runtime.MemProfile(nil, true)
	recs := make([]runtime.MemProfileRecord, n+100)
	n, _ = runtime.MemProfile(recs, true)
	var total int64
	for _, r := range recs[:n] {
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if strings.HasPrefix(f.Function, "github.com/") {
				// The receive queue's ring grows (once, up to its bound)
				// with what is queued: not an allocation per packet.
				if strings.HasPrefix(f.Function, "github.com/packetpeer/") && !strings.HasSuffix(f.File, "_test.go") &&
					f.Function != "github.com/packetpeer/packetpeer/internal/ringbuf.(*Buffer).grow" {
					total += r.AllocObjects
				}
				break
			}
			if !more {
				break
			}
		}
	}
	return total
}

func TestPutPacketAllocs(t *testing.T) {
	peertest.CheckGoroutines(t)
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()

	ctx := testCtx(t, 20*time.Second)
	c, s, _ := pair(t, nil, nil)
	// Warm up: first packets grow buffers and allocate the queue's ring.
	for _, mode := range []TransferMode{TransferModeReliable, TransferModeUnreliable, TransferModeUnreliableOrdered} {
		require.NoError(t, c.PutPacketMode(make([]byte, 64), mode))
		_, err := s.ReadPacket(ctx)
		require.NoError(t, err)
	}
	const runs = 500
	p := make([]byte, 64)
	for _, mode := range []TransferMode{TransferModeReliable, TransferModeUnreliable, TransferModeUnreliableOrdered} {
		before := ownAllocs()
		for range runs {
			require.NoError(t, c.PutPacketMode(p, mode))
		}
		after := ownAllocs()
		// The reliable path in this package allocates nothing per packet;
		// datagrams are copied by quic-go's SendDatagram, which is quic-go's.
		require.Zero(t, after-before, "%v: allocations by this package for %d puts", mode, runs)
		// Drain what arrived (datagrams may be lost).
		for s.AvailablePacketCount() > 0 {
			_, err := s.GetPacket()
			require.NoError(t, err)
		}
	}
}

func TestListenerCloseClosesPending(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	ctx := testCtx(t, 10*time.Second)
	c, err := Dial(ctx, l.Addr().String(), clientConfig(t, nil))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.PutPacket([]byte("never read")))
	// Nobody accepted the connection; closing the Listener closes it too.
	require.NoError(t, l.Close())
	_, err = c.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)
}

// TestWritePacketStopsAtFlowControl: when the server stops reading, QUIC
// flow control stops the client's reliable stream; WritePacket then gives
// up when its context ends instead of waiting forever as PutPacket does.
func TestWritePacketStopsAtFlowControl(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s, _ := pair(t, nil, nil)
	defer c.Close()
	defer s.Close()
	pkt := make([]byte, 60000)
	var err error
	sent := 0
	for ; sent < 2000 && err == nil; sent++ { // 2000 packets (120 MB) far exceed any window
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err = c.WritePacket(ctx, pkt)
		cancel()
	}
	require.Error(t, err, "2000 packets of 60000 bytes went to a peer that never reads")
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	t.Logf("WritePacket timed out after %d packets: %v", sent, err)
	// The server still holds whole packets only.
	got, rerr := s.ReadPacket(testCtx(t, 10*time.Second))
	require.NoError(t, rerr)
	require.Len(t, got, len(pkt))
}
