//go:build unix

package stream

import (
	"io"
	"net"
	"syscall"
)

// rawConnOf returns the raw connection of a TCP or Unix connection for
// write-through, nil for every other stream (a *tls.Conn, net.Pipe, or a
// wrapper whose Write must not be bypassed).
func rawConnOf(rwc io.ReadWriteCloser) syscall.RawConn {
	var sc syscall.Conn
	switch c := rwc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// tryWrite is the syscall.RawConn.Write callback of a write-through: one
// non-blocking write of c.wr.buf, recording in c.wr.rawN how much the kernel took.
// It is called with c.wr.mu held and always reports done: it never waits for
// the socket to become writable.
func (c *conn) tryWrite(fd uintptr) bool {
	for {
		n, err := syscall.Write(int(fd), c.wr.buf)
		if err == syscall.EINTR {
			continue
		}
		if n > 0 {
			c.wr.rawN = n
		}
		return true
	}
}
