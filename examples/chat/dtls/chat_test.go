package dtlschat_test

import (
	"context"
	"crypto/x509"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/examples/chat/chat"
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
	room := chat.NewRoom(nil)
	served := make(chan error, 1)
	go func() { served <- chat.ServeListener(ctx, room, l) }()
	defer func() {
		cancel() // ServeListener closes l and waits for the sessions
		require.NoError(t, <-served)
	}()

	// What the server's -cert-out file holds, loaded as the client's -ca.
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(cert.CertPEM()))

	join := func(nick string, opts *dtls.TLSOptions) *dtls.Peer {
		p, err := dtls.Dial(ctx, l.Addr().String(), &dtls.Config{TLS: opts})
		require.NoError(t, err)
		require.NoError(t, p.PutVar(chat.Message{Type: "join", Nick: nick}))
		m, err := chat.ReadMessage(ctx, p)
		require.NoError(t, err)
		require.Equal(t, "welcome", m.Type)
		return p
	}
	alice := join("alice", dtls.ClientOptions(roots, ""))
	defer alice.Close()
	bob := join("bob", dtls.UnsafeClientOptions(nil))
	defer bob.Close()
	m, err := chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "join", Nick: "bob"}, m)

	require.NoError(t, bob.PutVar(map[string]any{"type": "say", "text": "hi over DTLS"}))
	for _, p := range []*dtls.Peer{alice, bob} {
		m, err := chat.ReadMessage(ctx, p)
		require.NoError(t, err)
		require.Equal(t, chat.Message{Type: "say", Nick: "bob", Text: "hi over DTLS"}, m)
	}
	require.NoError(t, bob.PutVar(chat.Message{Type: "leave"}))
	m, err = chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "leave", Nick: "bob"}, m)
	// The server closed bob's connection: close_notify reached bob.
	_, err = bob.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, dtls.StatusDisconnected, bob.Status())
}
