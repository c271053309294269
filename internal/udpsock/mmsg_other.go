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
	msgs []Message
	// scratch holds any datagram, so that an oversize one is measured.
	scratch []byte
	calls   atomic.Uint64
}

func newReader(conn *net.UDPConn, _ syscall.RawConn, cfg Config) *reader {
	buf := make([]byte, cfg.Headroom+65536)
	return &reader{conn: conn, scratch: buf,
		msgs: []Message{{Buf: buf, headroom: cfg.Headroom, max: cfg.MaxPacketSize}}}
}

func (r *reader) read() (int, error) {
	m := &r.msgs[0]
	n, src, err := r.conn.ReadFromUDPAddrPort(r.scratch[m.headroom:])
	if err != nil {
		return 0, err
	}
	r.calls.Add(1)
	m.N, m.Addr = n, unmap(src)
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
