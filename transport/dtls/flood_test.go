package dtls_test

import (
	"context"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	pdtls "github.com/pion/dtls/v3"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

// clientHello returns the first datagram a pion DTLS client sends: a real,
// cookie-less ClientHello.
func clientHello(t testing.TB) []byte {
	t.Helper()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer sink.Close()
	src, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	dc, err := pdtls.ClientWithOptions(src, sink.LocalAddr(), pdtls.WithInsecureSkipVerify(true))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = dc.HandshakeContext(ctx)
	}()
	require.NoError(t, sink.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 4096)
	n, _, err := sink.ReadFrom(buf)
	cancel()
	<-done
	dc.Close()
	src.Close()
	require.NoError(t, err)
	return buf[:n]
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestHandshakeFlood: 500 fake ClientHellos from distinct source ports fill
// every handshake slot; then an honest client dials. Pending state and
// memory stay bounded, and the honest client connects (at a retransmission,
// once the fakes are old enough to evict).
func TestHandshakeFlood(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	const maxPending = 64
	l := listen(t, cert, &dtls.Config{MaxPendingHandshakes: maxPending})
	hello := clientHello(t)
	base := heapInUse()

	ctx := testCtx(t, 60*time.Second)
	const fakes = 500
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range fakes {
			c, err := net.DialUDP("udp", nil, l.Addr().(*net.UDPAddr))
			if err != nil {
				t.Errorf("fake %d: %v", i, err)
				return
			}
			_, _ = c.Write(hello)
			c.Close()
		}
	}()
	// The honest client dials once the flood has filled every slot.
	wg.Wait()
	eventually(t, 10*time.Second, func() bool { return l.Stats().Refused > 0 }, "flood never filled the slots")
	start := time.Now()
	c, s := dialAccept(t, ctx, l, trusting(cert))
	t.Logf("honest client connected %v after the flood", time.Since(start))

	st := l.Stats()
	t.Logf("after flood: %+v", st)
	require.NotZero(t, st.Evicted+st.Refused, "the flood never filled the handshake slots")
	require.LessOrEqual(t, st.Pending, maxPending)
	require.LessOrEqual(t, st.Connections, maxPending+1)
	grown := int64(heapInUse()) - int64(base)
	t.Logf("heap in use grew by %d KiB with %d pending handshakes", grown/1024, st.Pending)
	require.Less(t, grown, int64(32<<20), "memory not bounded under a handshake flood")

	// The honest connection works.
	require.NoError(t, c.PutPacket([]byte("still here")))
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "still here", string(got))
}

// TestGarbageFromConnectedAddress: datagrams that are not valid records for
// the connection (garbage, a replayed ClientHello, an oversized datagram),
// sent from the client's own address, are dropped without effect.
func TestGarbageFromConnectedAddress(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, nil)
	ctx := testCtx(t, 20*time.Second)

	// A raw pion client on a socket we can also write garbage to.
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer u.Close()
	dc, err := pdtls.ClientWithOptions(u, l.Addr(), pdtls.WithRootCAs(cert.Pool), pdtls.WithServerName("localhost"))
	require.NoError(t, err)
	defer dc.Close()
	require.NoError(t, dc.HandshakeContext(ctx))
	s, err := l.Accept(ctx)
	require.NoError(t, err)
	defer s.Close()

	hello := clientHello(t)
	for _, junk := range [][]byte{
		[]byte("garbage"),
		hello,
		make([]byte, 9000),
		append([]byte{23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 20}, make([]byte, 20)...), // app data that fails to decrypt
	} {
		_, err := u.WriteTo(junk, l.Addr())
		require.NoError(t, err)
	}
	_, err = dc.Write([]byte("still fine"))
	require.NoError(t, err)
	got, err := s.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "still fine", string(got))
	require.Equal(t, dtls.StatusConnected, s.Status())

	require.NoError(t, s.PutPacket([]byte("back")))
	require.NoError(t, dc.SetReadDeadline(time.Now().Add(10*time.Second)))
	buf := make([]byte, 100)
	n, err := dc.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "back", string(buf[:n]))
}
