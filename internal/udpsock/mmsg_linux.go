package udpsock

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvmmsg(2) and sendmmsg(2) through syscall.RawConn, so that the runtime's
// poller does the waiting, as for net.UDPConn. golang.org/x/net/ipv4's
// ReadBatch does the same but allocates the source address of every
// datagram; here addresses are decoded into netip.AddrPort in place.

// mmsghdr is struct mmsghdr.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

func isIPv6(rc syscall.RawConn) (bool, error) {
	var domain int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		domain, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	}); err != nil {
		return false, err
	}
	return domain == unix.AF_INET6, serr
}

type reader struct {
	rc    syscall.RawConn
	cfg   Config
	hs    []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	msgs  []Message
	slots int // messages with a buffer: all but for a Reader not grown yet

	// A Reader's: one datagram per read (recvfrom) unless the last read
	// found datagrams waiting, and no source addresses when connected
	// (remote is then every datagram's source).
	peer      bool
	connected bool
	remote    netip.AddrPort

	vlen   int  // messages the next attempt asks for
	waited bool // the poller waited during this read
	burst  bool // a Reader's last read found datagrams waiting
	n      int
	err    error
	fn     func(fd uintptr) bool // waits on EAGAIN
	pollFn func(fd uintptr) bool // does not
	calls  atomic.Uint64
}

func newReader(conn *net.UDPConn, rc syscall.RawConn, cfg Config) *reader {
	r := newReaderSlots(conn, rc, cfg, cfg.Batch)
	r.grow()
	return r
}

// newReaderSlots makes a reader of up to n messages with the buffer of the
// first one only; grow gives the others theirs.
func newReaderSlots(_ *net.UDPConn, rc syscall.RawConn, cfg Config, n int) *reader {
	r := &reader{
		rc:    rc,
		cfg:   cfg,
		hs:    make([]mmsghdr, n),
		iovs:  make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n),
		msgs:  make([]Message, n),
	}
	r.fill(0, 1)
	r.slots = 1
	r.fn = func(fd uintptr) bool {
		if !r.recv(fd) {
			r.waited = true
			if r.peer {
				r.vlen = 1
			}
			return false
		}
		return true
	}
	r.pollFn = func(fd uintptr) bool {
		if !r.recv(fd) {
			r.n, r.err = 0, nil
		}
		return true
	}
	return r
}

// grow gives every message its buffer.
func (r *reader) grow() {
	r.fill(r.slots, len(r.hs))
	r.slots = len(r.hs)
}

// fill gives messages [from, to) their buffers, in one allocation.
func (r *reader) fill(from, to int) {
	if from >= to {
		return
	}
	cfg := r.cfg
	stride := cfg.Headroom + cfg.MaxPacketSize
	bufs := make([]byte, (to-from)*stride)
	for i := from; i < to; i++ {
		off := (i - from) * stride
		buf := bufs[off : off+stride : off+stride]
		r.msgs[i] = Message{Buf: buf, headroom: cfg.Headroom, max: cfg.MaxPacketSize}
		r.iovs[i].Base = &buf[cfg.Headroom]
		r.iovs[i].SetLen(cfg.MaxPacketSize)
		h := &r.hs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
	}
}

// recv is one recvmmsg of r.vlen messages (a recvfrom for a Reader's
// single one): it reports false (nothing to read) on EAGAIN.
func (r *reader) recv(fd uintptr) bool {
	for {
		var n uintptr
		var e syscall.Errno
		if r.peer && r.vlen == 1 {
			// What ReadFrom does: recvfrom(2), the cheapest read of one.
			h := &r.hs[0].hdr
			n, _, e = unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(r.iovs[0].Base)), uintptr(r.iovs[0].Len),
				unix.MSG_TRUNC, uintptr(unsafe.Pointer(h.Name)), uintptr(unsafe.Pointer(&h.Namelen)))
			if e == 0 {
				r.hs[0].n, n = uint32(n), 1
			}
		} else {
			n, _, e = unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hs[0])), uintptr(r.vlen),
				unix.MSG_TRUNC, 0, 0)
		}
		switch e {
		case 0:
			r.n, r.err = int(n), nil
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		r.n, r.err = 0, e
		return true
	}
}

// read reads datagrams into r.msgs[:n]: waiting for them when block is
// set, else returning 0 when none is queued.
func (r *reader) read(block bool) (int, error) {
	for i := range r.slots {
		if r.connected {
			r.hs[i].hdr.Name, r.hs[i].hdr.Namelen = nil, 0
		} else {
			r.hs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		}
		r.hs[i].hdr.Flags = 0
		r.hs[i].n = 0
	}
	r.n, r.err, r.vlen, r.waited = 0, nil, r.slots, false
	if r.peer && !r.burst {
		r.vlen = 1
	}
	fn := r.fn
	if !block {
		fn = r.pollFn
	}
	if err := r.rc.Read(fn); err != nil {
		return 0, err
	}
	if r.err != nil {
		return 0, &net.OpError{Op: "read", Net: "udp", Err: r.err}
	}
	if r.n > 0 {
		r.calls.Add(1)
	}
	for i := range r.n {
		m := &r.msgs[i]
		m.N = int(r.hs[i].n)
		if r.connected {
			m.Addr = r.remote
		} else {
			m.Addr = decodeAddr(&r.names[i])
		}
	}
	if r.peer {
		// Datagrams were waiting: read the next ones in batches.
		r.burst = r.n > 0 && !r.waited
		if r.burst && r.slots < len(r.hs) {
			r.grow()
		}
	}
	return r.n, nil
}

// decodeAddr reads a sockaddr_in or sockaddr_in6.
func decodeAddr(sa *unix.RawSockaddrInet6) netip.AddrPort {
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	if sa.Family == unix.AF_INET {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	}
	return unmap(netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port))
}

type writer struct {
	conn  *net.UDPConn
	rc    syscall.RawConn
	v6    bool
	hs    []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6

	off  int // first message of hs not yet sent
	cnt  int // messages in hs
	sent int
	err  error
	fn   func(fd uintptr) bool

	calls atomic.Uint64
}

func newWriter(conn *net.UDPConn, rc syscall.RawConn, v6 bool) *writer {
	w := &writer{
		conn:  conn,
		rc:    rc,
		v6:    v6,
		hs:    make([]mmsghdr, queueMessages),
		iovs:  make([]unix.Iovec, queueMessages),
		names: make([]unix.RawSockaddrInet6, queueMessages),
	}
	for i := range w.hs {
		h := &w.hs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&w.names[i]))
		h.Iov = &w.iovs[i]
		h.SetIovlen(1)
	}
	w.fn = w.send
	return w
}

func (w *writer) writeOne(p []byte, to netip.AddrPort) error {
	w.calls.Add(1)
	_, err := w.conn.WriteToUDPAddrPort(p, to)
	return err
}

// encodeAddr writes to as the socket's family wants it and returns its
// length; 0 when an IPv4 socket cannot reach an IPv6 address.
func (w *writer) encodeAddr(sa *unix.RawSockaddrInet6, to netip.AddrPort) uint32 {
	*sa = unix.RawSockaddrInet6{}
	a := to.Addr()
	if !w.v6 {
		if !a.Unmap().Is4() {
			return 0
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		sa4.Family = unix.AF_INET
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:], to.Port())
		sa4.Addr = a.Unmap().As4()
		return unix.SizeofSockaddrInet4
	}
	sa.Family = unix.AF_INET6
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], to.Port())
	sa.Addr = a.As16() // IPv4 as IPv4-mapped
	return unix.SizeofSockaddrInet6
}

// writeBatch sends every datagram of b and returns how many the system
// refused.
func (w *writer) writeBatch(b *batch) (failed int) {
	cnt := 0
	for i := range b.msgs {
		p := b.payload(i)
		nl := w.encodeAddr(&w.names[cnt], b.msgs[i].to)
		if nl == 0 {
			failed++
			continue
		}
		h := &w.hs[cnt].hdr
		h.Namelen = nl
		if len(p) > 0 {
			w.iovs[cnt].Base = &p[0]
		} else {
			w.iovs[cnt].Base = nil
		}
		w.iovs[cnt].SetLen(len(p))
		cnt++
	}
	w.off, w.cnt = 0, cnt
	for w.off < w.cnt {
		w.sent, w.err = 0, nil
		if err := w.rc.Write(w.fn); err != nil {
			// The socket is closed: the rest is not sent.
			failed += w.cnt - w.off
			break
		}
		w.calls.Add(1)
		w.off += w.sent
		if w.err != nil || w.sent == 0 {
			failed++ // the message at w.off was refused: skip it
			w.off++
		}
	}
	for i := range cnt {
		w.iovs[i].Base = nil // do not keep the arena reachable from here
	}
	return failed
}

// send is one sendmmsg from w.off: it reports false (wait for the socket
// to be writable) on EAGAIN.
func (w *writer) send(fd uintptr) bool {
	for {
		n, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&w.hs[w.off])), uintptr(w.cnt-w.off), 0, 0, 0)
		switch e {
		case 0:
			w.sent = int(n)
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		w.err = e
		return true
	}
}
