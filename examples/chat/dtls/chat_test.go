package dtlschat_test

import (
	"context"
	"crypto/x509"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/examples/chat/chat/chattest"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

// TestChatOverDTLS runs the server loop of ./server (self-signed
// certificate) with two clients: one trusting the certificate's PEM as
// ./client -ca does, one unverified as ./client -insecure does. They speak
// the Dictionaries examples/godot/dtls_chat_client.gd sends with put_var.
func TestChatOverDTLS(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cert, err := devcert.New()
	require.NoError(t, err)
	l, err := dtls.Listen("127.0.0.1:0", &dtls.Config{TLS: dtls.ServerOptions(cert.TLS)})
	require.NoError(t, err)
	chattest.Serve(t, l)

	// What the server's -cert-out file holds, loaded as the client's -ca.
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(cert.CertPEM()))
	alice, err := dtls.Dial(ctx, l.Addr().String(), &dtls.Config{TLS: dtls.ClientOptions(roots, "")})
	require.NoError(t, err)
	chattest.Join(t, ctx, alice, "alice")
	bob, err := dtls.Dial(ctx, l.Addr().String(), &dtls.Config{TLS: dtls.UnsafeClientOptions(nil)})
	require.NoError(t, err)
	chattest.Join(t, ctx, bob, "bob")

	chattest.Chat(t, ctx, alice, bob, "hi over DTLS")
	chattest.Leave(t, ctx, bob, "bob", alice)
	// The server closed bob's connection: close_notify reached bob.
	_, err = bob.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, dtls.StatusDisconnected, bob.Status())
}
