package peer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/quic"
	"github.com/packetpeer/packetpeer/transport/stream"
	"github.com/packetpeer/packetpeer/transport/udp"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

var serveCert = sync.OnceValue(func() *devcert.Cert {
	c, err := devcert.New()
	if err != nil {
		panic(err)
	}
	return c
})

// serveKit is one transport for the Serve tests: its listener on
// 127.0.0.1 and a client dialling it.
type serveKit[P peer.PacketPeer] struct {
	listen func(t *testing.T) peer.Listener[P]
	dial   func(ctx context.Context, l peer.Listener[P]) (peer.PacketPeer, error)
}

func signalingURL(t *testing.T) string {
	s := signaling.NewServer(nil)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func addrOf[P peer.PacketPeer](l peer.Listener[P]) string { return l.Addr().String() }

// TestServeTransports runs Serve over a real listener of every transport:
// clients are served concurrently, and when ctx ends Serve closes the
// listener and every peer (the handler here ignores ctx and blocks in
// ReadPacket, so only closing its peer ends it), waits for every handler
// and returns nil, leaving no goroutine behind.
func TestServeTransports(t *testing.T) {
	t.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	for name, run := range map[string]func(*testing.T){
		"udp": testServe(serveKit[*udp.Peer]{
			listen: func(t *testing.T) peer.Listener[*udp.Peer] {
				l, err := udp.Listen("127.0.0.1:0", nil)
				require.NoError(t, err)
				return l
			},
			dial: func(ctx context.Context, l peer.Listener[*udp.Peer]) (peer.PacketPeer, error) {
				return udp.Dial(ctx, addrOf(l), nil)
			},
		}),
		"stream": testServe(serveKit[*stream.Peer]{
			listen: func(t *testing.T) peer.Listener[*stream.Peer] {
				l, err := stream.Listen("127.0.0.1:0", nil)
				require.NoError(t, err)
				return l
			},
			dial: func(ctx context.Context, l peer.Listener[*stream.Peer]) (peer.PacketPeer, error) {
				return stream.Dial(ctx, addrOf(l), nil)
			},
		}),
		"websocket": testServe(serveKit[*websocket.Peer]{
			listen: func(t *testing.T) peer.Listener[*websocket.Peer] {
				l, err := websocket.Listen("127.0.0.1:0", nil)
				require.NoError(t, err)
				return l
			},
			dial: func(ctx context.Context, l peer.Listener[*websocket.Peer]) (peer.PacketPeer, error) {
				return websocket.Dial(ctx, "ws://"+addrOf(l)+"/", nil)
			},
		}),
		"quic": testServe(serveKit[*quic.Peer]{
			listen: func(t *testing.T) peer.Listener[*quic.Peer] {
				l, err := quic.Listen("127.0.0.1:0", &quic.Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{serveCert().TLS}}})
				require.NoError(t, err)
				return l
			},
			dial: func(ctx context.Context, l peer.Listener[*quic.Peer]) (peer.PacketPeer, error) {
				return quic.Dial(ctx, addrOf(l), &quic.Config{TLSConfig: &tls.Config{RootCAs: serveCert().Pool}})
			},
		}),
		"dtls": testServe(serveKit[*dtls.Peer]{
			listen: func(t *testing.T) peer.Listener[*dtls.Peer] {
				l, err := dtls.Listen("127.0.0.1:0", &dtls.Config{TLS: dtls.ServerOptions(serveCert().TLS)})
				require.NoError(t, err)
				return l
			},
			dial: func(ctx context.Context, l peer.Listener[*dtls.Peer]) (peer.PacketPeer, error) {
				return dtls.Dial(ctx, addrOf(l), &dtls.Config{TLS: dtls.ClientOptions(serveCert().Pool, "")})
			},
		}),
		"webrtc": testServe(serveKit[*webrtc.Peer]{
			listen: func(t *testing.T) peer.Listener[*webrtc.Peer] {
				l, err := webrtc.Listen(signalingURL(t), &webrtc.Config{LoopbackOnly: true})
				require.NoError(t, err)
				return l
			},
			dial: func(ctx context.Context, l peer.Listener[*webrtc.Peer]) (peer.PacketPeer, error) {
				url, lobby, _ := strings.Cut(addrOf(l), "#")
				return webrtc.Dial(ctx, url, &webrtc.Config{LoopbackOnly: true, Lobby: lobby})
			},
		}),
		"enet": testServe(serveKit[*enet.Peer]{
			listen: func(t *testing.T) peer.Listener[*enet.Peer] {
				l, err := enet.Listen("127.0.0.1:0", nil)
				require.NoError(t, err)
				return l
			},
			dial: func(ctx context.Context, l peer.Listener[*enet.Peer]) (peer.PacketPeer, error) {
				return enet.Dial(ctx, addrOf(l), nil)
			},
		}),
	} {
		t.Run(name, run)
	}
}

func testServe[P peer.PacketPeer](k serveKit[P]) func(*testing.T) {
	return func(t *testing.T) {
		peertest.CheckGoroutines(t)
		const clients = 3
		testCtx, cancelTest := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancelTest()
		l := k.listen(t)
		defer l.Close()

		ctx, stop := context.WithCancel(testCtx)
		defer stop()
		var running, sawCtxEnd, closedAfter atomic.Int32
		served := make(chan error, 1)
		go func() {
			served <- peer.Serve(ctx, l, func(hctx context.Context, p P) {
				running.Add(1)
				defer running.Add(-1)
				for { // an echo that ignores hctx on purpose
					b, err := p.ReadPacket(context.Background())
					if err != nil {
						break
					}
					p.PutPacket(b)
				}
				if hctx.Err() != nil {
					sawCtxEnd.Add(1)
				}
				if errors.Is(p.PutPacket([]byte("late")), net.ErrClosed) {
					closedAfter.Add(1)
				}
			})
		}()

		for i := range clients {
			c, err := k.dial(testCtx, l)
			require.NoError(t, err)
			defer c.Close()
			msg := fmt.Sprintf("hello %d", i)
			require.NoError(t, c.PutPacket([]byte(msg)))
			b, err := c.ReadPacket(testCtx)
			require.NoError(t, err)
			require.Equal(t, msg, string(b))
		}
		require.Equal(t, int32(clients), running.Load(), "one goroutine per peer")

		stop()
		require.NoError(t, <-served)
		require.Zero(t, running.Load(), "Serve returned before its handlers")
		require.Equal(t, int32(clients), sawCtxEnd.Load(), "handlers' ctx ended")
		require.Equal(t, int32(clients), closedAfter.Load(), "Serve closed every peer")
		_, err := l.Accept(testCtx)
		require.ErrorIs(t, err, net.ErrClosed, "Serve closed the listener")
	}
}

// echo serves p until its peer or ctx ends.
func echo(ctx context.Context, p *udp.Peer) {
	for {
		b, err := p.ReadPacket(ctx)
		if err != nil {
			return
		}
		p.PutPacket(b)
	}
}

func udpServer(t *testing.T) (*udp.Listener, context.Context) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	l, err := udp.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l, ctx
}

func dialEcho(t *testing.T, ctx context.Context, l *udp.Listener) *udp.Peer {
	t.Helper()
	c, err := udp.Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.PutPacket([]byte("hi")))
	b, err := c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(b))
	return c
}

// TestServeListenerClosed: when Accept fails because someone else closed
// the listener, Serve returns that error, after closing the peers it served
// and waiting for their handlers.
func TestServeListenerClosed(t *testing.T) {
	l, ctx := udpServer(t)
	served := make(chan error, 1)
	var handled atomic.Int32
	go func() {
		served <- peer.Serve(ctx, l, func(ctx context.Context, p *udp.Peer) {
			echo(context.Background(), p)
			handled.Add(1)
		})
	}()
	dialEcho(t, ctx, l)
	l.Close()
	require.ErrorIs(t, <-served, net.ErrClosed)
	require.Equal(t, int32(1), handled.Load())
}

// TestServerShutdownGraceful: Shutdown ends the handlers' context and
// waits while they finish on their own (here: a goodbye on the peer, which
// is still open).
func TestServerShutdownGraceful(t *testing.T) {
	l, ctx := udpServer(t)
	s := &peer.Server[*udp.Peer]{Handler: func(ctx context.Context, p *udp.Peer) {
		echo(ctx, p)
		p.PutPacket([]byte("bye"))
	}}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	c := dialEcho(t, ctx, l)

	require.NoError(t, s.Shutdown(ctx))
	require.NoError(t, <-served)
	b, err := c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "bye", string(b))
	require.NoError(t, s.Serve(l), "Serve after Shutdown returns at once")
}

// TestServerShutdownExpires: a handler that ignores its context is ended by
// closing its peer once Shutdown's context ends; Shutdown then returns that
// context's error, with every handler done.
func TestServerShutdownExpires(t *testing.T) {
	l, ctx := udpServer(t)
	var done atomic.Bool
	s := &peer.Server[*udp.Peer]{Handler: func(_ context.Context, p *udp.Peer) {
		echo(context.Background(), p)
		done.Store(true)
	}}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	dialEcho(t, ctx, l)

	expired, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, s.Shutdown(expired), context.Canceled)
	require.True(t, done.Load(), "Shutdown returned before the handler")
	require.NoError(t, <-served)
}

// TestServerTwoListeners: one Server serves two listeners at once; Close
// ends both Serve calls with nil, closes both listeners and every peer, and
// returns after every handler.
func TestServerTwoListeners(t *testing.T) {
	l1, ctx := udpServer(t)
	l2, err := udp.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	var running atomic.Int32
	s := &peer.Server[*udp.Peer]{Handler: func(_ context.Context, p *udp.Peer) {
		running.Add(1)
		defer running.Add(-1)
		echo(context.Background(), p) // ends only when Close closes p
	}}
	served := make(chan error, 2)
	for _, l := range []*udp.Listener{l1, l2} {
		go func() { served <- s.Serve(l) }()
	}
	dialEcho(t, ctx, l1)
	dialEcho(t, ctx, l2)
	require.Equal(t, int32(2), running.Load())

	require.NoError(t, s.Close())
	require.Zero(t, running.Load(), "Close returned before the handlers")
	for range 2 {
		require.NoError(t, <-served)
	}
	for _, l := range []*udp.Listener{l1, l2} {
		_, err := l.Accept(ctx)
		require.ErrorIs(t, err, net.ErrClosed)
	}
}
