package enet

import (
	"bytes"
	"testing"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

// TestGodotCompressors: two Go hosts with Godot's FASTLZ, ZLIB or ZSTD mode
// exchange small, compressible and incompressible packets, and a 100 KB
// one in fragments; the datagrams really are compressed (bytes sent are
// fewer than the payload for repetitive data).
func TestGodotCompressors(t *testing.T) {
	for _, mode := range []CompressionMode{CompressFastLZ, CompressZlib, CompressZstd} {
		t.Run([]string{2: "fastlz", 3: "zlib", 4: "zstd"}[mode], func(t *testing.T) {
			peertest.CheckGoroutines(t)
			srv, err := NewHost("127.0.0.1:0", &Config{MaxPeers: 2})
			require.NoError(t, err)
			defer srv.Close()
			cli, err := NewHost("", &Config{MaxPeers: 1})
			require.NoError(t, err)
			defer cli.Close()
			require.NoError(t, srv.Compress(mode))
			require.NoError(t, cli.Compress(mode))
			ctx := testCtx(t)
			cp, err := cli.ConnectToHost(srv.LocalAddr().String(), 2, 9)
			require.NoError(t, err)
			ev, err := srv.Service(ctx)
			require.NoError(t, err)
			require.Equal(t, EventConnect, ev.Type)
			sp := ev.Peer
			ev, err = cli.Service(ctx)
			require.NoError(t, err)
			require.Equal(t, EventConnect, ev.Type)
			cli.PopStatistic(StatSentData)
			big := bytes.Repeat([]byte("godot enet "), 10000)
			noise := make([]byte, 1000)
			for i := range noise {
				noise[i] = byte(i * 7919 >> 3)
			}
			for _, msg := range [][]byte{[]byte("x"), noise, big} {
				require.NoError(t, cp.Send(1, msg, FlagReliable))
				ev, err = srv.Service(ctx)
				require.NoError(t, err)
				require.Equal(t, EventReceive, ev.Type)
				got, err := sp.GetPacket()
				require.NoError(t, err)
				require.Equal(t, msg, got)
			}
			sent := cli.PopStatistic(StatSentData)
			t.Logf("%d payload bytes sent in %d datagram bytes", 1+len(noise)+len(big), sent)
			require.Less(t, sent, uint64(len(big)/4))
		})
	}
}

// FuzzGodotDecompressors: the FASTLZ, ZLIB and ZSTD decoders never panic
// and never write beyond their limit.
func FuzzGodotDecompressors(f *testing.F) {
	z := &zlibCodec{}
	zs, err := newZstd()
	require.NoError(f, err)
	f.Cleanup(zs.close)
	seed, _ := zs.Compress(nil, bytes.Repeat([]byte("abcd"), 100))
	f.Add(seed)
	seed, _ = z.Compress(nil, bytes.Repeat([]byte("abcd"), 100))
	f.Add(seed)
	seed, _ = fastLZ{}.Compress(nil, bytes.Repeat([]byte("abcd"), 100))
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range []compressor{fastLZ{}, z, zs} {
			out, err := c.Decompress([]byte{1, 2}, b, 1000)
			if err == nil && len(out) > 1002 {
				t.Fatalf("%T: %d bytes out, limit 1000", c, len(out)-2)
			}
		}
	})
}
