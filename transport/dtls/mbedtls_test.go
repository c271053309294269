package dtls_test

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pdtls "github.com/pion/dtls/v3"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
	"github.com/packetpeer/packetpeer/transport/udp"
)

// Interop against mbedTLS, the library inside Godot's PacketPeerDTLS and
// DTLSServer, configured as Godot configures it (testdata/mbedtls/dtls_peer.c:
// default preset, verification required, HelloVerifyRequest cookies).
// Needs a C compiler and mbedTLS headers (Debian: libmbedtls-dev); skipped
// without them unless PACKETPEER_REQUIRE_MBEDTLS=1.

func buildMbedPeer(t *testing.T) string {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("PACKETPEER_REQUIRE_MBEDTLS") == "1" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (apt-get install gcc libmbedtls-dev; PACKETPEER_REQUIRE_MBEDTLS=1 makes this fatal)", args...)
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		skip("no C compiler: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "dtls_peer")
	out, err := exec.Command(cc, "-O1", "-o", bin, filepath.Join("testdata", "mbedtls", "dtls_peer.c"),
		"-lmbedtls", "-lmbedx509", "-lmbedcrypto").CombinedOutput()
	if err != nil {
		skip("cannot build the mbedTLS test peer: %v\n%s", err, out)
	}
	return bin
}

// TestMbedTLSClient: an mbedTLS client against our server, as Godot's
// connect_to_peer makes it: with TLSOptions.client(cert) and the server's
// name, and with TLSOptions.client_unsafe() and hostname "", for which
// mbedTLS sends a server_name extension holding an empty name.
func TestMbedTLSClient(t *testing.T) {
	bin := buildMbedPeer(t)
	for _, tc := range []struct {
		name     string
		verify   bool
		hostname string
		suites   []pdtls.CipherSuiteID
	}{
		{"verified", true, "localhost", nil},
		{"empty hostname unverified", false, "", nil},
		{"empty hostname AES-128-GCM-SHA256", false, "", []pdtls.CipherSuiteID{pdtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peertest.CheckGoroutines(t)
			ctx := testCtx(t, 30*time.Second)
			cert := newCert(t)
			certFile, _ := writePEMs(t, cert)
			if !tc.verify {
				certFile = "-"
			}
			l := listen(t, cert, &dtls.Config{HandshakeTimeout: 5 * time.Second, CipherSuites: tc.suites})
			port := strconv.Itoa(l.Addr().(*net.UDPAddr).Port)
			cli := startProcess(t, ctx, bin, "client", "127.0.0.1", port, certFile, tc.hostname)

			s, err := l.Accept(ctx)
			require.NoError(t, err, "listener stats %+v", l.Stats())
			defer s.Close()
			got, err := s.ReadPacket(ctx)
			require.NoError(t, err)
			require.Equal(t, "hello from mbedtls", string(got))
			require.NoError(t, s.PutPacket([]byte("hello from go")))
			seen := cli.waitLine(t, ctx, "GOT hello from go")
			require.True(t, strings.Contains(strings.Join(seen, "\n"), "HANDSHAKE OK DTLSv1.2"), "%v", seen)
			t.Logf("mbedTLS client: %s", strings.Join(seen, " | "))
			cli.waitLine(t, ctx, "SENT CLOSE_NOTIFY")
			_, err = s.ReadPacket(ctx)
			require.ErrorIs(t, err, io.EOF, "mbedTLS's close_notify not seen")
			require.Equal(t, dtls.StatusDisconnected, s.Status())
			require.NoError(t, cli.cmd.Wait())
			require.Zero(t, l.Stats().Dropped(), "%+v", l.Stats())
		})
	}
}

// TestMbedTLSClientHostnameMismatch: mbedTLS refuses our certificate for
// another name, as Godot reports STATUS_ERROR_HOSTNAME_MISMATCH.
func TestMbedTLSClientHostnameMismatch(t *testing.T) {
	bin := buildMbedPeer(t)
	peertest.CheckGoroutines(t)
	ctx := testCtx(t, 30*time.Second)
	cert := newCert(t)
	certFile, _ := writePEMs(t, cert)
	l := listen(t, cert, nil)
	port := strconv.Itoa(l.Addr().(*net.UDPAddr).Port)
	cli := startProcess(t, ctx, bin, "client", "127.0.0.1", port, certFile, "other.example.com")
	seen := cli.waitLine(t, ctx, "VERIFY FLAGS")
	t.Logf("mbedTLS client: %s", strings.Join(seen, " | "))
	// MBEDTLS_X509_BADCERT_CN_MISMATCH = 0x04
	require.Contains(t, seen[len(seen)-1], "0x4")
	require.False(t, l.IsConnectionAvailable())
}

// TestMbedTLSServer: our client against an mbedTLS server doing the cookie
// exchange as Godot's DTLSServer does.
func TestMbedTLSServer(t *testing.T) {
	bin := buildMbedPeer(t)
	peertest.CheckGoroutines(t)
	ctx := testCtx(t, 30*time.Second)
	cert := newCert(t)
	certFile, keyFile := writePEMs(t, cert)
	port := strconv.Itoa(freeUDPPort(t))
	srv := startProcess(t, ctx, bin, "server", "127.0.0.1", port, certFile, keyFile)
	srv.waitLine(t, ctx, "LISTENING")

	c, err := dtls.Dial(ctx, "127.0.0.1:"+port, trusting(cert))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.PutPacket([]byte("hello from go")))
	seen := srv.waitLine(t, ctx, "GOT hello from go")
	t.Logf("mbedTLS server: %s", strings.Join(seen, " | "))
	require.Contains(t, seen, "HELLO VERIFY REQUIRED", "mbedTLS did not make us do the cookie exchange")
	got, err := c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello from mbedtls", string(got))
	require.NoError(t, c.Close())
	srv.waitLine(t, ctx, "PEER CLOSE_NOTIFY")
	require.NoError(t, srv.cmd.Wait())
}

// TestMbedTLSClientTakeConnection: an mbedTLS client as Godot makes it
// (verified with the server's name, and unverified with hostname "", whose
// empty server_name is repaired) against Server.TakeConnection on a
// udp.Listener's peer: Godot's UDPServer + DTLSServer.take_connection.
func TestMbedTLSClientTakeConnection(t *testing.T) {
	bin := buildMbedPeer(t)
	for _, tc := range []struct {
		name     string
		verify   bool
		hostname string
	}{
		{"verified", true, "localhost"},
		{"empty hostname unverified", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peertest.CheckGoroutines(t)
			ctx := testCtx(t, 30*time.Second)
			cert := newCert(t)
			certFile, _ := writePEMs(t, cert)
			if !tc.verify {
				certFile = "-"
			}
			ul, err := udp.Listen("127.0.0.1:0", nil)
			require.NoError(t, err)
			defer ul.Close()
			srv, err := dtls.NewServer(&dtls.Config{TLS: dtls.ServerOptions(cert.TLS), HandshakeTimeout: 5 * time.Second})
			require.NoError(t, err)
			cli := startProcess(t, ctx, bin, "client", "127.0.0.1", strconv.Itoa(ul.LocalPort()), certFile, tc.hostname)

			up, err := ul.Accept(ctx)
			require.NoError(t, err)
			s, err := srv.TakeConnection(ctx, up)
			require.NoError(t, err)
			defer s.Close()
			got, err := s.ReadPacket(ctx)
			require.NoError(t, err)
			require.Equal(t, "hello from mbedtls", string(got))
			require.NoError(t, s.PutPacket([]byte("hello from go")))
			seen := cli.waitLine(t, ctx, "GOT hello from go")
			require.True(t, strings.Contains(strings.Join(seen, "\n"), "HANDSHAKE OK DTLSv1.2"), "%v", seen)
			cli.waitLine(t, ctx, "SENT CLOSE_NOTIFY")
			_, err = s.ReadPacket(ctx)
			require.ErrorIs(t, err, io.EOF, "mbedTLS's close_notify not seen")
			require.NoError(t, cli.cmd.Wait())
		})
	}
}
