package websocket

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

func createServer(t testing.TB, cfg *Config) *MultiplayerPeer {
	t.Helper()
	s, err := CreateServer("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func mpURL(s *MultiplayerPeer) string { return "ws://" + s.Addr().String() + "/" }

// A plain WebSocket client (what Godot's WebSocketMultiplayerPeer client
// sees on the wire): the first message is the id as 4 bytes int32 LE, then
// packets travel as they are, with no header, both ways.
func TestMultiplayerWire(t *testing.T) {
	peertest.CheckGoroutines(t)
	s := createServer(t, nil)
	ctx := testCtx(t)
	c, _, err := gws.DefaultDialer.DialContext(ctx, mpURL(s), nil)
	require.NoError(t, err)
	defer c.Close()

	kind, msg, err := c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, gws.BinaryMessage, kind)
	require.Len(t, msg, 4)
	id := int32(binary.LittleEndian.Uint32(msg))
	require.GreaterOrEqual(t, id, int32(2))

	ev, err := s.ReadEvent(ctx)
	require.NoError(t, err)
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerConnected, ID: id}, ev)
	require.Equal(t, "127.0.0.1", s.PeerAddress(id))
	require.Equal(t, c.LocalAddr().(*net.TCPAddr).Port, s.PeerPort(id))
	require.NotNil(t, s.GetPeer(id))
	require.Nil(t, s.GetPeer(id+1))

	require.NoError(t, c.WriteMessage(gws.BinaryMessage, []byte{0x07, 0x01, 0x02}))
	b, info, err := s.ReadPacketFrom(ctx)
	require.NoError(t, err)
	require.Equal(t, []byte{0x07, 0x01, 0x02}, b)
	require.Equal(t, multiplayer.PacketInfo{From: id, Mode: multiplayer.TransferModeReliable}, info)

	// Mode and channel are ignored: still one raw binary message.
	require.NoError(t, s.SendTo(id, multiplayer.TransferModeUnreliable, 3, []byte("xyz")))
	kind, msg, err = c.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, gws.BinaryMessage, kind)
	require.Equal(t, "xyz", string(msg))

	require.Equal(t, DefaultOutboundBufferSize-9, s.MaxPacketSize())
	require.True(t, s.IsServerRelaySupported())
}

// idServer is a WebSocket server that sends each client first whatever
// first returns (nil: nothing), playing a broken or hostile Godot server.
func idServer(t *testing.T, first func() []byte) string {
	t.Helper()
	l := listen(t, nil)
	go func() {
		for {
			p, err := l.Accept(context.Background())
			if err != nil {
				return
			}
			if b := first(); b != nil {
				p.PutPacket(b)
			}
			// The listener's Close closes p.
		}
	}()
	return wsURL(l)
}

// Godot's client accepts only a first message of exactly 4 bytes holding an
// id >= 2, and gives up after handshake_timeout.
func TestMultiplayerClientBadID(t *testing.T) {
	le := func(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
	cases := []struct {
		name  string
		first []byte
		want  error
	}{
		{"3 bytes", []byte{5, 0, 0}, peer.ErrInvalidData},
		{"5 bytes", []byte{5, 0, 0, 0, 0}, peer.ErrInvalidData},
		{"id 0", le(0), peer.ErrInvalidData},
		{"id 1", le(1), peer.ErrInvalidData},
		{"negative id", le(-5), peer.ErrInvalidData},
		{"no id", nil, peer.ErrTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			peertest.CheckGoroutines(t)
			release := make(chan struct{}, 2) // one per connection: send the first message
			url := idServer(t, func() []byte { <-release; return tc.first })
			// Short only where the timeout is the point: a loaded machine
			// may take longer than that to deliver a bad id.
			cfg := &Config{HandshakeTimeout: 5 * time.Second}
			if tc.want == peer.ErrTimeout {
				cfg.HandshakeTimeout = 300 * time.Millisecond
			}
			release <- struct{}{}
			start := time.Now()
			c, err := DialClient(testCtx(t), url, cfg)
			require.Nil(t, c)
			require.ErrorIs(t, err, tc.want)
			require.Less(t, time.Since(start), 10*time.Second)

			// The polling form reports the same: CONNECTING, then DISCONNECTED
			// with no peer_connected.
			p, err := CreateClient(url, cfg)
			require.NoError(t, err)
			defer p.Close()
			require.Equal(t, multiplayer.ConnectionConnecting, p.ConnectionStatus())
			_, err = p.GetPacket()
			require.ErrorIs(t, err, peer.ErrUnconfigured)
			require.ErrorIs(t, p.PutPacket([]byte("x")), peer.ErrUnconfigured)
			release <- struct{}{}
			<-p.m.Connecting().Done()
			require.Equal(t, multiplayer.ConnectionDisconnected, p.ConnectionStatus())
			require.Equal(t, int32(0), p.UniqueID())
			_, ok := p.PollEvent()
			require.False(t, ok)
		})
	}
}

func TestMultiplayerClientServerGone(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	l.Close() // nobody listens there any more
	_, err := DialClient(testCtx(t), wsURL(l), nil)
	require.ErrorIs(t, err, peer.ErrCantConnect)
}

// A client that opens TCP and never sends the upgrade is dropped after
// HandshakeTimeout and counted; it never gets an id; honest clients are
// served meanwhile.
func TestMultiplayerServerHandshakeTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	s := createServer(t, &Config{HandshakeTimeout: time.Second})
	ctx := testCtx(t)
	const idle = 5
	var conns []net.Conn
	for range idle {
		nc, err := net.Dial("tcp", s.Addr().String())
		require.NoError(t, err)
		defer nc.Close()
		conns = append(conns, nc)
	}
	c, err := DialClient(ctx, mpURL(s), nil)
	require.NoError(t, err)
	defer c.Close()
	for _, nc := range conns {
		// Read until the server drops the connection: EOF, not a deadline.
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := nc.Read(make([]byte, 1))
		require.Error(t, err)
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "connection not dropped: %v", err)
	}
	ev, err := s.ReadEvent(ctx)
	require.NoError(t, err)
	require.Equal(t, c.UniqueID(), ev.ID)
	_, more := s.PollEvent()
	require.False(t, more)
	// The listener counts a drop just after closing the connection: poll
	// the counter (no event to wait on).
	for s.Stats().TimedOut < idle {
		select {
		case <-ctx.Done():
			t.Fatalf("TimedOut = %d, want %d", s.Stats().TimedOut, idle)
		case <-time.After(5 * time.Millisecond):
		}
	}
	st := s.Stats()
	require.Equal(t, uint64(idle), st.TimedOut)
	require.Equal(t, uint64(1), st.Accepted)
}

// A refused client is dropped at once and counted.
func TestMultiplayerRefusedCounted(t *testing.T) {
	peertest.CheckGoroutines(t)
	s := createServer(t, nil)
	s.SetRefuseNewConnections(true)
	for range 3 {
		_, err := DialClient(testCtx(t), mpURL(s), nil)
		require.ErrorIs(t, err, peer.ErrCantConnect)
	}
	require.Equal(t, uint64(3), s.Stats().Refused)
	require.Equal(t, uint64(0), s.Stats().Accepted)
}

// Clients that send while the server never reads are held back by TCP flow
// control: the server's shared queue stays within mpQueueBytes and nothing
// is lost.
func TestMultiplayerServerQueueBounded(t *testing.T) {
	peertest.CheckGoroutines(t)
	s := createServer(t, nil)
	ctx := testCtx(t)
	const clients, each, size = 3, 2000, 1024
	done := make(chan error, clients)
	for range clients {
		c, err := DialClient(ctx, mpURL(s), nil)
		require.NoError(t, err)
		defer c.Close()
		ws := c.GetPeer(1)
		go func() {
			pkt := make([]byte, size)
			for range each {
				if err := ws.WritePacket(ctx, pkt); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	// Wait until the queue is full (the clients send 6 times what it holds).
	for s.m.in.Cap() < mpQueueBytes || s.AvailablePacketCount() < mpQueueBytes/(size+2*mpHeader+8) {
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	require.LessOrEqual(t, s.m.in.Cap(), mpQueueBytes)
	for range clients * each {
		b, _, err := s.ReadPacketFrom(ctx)
		require.NoError(t, err)
		require.Len(t, b, size)
	}
	for range clients {
		require.NoError(t, <-done)
	}
	require.LessOrEqual(t, s.m.in.Cap(), mpQueueBytes)
}

// The id decoder accepts exactly the 4-byte messages holding an id >= 2
// and names the problem otherwise.
func FuzzMultiplayerID(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := parseID(b)
		valid := len(b) == 4 && int32(binary.LittleEndian.Uint32(b)) >= 2
		if valid != (err == nil) {
			t.Fatalf("parseID(%x) = %d, %v", b, id, err)
		}
		if err != nil && !errors.Is(err, peer.ErrInvalidData) {
			t.Fatalf("parseID(%x) error %v does not match ErrInvalidData", b, err)
		}
		if err == nil && id != int32(binary.LittleEndian.Uint32(b)) {
			t.Fatalf("parseID(%x) = %d", b, id)
		}
	})
}

// A client that stops reading fills its own send queue only: broadcasts
// report ErrOutOfMemory for it (Godot's send error) and still reach the
// others, and a put to it alone fails without blocking.
func TestMultiplayerStalledClient(t *testing.T) {
	peertest.CheckGoroutines(t)
	s := createServer(t, nil)
	ctx := testCtx(t)
	// The stalled client: a raw connection that reads its id, then nothing.
	stalled, _, err := gws.DefaultDialer.DialContext(ctx, mpURL(s), nil)
	require.NoError(t, err)
	defer stalled.Close()
	_, msg, err := stalled.ReadMessage()
	require.NoError(t, err)
	stalledID := int32(binary.LittleEndian.Uint32(msg))
	honest, err := DialClient(ctx, mpURL(s), nil)
	require.NoError(t, err)
	defer honest.Close()

	pkt := make([]byte, 16<<10)
	var full error
	sent := 0
	for full == nil {
		full = s.SendTo(multiplayer.TargetPeerBroadcast, multiplayer.TransferModeReliable, 0, pkt)
		sent++
		// The honest client keeps up.
		b, err := honest.ReadPacket(ctx)
		require.NoError(t, err)
		require.Len(t, b, len(pkt))
		require.Less(t, sent, 10000, "the stalled client's queue never filled")
	}
	require.ErrorIs(t, full, peer.ErrOutOfMemory)
	// The writer may still move a little into the kernel's buffers; a
	// single put fails as soon as the queue is full again.
	for i := 0; ; i++ {
		err := s.SendTo(stalledID, multiplayer.TransferModeReliable, 0, pkt)
		if err != nil {
			require.ErrorIs(t, err, peer.ErrOutOfMemory)
			break
		}
		require.Less(t, i, 1000, "puts to the stalled client never fail")
	}
	require.NoError(t, s.SendTo(honest.UniqueID(), multiplayer.TransferModeReliable, 0, []byte("still")))
	b, err := honest.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "still", string(b))
}

// The Config fields Godot forwards to every WebSocketPeer of a
// WebSocketMultiplayerPeer apply to the multiplayer peer's connections.
func TestMultiplayerConfigForwarded(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	s := createServer(t, &Config{
		SupportedProtocols: []string{"game-v2", "game-v1"},
		HandshakeHeaders:   map[string][]string{"X-Game": {"lobby"}},
		InboundBufferSize:  1000,
		OutboundBufferSize: 2000,
	})
	require.Equal(t, 2000-9, s.MaxPacketSize())

	c, err := DialClient(ctx, mpURL(s), &Config{SupportedProtocols: []string{"game-v1"}})
	require.NoError(t, err)
	defer c.Close()
	ws := c.GetPeer(1)
	require.Equal(t, "game-v1", ws.SelectedProtocol())
	require.Equal(t, "lobby", ws.ResponseHeader().Get("X-Game"))
	require.Equal(t, mpURL(s), ws.RequestedURL())
	ev, err := s.ReadEvent(ctx)
	require.NoError(t, err)
	require.Equal(t, "game-v1", s.GetPeer(ev.ID).SelectedProtocol())
	cid := c.UniqueID()
	require.Equal(t, cid, ev.ID)

	// A client offering no protocol the server supports is refused.
	_, err = DialClient(ctx, mpURL(s), nil)
	require.ErrorIs(t, err, peer.ErrCantConnect)

	// The server's InboundBufferSize bounds what a client may send.
	require.NoError(t, c.PutPacket(make([]byte, 1001)))
	ev, err = s.ReadEvent(ctx)
	require.NoError(t, err)
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: cid}, ev)
	cev, err := c.ReadEvent(ctx)
	require.NoError(t, err)
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerConnected, ID: 1}, cev)
	cev, err = c.ReadEvent(ctx)
	require.NoError(t, err)
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: 1}, cev)
	require.Equal(t, CloseMessageTooBig, ws.CloseCode())
}
