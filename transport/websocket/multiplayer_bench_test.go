package websocket

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkMultiplayer compares the receive path of a MultiplayerPeer
// (reader goroutine -> shared queue -> ReadPacketFrom) with a plain Peer's
// (mp vs peer, same run), both ways. Senders write on the underlying
// WebSocket with WritePacket, so both sides send the same frames.
//
//	go test -run '^$' -bench Multiplayer -benchmem -count 5 ./transport/websocket/
func BenchmarkMultiplayer(b *testing.B) {
	for _, dir := range []string{"c2s", "s2c"} {
		for _, size := range benchSizes {
			name := dir + "/" + strconv.Itoa(size)
			b.Run(name+"/mp", func(b *testing.B) { benchMP(b, dir, size) })
			b.Run(name+"/peer", func(b *testing.B) { benchSDK(b, dir, size, false) })
		}
	}
}

func benchMP(b *testing.B, dir string, size int) {
	ctx := context.Background()
	s := createServer(b, nil)
	c, err := DialClient(ctx, mpURL(s), nil)
	require.NoError(b, err)
	defer c.Close()
	src, dst := c.GetPeer(1), s.Peer
	if dir == "s2c" {
		src, dst = s.GetPeer(c.UniqueID()), c.Peer
	}
	msg := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		for range b.N {
			if err := src.WritePacket(ctx, msg); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := range b.N {
		p, _, err := dst.ReadPacketFrom(ctx)
		if err != nil || len(p) != size {
			b.Fatalf("read %d: %d bytes, %v", i, len(p), err)
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
