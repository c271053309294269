package hostile

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// mpAttacker is a raw WebSocket client of a multiplayer server that has read
// its id.
func mpAttacker(t *testing.T, ctx context.Context, url string) (*gws.Conn, int32) {
	t.Helper()
	c, _, err := gws.DefaultDialer.DialContext(ctx, url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, msg, err := c.ReadMessage()
	require.NoError(t, err)
	require.Len(t, msg, 4)
	return c, int32(binary.LittleEndian.Uint32(msg))
}

// WebSocket multiplayer server under a crowd: 100 connections that never
// send the upgrade, and 20 clients that flood it with 1 KiB packets while
// the application reads nothing. The idle ones are dropped after
// HandshakeTimeout and counted; the flooders are held back by TCP flow
// control (nothing dropped, the server's queue stays at 1 MiB); an honest
// client still connects, gets its id and its packets; the live heap stays
// under 16 MiB with everyone still connected (measured: 3.4 MiB, about
// 170 KiB per flooding client with the 1 MiB shared queue counted in).
func TestWebSocketMultiplayerCrowd(t *testing.T) {
	peertest.CheckGoroutines(t)
	before := heapNow()
	srv, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{HandshakeTimeout: 2 * time.Second})
	require.NoError(t, err)
	defer srv.Close()
	url := "ws://" + srv.Addr().String() + "/"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	const idle, flooders = 100, 20
	for range idle {
		nc, err := net.Dial("tcp", srv.Addr().String())
		require.NoError(t, err)
		defer nc.Close()
	}
	var wg sync.WaitGroup
	pkt := make([]byte, 1024)
	for range flooders {
		c, _ := mpAttacker(t, ctx, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Until the server stops reading: a write blocked for 300 ms.
			for {
				c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
				if c.WriteMessage(gws.BinaryMessage, pkt) != nil {
					return
				}
			}
		}()
	}
	wg.Wait()

	honestPeer, err := websocket.DialClient(ctx, url, nil)
	require.NoError(t, err)
	defer honestPeer.Close()
	require.NoError(t, srv.SendTo(honestPeer.UniqueID(), multiplayer.TransferModeReliable, 0, []byte("hi")))
	b, err := honestPeer.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(b))

	waitFor(t, 10*time.Second, "the idle connections to time out", func() bool {
		return srv.Stats().TimedOut == idle
	})
	require.Equal(t, uint64(flooders+1), srv.Stats().Accepted)
	checkHeap(t, before, 16<<20)

	// What the flooders got through is delivered, from them.
	n := 0
	for srv.AvailablePacketCount() > 0 && n < 1000 {
		b, info, err := srv.GetPacketFrom()
		require.NoError(t, err)
		require.Len(t, b, len(pkt))
		require.NotEqual(t, honestPeer.UniqueID(), info.From)
		n++
	}
	t.Logf("HEAP per flooding client: %d bytes", (int64(heapNow())-int64(before))/flooders)
}

// A client that sends a message over InboundBufferSize is failed with
// close code 1009 and reported disconnected; the others stay.
func TestWebSocketMultiplayerOversize(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer srv.Close()
	url := "ws://" + srv.Addr().String() + "/"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, id := mpAttacker(t, ctx, url)
	honestPeer, err := websocket.DialClient(ctx, url, nil)
	require.NoError(t, err)
	defer honestPeer.Close()

	require.NoError(t, c.WriteMessage(gws.BinaryMessage, make([]byte, websocket.DefaultInboundBufferSize+1)))
	_, _, err = c.ReadMessage()
	var ce *gws.CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, gws.CloseMessageTooBig, ce.Code)
	for {
		ev, err := srv.ReadEvent(ctx)
		require.NoError(t, err)
		if ev == (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: id}) {
			break
		}
		require.Equal(t, multiplayer.PeerConnected, ev.Type)
	}
	require.NoError(t, honestPeer.PutPacket([]byte("still here")))
	b, info, err := srv.ReadPacketFrom(ctx)
	require.NoError(t, err)
	require.Equal(t, "still here", string(b))
	require.Equal(t, honestPeer.UniqueID(), info.From)
}

// What an idle connected client costs a multiplayer server: its WebSocket
// peer, reader goroutines and buffers, the client side not counted (raw
// gorilla connections are measured in the heap too, so this is an upper
// bound). Bound: 64 KiB per client.
func TestWebSocketMultiplayerIdleClients(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer srv.Close()
	url := "ws://" + srv.Addr().String() + "/"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mpAttacker(t, ctx, url) // warm up pools
	const clients = 100
	before := heapNow()
	for range clients {
		mpAttacker(t, ctx, url)
	}
	per := (int64(heapNow()) - int64(before)) / clients
	t.Logf("HEAP per idle multiplayer client: %d bytes (server and raw client)", per)
	require.Less(t, per, int64(64<<10))
}
