package websocket

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// listen starts a Listener on 127.0.0.1 closed at the end of the test.
func listen(t testing.TB, cfg *Config) *Listener {
	t.Helper()
	l, err := Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

func wsURL(l *Listener) string { return "ws://" + l.Addr().String() + "/test" }

// pair returns a dialled client and the server's accepted peer.
func pair(t testing.TB, scfg, ccfg *Config) (client, server *Peer) {
	t.Helper()
	l := listen(t, scfg)
	ctx := testCtx(t)
	client, err := Dial(ctx, wsURL(l), ccfg)
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	server, err = l.Accept(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { server.Close() })
	return client, server
}

func TestConformance(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		c, s := pair(t, nil, nil)
		return c, s
	}, peertest.Config{})
}

func TestConformanceServerToClient(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		c, s := pair(t, nil, nil)
		return s, c
	}, peertest.Config{})
}

func readPacket(t *testing.T, p *Peer) []byte {
	t.Helper()
	b, err := p.ReadPacket(testCtx(t))
	require.NoError(t, err)
	return append([]byte(nil), b...)
}

func TestTextAndBinary(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s := pair(t, nil, nil)
	require.NoError(t, c.SendText("héllo"))
	require.NoError(t, c.Send([]byte{0, 1, 2}, WriteModeBinary))
	require.NoError(t, c.Send([]byte("txt"), WriteModeText))
	require.NoError(t, c.PutPacket([]byte("bin")))
	require.NoError(t, c.Send(nil, WriteModeText)) // an empty message is sent by Send

	require.Equal(t, "héllo", string(readPacket(t, s)))
	require.True(t, s.WasStringPacket())
	require.Equal(t, []byte{0, 1, 2}, readPacket(t, s))
	require.False(t, s.WasStringPacket())
	require.Equal(t, "txt", string(readPacket(t, s)))
	require.True(t, s.WasStringPacket())
	require.Equal(t, "bin", string(readPacket(t, s)))
	require.False(t, s.WasStringPacket())
	require.Empty(t, readPacket(t, s))
	require.True(t, s.WasStringPacket())

	require.ErrorIs(t, c.SendText("\xff"), peer.ErrInvalidParameter)
	require.ErrorIs(t, c.Send([]byte("x"), WriteMode(7)), peer.ErrInvalidParameter)

	// Raw gorilla side sees the right opcodes from the server.
	require.NoError(t, s.SendText("to-client"))
	require.Equal(t, "to-client", string(readPacket(t, c)))
	require.True(t, c.WasStringPacket())
}

func TestStatesAndCloseCodes(t *testing.T) {
	peertest.CheckGoroutines(t)
	for _, tc := range []struct {
		name   string
		code   int
		reason string
	}{
		{"normal", 1000, ""},
		{"custom", 4321, "game over"},
		{"going away", 1001, "bye"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, clientCloses := range []bool{true, false} {
				c, s := pair(t, nil, nil)
				a, b := c, s
				if !clientCloses {
					a, b = s, c
				}
				require.Equal(t, StateOpen, a.ReadyState())
				require.Equal(t, StateOpen, b.ReadyState())
				require.Equal(t, -1, a.CloseCode())
				require.NoError(t, a.PutPacket([]byte("last words")))
				require.NoError(t, a.CloseWithCode(tc.code, tc.reason))
				st := a.ReadyState()
				require.True(t, st == StateClosing || st == StateClosed, "state after CloseWithCode = %v", st)
				require.ErrorIs(t, a.PutPacket([]byte("x")), peer.ErrFailed)

				// b gets the data sent before the close, then the close.
				require.Equal(t, "last words", string(readPacket(t, b)))
				_, err := b.ReadPacket(testCtx(t))
				var ce *CloseError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, tc.code, ce.Code)
				require.Equal(t, tc.reason, ce.Reason)
				require.Equal(t, tc.code == 1000 || tc.code == 1001, errors.Is(err, io.EOF))
				<-b.Disconnected()
				require.Equal(t, StateClosed, b.ReadyState())
				require.Equal(t, tc.code, b.CloseCode())
				require.Equal(t, tc.reason, b.CloseReason())

				// a gets b's answer: the same code (gorilla echoes it, without reason).
				<-a.Disconnected()
				require.Equal(t, StateClosed, a.ReadyState())
				require.Equal(t, tc.code, a.CloseCode())
				require.ErrorIs(t, b.PutPacket([]byte("x")), peer.ErrFailed)
				require.NoError(t, a.Close())
				require.NoError(t, b.Close())
				require.ErrorIs(t, a.PutPacket([]byte("x")), net.ErrClosed)
			}
		})
	}
}

func TestCloseDefaultCode(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s := pair(t, nil, nil)
	require.NoError(t, c.Close())
	_, err := s.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, 1000, s.CloseCode())
	require.Equal(t, StateClosed, s.ReadyState())
	require.Equal(t, StateClosed, c.ReadyState())
	require.Equal(t, 1000, c.CloseCode())
}

func TestCloseInvalid(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, _ := pair(t, nil, nil)
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 2000, 5000} {
		require.ErrorIs(t, c.CloseWithCode(code, ""), peer.ErrInvalidParameter, "code %d", code)
	}
	require.ErrorIs(t, c.CloseWithCode(1000, strings.Repeat("x", 124)), peer.ErrInvalidParameter)
	require.Equal(t, StateOpen, c.ReadyState())
}

func TestHardClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s := pair(t, nil, nil)
	require.NoError(t, c.CloseWithCode(-1, ""))
	require.Equal(t, StateClosed, c.ReadyState())
	require.Equal(t, -1, c.CloseCode())
	_, err := s.ReadPacket(testCtx(t))
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, -1, ce.Code)
	require.False(t, errors.Is(err, io.EOF), "an unclean close is not io.EOF: %v", err)
	require.Equal(t, -1, s.CloseCode())
	require.Equal(t, StateClosed, s.ReadyState())
}

func TestOversizeMessage(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s := pair(t, &Config{InboundBufferSize: 1000}, nil)
	require.NoError(t, c.PutPacket(make([]byte, 1000))) // exactly the limit passes
	require.Len(t, readPacket(t, s), 1000)
	require.NoError(t, c.PutPacket(make([]byte, 1001)))
	_, err := s.ReadPacket(testCtx(t))
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, CloseMessageTooBig, ce.Code)
	require.ErrorIs(t, err, peer.ErrOutOfMemory)
	require.Equal(t, CloseMessageTooBig, s.CloseCode())
	_, err = c.ReadPacket(testCtx(t))
	require.ErrorAs(t, err, &ce)
	require.Equal(t, CloseMessageTooBig, ce.Code)
	require.Equal(t, CloseMessageTooBig, c.CloseCode())
}

func TestOutboundLimits(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, _ := pair(t, nil, &Config{OutboundBufferSize: 100, MaxQueuedPackets: 3})
	require.Equal(t, 100, c.MaxPacketSize())
	err := c.PutPacket(make([]byte, 101))
	require.ErrorIs(t, err, peer.ErrOutOfMemory)
	require.Contains(t, err.Error(), "OutboundBufferSize")
	require.ErrorIs(t, c.WritePacket(testCtx(t), make([]byte, 101)), peer.ErrOutOfMemory)
}

func TestSlowClientQueueFills(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{OutboundBufferSize: 1 << 16, MaxQueuedPackets: 64})
	// A raw client that never reads: the server's queue fills, PutPacket
	// fails with ErrOutOfMemory instead of blocking.
	raw, _, err := gws.DefaultDialer.DialContext(testCtx(t), wsURL(l), nil)
	require.NoError(t, err)
	defer raw.Close()
	s, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	// Fill the socket buffers until the writer is stuck: a WritePacket
	// that finds no room for 500 ms.
	msg := make([]byte, 1000)
	for total := 0; ; total += len(msg) {
		require.Less(t, total, 1<<30, "the writer never blocked")
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := s.WritePacket(ctx, msg)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			break
		}
	}
	require.ErrorIs(t, s.PutPacket(msg), peer.ErrOutOfMemory)
	require.Positive(t, s.CurrentOutboundBufferedAmount())
	// Close is bounded by CloseTimeout even though the client never reads.
	start := time.Now()
	require.NoError(t, s.Close())
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestWritePacketWaitsForRoom(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, s := pair(t, nil, &Config{MaxQueuedPackets: 2})
	const n = 2000
	errc := make(chan error, 1)
	go func() {
		ctx := testCtx(t)
		for i := 0; i < n; i++ {
			if err := c.WritePacket(ctx, []byte{byte(i)}); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < n; i++ {
		require.Equal(t, []byte{byte(i)}, readPacket(t, s))
	}
	require.NoError(t, <-errc)
}

func TestHeartbeatDropsSilentPeer(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{HeartbeatInterval: 50 * time.Millisecond})
	raw, _, err := gws.DefaultDialer.DialContext(testCtx(t), wsURL(l), nil)
	require.NoError(t, err)
	defer raw.Close()
	raw.SetPingHandler(func(string) error { return nil }) // never answers
	rawDone := make(chan struct{})
	go func() { // read so the ping handler runs
		defer close(rawDone)
		for {
			if _, _, err := raw.NextReader(); err != nil {
				return
			}
		}
	}()
	s, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	select {
	case <-s.Disconnected():
	case <-time.After(5 * time.Second):
		t.Fatal("silent peer was not dropped")
	}
	require.Equal(t, -1, s.CloseCode())
	_, err = s.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, peer.ErrTimeout)
	<-rawDone
}

func TestHeartbeatKeepsLivePeer(t *testing.T) {
	peertest.CheckGoroutines(t)
	// Generous interval: a pong must come back within one interval even on
	// a loaded CI machine under the race detector.
	const hb = 250 * time.Millisecond
	c, s := pair(t, &Config{HeartbeatInterval: hb}, &Config{HeartbeatInterval: hb})
	// Four intervals with pings answered: still open.
	timer := time.NewTimer(4 * hb)
	select {
	case <-s.Disconnected():
		t.Fatal("live peer dropped")
	case <-c.Disconnected():
		t.Fatal("live peer dropped")
	case <-timer.C:
	}
	require.NoError(t, c.PutPacket([]byte("alive")))
	require.Equal(t, "alive", string(readPacket(t, s)))
}

func TestHandshakeTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{HandshakeTimeout: 100 * time.Millisecond})
	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = nc.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "server must drop a client that sends nothing")
	require.False(t, l.IsConnectionAvailable())
}

func TestSubprotocols(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{SupportedProtocols: []string{"godot-chat", "v2"}})
	ctx := testCtx(t)

	// Client order wins among supported protocols.
	c, err := Dial(ctx, wsURL(l), &Config{SupportedProtocols: []string{"other", "v2", "godot-chat"}})
	require.NoError(t, err)
	require.Equal(t, "v2", c.SelectedProtocol())
	s, err := l.Accept(ctx)
	require.NoError(t, err)
	require.Equal(t, "v2", s.SelectedProtocol())
	c.Close()
	s.Close()

	// No match: refused.
	_, err = Dial(ctx, wsURL(l), &Config{SupportedProtocols: []string{"nope"}})
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.Contains(t, err.Error(), "400")
	// Server requires a protocol, client offers none: refused (as Godot).
	_, err = Dial(ctx, wsURL(l), nil)
	require.ErrorIs(t, err, peer.ErrCantConnect)

	// A server without protocols never answers one the client did not ask
	// for, and the raw header gorilla would send is checked by the client.
	l2 := listen(t, nil)
	c, err = Dial(ctx, wsURL(l2), nil)
	require.NoError(t, err)
	require.Equal(t, "", c.SelectedProtocol())
	c.Close()
	// A client offering protocols to a server that ignores them fails, as Godot's.
	_, err = Dial(ctx, wsURL(l2), &Config{SupportedProtocols: []string{"x"}})
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.False(t, l.IsConnectionAvailable())
}

func TestHandshakeHeadersAndURL(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{HandshakeHeaders: map[string][]string{"X-Server": {"yes"}}})
	ctx := testCtx(t)
	c, err := Dial(ctx, "ws://"+l.Addr().String()+"/room/1?x=2", &Config{HandshakeHeaders: map[string][]string{"X-Client": {"hi"}}})
	require.NoError(t, err)
	defer c.Close()
	s, err := l.Accept(ctx)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "hi", s.Request().Header.Get("X-Client"))
	require.Equal(t, "yes", c.ResponseHeader().Get("X-Server"))
	require.Equal(t, "ws://"+l.Addr().String()+"/room/1?x=2", s.RequestedURL())
	require.Equal(t, "ws://"+l.Addr().String()+"/room/1?x=2", c.RequestedURL())
	require.Equal(t, "127.0.0.1", c.ConnectedHost())
	require.Equal(t, l.Addr().(*net.TCPAddr).Port, c.ConnectedPort())
	require.Equal(t, c.LocalAddr().String(), s.RemoteAddr().String())
	require.NoError(t, c.SetNoDelay(false))
	require.NoError(t, c.SetNoDelay(true))

	_, err = Listen("127.0.0.1:0", &Config{HandshakeHeaders: map[string][]string{"Connection": {"keep-alive"}}})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
}

func TestDialErrors(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	_, err := Dial(ctx, "", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = Dial(ctx, "http://127.0.0.1:1/", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = Dial(ctx, "ws://127.0.0.1:1/", nil) // nothing listens on port 1
	require.ErrorIs(t, err, peer.ErrCantConnect)
	_, err = Dial(ctx, "ws://127.0.0.1:1/", &Config{HeartbeatInterval: -1})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)

	// A URL without scheme means ws://.
	l := listen(t, nil)
	c, err := Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	c.Close()
}

func TestOriginCheck(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	withOrigin := func(o string) *Config {
		return &Config{HandshakeHeaders: map[string][]string{"Origin": {o}}}
	}
	l := listen(t, nil)
	_, err := Dial(ctx, wsURL(l), withOrigin("http://evil.example"))
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.Contains(t, err.Error(), "403")
	c, err := Dial(ctx, wsURL(l), withOrigin("http://"+l.Addr().String()))
	require.NoError(t, err)
	c.Close()

	l2 := listen(t, &Config{AllowedOrigins: []string{"https://game.example"}})
	c, err = Dial(ctx, wsURL(l2), withOrigin("https://GAME.example"))
	require.NoError(t, err)
	c.Close()
	_, err = Dial(ctx, wsURL(l2), withOrigin("https://other.example"))
	require.ErrorIs(t, err, peer.ErrCantConnect)
}

func TestListenerCloseClosesPeers(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	ctx := testCtx(t)
	c1, err := Dial(ctx, wsURL(l), nil)
	require.NoError(t, err)
	defer c1.Close()
	c2, err := Dial(ctx, wsURL(l), nil)
	require.NoError(t, err)
	defer c2.Close()
	s1, err := l.Accept(ctx) // accepted
	require.NoError(t, err)
	// c2's server side stays pending.
	for !l.IsConnectionAvailable() {
		select {
		case <-ctx.Done():
			t.Fatal("second connection never pending")
		case <-time.After(time.Millisecond):
		}
	}
	require.NoError(t, l.Close())
	_, err = c1.ReadPacket(ctx)
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, CloseGoingAway, ce.Code)
	_, err = c2.ReadPacket(ctx)
	require.ErrorAs(t, err, &ce)
	require.Equal(t, CloseGoingAway, ce.Code)
	require.ErrorIs(t, s1.PutPacket([]byte("x")), net.ErrClosed)
	_, err = l.Accept(ctx)
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = l.TakeConnection()
	require.ErrorIs(t, err, net.ErrClosed)
}

func TestTakeConnection(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	_, err := l.TakeConnection()
	require.ErrorIs(t, err, peer.ErrUnavailable)
	c, err := Dial(testCtx(t), wsURL(l), nil)
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)
	for !l.IsConnectionAvailable() {
		select {
		case <-ctx.Done():
			t.Fatal("no connection available")
		case <-time.After(time.Millisecond):
		}
	}
	s, err := l.TakeConnection()
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutPacket([]byte("hi")))
	require.Equal(t, "hi", string(readPacket(t, c)))
}

func TestPendingLimit(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{MaxPendingConnections: 1})
	ctx := testCtx(t)
	c1, err := Dial(ctx, wsURL(l), nil)
	require.NoError(t, err)
	defer c1.Close()
	for !l.IsConnectionAvailable() {
		select {
		case <-ctx.Done():
			t.Fatal("first connection never pending")
		case <-time.After(time.Millisecond):
		}
	}
	_, err = Dial(ctx, wsURL(l), nil)
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.Contains(t, err.Error(), "503")
	s, err := l.TakeConnection()
	require.NoError(t, err)
	defer s.Close()
	c3, err := Dial(ctx, wsURL(l), nil) // room again
	require.NoError(t, err)
	c3.Close()
}
