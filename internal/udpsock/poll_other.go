//go:build !unix

package udpsock

import (
	"errors"
	"net/netip"
)

// pollRead: a read that does not wait needs the unix socket API.
func pollRead(uintptr, []byte, bool) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, errors.ErrUnsupported
}
