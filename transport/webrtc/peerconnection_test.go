package webrtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/stretchr/testify/require"
)

func TestStatesThroughClose(t *testing.T) {
	checkGoroutines(t)
	var mu sync.Mutex
	var seen []ConnectionState
	pr := newPair(t, func(c *Config) {
		c.OnConnectionStateChange = func(s ConnectionState) {
			mu.Lock()
			seen = append(seen, s)
			mu.Unlock()
		}
	})
	require.Equal(t, StateNew, pr.a.ConnectionState())
	require.Equal(t, GatheringStateNew, pr.a.GatheringState())
	require.Equal(t, SignalingStateStable, pr.a.SignalingState())

	ca, err := pr.a.CreateDataChannel("events", nil)
	require.NoError(t, err)
	require.Equal(t, ChannelConnecting, ca.ReadyState())
	require.Equal(t, Unset, ca.ID(), "in-band id is unknown before the connection")
	err = ca.PutPacket([]byte("early"))
	require.ErrorIs(t, err, peer.ErrFailed, "Godot fails put_packet on a channel that is not open")
	require.Contains(t, err.Error(), "STATE_CONNECTING")

	require.NoError(t, pr.a.CreateOffer())
	ctx := ctxT(t)
	require.NoError(t, ca.WaitOpen(ctx))
	var cb *DataChannel
	select {
	case cb = <-pr.received:
	case <-ctx.Done():
		t.Fatal("no data_channel_received")
	}
	require.NoError(t, cb.WaitOpen(ctx))
	require.Equal(t, StateConnected, pr.a.ConnectionState())
	require.Equal(t, StateConnected, pr.b.ConnectionState())
	require.Equal(t, SignalingStateStable, pr.a.SignalingState())
	require.Equal(t, ChannelOpen, ca.ReadyState())
	require.NotEqual(t, Unset, ca.ID())
	require.Equal(t, ca.ID(), cb.ID())

	// The remote closing a channel: queued packets are read, then io.EOF.
	require.NoError(t, cb.PutPacket([]byte("last words")))
	got, err := ca.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "last words", string(got))
	require.NoError(t, cb.Close())
	_, err = ca.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)
	require.Eventually(t, func() bool { return ca.ReadyState() == ChannelClosed }, 10*time.Second, 5*time.Millisecond)
	require.ErrorIs(t, ca.PutPacket([]byte("x")), peer.ErrFailed)
	require.ErrorIs(t, cb.PutPacket([]byte("x")), net.ErrClosed)

	require.NoError(t, pr.a.Close())
	require.NoError(t, pr.a.Close(), "second Close")
	require.Equal(t, StateClosed, pr.a.ConnectionState())
	require.Equal(t, SignalingStateClosed, pr.a.SignalingState())
	_, err = pr.a.CreateDataChannel("late", nil)
	require.ErrorIs(t, err, net.ErrClosed)
	require.ErrorIs(t, pr.a.AddICECandidate("0", 0, "candidate:x"), net.ErrClosed)
	require.Eventually(t, func() bool {
		s := pr.b.ConnectionState()
		return s == StateDisconnected || s == StateFailed || s == StateClosed
	}, 30*time.Second, 10*time.Millisecond, "the remote notices the close")
	pr.b.Close()
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, seen, StateConnecting)
	require.Contains(t, seen, StateConnected)
}

func TestInBandChannelOptions(t *testing.T) {
	checkGoroutines(t)
	pr := newPair(t, nil)
	type spec struct {
		label string
		opts  DataChannelConfig
	}
	specs := []spec{
		{"default", DataChannelConfig{}},
		{"unordered-rtx", DataChannelConfig{Ordered: Ptr(false), MaxRetransmits: Ptr(2), Protocol: "game-v1"}},
		{"lifetime", DataChannelConfig{MaxPacketLifeTime: Ptr(250)}},
		{"rtx0", DataChannelConfig{Ordered: Ptr(false), MaxRetransmits: Ptr(0)}},
	}
	local := map[string]*DataChannel{}
	for _, s := range specs {
		dc, err := pr.a.CreateDataChannel(s.label, &s.opts)
		require.NoError(t, err)
		local[s.label] = dc
	}
	require.NoError(t, pr.a.CreateOffer())
	ctx := ctxT(t)
	remote := map[string]*DataChannel{}
	for range specs {
		select {
		case dc := <-pr.received:
			remote[dc.Label()] = dc
		case <-ctx.Done():
			t.Fatal("missing data_channel_received")
		}
	}
	check := func(dc *DataChannel, s spec) {
		t.Helper()
		require.NoError(t, dc.WaitOpen(ctx))
		require.Equal(t, s.label, dc.Label())
		require.Equal(t, s.opts.Protocol, dc.Protocol())
		require.Equal(t, s.opts.Ordered == nil || *s.opts.Ordered, dc.IsOrdered())
		require.False(t, dc.IsNegotiated())
		wantLife, wantRtx := Unset, Unset
		if s.opts.MaxPacketLifeTime != nil {
			wantLife = *s.opts.MaxPacketLifeTime
		}
		if s.opts.MaxRetransmits != nil {
			wantRtx = *s.opts.MaxRetransmits
		}
		require.Equal(t, wantLife, dc.MaxPacketLifeTime())
		require.Equal(t, wantRtx, dc.MaxRetransmits())
		require.Equal(t, wantLife == Unset && wantRtx == Unset, dc.IsReliable())
		require.Equal(t, WriteModeBinary, dc.WriteMode())
		require.GreaterOrEqual(t, dc.BufferedAmount(), 0)
	}
	for _, s := range specs {
		check(local[s.label], s)
		check(remote[s.label], s)
		require.Equal(t, local[s.label].ID(), remote[s.label].ID())
		// And each carries data both ways.
		msg := []byte("on " + s.label)
		for attempt := 0; ; attempt++ {
			require.NoError(t, local[s.label].PutPacket(msg))
			got, err := remote[s.label].ReadPacket(ctx)
			require.NoError(t, err)
			if string(got) == string(msg) {
				break
			}
		}
	}
}

func TestNegotiatedOptions(t *testing.T) {
	checkGoroutines(t)
	_, a, b := negotiatedPair(t, DataChannelConfig{ID: 42, Ordered: Ptr(false), MaxPacketLifeTime: Ptr(100), Protocol: "p"})
	for _, dc := range []*DataChannel{a, b} {
		require.Equal(t, 42, dc.ID())
		require.True(t, dc.IsNegotiated())
		require.False(t, dc.IsOrdered())
		require.Equal(t, 100, dc.MaxPacketLifeTime())
		require.Equal(t, Unset, dc.MaxRetransmits())
		require.Equal(t, "p", dc.Protocol())
		require.Equal(t, "chan", dc.Label())
		require.Same(t, dc, dc.Connection().Channel("chan"))
	}
	require.NoError(t, a.PutPacket([]byte("x")))
	got, err := b.ReadPacket(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, "x", string(got))
}

func TestBadOptions(t *testing.T) {
	checkGoroutines(t)
	pc, err := NewPeerConnection(&Config{LoopbackOnly: true})
	require.NoError(t, err)
	defer pc.Close()
	bad := []DataChannelConfig{
		{MaxRetransmits: Ptr(1), MaxPacketLifeTime: Ptr(1)},
		{MaxRetransmits: Ptr(-1)},
		{MaxPacketLifeTime: Ptr(70000)},
		{Negotiated: true, ID: 65535},
		{Negotiated: true, ID: -1},
		{Protocol: strings.Repeat("p", 65536)},
	}
	for _, o := range bad {
		_, err := pc.CreateDataChannel("x", &o)
		require.ErrorIs(t, err, peer.ErrInvalidParameter, "%+v", o)
	}
	_, err = pc.CreateDataChannel(strings.Repeat("l", 65536), nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.ErrorIs(t, pc.SetRemoteDescription("bogus", "v=0"), peer.ErrInvalidParameter)
	require.ErrorIs(t, pc.SetRemoteDescription("offer", "not an sdp"), peer.ErrInvalidParameter)
	require.ErrorIs(t, pc.SetLocalDescription("rollback", ""), peer.ErrInvalidParameter)
	require.ErrorIs(t, pc.AddICECandidate("0", -1, "candidate:x"), peer.ErrInvalidParameter)
	for i := 0; i < maxPendingCandidates; i++ {
		require.NoError(t, pc.AddICECandidate("0", 0, "candidate:x"))
	}
	require.ErrorIs(t, pc.AddICECandidate("0", 0, "candidate:x"), peer.ErrOutOfMemory)
	dc, err := pc.CreateDataChannel("ok", nil)
	require.NoError(t, err)
	require.ErrorIs(t, dc.SetWriteMode(WriteMode(7)), peer.ErrInvalidParameter)
	require.NoError(t, dc.Close())
}

func TestWriteModeAndWasString(t *testing.T) {
	checkGoroutines(t)
	_, a, b := negotiatedPair(t, DataChannelConfig{ID: 5})
	ctx := ctxT(t)
	require.NoError(t, a.SetWriteMode(WriteModeText))
	require.NoError(t, a.PutPacket([]byte("text")))
	require.NoError(t, a.SetWriteMode(WriteModeBinary))
	require.NoError(t, a.PutPacket([]byte{0, 1, 2}))
	got, err := b.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "text", string(got))
	require.True(t, b.WasStringPacket())
	got, err = b.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 1, 2}, got)
	require.False(t, b.WasStringPacket())
}

func TestMaxPacketSize(t *testing.T) {
	checkGoroutines(t)
	_, a, b := negotiatedPair(t, DataChannelConfig{ID: 7})
	require.Equal(t, DefaultMaxMessageSize, a.MaxPacketSize())
	err := a.PutPacket(make([]byte, DefaultMaxMessageSize+1))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.Contains(t, err.Error(), "exceeds max packet size 65535")
	big := make([]byte, DefaultMaxMessageSize)
	big[len(big)-1] = 9
	require.NoError(t, a.PutPacket(big))
	got, err := b.ReadPacket(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, big, got)

	// A smaller configured limit applies to both sides.
	pr := newPair(t, func(c *Config) { c.MaxMessageSize = 1000 })
	ca, err := pr.a.CreateDataChannel("c", &DataChannelConfig{Negotiated: true, ID: 1})
	require.NoError(t, err)
	_, err = pr.b.CreateDataChannel("c", &DataChannelConfig{Negotiated: true, ID: 1})
	require.NoError(t, err)
	require.NoError(t, pr.a.CreateOffer())
	require.NoError(t, ca.WaitOpen(ctxT(t)))
	require.Equal(t, 1000, ca.MaxPacketSize())
	require.ErrorIs(t, ca.PutPacket(make([]byte, 1001)), peer.ErrInvalidParameter)
}

func TestReliableBackPressure(t *testing.T) {
	checkGoroutines(t)
	pr := newPair(t, func(c *Config) {
		c.ReceiveBufferBytes = 1 // raised to one max-size message
		c.ReceiveBufferPackets = 8
		c.MaxBufferedAmount = 32 << 10
	})
	a, err := pr.a.CreateDataChannel("bp", &DataChannelConfig{Negotiated: true, ID: 9})
	require.NoError(t, err)
	b, err := pr.b.CreateDataChannel("bp", &DataChannelConfig{Negotiated: true, ID: 9})
	require.NoError(t, err)
	require.NoError(t, pr.a.CreateOffer())
	ctx := ctxT(t)
	require.NoError(t, a.WaitOpen(ctx))
	require.NoError(t, b.WaitOpen(ctx))
	const n = 3000
	errc := make(chan error, 1)
	go func() {
		p := make([]byte, 1000)
		for i := range n {
			copy(p, fmt.Sprintf("%08d", i))
			if err := a.PutPacket(p); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := range n {
		got, err := b.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("%08d", i), string(got[:8]), "reliable channels lose nothing under back-pressure")
		require.LessOrEqual(t, b.AvailablePacketCount(), 8)
	}
	require.NoError(t, <-errc)
	require.Zero(t, b.Dropped())
	require.LessOrEqual(t, a.BufferedAmount(), 32<<10+1000)
}

func TestUnreliableDropsNewest(t *testing.T) {
	checkGoroutines(t)
	pr := newPair(t, func(c *Config) { c.ReceiveBufferPackets = 4 })
	opts := &DataChannelConfig{Negotiated: true, ID: 11, Ordered: Ptr(false), MaxRetransmits: Ptr(0)}
	a, err := pr.a.CreateDataChannel("u", opts)
	require.NoError(t, err)
	b, err := pr.b.CreateDataChannel("u", opts)
	require.NoError(t, err)
	require.NoError(t, pr.a.CreateOffer())
	ctx := ctxT(t)
	require.NoError(t, a.WaitOpen(ctx))
	require.NoError(t, b.WaitOpen(ctx))
	// Nobody reads b: after 4 queued messages the rest are dropped and counted.
	for i := 0; b.Dropped() == 0; i++ {
		require.NoError(t, ctx.Err(), "no drop counted")
		require.NoError(t, a.PutPacket([]byte{byte(i)}))
	}
	require.Equal(t, 4, b.AvailablePacketCount())
	// Drop-newest keeps the first arrivals: four distinct messages, the very
	// first among them (the channel is unordered, and messages sent after
	// the first drop may still arrive later, so nothing more is certain).
	kept := map[byte]bool{}
	for range 4 {
		p, err := b.GetPacket()
		require.NoError(t, err)
		kept[p[0]] = true
	}
	require.Len(t, kept, 4)
	require.True(t, kept[0], "the first message was dropped: %v", kept)
}

// TestPutPacketAllocs: PutPacket allocates nothing beyond what pion's Send
// itself allocates for the same message.
func TestPutPacketAllocs(t *testing.T) {
	checkGoroutines(t)
	_, a, b := negotiatedPair(t, DataChannelConfig{ID: 1})
	ctx := ctxT(t)
	go func() {
		buf := make([]byte, 0, 64) // AppendPacket: the reader allocates nothing
		for {
			if _, err := b.AppendPacket(ctx, buf[:0]); err != nil {
				return
			}
		}
	}()
	msg := make([]byte, 64)
	raw := testing.AllocsPerRun(200, func() { a.Pion().Send(msg) })
	sdk := testing.AllocsPerRun(200, func() { a.PutPacket(msg) })
	t.Logf("allocs per message: pion Send %.1f, PutPacket %.1f", raw, sdk)
	require.LessOrEqual(t, sdk, raw+1, "PutPacket adds allocations on the send path")
}

func TestICEServersConfig(t *testing.T) {
	checkGoroutines(t)
	pc, err := NewPeerConnection(&Config{ICEServers: []ICEServer{
		{URLs: []string{"stun:127.0.0.1:3478"}},
		{URLs: []string{"turn:127.0.0.1:3478?transport=udp"}, Username: "user", Credential: "secret"},
	}})
	require.NoError(t, err)
	require.Len(t, pc.Pion().GetConfiguration().ICEServers, 2)
	require.Equal(t, "user", pc.Pion().GetConfiguration().ICEServers[1].Username)
	require.NoError(t, pc.Close())

	_, err = NewPeerConnection(&Config{ICEServers: []ICEServer{{URLs: []string{"turn:127.0.0.1:3478"}}}})
	require.ErrorIs(t, err, peer.ErrInvalidParameter, "TURN without credentials")
	_, err = NewPeerConnection(&Config{ICEServers: []ICEServer{{URLs: []string{"http://nope"}}}})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
}

func TestGatheringCompletes(t *testing.T) {
	checkGoroutines(t)
	_, a, _ := negotiatedPair(t, DataChannelConfig{ID: 2})
	require.Eventually(t, func() bool { return a.Connection().GatheringState() == GatheringStateComplete },
		10*time.Second, 5*time.Millisecond)
	require.Equal(t, "GATHERING_STATE_COMPLETE", a.Connection().GatheringState().String())
	require.Equal(t, "STATE_OPEN", a.ReadyState().String())
	require.Equal(t, "WRITE_MODE_BINARY", a.WriteMode().String())
	require.Equal(t, "SIGNALING_STATE_STABLE", a.Connection().SignalingState().String())
	require.Equal(t, "UNKNOWN(9)", ConnectionState(9).String())
}

// A channel that opened and closed before WaitOpen looked did open: nil,
// never "closed before it opened" (a select between the two chose at
// random).
func TestWaitOpenPrefersOpened(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	dc := &DataChannel{t: &dcTransport{opened: closed, gone: closed}}
	for range 200 {
		if err := dc.WaitOpen(context.Background()); err != nil {
			t.Fatalf("WaitOpen = %v, want nil", err)
		}
	}
	dc = &DataChannel{t: &dcTransport{opened: make(chan struct{}), gone: closed}}
	if err := dc.WaitOpen(context.Background()); !errors.Is(err, peer.ErrCantConnect) {
		t.Fatalf("closed before opening: WaitOpen = %v, want ErrCantConnect", err)
	}
}
