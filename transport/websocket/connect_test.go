package websocket

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// rawServer accepts one TCP connection and hands it to the test.
func rawServer(t *testing.T) (addr string, conns <-chan net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan net.Conn, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err == nil {
			ch <- nc
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		select {
		case nc := <-ch:
			nc.Close()
		default:
		}
	})
	return ln.Addr().String(), ch
}

func TestConnectStates(t *testing.T) {
	peertest.CheckGoroutines(t)
	addr, conns := rawServer(t)
	p, err := Connect("ws://"+addr+"/play", nil)
	require.NoError(t, err)
	defer p.Close()
	nc := <-conns
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	require.NoError(t, err)

	// The server has not answered: CONNECTING, and Godot's rules apply.
	require.Equal(t, StateConnecting, p.ReadyState())
	require.ErrorIs(t, p.PutPacket([]byte("x")), peer.ErrFailed)
	require.ErrorIs(t, p.SendText("x"), peer.ErrFailed)
	_, err = p.GetPacket()
	require.ErrorIs(t, err, peer.ErrUnavailable)
	require.Nil(t, p.RemoteAddr())
	require.Equal(t, "", p.ConnectedHost())
	require.Equal(t, -1, p.CloseCode())
	require.Equal(t, "ws://"+addr+"/play", p.RequestedURL())

	// Godot-style 101 and a first message: OPEN.
	fmt.Fprintf(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		acceptKey(req.Header.Get("Sec-WebSocket-Key")))
	nc.Write([]byte{0x82, 2, 'h', 'i'})
	require.Equal(t, "hi", string(readPacket(t, p)))
	require.Equal(t, StateOpen, p.ReadyState())
	require.Equal(t, "127.0.0.1", p.ConnectedHost())
	require.NoError(t, p.PutPacket([]byte("x")))
}

func TestConnectHandshakeTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	addr, conns := rawServer(t)
	p, err := Connect(addr, &Config{HandshakeTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	defer p.Close()
	nc := <-conns // never answers
	defer nc.Close()
	select {
	case <-p.Disconnected():
	case <-time.After(5 * time.Second):
		t.Fatal("handshake did not time out")
	}
	require.Equal(t, StateClosed, p.ReadyState())
	require.Equal(t, -1, p.CloseCode())
	_, err = p.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, peer.ErrCantConnect)
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, -1, ce.Code)
}

func TestConnectCloseWhileConnecting(t *testing.T) {
	peertest.CheckGoroutines(t)
	addr, conns := rawServer(t)
	p, err := Connect(addr, &Config{HandshakeTimeout: time.Minute})
	require.NoError(t, err)
	nc := <-conns
	defer nc.Close()
	require.Equal(t, StateConnecting, p.ReadyState())
	start := time.Now()
	require.NoError(t, p.CloseWithCode(1000, "")) // straight to CLOSED, as Godot
	require.Equal(t, StateClosed, p.ReadyState())
	require.NoError(t, p.Close())
	require.Less(t, time.Since(start), 5*time.Second)
	// The server side sees the TCP connection go away.
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(nc)
	require.NoError(t, err)
}

func TestConnectToListener(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	p, err := Connect(wsURL(l), nil)
	require.NoError(t, err)
	defer p.Close()
	s, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutVar("ready"))
	v, err := p.ReadVar(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, "ready", v)
	require.Equal(t, StateOpen, p.ReadyState())

	_, err = Connect("ftp://x", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	_, err = Connect("", nil)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
}
