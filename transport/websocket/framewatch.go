package websocket

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
)

// frameWatch is the connection under gorilla's reader. It follows the frame
// boundaries of the bytes read through it (headers only; payloads are
// skipped by count, so it costs a few operations per frame), which tells
// the reader what gorilla does not: the payload length of a close frame
// (RFC 6455 5.5.1 forbids 1 byte), whether the stream ended inside a frame,
// and, while the connection drains after this side failed it, when the
// remote's close frame has arrived. Only the reading goroutine reads it.
type frameWatch struct {
	net.Conn

	httpEnd   int // > 0: bytes of "\r\n\r\n" matched; < 0: frames follow
	hdr       [14]byte
	hn        int    // header bytes collected
	remaining uint64 // payload bytes left in the current frame
	closing   bool   // the current frame is a close frame
	closeLen  uint64 // payload length of the last close frame
	closeSeen bool   // a whole close frame has been read
}

// newFrameWatch watches nc. With afterHTTP set the stream starts with an
// HTTP response (a client's connection); frames begin after its blank line.
func newFrameWatch(nc net.Conn, afterHTTP bool) *frameWatch {
	w := &frameWatch{Conn: nc, httpEnd: -1}
	if afterHTTP {
		w.httpEnd = 0
	}
	return w
}

func (w *frameWatch) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.scan(p[:n])
	return n, err
}

// scan advances the frame state over b.
func (w *frameWatch) scan(b []byte) {
	for w.httpEnd >= 0 && len(b) > 0 {
		c := b[0]
		b = b[1:]
		switch {
		case c == "\r\n\r\n"[w.httpEnd]:
			w.httpEnd++
		case c == '\r':
			w.httpEnd = 1
		default:
			w.httpEnd = 0
		}
		if w.httpEnd == 4 {
			w.httpEnd = -1
		}
	}
	for len(b) > 0 {
		if w.remaining > 0 {
			k := uint64(len(b))
			if k > w.remaining {
				k = w.remaining
			}
			w.remaining -= k
			b = b[k:]
			if w.remaining == 0 && w.closing {
				w.closeSeen = true
			}
			continue
		}
		if w.hn == 0 && len(b) >= 2 {
			// Fast path: the whole header is in b, and the payload is
			// skipped at once when it is too.
			if need := headerLen(b[1]); len(b) >= need {
				size := payloadLen(b)
				w.frame(b[0], size)
				b = b[need:]
				if size <= uint64(len(b)) {
					b = b[size:]
					w.remaining = 0
					if w.closing {
						w.closeSeen = true
					}
				}
				continue
			}
		}
		w.hdr[w.hn] = b[0]
		w.hn++
		b = b[1:]
		if w.hn >= 2 && w.hn == headerLen(w.hdr[1]) {
			w.hn = 0
			w.frame(w.hdr[0], payloadLen(w.hdr[:]))
		}
	}
}

// headerLen is the length of a frame header whose second byte is b1.
func headerLen(b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// payloadLen decodes the payload length of the header h.
func payloadLen(h []byte) uint64 {
	switch l := h[1] & 0x7f; l {
	case 126:
		return uint64(binary.BigEndian.Uint16(h[2:]))
	case 127:
		return binary.BigEndian.Uint64(h[2:])
	default:
		return uint64(l)
	}
}

// frame starts a frame whose first header byte is b0.
func (w *frameWatch) frame(b0 byte, size uint64) {
	w.remaining = size
	w.closing = b0&0x0f == 0x8
	if w.closing {
		w.closeLen = size
		if size == 0 {
			w.closeSeen = true
		}
	}
}

// midFrame reports whether the bytes read so far end inside a frame.
func (w *frameWatch) midFrame() bool { return w.hn > 0 || w.remaining > 0 }

// watchWriter hands gorilla's Upgrader a hijacked connection wrapped in a
// frameWatch.
type watchWriter struct {
	http.ResponseWriter
	fw *frameWatch
}

// Hijack implements http.Hijacker for gorilla's Upgrader.
func (w *watchWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil || brw.Reader.Buffered() > 0 {
		// gorilla refuses a client that sent data before the 101.
		return nc, brw, err
	}
	w.fw = newFrameWatch(nc, false)
	brw.Reader.Reset(w.fw) // empty: only its buffer is reused
	return w.fw, brw, nil
}
