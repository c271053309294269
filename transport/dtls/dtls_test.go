package dtls_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	pdtls "github.com/pion/dtls/v3"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newCert(t testing.TB, hosts ...string) *devcert.Cert {
	t.Helper()
	c, err := devcert.New(hosts...)
	require.NoError(t, err)
	return c
}

// listen starts a server on 127.0.0.1 with cert and registers its Close.
func listen(t testing.TB, cert *devcert.Cert, cfg *dtls.Config) *dtls.Listener {
	t.Helper()
	if cfg == nil {
		cfg = &dtls.Config{}
	}
	cfg.TLS = dtls.ServerOptions(cert.TLS)
	l, err := dtls.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// dialAccept dials l and accepts the connection on the server side.
func dialAccept(t testing.TB, ctx context.Context, l *dtls.Listener, cfg *dtls.Config) (client, server *dtls.Peer) {
	t.Helper()
	type res struct {
		p   *dtls.Peer
		err error
	}
	acc := make(chan res, 1)
	go func() {
		p, err := l.Accept(ctx)
		acc <- res{p, err}
	}()
	c, err := dtls.Dial(ctx, l.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	r := <-acc
	require.NoError(t, r.err)
	t.Cleanup(func() { r.p.Close() })
	return c, r.p
}

func trusting(cert *devcert.Cert) *dtls.Config {
	return &dtls.Config{TLS: dtls.ClientOptions(cert.Pool, "")}
}

func TestHandshakeAndData(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, nil)
	ctx := testCtx(t, 20*time.Second)
	c, s := dialAccept(t, ctx, l, trusting(cert))

	require.Equal(t, dtls.StatusConnected, c.Status())
	require.Equal(t, dtls.StatusConnected, s.Status())
	require.Equal(t, c.LocalAddr().String(), s.RemoteAddr().String())
	require.Equal(t, dtls.DefaultMaxPacketSize, c.MaxPacketSize())
	st, ok := c.ConnectionState()
	require.True(t, ok)
	require.Contains(t, dtls.DefaultCipherSuites, st.CipherSuiteID)

	require.NoError(t, c.PutPacket([]byte("hello from client")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello from client", string(got))

	require.NoError(t, s.PutVar(map[string]any{"type": "say", "text": "hi"}))
	v, err := c.ReadVar(ctx)
	if err != nil && errors.Is(err, peer.ErrUnavailable) {
		t.Fatal(err)
	}
	require.NoError(t, err)
	require.NotNil(t, v)

	// A packet over MaxPacketSize is refused and names the problem.
	err = c.PutPacket(make([]byte, c.MaxPacketSize()+1))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.ErrorContains(t, err, "exceeds max packet size")
	// The maximum fits.
	big := bytes.Repeat([]byte{7}, c.MaxPacketSize())
	require.NoError(t, c.PutPacket(big))
	got, err = s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, big, got)
}

func TestConformance(t *testing.T) {
	cert := newCert(t)
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		l := listen(t, cert, nil)
		c, s := dialAccept(t, testCtx(t, 20*time.Second), l, trusting(cert))
		return c, s
	}, peertest.Config{Unreliable: true, Unordered: true})
}

func TestUntrustedCertificateRefused(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, newCert(t), nil)
	other := newCert(t) // a CA the server's certificate does not chain to
	_, err := dtls.Dial(testCtx(t, 20*time.Second), l.Addr().String(), trusting(other))
	require.ErrorIs(t, err, dtls.ErrUntrustedCertificate)
	require.NotErrorIs(t, err, dtls.ErrHostnameMismatch)
	require.ErrorIs(t, err, peer.ErrCantConnect)
	var he *dtls.HandshakeError
	require.ErrorAs(t, err, &he)
	require.Equal(t, dtls.StatusError, he.Status)

	// The system bundle (nil roots) does not trust a self-signed certificate either.
	_, err = dtls.Dial(testCtx(t, 20*time.Second), l.Addr().String(), nil)
	require.ErrorIs(t, err, dtls.ErrUntrustedCertificate)
}

func TestHostnameMismatch(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t, "game.example.com")
	l := listen(t, cert, nil)
	// Dialling 127.0.0.1: trusted chain, wrong name.
	_, err := dtls.Dial(testCtx(t, 20*time.Second), l.Addr().String(), trusting(cert))
	require.ErrorIs(t, err, dtls.ErrHostnameMismatch)
	require.NotErrorIs(t, err, dtls.ErrUntrustedCertificate)
	var he *dtls.HandshakeError
	require.ErrorAs(t, err, &he)
	require.Equal(t, dtls.StatusErrorHostnameMismatch, he.Status)
	require.Equal(t, 4, int(he.Status))

	// The common-name override makes the same certificate acceptable.
	cfg := &dtls.Config{TLS: dtls.ClientOptions(cert.Pool, "game.example.com")}
	ctx := testCtx(t, 20*time.Second)
	c, _ := dialAccept(t, ctx, l, cfg)
	require.Equal(t, dtls.StatusConnected, c.Status())

	// An unsafe client with roots checks the chain but not the name.
	c2, _ := dialAccept(t, ctx, l, &dtls.Config{TLS: dtls.UnsafeClientOptions(cert.Pool)})
	require.Equal(t, dtls.StatusConnected, c2.Status())
	_, err = dtls.Dial(ctx, l.Addr().String(), &dtls.Config{TLS: dtls.UnsafeClientOptions(newCert(t).Pool)})
	require.ErrorIs(t, err, dtls.ErrUntrustedCertificate)
}

func TestUnsafeClientSelfSigned(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, newCert(t, "somewhere.invalid"), nil)
	ctx := testCtx(t, 20*time.Second)
	c, s := dialAccept(t, ctx, l, &dtls.Config{TLS: dtls.UnsafeClientOptions(nil)})
	require.True(t, dtls.UnsafeClientOptions(nil).IsUnsafeClient())
	require.NoError(t, s.PutPacket([]byte("ok")))
	got, err := c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", string(got))
}

func TestCloseNotify(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, nil)
	ctx := testCtx(t, 20*time.Second)
	for _, clientCloses := range []bool{true, false} {
		c, s := dialAccept(t, ctx, l, trusting(cert))
		closer, other := s, c
		if clientCloses {
			closer, other = c, s
		}
		// Packets sent before Close are still read, then io.EOF.
		require.NoError(t, closer.PutPacket([]byte("last words")))
		// Wait until it is queued on the other side, so the order is known.
		for other.AvailablePacketCount() == 0 {
			require.NoError(t, other.Transport().(peer.Waiter).WaitPacket(ctx))
		}
		require.NoError(t, closer.Close())
		require.Equal(t, dtls.StatusDisconnected, closer.Status())
		got, err := other.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, "last words", string(got))
		_, err = other.ReadPacket(ctx)
		require.ErrorIs(t, err, io.EOF, "clientCloses=%v", clientCloses)
		require.Equal(t, dtls.StatusDisconnected, other.Status())
		err = other.PutPacket([]byte("too late"))
		require.ErrorIs(t, err, peer.ErrConnectionError)
		require.NoError(t, other.Close())
		_, err = other.ReadPacket(ctx)
		require.ErrorIs(t, err, net.ErrClosed)
	}
}

func TestManyClients(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, nil)
	ctx := testCtx(t, 60*time.Second)
	const n = 50
	servers := make(chan *dtls.Peer, n)
	go func() {
		for range n {
			p, err := l.Accept(ctx)
			if err != nil {
				close(servers)
				return
			}
			servers <- p
		}
		close(servers)
	}()
	// Every server peer echoes.
	var echo sync.WaitGroup
	echoCtx, stopEcho := context.WithCancel(ctx)
	defer func() { stopEcho(); echo.Wait() }()
	go func() {
		for p := range servers {
			echo.Add(1)
			go func() {
				defer echo.Done()
				defer p.Close()
				for {
					b, err := p.ReadPacket(echoCtx)
					if err != nil {
						return
					}
					_ = p.PutPacket(b)
				}
			}()
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dtls.Dial(ctx, l.Addr().String(), trusting(cert))
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			msg := []byte{byte(i), 'x'}
			for {
				if err := c.PutPacket(msg); err != nil {
					errs <- err
					return
				}
				rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				got, err := c.ReadPacket(rctx)
				cancel()
				if err == nil && bytes.Equal(got, msg) {
					return
				}
				if ctx.Err() != nil {
					errs <- ctx.Err()
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHandshakeTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	// A UDP socket that never answers.
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer silent.Close()
	start := time.Now()
	_, err = dtls.Dial(context.Background(), silent.LocalAddr().String(), &dtls.Config{HandshakeTimeout: 300 * time.Millisecond})
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)

	// A socket that answers with garbage is no better.
	go func() {
		buf := make([]byte, 2048)
		for {
			_, from, err := silent.ReadFrom(buf)
			if err != nil {
				return
			}
			silent.WriteTo([]byte("garbage, not DTLS"), from)
		}
	}()
	_, err = dtls.Dial(context.Background(), silent.LocalAddr().String(), &dtls.Config{HandshakeTimeout: 300 * time.Millisecond})
	require.ErrorIs(t, err, peer.ErrTimeout)

	// Server side: a client that sends garbage, or a ClientHello and then
	// nothing, holds no state past the handshake timeout.
	l := listen(t, newCert(t), &dtls.Config{HandshakeTimeout: 300 * time.Millisecond})
	fake, err := net.DialUDP("udp", nil, l.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer fake.Close()
	_, err = fake.Write([]byte("garbage"))
	require.NoError(t, err)
	_, err = fake.Write(clientHello(t))
	require.NoError(t, err)
	// The ClientHello is answered (HelloVerifyRequest), proving it was seen.
	require.NoError(t, fake.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 2048)
	_, err = fake.Read(buf)
	require.NoError(t, err)
	eventually(t, 5*time.Second, func() bool { return l.Stats().Connections == 0 },
		"pending handshake not dropped after its timeout")
	require.False(t, l.IsConnectionAvailable())
}

func TestBadConfig(t *testing.T) {
	_, err := dtls.Listen("127.0.0.1:0", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = dtls.Listen("127.0.0.1:0", &dtls.Config{TLS: dtls.ClientOptions(nil, "")})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = dtls.Dial(context.Background(), "127.0.0.1:1", &dtls.Config{TLS: dtls.ServerOptions(newCert(t).TLS)})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = dtls.Dial(context.Background(), "no-port", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = dtls.Dial(context.Background(), "127.0.0.1:1", &dtls.Config{MaxPacketSize: 9000})
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
}

func TestListenerClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, nil)
	ctx := testCtx(t, 20*time.Second)
	c, s := dialAccept(t, ctx, l, trusting(cert))
	// A second connection waits, untaken, in the accept queue.
	c2, err := dtls.Dial(ctx, l.Addr().String(), trusting(cert))
	require.NoError(t, err)
	defer c2.Close()
	// The server finishes its handshake just after the client.
	eventually(t, 5*time.Second, l.IsConnectionAvailable, "second connection never queued")
	require.NoError(t, l.Close())
	require.Equal(t, dtls.StatusDisconnected, s.Status())
	// Both clients are told.
	for _, p := range []*dtls.Peer{c, c2} {
		_, err := p.ReadPacket(ctx)
		require.ErrorIs(t, err, io.EOF)
	}
	_, err = l.Accept(ctx)
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = l.TakeConnection()
	require.ErrorIs(t, err, net.ErrClosed)
}

func TestTakeConnection(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, nil)
	_, err := l.TakeConnection()
	require.ErrorIs(t, err, peer.ErrUnavailable)
	ctx := testCtx(t, 20*time.Second)
	c, err := dtls.Dial(ctx, l.Addr().String(), trusting(cert))
	require.NoError(t, err)
	defer c.Close()
	// Godot-style polling is what is under test.
	eventually(t, 5*time.Second, l.IsConnectionAvailable, "no connection available")
	s, err := l.TakeConnection()
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, c.PutPacket([]byte("polled")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "polled", string(got))
}

// eventually polls cond (a counter or flag with no event to wait on) until it
// holds or d passes.
func eventually(t testing.TB, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-timeout.C:
			t.Fatalf("after %v: %s", d, msg)
		}
	}
}

// rsaCert is a self-signed RSA certificate for 127.0.0.1, as Godot's
// Crypto.generate_rsa + generate_self_signed_certificate make.
func rsaCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestRSACertificate(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, pool := rsaCert(t)
	l, err := dtls.Listen("127.0.0.1:0", &dtls.Config{TLS: dtls.ServerOptions(cert)})
	require.NoError(t, err)
	defer l.Close()
	ctx := testCtx(t, 20*time.Second)
	c, s := dialAccept(t, ctx, l, &dtls.Config{TLS: dtls.ClientOptions(pool, "")})
	st, _ := c.ConnectionState()
	require.Equal(t, pdtls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, st.CipherSuiteID)
	require.NoError(t, c.PutPacket([]byte("rsa")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "rsa", string(got))
}

func TestIPv6(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t) // valid for ::1 too
	l, err := dtls.Listen("[::1]:0", &dtls.Config{TLS: dtls.ServerOptions(cert.TLS)})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer l.Close()
	ctx := testCtx(t, 20*time.Second)
	c, s := dialAccept(t, ctx, l, trusting(cert))
	require.NoError(t, c.PutPacket([]byte("v6")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "v6", string(got))
}

func TestMaxPacketSizeConfig(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, nil)
	ctx := testCtx(t, 20*time.Second)
	cfg := trusting(cert)
	cfg.MaxPacketSize = dtls.UnfragmentedPacketSize
	c, s := dialAccept(t, ctx, l, cfg)
	require.Equal(t, 1415, c.MaxPacketSize())
	require.ErrorIs(t, c.PutPacket(make([]byte, 1416)), peer.ErrInvalidParameter)
	require.NoError(t, c.PutPacket(make([]byte, 1415)))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1415)
	// The server's default limit is the pion limit.
	require.Equal(t, dtls.MaxPacketSizeLimit, s.MaxPacketSize())
}

// TestAcceptBacklogFull: a connection that finds the accept queue full is
// closed with close_notify; the client sees io.EOF.
func TestAcceptBacklogFull(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, &dtls.Config{MaxPendingConnections: 1})
	ctx := testCtx(t, 20*time.Second)
	c1, err := dtls.Dial(ctx, l.Addr().String(), trusting(cert))
	require.NoError(t, err)
	defer c1.Close()
	eventually(t, 5*time.Second, l.IsConnectionAvailable, "first connection not queued")
	c2, err := dtls.Dial(ctx, l.Addr().String(), trusting(cert))
	if err == nil {
		defer c2.Close()
		_, err = c2.ReadPacket(ctx)
		require.ErrorIs(t, err, io.EOF)
	} else {
		// The close_notify can reach the client before Dial returns.
		t.Logf("Dial saw the refusal itself: %v", err)
	}
	eventually(t, 5*time.Second, func() bool { return l.Stats().Refused == 1 }, "refusal not counted")
	// The queued one is intact.
	s, err := l.TakeConnection()
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, c1.PutPacket([]byte("first")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "first", string(got))
}
