//go:build !unix

package udp

import (
	"context"

	"github.com/packetpeer/packetpeer/internal/udpsock"
)

// Direct reads need the unix socket API; elsewhere every peer has a
// reader goroutine (Config.BackgroundRead is implied).

type directState struct{}

func (t *transport) setupDirect(*udpsock.Reader) bool { return false }

func (t *transport) drain() {}

func (t *transport) waitDirect(ctx context.Context) error { return nil }
