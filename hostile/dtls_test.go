package hostile

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	pdtls "github.com/pion/dtls/v3"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
	"github.com/packetpeer/packetpeer/variant"
)

// dtlsServer starts a DTLS echo server with cfg (its TLS is filled in).
func dtlsServer(t *testing.T, cfg *dtls.Config) (*dtls.Listener, *server) {
	t.Helper()
	cfg.TLS = dtls.ServerOptions(testCert().TLS)
	ln, err := dtls.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	s := newServer(t, ln.Addr().String(), adapt(ln.Accept), ln.Close)
	s.acceptLoop()
	return ln, s
}

// pionClient starts a raw pion DTLS client on sock towards addr, so the
// test can also write raw datagrams from the same address.
func pionClient(t *testing.T, ctx context.Context, sock *net.UDPConn, addr net.Addr) *pdtls.Conn {
	t.Helper()
	dc, err := pdtls.ClientWithOptions(sock, addr, pdtls.WithInsecureSkipVerify(true),
		pdtls.WithExtendedMasterSecret(pdtls.RequireExtendedMasterSecret))
	require.NoError(t, err)
	t.Cleanup(func() { dc.Close() })
	require.NoError(t, dc.HandshakeContext(ctx))
	return dc
}

// captureClientHello returns the first datagram a DTLS client sends: a
// real ClientHello without a cookie.
func captureClientHello(t *testing.T) []byte {
	t.Helper()
	sink := udpSockets(t, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if p, err := dtlsDial(ctx, sink.LocalAddr().String()); err == nil {
			p.Close()
		}
	}()
	require.NoError(t, sink.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 4096)
	n, _, err := sink.ReadFromUDP(buf)
	cancel()
	<-done
	require.NoError(t, err)
	return buf[:n]
}

// TestDTLSRandomDatagrams: 100 sockets send random datagrams, and datagrams
// that look like a ClientHello record but carry garbage, instead of a
// handshake. Garbage is ignored; fake ClientHellos fail their handshake;
// the honest client connects and pending state goes back to zero.
func TestDTLSRandomDatagrams(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, s := dtlsServer(t, &dtls.Config{HandshakeTimeout: 2 * time.Second})
	before := heapNow()

	r := rand.New(rand.NewPCG(5, 6))
	dst := ln.Addr().(*net.UDPAddr)
	for i, sock := range udpSockets(t, 100) {
		for j := range 5 {
			junk := randBytes(r, 1+r.IntN(1500))
			if i%2 == 0 && j == 0 && len(junk) > 40 {
				// A handshake record, DTLS 1.2, epoch 0, holding a
				// client_hello whose body is garbage.
				copy(junk, []byte{22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0})
				recLen := len(junk) - 13
				junk[11], junk[12] = byte(recLen>>8), byte(recLen)
				junk[13] = 1                           // client_hello
				junk[19], junk[20], junk[21] = 0, 0, 0 // fragment offset 0
			}
			_, err := sock.WriteToUDP(junk, dst)
			require.NoError(t, err)
		}
	}
	honest(t, dtlsKit(), s.addr)
	t.Logf("stats after the garbage: %+v", ln.Stats())
	waitFor(t, 10*time.Second, "no handshake pending", func() bool { return ln.Stats().Pending == 0 })
	require.Equal(t, int64(1), s.peers.Load(), "only the honest client became a peer")
	checkHeap(t, before, 2<<20)
}

// TestDTLSClientHelloFlood: 200 sockets each send a real ClientHello and
// never answer the cookie, against the default 128 handshake slots. Pending
// handshakes stay at the cap, the rest are refused, the honest client still
// completes a handshake (at a retransmission), memory stays bounded, and the
// abandoned handshakes expire after HandshakeTimeout.
func TestDTLSClientHelloFlood(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, s := dtlsServer(t, &dtls.Config{HandshakeTimeout: 3 * time.Second})
	hello := captureClientHello(t)
	before := heapNow()

	const n = 200
	dst := ln.Addr().(*net.UDPAddr)
	for i, sock := range udpSockets(t, n) {
		_, err := sock.WriteToUDP(hello, dst)
		require.NoError(t, err)
		if (i+1)%25 == 0 { // let the listener keep up: the kernel must drop none
			sent := i + 1
			waitFor(t, 10*time.Second, "the listener to read the flood", func() bool {
				st := ln.Stats()
				return st.Pending+int(st.Refused+st.Evicted) >= sent
			})
		}
	}
	st := ln.Stats()
	t.Logf("stats after the flood: %+v", st)
	require.Equal(t, dtls.DefaultMaxPendingHandshakes, st.Pending)
	require.Equal(t, uint64(n-dtls.DefaultMaxPendingHandshakes), st.Refused+st.Evicted)

	start := time.Now()
	honest(t, dtlsKit(), s.addr)
	t.Logf("honest client served %v after the flood", time.Since(start))
	checkHeap(t, before, heapBound)

	waitFor(t, 15*time.Second, "abandoned handshakes to expire", func() bool { return ln.Stats().Pending == 0 })
	checkHeap(t, before, 4<<20)
}

// TestDTLSGarbageFromEstablishedPeer: an established client's address sends
// random datagrams and forged application-data records between its real
// records. They are dropped; the connection keeps working.
func TestDTLSGarbageFromEstablishedPeer(t *testing.T) {
	peertest.CheckGoroutines(t)
	ln, s := dtlsServer(t, &dtls.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sock := udpSockets(t, 1)[0]
	dc := pionClient(t, ctx, sock, ln.Addr())

	roundTrip := func(v any) {
		t.Helper()
		b, err := variant.Marshal(v)
		require.NoError(t, err)
		buf := make([]byte, 8192)
		for try := 0; ; try++ {
			_, err = dc.Write(b)
			require.NoError(t, err)
			require.NoError(t, dc.SetReadDeadline(time.Now().Add(500*time.Millisecond)))
			n, err := dc.Read(buf)
			if err == nil {
				got, _, err := variant.Decode(buf[:n])
				require.NoError(t, err)
				require.True(t, variant.Equal(v, got), "echo %v, want %v", got, v)
				return
			}
			require.Less(t, try, 10, "no echo: %v", err)
		}
	}
	roundTrip("before")
	before := heapNow()

	r := rand.New(rand.NewPCG(7, 8))
	for i := range 200 {
		junk := randBytes(r, 1+r.IntN(1200))
		if i%2 == 0 && len(junk) > 13 {
			// application_data, DTLS 1.2, epoch 1: decryption must fail.
			copy(junk, []byte{23, 0xFE, 0xFD, 0, 1})
			recLen := len(junk) - 13
			junk[11], junk[12] = byte(recLen>>8), byte(recLen)
		}
		_, err := sock.WriteTo(junk, ln.Addr())
		require.NoError(t, err)
	}
	roundTrip("after")
	require.Empty(t, s.drain(), "garbage records reached the application")
	checkHeap(t, before, 1<<20)
	honest(t, dtlsKit(), s.addr)
}

// TestDTLSAcceptBacklog: clients complete handshakes with a Listener whose
// application does not accept; beyond MaxPendingConnections (2 here) connections
// are closed and counted as refused, so unaccepted connections cannot pile
// up; once the application accepts, new clients are served.
func TestDTLSAcceptBacklog(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := dtlsServerConfig()
	cfg.MaxPendingConnections = 2
	ln, err := dtls.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	s := newServer(t, ln.Addr().String(), adapt(ln.Accept), ln.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	const n = 6
	for i := range n {
		p, err := dtlsDial(ctx, s.addr)
		if err != nil {
			// A refused client may see the close_notify before its own
			// end of the handshake is done.
			require.GreaterOrEqual(t, i, 2, "client %d within the backlog: %v", i, err)
			continue
		}
		t.Cleanup(func() { p.Close() })
	}
	waitFor(t, 10*time.Second, "connections beyond the backlog refused", func() bool { return ln.Stats().Refused == n-2 })
	// Refused connections are torn down after their close_notify.
	waitFor(t, 10*time.Second, "only the backlog left", func() bool { return ln.Stats().Connections == 2 })
	t.Logf("stats: %+v", ln.Stats())

	s.acceptLoop()
	honest(t, dtlsKit(), s.addr)
}

// stallConn lets a DTLS client send its first two flights (ClientHello,
// then ClientHello with the cookie) and swallows everything after: a client
// that proves its address and then goes silent.
type stallConn struct {
	*net.UDPConn
	writes int
}

func (c *stallConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.writes++
	if c.writes > 2 {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

// TestDTLSStalledVerifiedHandshakes: clients that echo the cookie and then
// go silent take every handshake slot (MaxPendingHandshakes 8 here, default
// HandshakeTimeout). An honest client must still get in.
func TestDTLSStalledVerifiedHandshakes(t *testing.T) {
	peertest.CheckGoroutines(t)
	cfg := dtlsServerConfig()
	cfg.MaxPendingHandshakes = 8
	ln, err := dtls.Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	s := newServer(t, ln.Addr().String(), adapt(ln.Accept), ln.Close)
	s.acceptLoop()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, sock := range udpSockets(t, 8) {
		dc, err := pdtls.ClientWithOptions(&stallConn{UDPConn: sock}, ln.Addr(), pdtls.WithInsecureSkipVerify(true))
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			dc.HandshakeContext(ctx) // stalls after the cookie; ends with ctx
			dc.Close()
		}()
	}
	waitFor(t, 10*time.Second, "every slot taken by a verified handshake", func() bool { return ln.Stats().Pending == 8 })

	hctx, hcancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer hcancel()
	p, err := dtlsDial(hctx, s.addr)
	t.Logf("stats: %+v", ln.Stats())
	require.NoError(t, err, "an honest client could not connect while stalled handshakes held every slot")
	p.Close()
}
