package hostile

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestUnreadServerPeer: on every transport, a client sends as fast as it can
// for one second to a server peer the application never reads. What the
// server holds must stay bounded (receive queues, back-pressure or drops,
// never an unbounded buffer); afterwards the queued packets are readable,
// and on ordered transports they start with the first one sent.
func TestUnreadServerPeer(t *testing.T) {
	for _, k := range allKits() {
		t.Run(k.name, func(t *testing.T) {
			peertest.CheckGoroutines(t)
			addr, accept, closeLn := k.listen(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := k.dial(ctx, addr)
			require.NoError(t, err)
			require.NoError(t, c.PutPacket([]byte("hello"))) // a UDP server knows a client by its first datagram
			sp, err := accept(ctx)
			require.NoError(t, err)
			got, err := sp.ReadPacket(ctx)
			require.NoError(t, err)
			require.Equal(t, "hello", string(got))
			before := heapNow()

			stop := make(chan struct{})
			var wg sync.WaitGroup
			var sent int
			wg.Add(1)
			go func() {
				defer wg.Done()
				pkt := make([]byte, 1000)
				for {
					select {
					case <-stop:
						return
					default:
					}
					binary.LittleEndian.PutUint32(pkt, uint32(sent))
					if err := c.PutPacket(pkt); err != nil {
						if !errors.Is(err, peer.ErrOutOfMemory) && !errors.Is(err, peer.ErrUnavailable) {
							return // the server peer is gone
						}
						// A full send queue (WebSocket refuses, it never
						// blocks): pace the load, then try again.
						select {
						case <-stop:
							return
						case <-time.After(time.Millisecond):
						}
						continue
					}
					sent++
				}
			}()
			load := time.NewTimer(time.Second)
			<-load.C // the load lasts one second
			heapDuring := heapNow()
			queued := sp.AvailablePacketCount()
			t.Logf("HEAP %s: server holds %d packets, heap growth %+d bytes during the load",
				t.Name(), queued, int64(heapDuring)-int64(before))
			require.Less(t, int64(heapDuring)-int64(before), int64(heapBound))
			require.Greater(t, queued, 0)

			first, err := sp.GetPacket()
			require.NoError(t, err)
			if k.name != "udp" && k.name != "dtls" {
				require.Equal(t, uint32(0), binary.LittleEndian.Uint32(first), "first packet of an ordered transport")
			}
			// Closing the server peer ends a client blocked by back-pressure.
			require.NoError(t, sp.Close())
			close(stop)
			closeLn()
			wg.Wait()
			c.Close()
			t.Logf("client put %d packets in the second", sent)
		})
	}
}
