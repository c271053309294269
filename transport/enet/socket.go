package enet

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/packetpeer/packetpeer/internal/udpsock"
)

// This file is the host's only contact with its UDP socket, an
// internal/udpsock.Conn.
//
// Reading: one goroutine reads the socket in batches (one recvmmsg on
// Linux) and hands every datagram of a batch to the protocol under one
// lock. A DTLS host reads one datagram at a time instead, into a buffer big
// enough for any DTLS handshake flight.
//
// Writing: a pass that may send to many peers (the timer goroutine's, a
// received batch's, Flush, Close) queues its datagrams and sends them in
// one sendmmsg once the host's lock is released; a datagram sent outside
// such a pass (DisconnectNow, say) leaves at once.

// A read returns up to one datagram per peer slot, 4 to 16, each in a
// buffer of maxMTU bytes (ENet's receive buffer; a longer datagram is
// dropped, as ENet's truncated receive is): 16 KiB of read buffers for a
// one-peer host (Dial's), 64 KiB from 16 peers up.
const minReadBatch, maxReadBatch = 4, 16

// openSocket binds a UDP socket on addr ("" = an ephemeral port on every
// address) for a host of maxPeers peers.
func openSocket(addr string, maxPeers int) (*udpsock.Conn, error) {
	if addr == "" {
		addr = ":0"
	}
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "*" {
		addr = net.JoinHostPort("", port)
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(context.Background(), "udp", addr)
	if err != nil {
		return nil, err
	}
	conn := pc.(*net.UDPConn)
	_ = conn.SetReadBuffer(socketBufferSize)
	_ = conn.SetWriteBuffer(socketBufferSize)
	sock, err := udpsock.New(conn, udpsock.Config{MaxPacketSize: maxMTU, Batch: min(max(maxPeers, minReadBatch), maxReadBatch)})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return sock, nil
}

// socketBufferSize is ENet's ENET_HOST_RECEIVE_BUFFER_SIZE and _SEND_.
const socketBufferSize = 256 << 10

// writeTo sends one datagram, or queues it during a pass. Errors are
// counted, not returned: ENet treats a failed send like a lost datagram.
// Called with h.mu held.
func (h *Host) writeTo(b []byte, to netip.AddrPort) {
	var err error
	switch {
	case h.dtls.Load() != nil:
		err = h.dtls.Load().send(b, to)
	case h.inPass:
		h.sock.Enqueue(b, to)
		h.queued++
	default:
		err = h.sock.WriteTo(b, to)
	}
	if err != nil {
		h.stats.sendErrors++
		return
	}
	h.stats.sentPackets++
	h.stats.sentData += uint64(len(b))
}

// lockPass takes h.mu and starts a pass: writeTo queues datagrams until
// unlockPass.
func (h *Host) lockPass() {
	h.mu.Lock()
	h.inPass = true
}

// unlockPass ends a pass: it releases h.mu, then sends what the pass
// queued, so that the protocol runs on while the system call does.
func (h *Host) unlockPass() {
	n := h.queued
	h.queued, h.inPass = 0, false
	h.mu.Unlock()
	if n > 0 {
		h.sock.Flush()
	}
}

// SocketSend sends a raw datagram from the host's socket (Godot's
// socket_send, e.g. for NAT punch-through).
func (h *Host) SocketSend(addr netip.AddrPort, data []byte) error {
	return h.sock.WriteTo(data, addr)
}

// LocalAddr returns the socket's address.
func (h *Host) LocalAddr() net.Addr { return h.sock.LocalAddr() }

// LocalPort returns the local port (Godot's get_local_port).
func (h *Host) LocalPort() int { return h.sock.LocalAddr().(*net.UDPAddr).Port }

// readLoop reads batches of datagrams until the socket is closed and hands
// them to the protocol; once DTLS is set up, it reads for the DTLS layer.
func (h *Host) readLoop() {
	defer close(h.readerDone)
	for {
		if d := h.dtls.Load(); d != nil {
			h.readDTLS(d)
			return
		}
		ms, err := h.sock.ReadBatch()
		if err != nil {
			if h.closing(err) {
				return
			}
			continue // transient, or wakeReader's deadline
		}
		h.receiveBatch(ms)
	}
}

// closing reports whether a read failed because the host is closing.
func (h *Host) closing(err error) bool {
	select {
	case <-h.done:
		return true
	default:
		return errors.Is(err, net.ErrClosed)
	}
}

// receiveBatch runs the protocol on a batch of datagrams under one lock.
func (h *Host) receiveBatch(ms []udpsock.Message) {
	if d := h.dtls.Load(); d != nil {
		for i := range ms {
			if p := ms[i].Payload(); p != nil {
				d.inbound(ms[i].Addr, p)
			}
		}
		return
	}
	h.lockPass()
	if h.closed {
		h.unlockPass()
		return
	}
	h.serviceTime = h.clock()
	for i := range ms {
		if p := ms[i].Payload(); p != nil { // nil: longer than maxMTU
			h.handleReceived(ms[i].Addr, p)
		}
	}
	h.unlockPass()
}

// receive handles one datagram outside a batch: DTLS's, which come out
// of each session's goroutine.
func (h *Host) receive(src netip.AddrPort, b []byte) {
	h.lockPass()
	if !h.closed {
		h.serviceTime = h.clock()
		h.handleReceived(src, b)
	}
	h.unlockPass()
}

// handleReceived runs the protocol on one datagram. Called during a pass.
func (h *Host) handleReceived(src netip.AddrPort, b []byte) {
	if s := h.handleDatagram(src, b); s != nil && (len(s.acks) > 0 || s.queued() > 0) {
		h.markDirty(s)
	}
	if h.urgent {
		// A connection changed state: its acknowledgements go before the
		// application can react (say, disconnect at once and drop them).
		h.urgent = false
		h.flushDirty()
	}
}

// wakeReader makes the read loop look at h.dtls again: its blocked read
// returns at once.
func (h *Host) wakeReader() {
	_ = h.sock.UDPConn().SetReadDeadline(time.Unix(1, 0))
}

// readDTLS reads datagrams one at a time for the DTLS layer, which copies
// each: a handshake flight may be longer than ENet's maxMTU.
func (h *Host) readDTLS(d *dtlsLayer) {
	conn := h.sock.UDPConn()
	_ = conn.SetReadDeadline(time.Time{})
	buf := make([]byte, 1<<16)
	for {
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if h.closing(err) {
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				_ = conn.SetReadDeadline(time.Time{})
			}
			continue
		}
		d.inbound(netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), buf[:n])
	}
}
