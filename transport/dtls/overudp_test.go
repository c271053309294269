package dtls_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
	"github.com/packetpeer/packetpeer/transport/udp"
)

func bindUDP(t *testing.T) *udp.Peer {
	t.Helper()
	p, err := udp.Bind("127.0.0.1:0", nil)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func localAddr(p *udp.Peer) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p.LocalPort()))
}

func exchange(t *testing.T, ctx context.Context, a, b peer.PacketPeer, msg string) {
	t.Helper()
	require.NoError(t, a.PutPacket([]byte(msg)))
	got, err := b.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, msg, string(got))
}

// NAT punch-through, then DTLS on the same (address, port) pair: two bound
// UDP peers connect to each other and exchange plain datagrams, then the
// client runs ConnectToPeer and the server TakeConnection over those very
// peers. A punch datagram still queued on the server side is skipped. The
// DTLS peers keep the UDP peers' addresses, and closing them closes the
// UDP peers.
func TestConnectToPeerAfterHolePunch(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t, 20*time.Second)
	cert := newCert(t)
	a, b := bindUDP(t), bindUDP(t)
	require.NoError(t, a.ConnectToHost("127.0.0.1", b.LocalPort()))
	require.NoError(t, b.ConnectToHost("127.0.0.1", a.LocalPort()))
	exchange(t, ctx, a, b, "punch a->b")
	exchange(t, ctx, b, a, "punch b->a")
	require.NoError(t, a.PutPacket([]byte("late punch"))) // left queued on b

	srv, err := dtls.NewServer(&dtls.Config{TLS: dtls.ServerOptions(cert.TLS)})
	require.NoError(t, err)
	type res struct {
		p   *dtls.Peer
		err error
	}
	done := make(chan res, 1)
	go func() {
		p, err := srv.TakeConnection(ctx, b)
		done <- res{p, err}
	}()
	client, err := dtls.ConnectToPeer(ctx, a, "127.0.0.1", trusting(cert))
	require.NoError(t, err)
	defer client.Close()
	r := <-done
	require.NoError(t, r.err)
	server := r.p
	defer server.Close()

	exchange(t, ctx, client, server, "secured a->b")
	exchange(t, ctx, server, client, "secured b->a")
	require.Equal(t, dtls.StatusConnected, client.Status())
	require.Equal(t, localAddr(a).String(), client.LocalAddr().String())
	require.Equal(t, localAddr(a).String(), server.RemoteAddr().String())
	require.Equal(t, localAddr(b).String(), client.RemoteAddr().String())

	require.NoError(t, client.Close())
	require.True(t, a.IsClosed(), "the DTLS peer owns its UDP peer")
	require.NoError(t, server.Close())
	require.True(t, b.IsClosed())
}

// A udp.Listener's accepted peer, whose first datagram is a ClientHello
// from dtls.Dial, is upgraded to DTLS by Server.TakeConnection; closing the
// DTLS peer gives the Listener its peer back.
func TestTakeConnectionFromUDPListener(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t, 20*time.Second)
	cert := newCert(t)
	ul, err := udp.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer ul.Close()
	srv, err := dtls.NewServer(&dtls.Config{TLS: dtls.ServerOptions(cert.TLS)})
	require.NoError(t, err)

	type res struct {
		p   *dtls.Peer
		err error
	}
	dialed := make(chan res, 1)
	go func() {
		p, err := dtls.Dial(ctx, ul.Addr().String(), trusting(cert))
		dialed <- res{p, err}
	}()
	up, err := ul.Accept(ctx)
	require.NoError(t, err)
	server, err := srv.TakeConnection(ctx, up)
	require.NoError(t, err)
	defer server.Close()
	r := <-dialed
	require.NoError(t, r.err)
	client := r.p
	defer client.Close()

	exchange(t, ctx, client, server, "hello over a UDPServer peer")
	exchange(t, ctx, server, client, "hello back")
	require.Equal(t, client.LocalAddr().String(), server.RemoteAddr().String())
	require.Equal(t, 1, ul.Stats().Active)
	require.NoError(t, server.Close())
	require.Equal(t, 0, ul.Stats().Active)
}

// The UDP peer must be connected to one remote; a failed handshake leaves
// it open for the program to use.
func TestOverUDPErrors(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t, 20*time.Second)
	cert := newCert(t)
	srv, err := dtls.NewServer(&dtls.Config{TLS: dtls.ServerOptions(cert.TLS)})
	require.NoError(t, err)
	unconnected := bindUDP(t)
	_, err = dtls.ConnectToPeer(ctx, unconnected, "127.0.0.1", trusting(cert))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = srv.TakeConnection(ctx, unconnected)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = dtls.NewServer(trusting(cert))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)

	// Nobody answers: the handshake times out, the UDP peer stays usable.
	a, silent := bindUDP(t), bindUDP(t)
	require.NoError(t, a.ConnectToHost("127.0.0.1", silent.LocalPort()))
	cfg := trusting(cert)
	cfg.HandshakeTimeout = 300 * time.Millisecond
	_, err = dtls.ConnectToPeer(ctx, a, "127.0.0.1", cfg)
	var he *dtls.HandshakeError
	require.True(t, errors.As(err, &he), "%v", err)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.False(t, a.IsClosed())
	require.NoError(t, a.PutPacket([]byte("still here")))

	// A server whose client sends no ClientHello times out the same way.
	scfg := &dtls.Config{TLS: dtls.ServerOptions(cert.TLS), HandshakeTimeout: 300 * time.Millisecond}
	srv2, err := dtls.NewServer(scfg)
	require.NoError(t, err)
	require.NoError(t, silent.ConnectToHost("127.0.0.1", a.LocalPort()))
	_, err = srv2.TakeConnection(ctx, silent)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.False(t, silent.IsClosed())
}

// The UDP Listener's own IdleTimeout still applies to a peer upgraded to
// DTLS: when it drops the UDP peer, the DTLS peer's reads fail with an
// error matching peer.ErrTimeout.
func TestTakeConnectionUDPIdleTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t, 20*time.Second)
	cert := newCert(t)
	ul, err := udp.Listen("127.0.0.1:0", &udp.Config{IdleTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer ul.Close()
	srv, err := dtls.NewServer(&dtls.Config{TLS: dtls.ServerOptions(cert.TLS), IdleTimeout: time.Hour})
	require.NoError(t, err)
	dialed := make(chan *dtls.Peer, 1)
	go func() {
		p, err := dtls.Dial(ctx, ul.Addr().String(), trusting(cert))
		if err != nil {
			t.Error(err)
		}
		dialed <- p
	}()
	up, err := ul.Accept(ctx)
	require.NoError(t, err)
	server, err := srv.TakeConnection(ctx, up)
	require.NoError(t, err)
	defer server.Close()
	client := <-dialed
	require.NotNil(t, client)
	defer client.Close()
	_, err = server.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.EqualValues(t, 1, ul.Stats().Expired)
}
