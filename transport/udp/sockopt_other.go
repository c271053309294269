//go:build !unix && !windows

package udp

import (
	"net/netip"

	"github.com/packetpeer/packetpeer/peer"
)

// On platforms without the unix socket API, socket options are not applied.

func setBroadcast(fd uintptr, on bool) error { return nil }

func getBroadcast(fd uintptr) (bool, error) { return false, peer.ErrUnavailable }

func setReuseAddr(fd uintptr) error { return nil }

func connectSocket(fd uintptr, ap netip.AddrPort, v6 bool) error { return peer.ErrUnavailable }
