//go:build windows

package udp

import (
	"net/netip"
	"syscall"

	"github.com/packetpeer/packetpeer/peer"
)

func setBroadcast(fd uintptr, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, v)
}

// getBroadcast is not available: Windows' syscall package has no getsockopt for ints.
func getBroadcast(fd uintptr) (bool, error) { return false, peer.ErrUnavailable }

func setReuseAddr(fd uintptr) error {
	return syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
}

func connectSocket(fd uintptr, ap netip.AddrPort, v6 bool) error {
	if v6 {
		return syscall.Connect(syscall.Handle(fd), &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()})
	}
	return syscall.Connect(syscall.Handle(fd), &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
}
