package quicchat_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/examples/chat/chat/chattest"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/quic"
)

func TestMain(m *testing.M) {
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	os.Exit(m.Run())
}

// TestChatOverQUIC runs the server loop of ./server with a self-signed
// certificate and two clients: one trusting the certificate's PEM as
// ./client -ca does, one unverified as ./client -insecure does; then the
// terminal client, as ./client runs it.
func TestChatOverQUIC(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cert, err := devcert.New()
	require.NoError(t, err)
	l, err := quic.Listen("127.0.0.1:0", &quic.Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
	require.NoError(t, err)
	chattest.Serve(t, l)

	// What the server's -cert-out file holds, loaded as the client's -ca.
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(cert.CertPEM()))
	trusting := &quic.Config{TLSConfig: &tls.Config{RootCAs: roots}}
	alice, err := quic.Dial(ctx, l.Addr().String(), trusting)
	require.NoError(t, err)
	chattest.Join(t, ctx, alice, "alice")
	bob, err := quic.Dial(ctx, l.Addr().String(), &quic.Config{UnsafeSkipVerify: true})
	require.NoError(t, err)
	chattest.Join(t, ctx, bob, "bob")

	chattest.Chat(t, ctx, alice, bob, "hi over QUIC")
	chattest.Leave(t, ctx, bob, "bob", alice)
	// The server closed bob's connection after reading everything.
	_, err = bob.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)

	var out bytes.Buffer
	p, err := quic.Dial(ctx, l.Addr().String(), trusting)
	require.NoError(t, err)
	require.NoError(t, chat.RunClient(ctx, p, "carol", strings.NewReader("hello all\n"), &out))
	chattest.Expect(t, ctx, alice, chat.Message{Type: "join", Nick: "carol"})
	chattest.Expect(t, ctx, alice, chat.Message{Type: "say", Nick: "carol", Text: "hello all"})
}
