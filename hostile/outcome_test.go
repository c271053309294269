package hostile

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/dtls"
	"github.com/packetpeer/packetpeer/transport/quic"
	"github.com/packetpeer/packetpeer/transport/stream"
	"github.com/packetpeer/packetpeer/transport/udp"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// Outcomes of peer/doc.go's table "How a connection ends", as classify
// names them.
const (
	outEOF      = "io.EOF"
	outCut      = "ErrConnectionError+io.ErrUnexpectedEOF"
	outTimeout  = "ErrTimeout"
	outClosed   = "ErrClosed"
	outWaits    = "waits" // no error: the read waits until its ctx ends
	outAbnormal = "ErrConnectionError"
)

// classify names the outcome of a server read: which of the table's
// sentinels err matches (errors.Is), or waits when only the read's own
// deadline ended it.
func classify(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, context.DeadlineExceeded):
		return outWaits
	case errors.Is(err, peer.ErrConnectionError) && errors.Is(err, io.ErrUnexpectedEOF):
		return outCut
	case errors.Is(err, io.EOF):
		return outEOF
	case errors.Is(err, peer.ErrTimeout):
		return outTimeout
	case errors.Is(err, net.ErrClosed):
		return outClosed
	case errors.Is(err, peer.ErrConnectionError):
		return outAbnormal
	}
	return "other: " + err.Error()
}

// outcomeIdle is the idle timeout (or heartbeat interval) every listener
// of the outcome test runs with, where its transport has one.
const outcomeIdle = 300 * time.Millisecond

// outcomeKits are the transports of the outcome table, each listening with
// a short idle timeout where it has one.
func outcomeKits() []kit {
	ks := []kit{streamKit(), udpKit(), websocketKit(), dtlsKit(), quicKit(), webrtcKit()}
	ks[0].listen = func(t testing.TB) (string, acceptFunc, func() error) {
		ln, err := stream.Listen("127.0.0.1:0", &stream.Config{IdleTimeout: outcomeIdle})
		require.NoError(t, err)
		return ln.Addr().String(), adapt(ln.Accept), ln.Close
	}
	ks[1].listen = func(t testing.TB) (string, acceptFunc, func() error) {
		ln, err := udp.Listen("127.0.0.1:0", &udp.Config{IdleTimeout: outcomeIdle})
		require.NoError(t, err)
		return ln.Addr().String(), adapt(ln.Accept), ln.Close
	}
	ks[2].listen = func(t testing.TB) (string, acceptFunc, func() error) {
		ln, err := websocket.Listen("127.0.0.1:0", &websocket.Config{HeartbeatInterval: outcomeIdle})
		require.NoError(t, err)
		return "ws://" + ln.Addr().String() + "/", adapt(ln.Accept), ln.Close
	}
	ks[3].listen = func(t testing.TB) (string, acceptFunc, func() error) {
		cfg := dtlsServerConfig()
		cfg.IdleTimeout = outcomeIdle
		ln, err := dtls.Listen("127.0.0.1:0", cfg)
		require.NoError(t, err)
		return ln.Addr().String(), adapt(ln.Accept), ln.Close
	}
	ks[4].listen = func(t testing.TB) (string, acceptFunc, func() error) {
		ln, err := quic.Listen("127.0.0.1:0", &quic.Config{
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{testCert().TLS}},
			// Longer: the client's keep-alives (every half of it) must
			// get through a loaded machine in "remote silent".
			IdleTimeout: 4 * outcomeIdle,
		})
		require.NoError(t, err)
		return ln.Addr().String(), adapt(ln.Accept), ln.Close
	}
	return ks
}

// outcomeEvents are the ways a connection ends, as the server sees them.
// Each is done to a connected client p, after p sent one packet; the
// server's reads then run with a deadline of wait.
var outcomeEvents = []struct {
	name string
	do   func(t *testing.T, client, server peer.PacketPeer)
	wait time.Duration
}{
	{"remote closed cleanly", func(t *testing.T, client, _ peer.PacketPeer) { require.NoError(t, client.Close()) }, 3 * time.Second},
	{"remote silent", func(*testing.T, peer.PacketPeer, peer.PacketPeer) {}, 10 * outcomeIdle},
	{"local Close", func(t *testing.T, _, server peer.PacketPeer) { require.NoError(t, server.Close()) }, 3 * time.Second},
}

// TestConnectionEndOutcomes checks each cell of peer's table "How a
// connection ends": after a client sends one packet and the event happens,
// the server reads that packet, then a read fails as the table says.
func TestConnectionEndOutcomes(t *testing.T) {
	want := map[string]map[string]string{
		"remote closed cleanly": {"stream": outEOF, "udp": outTimeout, "websocket": outEOF, "dtls": outEOF, "quic": outEOF, "webrtc": outEOF},
		"remote silent":         {"stream": outTimeout, "udp": outTimeout, "websocket": outWaits, "dtls": outTimeout, "quic": outWaits, "webrtc": outWaits},
		"local Close":           {"stream": outClosed, "udp": outClosed, "websocket": outClosed, "dtls": outClosed, "quic": outClosed, "webrtc": outClosed},
	}
	for _, k := range outcomeKits() {
		for _, ev := range outcomeEvents {
			t.Run(k.name+"/"+ev.name, func(t *testing.T) {
				addr, accept, closeLn := k.listen(t)
				defer closeLn()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				client, err := k.dial(ctx, addr)
				require.NoError(t, err)
				defer client.Close()
				require.NoError(t, client.PutPacket([]byte("last")))
				server, err := accept(ctx)
				require.NoError(t, err)
				defer server.Close()
				if ev.name != "local Close" {
					p, err := server.ReadPacket(ctx)
					require.NoError(t, err)
					require.Equal(t, "last", string(p))
				}
				ev.do(t, client, server)
				rctx, rcancel := context.WithTimeout(context.Background(), ev.wait)
				defer rcancel()
				_, err = server.ReadPacket(rctx)
				got := classify(err)
				t.Logf("%s / %s: %s (%v)", k.name, ev.name, got, err)
				require.Equal(t, want[ev.name][k.name], got, "error: %v", err)
			})
		}
	}
}
