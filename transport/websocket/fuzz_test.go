package websocket

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// FuzzServerFrames feeds arbitrary bytes, after a valid Godot-style
// handshake, to a server peer over a real socket. Whatever arrives, the peer
// must never panic or hang, never queue a packet above InboundBufferSize,
// and must end in StateClosed with a *CloseError once the client hangs up.
func FuzzServerFrames(f *testing.F) {
	const limit = 1024
	l, err := Listen("127.0.0.1:0", &Config{InboundBufferSize: limit, CloseTimeout: 100 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { l.Close() })

	f.Add(clientFrame(0x2, []byte("binary"), true))
	f.Add(clientFrame(0x1, []byte("text"), true))
	f.Add(append(clientFrame(0x2, []byte("frag"), false), clientFrame(0x0, []byte("ment"), true)...))
	f.Add(clientFrame(0x9, []byte("ping"), true))
	f.Add(clientFrame(0x8, append([]byte{0x03, 0xe8}, "bye"...), true))
	f.Add(clientFrame(0x2, make([]byte, limit+1), true))
	f.Add([]byte{0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add([]byte{0xc2, 0x80, 1, 2, 3, 4})

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		nc, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		_, br, err := godotClientHandshake(nc, l.Addr().String(), "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, br) // pongs and close frames
		s, err := l.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := nc.Write(data); err != nil {
			t.Fatal(err)
		}
		nc.(*net.TCPConn).CloseWrite()
		for {
			p, err := s.ReadPacket(ctx)
			if err != nil {
				var ce *CloseError
				if !errors.As(err, &ce) {
					t.Fatalf("final error %v (%T), want *CloseError", err, err)
				}
				break
			}
			if len(p) > limit {
				t.Fatalf("packet of %d bytes above InboundBufferSize %d", len(p), limit)
			}
		}
		select {
		case <-s.Disconnected():
		case <-ctx.Done():
			t.Fatal("peer never reached StateClosed")
		}
		if s.ReadyState() != StateClosed {
			t.Fatalf("state %v", s.ReadyState())
		}
		if err := s.PutPacket([]byte("x")); !errors.Is(err, peer.ErrFailed) {
			t.Fatalf("PutPacket after close = %v", err)
		}
	})
}

// FuzzDialResponse answers Dial's upgrade request with arbitrary bytes (the
// token ACCEPT is replaced by the correct Sec-WebSocket-Accept value so that
// valid handshakes are reachable) and then closes. Dial must return a peer
// or an error matching ErrCantConnect, never panic or hang; a peer must end
// with a *CloseError and never return a packet above InboundBufferSize.
func FuzzDialResponse(f *testing.F) {
	const limit = 1024
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	valid := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\n\r\n"
	f.Add([]byte(valid))
	f.Add(append([]byte(valid), 0x82, 3, 'a', 'b', 'c', 0x81, 1, 'x', 0x88, 2, 0x03, 0xe8))
	f.Add(append([]byte(valid), 0x82, 126, 0xff, 0xff))
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\nSec-WebSocket-Protocol: evil\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("garbage"))

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		served := make(chan struct{})
		go func() {
			defer close(served)
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(5 * time.Second))
			req, err := http.ReadRequest(bufio.NewReader(nc))
			if err != nil {
				return
			}
			nc.Write(bytes.ReplaceAll(data, []byte("ACCEPT"), []byte(acceptKey(req.Header.Get("Sec-WebSocket-Key")))))
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := Dial(ctx, "ws://"+ln.Addr().String()+"/", &Config{InboundBufferSize: limit, HandshakeTimeout: time.Second, CloseTimeout: 100 * time.Millisecond})
		if err != nil {
			if !errors.Is(err, peer.ErrCantConnect) {
				t.Fatalf("Dial error %v does not match ErrCantConnect", err)
			}
			<-served
			return
		}
		defer p.Close()
		for {
			b, err := p.ReadPacket(ctx)
			if err != nil {
				var ce *CloseError
				if !errors.As(err, &ce) {
					t.Fatalf("final error %v (%T), want *CloseError", err, err)
				}
				break
			}
			if len(b) > limit {
				t.Fatalf("packet of %d bytes above InboundBufferSize", len(b))
			}
		}
		<-served
	})
}

// watchState is what a frameWatch has learned, for comparisons.
type watchState struct {
	midFrame, closeSeen bool
	closeLen            uint64
}

func stateOf(w *frameWatch) watchState {
	return watchState{w.midFrame(), w.closeSeen, w.closeLen}
}

// referenceFrames parses data as whole frames, one after the other.
func referenceFrames(data []byte) watchState {
	var s watchState
	for len(data) > 0 {
		if len(data) < 2 {
			s.midFrame = true
			return s
		}
		need := 2
		switch data[1] & 0x7f {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		if data[1]&0x80 != 0 {
			need += 4
		}
		if len(data) < need {
			s.midFrame = true
			return s
		}
		size := uint64(data[1] & 0x7f)
		switch size {
		case 126:
			size = uint64(binary.BigEndian.Uint16(data[2:]))
		case 127:
			size = binary.BigEndian.Uint64(data[2:])
		}
		isClose := data[0]&0x0f == 0x8
		if isClose {
			s.closeLen = size
		}
		data = data[need:]
		if uint64(len(data)) < size {
			s.midFrame = true
			return s
		}
		data = data[size:]
		if isClose {
			s.closeSeen = true
		}
	}
	return s
}

// FuzzFrameWatch: the frame tracker under gorilla's reader agrees with a
// whole-buffer parse of the same bytes, however the reads split them, and
// skips payloads without looking at them.
func FuzzFrameWatch(f *testing.F) {
	f.Add(clientFrame(0x8, []byte{0x03}, true), uint8(0))
	f.Add(append(clientFrame(0x2, make([]byte, 300), true), clientFrame(0x8, []byte{0x03, 0xe8}, true)...), uint8(3))
	f.Add(binary.BigEndian.AppendUint64([]byte{0x82, 0xff}, 1<<63-1), uint8(5))
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\n\r\n\x88\x00"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		whole := newFrameWatch(nil, false)
		whole.scan(data)
		parts := newFrameWatch(nil, false)
		step := int(split)%13 + 1
		for i := 0; i < len(data); i += step {
			parts.scan(data[i:min(i+step, len(data))])
		}
		want := referenceFrames(data)
		if got := stateOf(whole); got != want {
			t.Fatalf("whole scan %+v, reference %+v", got, want)
		}
		if got := stateOf(parts); got != want {
			t.Fatalf("scan in pieces of %d: %+v, reference %+v", step, got, want)
		}

		// After an HTTP response, frames start past its blank line.
		if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
			w := newFrameWatch(nil, true)
			w.scan(data)
			if got, want := stateOf(w), referenceFrames(data[i+4:]); got != want {
				t.Fatalf("after HTTP: %+v, reference %+v", got, want)
			}
		}
	})
}
