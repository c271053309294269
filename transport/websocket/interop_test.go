package websocket

// Interop tests against raw TCP peers that behave exactly as Godot 4's
// WebSocketPeer does on the wire (spec godot-api.md §5.3, §5.4): the exact
// request Godot's client sends and the checks it applies to the 101
// response; the exact response Godot's server sends and the checks it
// applies to a request.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// godotClientHandshake sends Godot's client request on nc and validates the
// response the way Godot's client does. It returns an error describing the
// first rule broken.
func godotClientHandshake(nc net.Conn, host, path string, protocols []string) (selected string, br *bufio.Reader, err error) {
	var keyRaw [16]byte
	rand.Read(keyRaw[:])
	key := base64.StdEncoding.EncodeToString(keyRaw[:])
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	if len(protocols) > 0 {
		req += "Sec-WebSocket-Protocol: " + strings.Join(protocols, ",") + "\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		return "", nil, err
	}
	br = bufio.NewReader(nc)
	var head []byte
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		b, err := br.ReadByte()
		if err != nil {
			return "", nil, fmt.Errorf("reading response: %w (got %q)", err, head)
		}
		head = append(head, b)
		if len(head) > 4096 {
			return "", nil, fmt.Errorf("response header larger than WSL_MAX_HEADER_SIZE 4096")
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(head), "\r\n\r\n"), "\r\n")
	if len(lines) < 4 {
		return "", nil, fmt.Errorf("response has %d lines, want a status line and at least 3 headers", len(lines))
	}
	status := strings.Split(lines[0], " ")
	if len(status) < 2 || status[0] != "HTTP/1.1" || status[1] != "101" {
		return "", nil, fmt.Errorf("bad status line %q", lines[0])
	}
	headers := map[string]string{}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return "", nil, fmt.Errorf("bad header line %q", l)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if old, dup := headers[name]; dup {
			value = old + "," + value // Godot joins duplicates
		}
		headers[name] = value
	}
	if strings.ToLower(headers["connection"]) != "upgrade" {
		return "", nil, fmt.Errorf("connection header %q is not exactly \"upgrade\"", headers["connection"])
	}
	if strings.ToLower(headers["upgrade"]) != "websocket" {
		return "", nil, fmt.Errorf("upgrade header %q", headers["upgrade"])
	}
	if headers["sec-websocket-accept"] != acceptKey(key) {
		return "", nil, fmt.Errorf("bad accept %q", headers["sec-websocket-accept"])
	}
	proto, has := headers["sec-websocket-protocol"]
	if len(protocols) == 0 && has {
		return "", nil, fmt.Errorf("server selected %q but none was requested", proto)
	}
	if len(protocols) > 0 {
		found := false
		for _, p := range protocols {
			found = found || p == proto
		}
		if !found {
			return "", nil, fmt.Errorf("server selected %q, not one of %q", proto, protocols)
		}
	}
	return proto, br, nil
}

// clientFrame builds one masked frame as Godot's client sends it.
func clientFrame(opcode byte, payload []byte, fin bool) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 65536:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	f = append(f, mask[:]...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	return f
}

// readServerFrame reads one unmasked frame.
func readServerFrame(br *bufio.Reader) (opcode byte, fin bool, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(br, h[:]); err != nil {
		return
	}
	if h[1]&0x80 != 0 {
		return 0, false, nil, fmt.Errorf("server frame is masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err = io.ReadFull(br, e[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err = io.ReadFull(br, e[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(br, payload)
	return h[0] & 0x0f, h[0]&0x80 != 0, payload, err
}

func TestGodotClientAgainstServer(t *testing.T) {
	peertest.CheckGoroutines(t)
	for _, tc := range []struct {
		name            string
		server, offered []string
		want            string
		headers         http.Header
	}{
		{name: "plain"},
		{name: "protocols", server: []string{"b", "a"}, offered: []string{"a", "b"}, want: "a"},
		{name: "extra headers", headers: http.Header{"X-Game": {"1"}, "Set-Cookie": {"s=1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := listen(t, &Config{SupportedProtocols: tc.server, HandshakeHeaders: tc.headers})
			nc, err := net.Dial("tcp", l.Addr().String())
			require.NoError(t, err)
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			sel, br, err := godotClientHandshake(nc, l.Addr().String(), "/godot", tc.offered)
			require.NoError(t, err, "Godot's client would reject this handshake")
			require.Equal(t, tc.want, sel)
			s, err := l.Accept(testCtx(t))
			require.NoError(t, err)
			defer s.Close()
			require.Equal(t, tc.want, s.SelectedProtocol())

			// Godot's put_packet: one masked binary frame; send_text: text.
			_, err = nc.Write(clientFrame(0x2, []byte("from godot"), true))
			require.NoError(t, err)
			_, err = nc.Write(clientFrame(0x1, []byte("text"), true))
			require.NoError(t, err)
			// A fragmented message is reassembled.
			nc.Write(clientFrame(0x2, []byte("frag"), false))
			nc.Write(clientFrame(0x0, []byte("mented"), true))
			require.Equal(t, "from godot", string(readPacket(t, s)))
			require.False(t, s.WasStringPacket())
			require.Equal(t, "text", string(readPacket(t, s)))
			require.True(t, s.WasStringPacket())
			require.Equal(t, "fragmented", string(readPacket(t, s)))

			// Server messages: unfragmented, unmasked, binary for PutPacket.
			require.NoError(t, s.PutPacket([]byte("to godot")))
			op, fin, p, err := readServerFrame(br)
			require.NoError(t, err)
			require.Equal(t, byte(0x2), op)
			require.True(t, fin)
			require.Equal(t, "to godot", string(p))

			// Godot's close(4000, "bye"); the server answers with 4000.
			_, err = nc.Write(clientFrame(0x8, append([]byte{0x0f, 0xa0}, "bye"...), true))
			require.NoError(t, err)
			op, _, p, err = readServerFrame(br)
			require.NoError(t, err)
			require.Equal(t, byte(0x8), op)
			require.Equal(t, uint16(4000), binary.BigEndian.Uint16(p))
			<-s.Disconnected()
			require.Equal(t, 4000, s.CloseCode())
			require.Equal(t, "bye", s.CloseReason())
		})
	}
}

func TestGodotClientUnsupportedProtocolRefused(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{SupportedProtocols: []string{"a"}})
	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	_, _, err = godotClientHandshake(nc, l.Addr().String(), "/", []string{"zzz"})
	require.ErrorContains(t, err, "bad status line")
	require.False(t, l.IsConnectionAvailable())
}

// TestClientAgainstGodotServer runs Dial against a raw server that checks
// the request as Godot's server does and answers as Godot's server does.
func TestClientAgainstGodotServer(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	type result struct {
		err   error
		frame []byte
	}
	res := make(chan result, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			res <- result{err: err}
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			res <- result{err: err}
			return
		}
		fail := func(f string, a ...any) { res <- result{err: fmt.Errorf(f, a...)} }
		switch {
		case req.Method != "GET" || req.Proto != "HTTP/1.1" || req.URL.Path != "/game":
			fail("request line %s %s %s", req.Method, req.URL, req.Proto)
			return
		case !strings.EqualFold(req.Header.Get("Upgrade"), "websocket"):
			fail("upgrade %q", req.Header.Get("Upgrade"))
			return
		case req.Header.Get("Sec-WebSocket-Version") != "13" || req.Header.Get("Sec-WebSocket-Key") == "" || req.Header.Get("Connection") == "":
			fail("version/key/connection missing: %v", req.Header)
			return
		case len(req.Header.Values("Sec-WebSocket-Protocol")) != 1 || req.Header.Get("Sec-WebSocket-Protocol") != "chat,v2":
			// Godot's server splits on commas: the list must be one header.
			fail("protocol header %q", req.Header.Values("Sec-WebSocket-Protocol"))
			return
		case req.Header.Get("Sec-WebSocket-Extensions") != "":
			fail("client offered extensions %q (compression must be off)", req.Header.Get("Sec-WebSocket-Extensions"))
			return
		}
		fmt.Fprintf(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: v2\r\n\r\n",
			acceptKey(req.Header.Get("Sec-WebSocket-Key")))
		// Godot's server put_packet: an unmasked binary frame.
		nc.Write([]byte{0x82, 5, 'h', 'e', 'l', 'l', 'o'})
		// Read the client's frame and unmask it.
		var h [6]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			res <- result{err: err}
			return
		}
		if h[1]&0x80 == 0 {
			fail("client frame not masked")
			return
		}
		p := make([]byte, h[1]&0x7f)
		io.ReadFull(br, p)
		for i := range p {
			p[i] ^= h[2+i%4]
		}
		res <- result{frame: append([]byte{h[0]}, p...)}
	}()
	c, err := Dial(testCtx(t), "ws://"+ln.Addr().String()+"/game", &Config{SupportedProtocols: []string{"chat", "v2"}})
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, "v2", c.SelectedProtocol())
	require.Equal(t, "hello", string(readPacket(t, c)))
	require.NoError(t, c.PutPacket([]byte("hi!")))
	r := <-res
	require.NoError(t, r.err)
	require.Equal(t, append([]byte{0x82}, "hi!"...), r.frame)
}

func TestMalformedFrames(t *testing.T) {
	peertest.CheckGoroutines(t)
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"reserved bits", func() []byte { f := clientFrame(0x2, []byte("x"), true); f[0] |= 0x40; return f }()},
		{"unknown opcode", clientFrame(0x3, []byte("x"), true)},
		{"unmasked client frame", []byte{0x82, 1, 'x'}},
		{"fragmented control", clientFrame(0x9, nil, false)},
		{"continuation without start", clientFrame(0x0, []byte("x"), true)},
		{"bad close code", clientFrame(0x8, []byte{0x03, 0xed}, true)}, // 1005
		{"1-byte close payload", clientFrame(0x8, []byte{0x03}, true)}, // RFC 6455 5.5.1
		{"1-byte close payload, masked zero", clientFrame(0x8, []byte{0x00}, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := listen(t, nil)
			nc, err := net.Dial("tcp", l.Addr().String())
			require.NoError(t, err)
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			_, br, err := godotClientHandshake(nc, l.Addr().String(), "/", nil)
			require.NoError(t, err)
			s, err := l.Accept(testCtx(t))
			require.NoError(t, err)
			defer s.Close()
			_, err = nc.Write(tc.frame)
			require.NoError(t, err)
			op, _, p, err := readServerFrame(br)
			require.NoError(t, err)
			require.Equal(t, byte(0x8), op, "want a close frame")
			require.Equal(t, uint16(CloseProtocolError), binary.BigEndian.Uint16(p))
			nc.Close() // the server drains until then
			<-s.Disconnected()
			require.Equal(t, CloseProtocolError, s.CloseCode())
			_, err = s.ReadPacket(testCtx(t))
			require.ErrorIs(t, err, peer.ErrInvalidData)
		})
	}
}

func TestWSS(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	require.NoError(t, err)
	l := listen(t, &Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
	ctx := testCtx(t)
	c, err := Dial(ctx, "wss://"+l.Addr().String()+"/secure", &Config{TLSConfig: &tls.Config{RootCAs: cert.Pool}})
	require.NoError(t, err)
	defer c.Close()
	s, err := l.Accept(ctx)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "wss://"+l.Addr().String()+"/secure", s.RequestedURL())
	require.NoError(t, c.PutVar("secret"))
	v, err := s.ReadVar(ctx)
	require.NoError(t, err)
	require.Equal(t, "secret", v)
	require.NoError(t, c.SetNoDelay(true))

	// An untrusted certificate fails the dial.
	_, err = Dial(ctx, "wss://"+l.Addr().String()+"/", nil)
	require.ErrorIs(t, err, peer.ErrCantConnect)

	// A TCP client that never starts TLS is dropped after HandshakeTimeout.
	l2 := listen(t, &Config{HandshakeTimeout: 100 * time.Millisecond, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
	nc, err := net.Dial("tcp", l2.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = nc.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
}

func TestWSSConformance(t *testing.T) {
	cert, err := devcert.New()
	require.NoError(t, err)
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		l := listen(t, &Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}}})
		c, err := Dial(testCtx(t), "wss://"+l.Addr().String()+"/", &Config{TLSConfig: &tls.Config{RootCAs: cert.Pool}})
		require.NoError(t, err)
		s, err := l.Accept(testCtx(t))
		require.NoError(t, err)
		return c, s
	}, peertest.Config{})
}

func TestHandlerAndUpgrade(t *testing.T) {
	peertest.CheckGoroutines(t)
	echo, err := NewHandler(nil, func(p *Peer) {
		for {
			b, err := p.ReadPacket(testCtx(t))
			if err != nil {
				return
			}
			if p.WasStringPacket() {
				p.SendText(string(b))
			} else {
				p.PutPacket(b)
			}
		}
	})
	require.NoError(t, err)
	queued, err := NewHandler(nil, nil)
	require.NoError(t, err)
	upgraded := make(chan *Peer, 1)
	mux := http.NewServeMux()
	mux.Handle("/echo", echo)
	mux.Handle("/queued", queued)
	mux.HandleFunc("/upgrade", func(w http.ResponseWriter, r *http.Request) {
		p, err := Upgrade(w, r, &Config{SupportedProtocols: []string{"p"}})
		if err == nil {
			upgraded <- p
		}
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer queued.Close()
	defer echo.Close()
	base := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx := testCtx(t)

	c, err := Dial(ctx, base+"/echo", nil)
	require.NoError(t, err)
	require.NoError(t, c.SendText("echo me"))
	require.Equal(t, "echo me", string(readPacket(t, c)))
	require.True(t, c.WasStringPacket())
	c.Close()

	c, err = Dial(ctx, base+"/queued", nil)
	require.NoError(t, err)
	defer c.Close()
	s, err := queued.Accept(ctx)
	require.NoError(t, err)
	require.NoError(t, s.PutPacket([]byte("q")))
	require.Equal(t, "q", string(readPacket(t, c)))

	c2, err := Dial(ctx, base+"/upgrade", &Config{SupportedProtocols: []string{"p"}})
	require.NoError(t, err)
	defer c2.Close()
	s2 := <-upgraded
	defer s2.Close()
	require.Equal(t, "p", s2.SelectedProtocol())

	// A plain HTTP request to a WebSocket endpoint gets an error, the rest of the mux works.
	resp, err := http.Get(srv.URL + "/queued")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, err = http.Get(srv.URL + "/page")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	srv.CloseClientConnections()
}

// TestHeartbeatDropsStalledReader: a client that stops reading blocks the
// server's writer once the socket buffers fill; the heartbeat still drops it.
func TestHeartbeatDropsStalledReader(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, &Config{HeartbeatInterval: 100 * time.Millisecond, OutboundBufferSize: 1 << 20})
	nc, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	_, _, err = godotClientHandshake(nc, l.Addr().String(), "/", nil)
	require.NoError(t, err) // and never read again
	s, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	defer s.Close()
	writeErr := make(chan error, 1)
	go func() {
		msg := make([]byte, 60000)
		for {
			if err := s.WritePacket(testCtx(t), msg); err != nil {
				writeErr <- err
				return
			}
		}
	}()
	select {
	case <-s.Disconnected():
	case <-time.After(8 * time.Second):
		t.Fatal("stalled client was not dropped")
	}
	require.Equal(t, -1, s.CloseCode())
	require.ErrorIs(t, <-writeErr, peer.ErrFailed)
	_, err = s.ReadPacket(testCtx(t))
	require.ErrorIs(t, err, peer.ErrTimeout)
}

// TestNoCompression: a client offering permessage-deflate gets no extension
// (Godot drops compressed frames, so the server must never compress).
func TestNoCompression(t *testing.T) {
	peertest.CheckGoroutines(t)
	l := listen(t, nil)
	d := gws.Dialer{EnableCompression: true}
	raw, resp, err := d.DialContext(testCtx(t), wsURL(l), nil)
	require.NoError(t, err)
	defer raw.Close()
	require.Empty(t, resp.Header.Get("Sec-WebSocket-Extensions"))
	s, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutPacket(bytes.Repeat([]byte("compressible "), 100)))
	_, p, err := raw.ReadMessage()
	require.NoError(t, err)
	require.Len(t, p, 1300)
	raw.Close() // before s.Close, which would wait for a close answer
}
