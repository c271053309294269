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
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/quic"
)

func TestMain(m *testing.M) {
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	os.Exit(m.Run())
}

// TestChatOverQUIC runs the server loop of ./server with a self-signed
// certificate and two clients: one trusting the certificate's PEM as
// ./client -ca does, one unverified as ./client -insecure does.
func TestChatOverQUIC(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cert, err := devcert.New()
	require.NoError(t, err)
	l, err := quic.Listen("127.0.0.1:0", &quic.Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
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

	join := func(nick string, cfg *quic.Config) *quic.Peer {
		p, err := quic.Dial(ctx, l.Addr().String(), cfg)
		require.NoError(t, err)
		require.NoError(t, p.PutVar(chat.Message{Type: "join", Nick: nick}))
		m, err := chat.ReadMessage(ctx, p)
		require.NoError(t, err)
		require.Equal(t, "welcome", m.Type)
		return p
	}
	alice := join("alice", &quic.Config{TLSConfig: &tls.Config{RootCAs: roots}})
	defer alice.Close()
	bob := join("bob", &quic.Config{UnsafeSkipVerify: true})
	defer bob.Close()
	m, err := chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "join", Nick: "bob"}, m)

	require.NoError(t, bob.PutVar(map[string]any{"type": "say", "text": "hi over QUIC"}))
	for _, p := range []*quic.Peer{alice, bob} {
		m, err := chat.ReadMessage(ctx, p)
		require.NoError(t, err)
		require.Equal(t, chat.Message{Type: "say", Nick: "bob", Text: "hi over QUIC"}, m)
	}
	require.NoError(t, bob.PutVar(chat.Message{Type: "leave"}))
	m, err = chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "leave", Nick: "bob"}, m)
	// The server closed bob's connection after reading everything.
	_, err = bob.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)

	// The terminal client, as ./client runs it.
	var out bytes.Buffer
	p, err := quic.Dial(ctx, l.Addr().String(), &quic.Config{TLSConfig: &tls.Config{RootCAs: roots}})
	require.NoError(t, err)
	require.NoError(t, chat.RunClient(ctx, p, "carol", strings.NewReader("hello all\n"), &out))
	m, err = chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "join", Nick: "carol"}, m)
	m, err = chat.ReadMessage(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, chat.Message{Type: "say", Nick: "carol", Text: "hello all"}, m)
}
