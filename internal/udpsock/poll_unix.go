//go:build unix && !linux

package udpsock

import (
	"net/netip"
	"syscall"
)

// pollRead reads one datagram from the non-blocking socket fd (EAGAIN when
// none is queued); the source is read only when the socket is not
// connected.
func pollRead(fd uintptr, b []byte, connected bool) (int, netip.AddrPort, error) {
	if connected {
		n, err := syscall.Read(int(fd), b)
		return n, netip.AddrPort{}, err
	}
	n, sa, err := syscall.Recvfrom(int(fd), b, 0)
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return n, netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), err
	case *syscall.SockaddrInet6:
		return n, netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)), err
	}
	return n, netip.AddrPort{}, err
}
