package dtls_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

// Interop against OpenSSL, a DTLS 1.2 implementation nobody here wrote, with
// cookie exchange on both sides (s_server always uses HelloVerifyRequest for
// DTLS; s_client answers one).

func findOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("PACKETPEER_REQUIRE_OPENSSL") == "1" {
			t.Fatalf("openssl not found and PACKETPEER_REQUIRE_OPENSSL=1: %v", err)
		}
		t.Skip("openssl not installed (apt-get install openssl); set PACKETPEER_REQUIRE_OPENSSL=1 to fail instead")
	}
	return path
}

// process is a running openssl or mbedTLS peer: stdin piped, stdout lines
// on a channel.
type process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	wg    sync.WaitGroup
}

func startProcess(t *testing.T, ctx context.Context, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.WaitDelay = 2 * time.Second
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, stdin: stdin, lines: make(chan string, 256)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		p.wg.Wait()
	})
	return p
}

// waitLine waits for a stdout line containing want and returns the lines
// read so far.
func (p *process) waitLine(t *testing.T, ctx context.Context, want string) []string {
	t.Helper()
	var seen []string
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("openssl exited before printing %q; output:\n%s", want, strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, want) {
				return seen
			}
		case <-ctx.Done():
			t.Fatalf("openssl did not print %q: %v; output:\n%s", want, ctx.Err(), strings.Join(seen, "\n"))
		}
	}
}

func writePEMs(t *testing.T, cert *devcert.Cert) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	key, err := cert.KeyPEM()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, cert.CertPEM(), 0o600))
	require.NoError(t, os.WriteFile(keyFile, key, 0o600))
	return certFile, keyFile
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	return port
}

// TestOpenSSLServer: our client against openssl s_server -dtls1_2.
func TestOpenSSLServer(t *testing.T) {
	bin := findOpenSSL(t)
	peertest.CheckGoroutines(t)
	ctx := testCtx(t, 30*time.Second)
	cert := newCert(t)
	certFile, keyFile := writePEMs(t, cert)
	port := strconv.Itoa(freeUDPPort(t))
	srv := startProcess(t, ctx, bin, "s_server", "-dtls1_2", "-accept", "127.0.0.1:"+port,
		"-cert", certFile, "-key", keyFile, "-ign_eof", "-msg")
	srv.waitLine(t, ctx, "ACCEPT")

	c, err := dtls.Dial(ctx, "127.0.0.1:"+port, trusting(cert))
	require.NoError(t, err)
	defer c.Close()
	st, _ := c.ConnectionState()
	t.Logf("cipher suite negotiated with openssl: %v", st.CipherSuiteID)

	// Go → openssl: s_server prints what it receives.
	require.NoError(t, c.PutPacket([]byte("hello from go\n")))
	seen := srv.waitLine(t, ctx, "hello from go")
	require.True(t, sawHelloVerifyRequest(seen), "s_server sent no HelloVerifyRequest:\n%s", strings.Join(seen, "\n"))

	// openssl → Go: s_server sends each stdin line as one record.
	_, err = io.WriteString(srv.stdin, "hello from openssl\n")
	require.NoError(t, err)
	got, err := c.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello from openssl\n", string(got))
}

// TestOpenSSLClient: openssl s_client -dtls1_2 against our server, which it
// verifies (CA file and IP).
func TestOpenSSLClient(t *testing.T) {
	bin := findOpenSSL(t)
	peertest.CheckGoroutines(t)
	ctx := testCtx(t, 30*time.Second)
	cert := newCert(t)
	certFile, _ := writePEMs(t, cert)
	l := listen(t, cert, nil)
	cli := startProcess(t, ctx, bin, "s_client", "-dtls1_2", "-connect", l.Addr().String(),
		"-CAfile", certFile, "-verify_return_error", "-verify_ip", "127.0.0.1", "-quiet", "-ign_eof", "-msg")

	s, err := l.Accept(ctx)
	require.NoError(t, err)
	defer s.Close()

	_, err = io.WriteString(cli.stdin, "hello from openssl\n")
	require.NoError(t, err)
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello from openssl\n", string(got))

	require.NoError(t, s.PutPacket([]byte("hello from go\n")))
	seen := cli.waitLine(t, ctx, "hello from go")
	// Our server made s_client do the cookie exchange.
	require.True(t, sawHelloVerifyRequest(seen), "s_client saw no HelloVerifyRequest:\n%s", strings.Join(seen, "\n"))

	// Our close_notify ends s_client's session.
	require.NoError(t, s.Close())
	for range cli.lines {
	}
	err = cli.cmd.Wait()
	require.NoError(t, ctx.Err(), "s_client did not exit after close_notify")
	t.Logf("s_client exit: %v", err)
}

// sawHelloVerifyRequest reports whether openssl's -msg trace (OpenSSL 3.0
// dumps each DTLS message in hex under a "content_type=22" line for
// handshake messages) shows a HelloVerifyRequest (handshake type 3).
func sawHelloVerifyRequest(lines []string) bool {
	for i := 0; i+1 < len(lines); i++ {
		if strings.Contains(lines[i], "HelloVerifyRequest") { // newer OpenSSL decodes it
			return true
		}
		if strings.Contains(lines[i], "content_type=22") &&
			strings.HasPrefix(strings.TrimSpace(lines[i+1]), "03 00 00") {
			return true
		}
	}
	return false
}
