package chat

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/packetpeer/packetpeer/peer"
)

// ServeListener accepts clients from ln (any transport's *Listener: they
// all meet peer.Listener) and serves each in r until ctx ends
// or ln fails; then it closes ln, waits for every client's session to end and
// returns (nil when ctx ended or ln was closed).
func ServeListener[P peer.PacketPeer](ctx context.Context, r *Room, ln peer.Listener[P]) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var sessions sync.WaitGroup
	defer sessions.Wait()
	defer cancel() // ends the sessions before waiting for them
	for {
		p, err := ln.Accept(ctx)
		if err != nil {
			ln.Close()
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if ra, ok := any(p).(interface{ RemoteAddr() net.Addr }); ok {
			r.log.Info("new connection", "remote", ra.RemoteAddr().String())
		}
		sessions.Go(func() { r.Serve(ctx, p) })
	}
}
