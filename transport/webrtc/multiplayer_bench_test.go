package webrtc

import (
	"context"
	"testing"

	"github.com/packetpeer/packetpeer/multiplayer"
)

// BenchmarkMultiplayer compares a 64-byte round trip through two
// MultiplayerPeers (SendTo, ReadPacketFrom: the peer's note queue and
// look-ahead on top of the channel) with the same round trip on the plain
// reliable DataChannels of a pair connected the same way (PutPacket,
// AppendPacket), in the same run:
//
//	go test -run '^$' -bench Multiplayer -benchmem -count 5 ./transport/webrtc/
func BenchmarkMultiplayer(b *testing.B) {
	b.Run("RoundTrip/mp", func(b *testing.B) {
		srv, err := CreateServer(nil)
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		cli, err := CreateClient(2, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer cli.Close()
		mpPair(b, srv, 1, cli, 2, 1)
		ctx, cancel := context.WithCancel(ctxT(b))
		defer cancel()
		if _, err := cli.ReadEvent(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := srv.ReadEvent(ctx); err != nil {
			b.Fatal(err)
		}
		go func() { // echo
			for {
				p, info, err := srv.ReadPacketFrom(ctx)
				if err != nil || srv.SendTo(info.From, info.Mode, info.Channel, p) != nil {
					return
				}
			}
		}()
		msg := make([]byte, 64)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := cli.SendTo(1, multiplayer.TransferModeReliable, 0, msg); err != nil {
				b.Fatal(err)
			}
			if _, _, err := cli.ReadPacketFrom(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RoundTrip/channel", func(b *testing.B) {
		_, a, c := negotiatedPair(b, DataChannelConfig{ID: 1})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { // echo
			var buf []byte
			for {
				var err error
				buf, err = c.AppendPacket(ctx, buf[:0])
				if err != nil || c.PutPacket(buf) != nil {
					return
				}
			}
		}()
		msg := make([]byte, 64)
		var buf []byte
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := a.PutPacket(msg); err != nil {
				b.Fatal(err)
			}
			var err error
			if buf, err = a.AppendPacket(ctx, buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
