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
