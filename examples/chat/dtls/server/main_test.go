package main

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/transport/dtls"
)

// -self-signed -cert-out writes a PEM that a client trusting it (-ca)
// verifies, for every host given with -host.
func TestSelfSignedCertOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "server.crt")
	cert, err := loadCert("", "", true, "game.example.com", out)
	require.NoError(t, err)
	pem, err := os.ReadFile(out)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(pem))

	l, err := dtls.Listen("127.0.0.1:0", &dtls.Config{TLS: dtls.ServerOptions(cert)})
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, name := range []string{"", "game.example.com", "localhost"} {
		p, err := dtls.Dial(ctx, l.Addr().String(), &dtls.Config{TLS: dtls.ClientOptions(roots, name)})
		require.NoError(t, err, "name %q", name)
		p.Close()
	}

	_, err = loadCert("", "", false, "", "")
	require.ErrorContains(t, err, "-self-signed")
}
