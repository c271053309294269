package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
	"github.com/stretchr/testify/require"
)

func signalingURL(t testing.TB) string {
	t.Helper()
	s := signaling.NewServer(nil)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func listen(t testing.TB, url, lobby string) *Listener {
	t.Helper()
	l, err := Listen(url, &Config{LoopbackOnly: true, Lobby: lobby})
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

func dialAccept(t testing.TB, url string, l *Listener) (*Peer, *Peer) {
	t.Helper()
	ctx := ctxT(t)
	type res struct {
		p   *Peer
		err error
	}
	ch := make(chan res, 1)
	go func() {
		p, err := Dial(ctx, url, &Config{LoopbackOnly: true, Lobby: l.Lobby()})
		ch <- res{p, err}
	}()
	b, err := l.Accept(ctx)
	require.NoError(t, err)
	r := <-ch
	require.NoError(t, r.err)
	t.Cleanup(func() { r.p.Close(); b.Close() })
	return r.p, b
}

func TestDialListenConformance(t *testing.T) {
	url := signalingURL(t)
	l := listen(t, url, "conformance")
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		return dialAccept(t, url, l)
	}, peertest.Config{IgnoreGoroutines: pionGoroutines})
}

func TestDialListenChannels(t *testing.T) {
	checkGoroutines(t)
	url := signalingURL(t)
	l := listen(t, url, "")
	require.Len(t, l.Lobby(), 32, "the server names an unnamed lobby")
	require.Equal(t, "webrtc-signaling", l.Addr().Network())
	require.True(t, strings.HasSuffix(l.Addr().String(), "#"+l.Lobby()))
	require.False(t, l.IsConnectionAvailable())
	_, err := l.TakeConnection()
	require.ErrorIs(t, err, peer.ErrUnavailable)

	a, b := dialAccept(t, url, l)
	ctx := ctxT(t)
	// The default layout is Godot's WebRTCMultiplayerPeer's.
	for _, p := range []*Peer{a, b} {
		chans := p.Connection().Channels()
		require.Len(t, chans, 3)
		want := []struct {
			label            string
			id               int
			ordered          bool
			lifetime, retran int
		}{{"reliable", 1, true, Unset, Unset}, {"ordered", 2, true, 1, Unset}, {"unreliable", 3, false, 1, Unset}}
		for i, w := range want {
			c := chans[i]
			require.Equal(t, w.label, c.Label())
			require.Equal(t, w.id, c.ID())
			require.Equal(t, w.ordered, c.IsOrdered())
			require.Equal(t, w.lifetime, c.MaxPacketLifeTime())
			require.Equal(t, w.retran, c.MaxRetransmits())
			require.True(t, c.IsNegotiated())
			require.Equal(t, ChannelOpen, c.ReadyState())
		}
		require.Same(t, chans[0], p)
		require.Equal(t, StateConnected, p.Connection().ConnectionState())
	}
	// Each channel carries its own packets.
	for _, label := range []string{"reliable", "ordered", "unreliable"} {
		ca, cb := a.Connection().Channel(label), b.Connection().Channel(label)
		require.NoError(t, ca.PutPacket([]byte("to b on "+label)))
		got, err := cb.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, "to b on "+label, string(got))
		require.NoError(t, cb.PutPacket([]byte("to a on "+label)))
		got, err = ca.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, "to a on "+label, string(got))
	}
	require.Nil(t, a.Connection().Channel("nope"))
	// Closing the dialled peer closes its connection; the other side sees EOF.
	require.NoError(t, a.Close())
	_, err = b.ReadPacket(ctx)
	require.Error(t, err)
	require.False(t, errors.Is(err, net.ErrClosed), "the remote end's close is not our Close: %v", err)
}

func TestDialErrors(t *testing.T) {
	checkGoroutines(t)
	url := signalingURL(t)
	ctx := ctxT(t)
	_, err := Dial(ctx, url, &Config{LoopbackOnly: true})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = Dial(ctx, url, &Config{LoopbackOnly: true, Lobby: "nobody-home"})
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.Contains(t, err.Error(), "no host")
	_, err = Dial(ctx, "ws://127.0.0.1:1/", &Config{LoopbackOnly: true, Lobby: "x"})
	require.ErrorIs(t, err, peer.ErrCantConnect)

	l := listen(t, url, "taken")
	_, err = Listen(url, &Config{LoopbackOnly: true, Lobby: "taken"})
	require.ErrorIs(t, err, peer.ErrAlreadyInUse)
	_, err = Dial(ctx, url, &Config{LoopbackOnly: true, Lobby: "taken", Channels: []ChannelConfig{{Label: "inband"}}})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Dial(cctx, url, &Config{LoopbackOnly: true, Lobby: l.Lobby()})
	require.ErrorIs(t, err, context.Canceled)
}

func TestListenerCloseClosesPeers(t *testing.T) {
	checkGoroutines(t)
	url := signalingURL(t)
	l, err := Listen(url, &Config{LoopbackOnly: true, Lobby: "closing"})
	require.NoError(t, err)
	a, b := dialAccept(t, url, l)
	ctx := ctxT(t)
	errc := make(chan error, 1)
	go func() {
		_, err := l.Accept(ctx)
		errc <- err
	}()
	require.NoError(t, l.Close())
	require.ErrorIs(t, <-errc, net.ErrClosed)
	require.ErrorIs(t, b.PutPacket([]byte("x")), net.ErrClosed, "accepted peers are closed with the listener")
	_, err = a.ReadPacket(ctx)
	require.Error(t, err)
	_, err = l.Accept(ctx)
	require.ErrorIs(t, err, net.ErrClosed)
	require.NoError(t, l.Close())
}

func TestManyDialers(t *testing.T) {
	checkGoroutines(t)
	url := signalingURL(t)
	l := listen(t, url, "many")
	ctx := ctxT(t)
	const n = 4
	errc := make(chan error, n)
	for i := range n {
		go func() {
			p, err := Dial(ctx, url, &Config{LoopbackOnly: true, Lobby: "many"})
			if err != nil {
				errc <- err
				return
			}
			defer p.Close()
			if err := p.PutPacket([]byte(fmt.Sprint("hello ", i))); err != nil {
				errc <- err
				return
			}
			_, err = p.ReadPacket(ctx) // the echo
			errc <- err
		}()
	}
	seen := map[string]bool{}
	for range n {
		p, err := l.Accept(ctx)
		require.NoError(t, err)
		got, err := p.ReadPacket(ctx)
		require.NoError(t, err)
		seen[string(got)] = true
		require.NoError(t, p.PutPacket(got))
		defer p.Close()
	}
	for range n {
		require.NoError(t, <-errc)
	}
	require.Len(t, seen, n)
	_ = time.Second
}

func liveSessions(l *Listener) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.live)
}

// A lobby member that never finishes the handshake, or sends garbage, is
// dropped after HandshakeTimeout; the Listener keeps accepting.
func TestListenerSurvivesBadMembers(t *testing.T) {
	checkGoroutines(t)
	url := signalingURL(t)
	l, err := Listen(url, &Config{LoopbackOnly: true, Lobby: "robust", HandshakeTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	defer l.Close()
	ctx := ctxT(t)

	silent, err := signaling.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer silent.Close()
	require.NoError(t, silent.Join("robust", false))
	rude, err := signaling.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer rude.Close()
	require.NoError(t, rude.Join("robust", false))
	require.NoError(t, rude.SendCandidate(1, "0", 0, "candidate:garbage"))
	require.NoError(t, rude.Send(signaling.Message{Type: signaling.Candidate, ID: 1, Data: "not\na candidate"}))
	require.NoError(t, rude.SendAnswer(1, "v=0 not an answer"))
	require.NoError(t, rude.SendOffer(1, "not an sdp"))

	require.Eventually(t, func() bool { return liveSessions(l) >= 1 }, 10*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return liveSessions(l) == 0 }, 10*time.Second, 5*time.Millisecond,
		"members that never connect are dropped")
	require.False(t, l.IsConnectionAvailable())

	// A proper member still gets through.
	a, b := dialAccept(t, url, l)
	require.NoError(t, a.PutPacket([]byte("still here")))
	got, err := b.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "still here", string(got))
}

func TestListenerSignallingLost(t *testing.T) {
	checkGoroutines(t)
	s := signaling.NewServer(nil)
	hs := httptest.NewServer(s)
	defer hs.Close()
	l, err := Listen("ws"+strings.TrimPrefix(hs.URL, "http"), &Config{LoopbackOnly: true, Lobby: "x"})
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, s.Close())
	_, err = l.Accept(ctxT(t))
	require.Error(t, err)
	require.Contains(t, err.Error(), "signalling link lost")
	_, err = l.TakeConnection()
	require.Error(t, err)
	require.False(t, errors.Is(err, peer.ErrUnavailable))
}

// A host that leaves while a Dial is setting up makes Dial fail at once
// with ErrCantConnect (the server closes the lobby), not at ctx's deadline.
func TestDialHostLeaves(t *testing.T) {
	checkGoroutines(t)
	url := signalingURL(t)
	ctx := ctxT(t)
	host, err := signaling.Dial(ctx, url, nil)
	require.NoError(t, err)
	defer host.Close()
	require.NoError(t, host.Join("fickle", false))
	stop := context.AfterFunc(ctx, func() { host.Close() }) // bounds host.Read
	defer stop()
	readUntil := func(typ signaling.MessageType) {
		for {
			m, err := host.Read()
			require.NoError(t, err)
			if m.Type == typ {
				return
			}
		}
	}
	// The lobby must exist before the dialer asks for it, or the dialer
	// would create it and the host would wait in a lobby of its own.
	readUntil(signaling.Join)
	errc := make(chan error, 1)
	go func() {
		_, err := Dial(ctx, url, &Config{LoopbackOnly: true, Lobby: "fickle"})
		errc <- err
	}()
	readUntil(signaling.PeerConnect) // a dialer joined; leave without answering
	require.NoError(t, host.Close())
	err = <-errc
	require.ErrorIs(t, err, peer.ErrCantConnect)
	require.NoError(t, ctx.Err())
}
