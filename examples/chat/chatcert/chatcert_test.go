package chatcert

import (
	"context"
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
	cert, err := ServerCertificate("", "", true, "game.example.com", out)
	require.NoError(t, err)
	roots, err := Roots(out)
	require.NoError(t, err)

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

	_, err = ServerCertificate("", "", false, "", "")
	require.ErrorContains(t, err, "-self-signed")
	none, err := Roots("")
	require.NoError(t, err)
	require.Nil(t, none, "no -ca: the system's roots")
	_, err = Roots(filepath.Join(t.TempDir(), "missing.pem"))
	require.Error(t, err)
	empty := filepath.Join(t.TempDir(), "empty.pem")
	require.NoError(t, os.WriteFile(empty, []byte("not a certificate"), 0o644))
	_, err = Roots(empty)
	require.ErrorContains(t, err, "no PEM certificate")
}
