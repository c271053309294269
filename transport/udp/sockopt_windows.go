//go:build windows

package udp

import (
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
