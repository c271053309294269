//go:build !linux

package udpsock

import (
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
)

// Without recvmmsg and sendmmsg, a read returns one datagram and a batch is
// sent one datagram at a time.

func isIPv6(syscall.RawConn) (bool, error) { return false, nil }

type reader struct {
	conn *net.UDPConn
	rc   syscall.RawConn
	msgs []Message
	// scratch holds any datagram, so that an oversize one is measured.
	scratch []byte

	peer      bool
	connected bool
	remote    netip.AddrPort

	n      int
	src    netip.AddrPort
	err    error
	pollFn func(fd uintptr) bool
	calls  atomic.Uint64
}

func newReader(conn *net.UDPConn, rc syscall.RawConn, cfg Config) *reader {
	return newReaderSlots(conn, rc, cfg, 1)
}

func newReaderSlots(conn *net.UDPConn, rc syscall.RawConn, cfg Config, _ int) *reader {
	buf := make([]byte, cfg.Headroom+65536)
	r := &reader{conn: conn, rc: rc, scratch: buf,
		msgs: []Message{{Buf: buf, headroom: cfg.Headroom, max: cfg.MaxPacketSize}}}
	r.pollFn = func(fd uintptr) bool {
		b := r.scratch[cfg.Headroom:]
		for {
			var err error
			r.n, r.src, err = pollRead(fd, b, r.connected)
			if err == syscall.EINTR {
				continue
			}
			if err == syscall.EAGAIN {
				r.n = -1
				err = nil
			}
			r.err = err
			return true
		}
	}
	return r
}

func (r *reader) read(block bool) (int, error) {
	m := &r.msgs[0]
	if block {
		n, src, err := r.conn.ReadFromUDPAddrPort(r.scratch[m.headroom:])
		if err != nil {
			return 0, err
		}
		r.calls.Add(1)
		m.N, m.Addr = n, unmap(src)
		if r.connected {
			m.Addr = r.remote
		}
		return 1, nil
	}
	if err := r.rc.Read(r.pollFn); err != nil {
		return 0, err
	}
	if r.err != nil {
		return 0, &net.OpError{Op: "read", Net: "udp", Err: r.err}
	}
	if r.n < 0 {
		return 0, nil
	}
	r.calls.Add(1)
	m.N, m.Addr = r.n, unmap(r.src)
	if r.connected {
		m.Addr = r.remote
	}
	return 1, nil
}

type writer struct {
	conn  *net.UDPConn
	calls atomic.Uint64
}

func newWriter(conn *net.UDPConn, _ syscall.RawConn, _ bool) *writer { return &writer{conn: conn} }

func (w *writer) writeOne(p []byte, to netip.AddrPort) error {
	w.calls.Add(1)
	_, err := w.conn.WriteToUDPAddrPort(p, to)
	return err
}

func (w *writer) writeBatch(b *batch) (failed int) {
	for i := range b.msgs {
		if w.writeOne(b.payload(i), b.msgs[i].to) != nil {
			failed++
		}
	}
	return failed
}
