package hostile

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/enet"
)

// ENet multiplayer server, 100 raw ENet clients whose CONNECT data is not a
// usable id (0, 1, the honest client's, 2^31 and above, cycling), each
// sending a packet once ENet connects: every one is reset on arrival
// (Stats.Refused), none is reported or gets a packet queued, the honest
// client is still served, and the live heap is back within 1 MiB once they
// are gone. Then the application sends 100000 packets to absent peers:
// each is refused with ErrInvalidParameter and nothing is kept.
func TestENetMultiplayerBadIDs(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := enet.CreateServer("127.0.0.1:0", &enet.MultiplayerConfig{MaxClients: 8})
	require.NoError(t, err)
	defer srv.Close()
	addr := srv.Host().LocalAddr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	honest, err := enet.DialClient(ctx, addr, nil)
	require.NoError(t, err)
	defer honest.Close()
	ev, err := srv.ReadEvent(ctx)
	require.NoError(t, err)
	require.Equal(t, multiplayer.Event{Type: multiplayer.PeerConnected, ID: honest.UniqueID()}, ev)
	before := heapNow()

	const n = 100
	claims := []uint32{0, 1, uint32(honest.UniqueID()), 1 << 31, 0xFFFFFFFF}
	hosts := make([]*enet.Host, 0, n)
	defer func() {
		for _, h := range hosts {
			h.Close()
		}
	}()
	for i := range n {
		h, err := enet.NewHost("127.0.0.1:0", &enet.Config{MaxPeers: 1})
		require.NoError(t, err)
		// Open until the server has counted it: closing at once could
		// reach the server before the ACK that completes the connection.
		hosts = append(hosts, h)
		p, err := h.ConnectToHost(addr, 0, claims[i%len(claims)])
		require.NoError(t, err)
		for {
			e, err := h.Service(ctx)
			require.NoError(t, err)
			if e.Type == enet.EventConnect {
				break
			}
		}
		_ = p.Send(0, []byte("smuggled"), enet.FlagReliable)
		h.Flush()
	}
	waitFor(t, 10*time.Second, "every bad claim to be refused", func() bool { return srv.Stats().Refused == n })
	for _, h := range hosts {
		h.Close()
	}
	hosts = nil
	require.EqualValues(t, 1, srv.Stats().Accepted)
	_, ok := srv.PollEvent()
	require.False(t, ok, "a refused client produced an event")
	require.Zero(t, srv.AvailablePacketCount(), "packets queued from refused clients")

	require.NoError(t, srv.SendTo(honest.UniqueID(), multiplayer.TransferModeReliable, 0, []byte("hi")))
	b, err := honest.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(b))

	pkt := make([]byte, 1000)
	for i := range 100000 {
		target := int32(1000 + i)
		if target == honest.UniqueID() {
			continue
		}
		if err := srv.SendTo(target, multiplayer.TransferModeReliable, 0, pkt); !errors.Is(err, peer.ErrInvalidParameter) {
			t.Fatalf("SendTo(absent %d) = %v", target, err)
		}
	}
	checkHeap(t, before, 1<<20)
}
