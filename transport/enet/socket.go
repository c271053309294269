package enet

import (
	"context"
	"errors"
	"net"
	"net/netip"
)

// This file is the host's only contact with the UDP socket, so that it can
// move onto a shared socket layer later.

// openSocket binds a UDP socket on addr ("" = an ephemeral port on every
// address).
func openSocket(addr string) (*net.UDPConn, error) {
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
	return conn, nil
}

// socketBufferSize is ENet's ENET_HOST_RECEIVE_BUFFER_SIZE and _SEND_.
const socketBufferSize = 256 << 10

// writeTo sends one datagram. Errors are counted, not returned: ENet treats
// a failed send like a lost datagram.
func (h *Host) writeTo(b []byte, to netip.AddrPort) {
	var err error
	if d := h.dtls.Load(); d != nil {
		err = d.send(b, to)
	} else {
		_, err = h.conn.WriteToUDPAddrPort(b, h.socketAddr(to))
	}
	if err != nil {
		h.stats.sendErrors++
		return
	}
	h.stats.sentPackets++
	h.stats.sentData += uint64(len(b))
}

// socketAddr is to as the socket wants it (IPv4-mapped on an IPv6 socket).
func (h *Host) socketAddr(to netip.AddrPort) netip.AddrPort {
	if h.v6 && to.Addr().Is4() {
		return netip.AddrPortFrom(netip.AddrFrom16(to.Addr().As16()), to.Port())
	}
	return to
}

// readLoop reads datagrams until the socket is closed and hands each to the
// protocol.
func (h *Host) readLoop() {
	defer close(h.readerDone)
	buf := make([]byte, 1<<16)
	for {
		n, src, err := h.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		if d := h.dtls.Load(); d != nil {
			d.inbound(src, buf[:n])
			continue
		}
		if n > maxMTU {
			continue // ENet's receive buffer is 4096 bytes
		}
		h.receive(src, buf[:n])
	}
}
