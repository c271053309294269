package enet

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// dtlsHosts returns a DTLS server host and a DTLS client host connected to
// it through a relay that records the first byte of every datagram.
func dtlsHosts(t *testing.T) (srv, cli *Host, cp *Peer, firsts *[256]atomic.Int64) {
	t.Helper()
	cert, err := devcert.New()
	require.NoError(t, err)
	srv, err = NewHost("127.0.0.1:0", &Config{MaxPeers: 4})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	require.NoError(t, srv.DTLSServerSetup(cert.TLS))
	r := newRelay(t, netip.MustParseAddrPort(srv.LocalAddr().String()), 0, 0, 0)
	firsts = &[256]atomic.Int64{}
	r.mu.Lock()
	r.inspect = func(b []byte) {
		if len(b) > 0 {
			firsts[b[0]].Add(1)
		}
	}
	r.mu.Unlock()
	cli, err = NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	require.NoError(t, cli.DTLSClientSetup("localhost", cert.Pool))
	cp, err = cli.ConnectToHost(r.addr(), 2, 77)
	require.NoError(t, err)
	return srv, cli, cp, firsts
}

// TestDTLSGoGo: ENet over DTLS between two Go hosts: the connection comes
// up with its CONNECT data, packets go both ways on two channels, and
// every datagram on the wire is a DTLS record (content type 20..25), none
// a plain ENet header.
func TestDTLSGoGo(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, cli, cp, firsts := dtlsHosts(t)
	ctx := testCtx(t)
	ev, err := srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
	require.Equal(t, uint32(77), ev.Data)
	sp := ev.Peer
	ev, err = cli.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)

	big := bytes.Repeat([]byte("dtls"), 2000) // fragmented
	require.NoError(t, cp.Send(0, []byte("hello"), FlagReliable))
	require.NoError(t, cp.Send(1, big, FlagReliable))
	for _, want := range [][]byte{[]byte("hello"), big} {
		ev, err := srv.Service(ctx)
		require.NoError(t, err)
		require.Equal(t, EventReceive, ev.Type)
		p, err := sp.GetPacket()
		require.NoError(t, err)
		require.Equal(t, want, p)
	}
	require.NoError(t, sp.Send(1, []byte("back"), FlagReliable))
	ev, err = cli.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventReceive, ev.Type)
	p, err := cp.GetPacket()
	require.NoError(t, err)
	require.Equal(t, []byte("back"), p)

	var dtls, other int64
	for b := range firsts {
		if n := firsts[b].Load(); b >= 20 && b <= 25 {
			dtls += n
		} else {
			other += n
		}
	}
	require.Positive(t, dtls)
	require.Zero(t, other, "datagrams that are not DTLS records")
}

// TestDTLSRefusesPlain: a DTLS server host ignores a plain ENet client,
// which never connects, while a DTLS client still does.
func TestDTLSRefusesPlain(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, cli, _, _ := dtlsHosts(t)
	plain, err := NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer plain.Close()
	_, err = plain.ConnectToHost(srv.LocalAddr().String(), 1, 0)
	require.NoError(t, err)
	ctx := testCtx(t)
	ev, err := cli.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type, "the DTLS client connects")
	ev, err = srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
	require.Len(t, srv.Peers(), 1, "only the DTLS client has a peer on the server")
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	_, err = plain.Service(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the plain client got an event")
}

// TestDTLSSetupErrors: setup after connections, twice, or with bad input
// is refused with Godot's codes.
func TestDTLSSetupErrors(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	h, err := NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer h.Close()
	require.ErrorIs(t, h.DTLSClientSetup("", cert.Pool), peer.ErrInvalidParameter)
	require.ErrorIs(t, h.DTLSServerSetup(tls.Certificate{}), peer.ErrInvalidParameter)
	require.NoError(t, h.DTLSClientSetup("localhost", cert.Pool))
	require.ErrorIs(t, h.DTLSServerSetup(cert.TLS), peer.ErrAlreadyInUse)

	h2, err := NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer h2.Close()
	_, err = h2.ConnectToHost("127.0.0.1:9", 1, 0)
	require.NoError(t, err)
	require.ErrorIs(t, h2.DTLSClientSetup("localhost", cert.Pool), peer.ErrAlreadyInUse)
}

// TestDTLSSessionsReleased: a session ends with the last ENet connection
// of its remote, so a server with room for 2 sessions (MaxPeers 1) serves
// one client after another, each from a new port.
func TestDTLSSessionsReleased(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	srv, err := NewHost("127.0.0.1:0", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer srv.Close()
	require.NoError(t, srv.DTLSServerSetup(cert.TLS))
	ctx := testCtx(t)
	for i := range 4 {
		start := time.Now()
		cli, err := NewHost("", &Config{MaxPeers: 1})
		require.NoError(t, err)
		require.NoError(t, cli.DTLSClientSetup("localhost", cert.Pool))
		p, err := cli.ConnectToHost(srv.LocalAddr().String(), 1, uint32(i))
		require.NoError(t, err)
		ev, err := srv.Service(ctx)
		require.NoError(t, err, "client %d", i)
		require.Equal(t, EventConnect, ev.Type, "client %d", i)
		require.Equal(t, uint32(i), ev.Data)
		ev, err = cli.Service(ctx)
		require.NoError(t, err)
		require.Equal(t, EventConnect, ev.Type)
		p.Disconnect(0)
		ev, err = srv.Service(ctx)
		require.NoError(t, err)
		require.Equal(t, EventDisconnect, ev.Type)
		ev, err = cli.Service(ctx)
		require.NoError(t, err)
		require.Equal(t, EventDisconnect, ev.Type)
		require.NoError(t, cli.Close())
		t.Logf("client %d: %v", i, time.Since(start).Round(time.Millisecond))
	}
}

// TestDTLSRefuseNewConnections: a refusing DTLS server starts no DTLS
// session, so a client's handshake does not even begin; once it accepts
// again, the client (retrying its CONNECT) gets in.
func TestDTLSRefuseNewConnections(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	srv, err := NewHost("127.0.0.1:0", &Config{MaxPeers: 2})
	require.NoError(t, err)
	defer srv.Close()
	require.NoError(t, srv.DTLSServerSetup(cert.TLS))
	srv.RefuseNewConnections(true)
	cli, err := NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer cli.Close()
	require.NoError(t, cli.DTLSClientSetup("localhost", cert.Pool))
	_, err = cli.ConnectToHost(srv.LocalAddr().String(), 1, 0)
	require.NoError(t, err)
	ctx := testCtx(t)
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	_, err = srv.Service(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	d := srv.dtls.Load()
	d.mu.Lock()
	require.Empty(t, d.sessions, "a refusing server holds no DTLS session")
	d.mu.Unlock()

	srv.RefuseNewConnections(false)
	ev, err := srv.Service(ctx)
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
}

// TestDTLSCloseNotify: a DTLS session the host ends (at Close here; the
// release after a remote's last ENet connection runs the same shutdown)
// sends close_notify, so the client's read ends with io.EOF rather than at
// its deadline. pion's Close ends the session's own read before it writes
// the close_notify; the session used to close its conn then and lose the
// close_notify about once in 20 sessions, hence the rounds.
func TestDTLSCloseNotify(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	ctx := testCtx(t)
	for round := range 30 {
		srv, err := NewHost("127.0.0.1:0", &Config{MaxPeers: 1})
		require.NoError(t, err)
		require.NoError(t, srv.DTLSServerSetup(cert.TLS))
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		dc, err := pdtls.ClientWithOptions(u, srv.LocalAddr(), pdtls.WithRootCAs(cert.Pool), pdtls.WithServerName("localhost"))
		require.NoError(t, err)
		require.NoError(t, dc.HandshakeContext(ctx))
		ap := netip.MustParseAddrPort(u.LocalAddr().String())
		d := srv.dtls.Load()
		require.Eventually(t, func() bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			s := d.sessions[ap]
			return s != nil && s.conn.Load() != nil
		}, 10*time.Second, time.Millisecond, "the server's handshake did not finish")

		require.NoError(t, srv.Close())
		require.NoError(t, dc.SetReadDeadline(time.Now().Add(10*time.Second)))
		_, err = dc.Read(make([]byte, 100))
		require.ErrorIs(t, err, io.EOF, "round %d: the client got no close_notify", round)
		dc.Close()
		u.Close()
	}
}
