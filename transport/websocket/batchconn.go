package websocket

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// maxBatch is the most bytes a corked batchConn collects before writing.
const maxBatch = 16 << 10

// batchConn is the TCP connection under gorilla on Dial and Listen. While
// the writer goroutine writes a batch of queued messages it is corked:
// frames collect in a buffer and leave in one write, so a burst of small
// messages costs one system call instead of one each.
//
// Writes are serialised by sem. A write made with a write deadline (gorilla's
// control frames: pongs, close answers, pings) gives up at that deadline
// when another write holds the connection, as gorilla's own lock does, so a
// stalled peer never blocks the reader or the heartbeat.
type batchConn struct {
	net.Conn
	sem      chan struct{} // cap 1: held while touching buf or writing to Conn
	corked   bool
	buf      []byte
	deadline atomic.Int64 // write deadline, UnixNano; 0 = none
	timedOut atomic.Bool  // a read met its deadline (a Listener counts the drop)
}

func (b *batchConn) Read(p []byte) (int, error) {
	n, err := b.Conn.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.timedOut.Store(true)
	}
	return n, err
}

func newBatchConn(nc net.Conn) *batchConn {
	return &batchConn{Conn: nc, sem: make(chan struct{}, 1)}
}

func (b *batchConn) acquire() error {
	select {
	case b.sem <- struct{}{}:
		return nil
	default:
	}
	dl := b.deadline.Load()
	if dl == 0 {
		b.sem <- struct{}{}
		return nil
	}
	t := time.NewTimer(time.Until(time.Unix(0, dl)))
	defer t.Stop()
	select {
	case b.sem <- struct{}{}:
		return nil
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
}

func (b *batchConn) release() { <-b.sem }

func (b *batchConn) Write(p []byte) (int, error) {
	if err := b.acquire(); err != nil {
		return 0, &net.OpError{Op: "write", Net: "tcp", Err: err}
	}
	defer b.release()
	if b.corked {
		if len(b.buf)+len(p) > maxBatch {
			if err := b.flushLocked(); err != nil {
				return 0, err
			}
		}
		if len(p) <= maxBatch {
			b.buf = append(b.buf, p...)
			return len(p), nil
		}
	} else if err := b.flushLocked(); err != nil {
		return 0, err
	}
	return b.Conn.Write(p)
}

func (b *batchConn) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.Conn.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// cork starts collecting writes.
func (b *batchConn) cork() {
	b.sem <- struct{}{}
	b.corked = true
	b.release()
}

// uncork writes what was collected and stops collecting.
func (b *batchConn) uncork() error {
	b.sem <- struct{}{}
	defer b.release()
	b.corked = false
	return b.flushLocked()
}

// flush writes what was collected, staying corked.
func (b *batchConn) flush() error {
	if err := b.acquire(); err != nil {
		return err
	}
	defer b.release()
	return b.flushLocked()
}

func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.setDeadline(t)
	return b.Conn.SetWriteDeadline(t)
}

func (b *batchConn) SetDeadline(t time.Time) error {
	b.setDeadline(t)
	return b.Conn.SetDeadline(t)
}

func (b *batchConn) setDeadline(t time.Time) {
	if t.IsZero() {
		b.deadline.Store(0)
	} else {
		b.deadline.Store(t.UnixNano())
	}
}

// CloseWrite half-closes, as *net.TCPConn does.
func (b *batchConn) CloseWrite() error {
	if cw, ok := b.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// findBatchConn returns the batchConn under nc, if any.
func findBatchConn(nc net.Conn) *batchConn {
	bc, _ := underlying(nc).(*batchConn)
	return bc
}

// underlying returns the connection under gorilla's: without frameWatch and
// TLS.
func underlying(nc net.Conn) net.Conn {
	if fw, ok := nc.(*frameWatch); ok {
		nc = fw.Conn
	}
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	return nc
}

// batchListener wraps accepted connections in batchConns.
type batchListener struct{ net.Listener }

func (l batchListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newBatchConn(nc), nil
}

// WrapListener returns ln with every accepted connection wrapped so that
// peers upgraded on it (Handler, Upgrade) coalesce queued frames into one
// write, as Listen's peers do. Serve your http.Server on it:
//
//	ln, _ := net.Listen("tcp", ":8080")
//	srv.Serve(websocket.WrapListener(ln))
//
// Plain HTTP requests on such connections are unaffected.
func WrapListener(ln net.Listener) net.Listener { return batchListener{ln} }
