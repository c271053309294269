package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// alpn is the protocol a TLS client offering h2 and http/1.1 gets.
func alpn(t *testing.T, addr string, roots *devcert.Cert) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots.Pool, NextProtos: []string{"h2", "http/1.1"}})
	require.NoError(t, err)
	defer c.Close()
	return c.ConnectionState().NegotiatedProtocol
}

// TestListenerOwnsServerSettings: the server Listen owns never negotiates
// HTTP/2 (browsers then use the HTTP/1.1 upgrade for wss://) and its peers
// write through the coalescing connection, with and without TLS.
func TestListenerOwnsServerSettings(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	for _, secure := range []bool{false, true} {
		cfg, scheme := &Config{}, "ws://"
		if secure {
			cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert.TLS}, NextProtos: []string{"h2", "http/1.1"}}
			scheme = "wss://"
		}
		l := listen(t, cfg)
		if secure {
			require.Equal(t, "http/1.1", alpn(t, l.Addr().String(), cert))
		}
		c, err := Dial(testCtx(t), scheme+l.Addr().String()+"/", &Config{TLSConfig: &tls.Config{RootCAs: cert.Pool}})
		require.NoError(t, err)
		defer c.Close()
		s, err := l.Accept(testCtx(t))
		require.NoError(t, err)
		require.NotNil(t, s.c.batch, "a Listener's peer does not coalesce writes (secure=%v)", secure)
	}
}

// userServer serves h over TLS on a user's http.Server offering h2, as
// http.Server does by default, configured by ConfigureServer or not.
func userServer(t *testing.T, cert *devcert.Cert, h *Handler, configure bool) (*http.Server, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/ws", h)
	hs := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}}
	if configure {
		ConfigureServer(hs, h)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		hs.ServeTLS(WrapListener(ln), "", "")
	}()
	t.Cleanup(func() {
		hs.Close()
		h.Close()
		<-done
	})
	return hs, ln.Addr().String()
}

// TestConfigureServer: on a user's http.Server, ConfigureServer turns HTTP/2
// off and makes Shutdown close the WebSocket peers (close code 1001), which
// Shutdown alone leaves open; h.Close after Shutdown waits for the serve
// functions.
func TestConfigureServer(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	ctx := testCtx(t)
	for _, configure := range []bool{false, true} {
		var served, returned atomic.Int32
		h, err := NewHandler(nil, func(p *Peer) {
			served.Add(1)
			defer returned.Add(1)
			for {
				b, err := p.ReadPacket(context.Background())
				if err != nil {
					return
				}
				p.PutPacket(b)
			}
		})
		require.NoError(t, err)
		hs, addr := userServer(t, cert, h, configure)
		if configure {
			require.Equal(t, "http/1.1", alpn(t, addr, cert))
		} else {
			require.Equal(t, "h2", alpn(t, addr, cert), "control: http.Server offers h2 by default")
		}

		c, err := Dial(ctx, "wss://"+addr+"/ws", &Config{TLSConfig: &tls.Config{RootCAs: cert.Pool}})
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.PutPacket([]byte("hi")))
		require.Equal(t, []byte("hi"), readPacket(t, c)) // the serve function has c
		require.NoError(t, hs.Shutdown(ctx))
		if !configure {
			// Shutdown returned; the hijacked connection is still open.
			require.Equal(t, StateOpen, c.ReadyState())
			require.Zero(t, returned.Load())
			continue
		}
		_, err = c.ReadPacket(ctx)
		var ce *CloseError
		require.True(t, errors.As(err, &ce), "read after Shutdown: %v", err)
		require.Equal(t, CloseGoingAway, c.CloseCode())
		require.ErrorIs(t, err, io.EOF)
		require.NoError(t, h.Close())
		require.Equal(t, int32(1), served.Load())
		require.Equal(t, int32(1), returned.Load(), "h.Close returned before the serve function")
	}
}
