//go:build unix

package udp

import (
	"net/netip"
	"syscall"
)

func setBroadcast(fd uintptr, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, v)
}

func getBroadcast(fd uintptr) (bool, error) {
	v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST)
	return v != 0, err
}

func setReuseAddr(fd uintptr) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
}

func connectSocket(fd uintptr, ap netip.AddrPort, v6 bool) error {
	if v6 {
		return syscall.Connect(int(fd), &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()})
	}
	return syscall.Connect(int(fd), &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
}
