package devcert

import (
	"crypto/tls"
	"encoding/pem"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHandshakeWithPool(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{c.TLS}})
	require.NoError(t, err)
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		done <- conn.(*tls.Conn).Handshake()
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: c.Pool, ServerName: "localhost"})
	require.NoError(t, err)
	conn.Close()
	require.NoError(t, <-done)

	// The same certificate is refused for a name it does not cover.
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			conn.(*tls.Conn).Handshake()
			conn.Close()
		}
		done <- err
	}()
	_, err = tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: c.Pool, ServerName: "example.com"})
	require.Error(t, err)
	<-done
}

func TestHostsAndPEM(t *testing.T) {
	c, err := New("game.example", "10.0.0.1")
	require.NoError(t, err)
	require.Equal(t, []string{"game.example"}, c.Leaf.DNSNames)
	require.True(t, c.Leaf.IPAddresses[0].Equal(net.ParseIP("10.0.0.1")))
	require.Equal(t, "game.example", c.Leaf.Subject.CommonName)
	b, _ := pem.Decode(c.CertPEM())
	require.Equal(t, "CERTIFICATE", b.Type)
	k, err := c.KeyPEM()
	require.NoError(t, err)
	_, err = tls.X509KeyPair(c.CertPEM(), k)
	require.NoError(t, err)

	_, err = New("")
	require.ErrorContains(t, err, "empty host")
}
