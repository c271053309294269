package quic

import (
	"context"
	"crypto/tls"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
)

func TestMain(m *testing.M) {
	// The kernel here caps UDP buffers below what quic-go asks for; keep its
	// one-time warning out of the test output (see the package doc).
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	os.Exit(m.Run())
}

var (
	certOnce sync.Once
	cert     *devcert.Cert
	certErr  error
)

func testCert(t testing.TB) *devcert.Cert {
	t.Helper()
	certOnce.Do(func() { cert, certErr = devcert.New() })
	if certErr != nil {
		t.Fatal(certErr)
	}
	return cert
}

// serverConfig returns a copy of base (nil allowed) with the test certificate.
func serverConfig(t testing.TB, base *Config) *Config {
	var c Config
	if base != nil {
		c = *base
	}
	c.TLSConfig = &tls.Config{Certificates: []tls.Certificate{testCert(t).TLS}}
	return &c
}

// clientConfig returns a copy of base (nil allowed) trusting the test certificate.
func clientConfig(t testing.TB, base *Config) *Config {
	var c Config
	if base != nil {
		c = *base
	}
	c.TLSConfig = &tls.Config{RootCAs: testCert(t).Pool}
	return &c
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func listen(t testing.TB, cfg *Config) *Listener {
	t.Helper()
	l, err := Listen("127.0.0.1:0", serverConfig(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// pair returns a connected client and server peer on 127.0.0.1; cleanup
// closes both and the listener.
func pair(t testing.TB, scfg, ccfg *Config) (client, server *Peer, l *Listener) {
	t.Helper()
	l = listen(t, scfg)
	ctx := testCtx(t, 10*time.Second)
	type res struct {
		p   *Peer
		err error
	}
	acc := make(chan res, 1)
	go func() {
		p, err := l.Accept(ctx)
		acc <- res{p, err}
	}()
	client, err := Dial(ctx, l.Addr().String(), clientConfig(t, ccfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	r := <-acc
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.p.Close() })
	return client, r.p, l
}
