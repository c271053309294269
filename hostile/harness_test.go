package hostile

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/dtls"
	"github.com/packetpeer/packetpeer/transport/quic"
	"github.com/packetpeer/packetpeer/transport/stream"
	"github.com/packetpeer/packetpeer/transport/udp"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

func TestMain(m *testing.M) {
	// quic-go warns once per process when the kernel caps UDP buffers.
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	if os.Getenv(webrtcHostEnv) == "1" {
		os.Exit(runWebRTCHost())
	}
	os.Exit(m.Run())
}

// heapBound is the growth of the live heap any attack may leave behind once
// the attackers are gone (or, for attacks whose state the server keeps by
// design, with that state still held).
const heapBound = 16 << 20

// testCert is the self-signed certificate of the DTLS and QUIC servers.
var testCert = sync.OnceValue(func() *devcert.Cert {
	c, err := devcert.New()
	if err != nil {
		panic(err)
	}
	return c
})

// acceptFunc is a listener's Accept, with the transport's peer type erased.
type acceptFunc func(ctx context.Context) (peer.PacketPeer, error)

func adapt[P peer.PacketPeer](f func(context.Context) (P, error)) acceptFunc {
	return func(ctx context.Context) (peer.PacketPeer, error) {
		p, err := f(ctx)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

// dialFunc opens an honest client of a kit.
type dialFunc func(ctx context.Context, addr string) (peer.PacketPeer, error)

// kit is one transport under attack: how to start its listener and how an
// honest client dials it.
type kit struct {
	name string
	// maxPacket is the largest packet the transport carries by default.
	maxPacket int
	// listen starts a listener on 127.0.0.1 and returns the address a client
	// dials, its Accept and its Close.
	listen func(t testing.TB) (addr string, accept acceptFunc, closeLn func() error)
	dial   dialFunc
}

func streamKit() kit {
	return kit{
		name:      "stream",
		maxPacket: stream.DefaultOutputBufferMaxSize,
		listen: func(t testing.TB) (string, acceptFunc, func() error) {
			ln, err := stream.Listen("127.0.0.1:0", streamServerConfig())
			require.NoError(t, err)
			return ln.Addr().String(), adapt(ln.Accept), ln.Close
		},
		dial: func(ctx context.Context, addr string) (peer.PacketPeer, error) {
			return stream.Dial(ctx, addr, nil)
		},
	}
}

// streamServerConfig bounds how long a server put waits for a client that
// does not read, and drops unsent data at Close.
func streamServerConfig() *stream.Config {
	return &stream.Config{WriteTimeout: 500 * time.Millisecond, Linger: -1}
}

func udpKit() kit {
	return kit{
		name:      "udp",
		maxPacket: udp.DefaultMaxPacketSize,
		listen: func(t testing.TB) (string, acceptFunc, func() error) {
			ln, err := udp.Listen("127.0.0.1:0", nil)
			require.NoError(t, err)
			return ln.Addr().String(), adapt(ln.Accept), ln.Close
		},
		dial: func(ctx context.Context, addr string) (peer.PacketPeer, error) {
			return udp.Dial(ctx, addr, nil)
		},
	}
}

func wsServerConfig() *websocket.Config {
	return &websocket.Config{HandshakeTimeout: 300 * time.Millisecond, CloseTimeout: 300 * time.Millisecond}
}

func websocketKit() kit {
	return kit{
		name:      "websocket",
		maxPacket: websocket.DefaultOutboundBufferSize,
		listen: func(t testing.TB) (string, acceptFunc, func() error) {
			ln, err := websocket.Listen("127.0.0.1:0", wsServerConfig())
			require.NoError(t, err)
			return "ws://" + ln.Addr().String() + "/", adapt(ln.Accept), ln.Close
		},
		dial: func(ctx context.Context, addr string) (peer.PacketPeer, error) {
			return websocket.Dial(ctx, addr, &websocket.Config{CloseTimeout: 300 * time.Millisecond})
		},
	}
}

func dtlsServerConfig() *dtls.Config {
	return &dtls.Config{TLS: dtls.ServerOptions(testCert().TLS)}
}

func dtlsDial(ctx context.Context, addr string) (peer.PacketPeer, error) {
	return dtls.Dial(ctx, addr, &dtls.Config{TLS: dtls.ClientOptions(testCert().Pool, "")})
}

func dtlsKit() kit {
	return kit{
		name:      "dtls",
		maxPacket: dtls.DefaultMaxPacketSize,
		listen: func(t testing.TB) (string, acceptFunc, func() error) {
			ln, err := dtls.Listen("127.0.0.1:0", dtlsServerConfig())
			require.NoError(t, err)
			return ln.Addr().String(), adapt(ln.Accept), ln.Close
		},
		dial: dtlsDial,
	}
}

func quicServerConfig() *quic.Config {
	return &quic.Config{
		TLSConfig:        &tls.Config{Certificates: []tls.Certificate{testCert().TLS}},
		HandshakeTimeout: 2 * time.Second,
		CloseTimeout:     -1,
	}
}

func quicDial(ctx context.Context, addr string) (peer.PacketPeer, error) {
	return quic.Dial(ctx, addr, &quic.Config{TLSConfig: &tls.Config{RootCAs: testCert().Pool}})
}

func quicKit() kit {
	return kit{
		name:      "quic",
		maxPacket: quic.DefaultMaxPacketSize,
		listen: func(t testing.TB) (string, acceptFunc, func() error) {
			ln, err := quic.Listen("127.0.0.1:0", quicServerConfig())
			require.NoError(t, err)
			return ln.Addr().String(), adapt(ln.Accept), ln.Close
		},
		dial: quicDial,
	}
}

func allKits() []kit {
	return []kit{streamKit(), udpKit(), websocketKit(), dtlsKit(), quicKit(), webrtcKit()}
}

// event is something a served peer reported.
type event struct {
	op  string // "decode" (a Variant error, connection kept), "conn" (the connection ended), "put", "push"
	err error
	n   int // for "push": bytes pushed before err
}

func (e event) String() string { return fmt.Sprintf("%s(%d): %v", e.op, e.n, e.err) }

// server is the small echo server every case attacks: it accepts peers and
// echoes every Variant back with PutVar. Every error its peers meet goes to
// events, so tests can check the right one was reported. A peer that sends
// the string "push" is sent 1 KiB packets until a put fails (or pushLimit
// bytes), which is how slow-reader attacks make the server write.
type server struct {
	addr    string
	accept  acceptFunc
	closeLn func() error

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	events  chan event
	lost    atomic.Int64 // events dropped because nobody read them
	peers   atomic.Int64 // peers accepted
	echoed  atomic.Int64 // values echoed
	seen    []event      // events consumed by expect but not matched
	seenMu  sync.Mutex
	closeMu sync.Once
}

const pushLimit = 64 << 20

// startServer listens with k and serves every peer accepted.
func startServer(t testing.TB, k kit) *server {
	addr, accept, closeLn := k.listen(t)
	s := newServer(t, addr, accept, closeLn)
	s.acceptLoop()
	return s
}

// newServer serves a listener the test made itself; it accepts nothing
// until acceptLoop or acceptOne is called. Its close is registered with
// t.Cleanup.
func newServer(t testing.TB, addr string, accept acceptFunc, closeLn func() error) *server {
	s := &server{addr: addr, accept: accept, closeLn: closeLn, events: make(chan event, 1<<14)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	t.Cleanup(s.close)
	return s
}

func (s *server) acceptLoop() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			p, err := s.accept(s.ctx)
			if err != nil {
				return
			}
			s.serve(p)
		}
	}()
}

// acceptOne accepts and serves one peer.
func (s *server) acceptOne(t testing.TB, ctx context.Context) {
	t.Helper()
	p, err := s.accept(ctx)
	require.NoError(t, err, "accept")
	s.serve(p)
}

func (s *server) report(e event) {
	select {
	case s.events <- e:
	default:
		s.lost.Add(1)
	}
}

func (s *server) serve(p peer.PacketPeer) {
	s.peers.Add(1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer p.Close()
		for {
			v, err := p.ReadVar(s.ctx)
			if err != nil {
				if s.ctx.Err() != nil {
					return
				}
				var ve *variant.Error
				if errors.As(err, &ve) {
					s.report(event{op: "decode", err: err})
					continue
				}
				s.report(event{op: "conn", err: err})
				return
			}
			if v == "push" {
				s.push(p)
				continue
			}
			if err := p.PutVar(v); err != nil {
				s.report(event{op: "put", err: err})
				continue
			}
			s.echoed.Add(1)
		}
	}()
}

// push sends 1 KiB packets to p until a put fails, pushLimit bytes went out,
// or 15 s passed.
func (s *server) push(p peer.PacketPeer) {
	buf := make([]byte, 1024)
	deadline := time.Now().Add(15 * time.Second)
	n := 0
	for n < pushLimit && s.ctx.Err() == nil && time.Now().Before(deadline) {
		if err := p.PutPacket(buf); err != nil {
			s.report(event{op: "push", err: err, n: n})
			return
		}
		n += len(buf)
	}
	s.report(event{op: "push", n: n})
}

func (s *server) close() {
	s.closeMu.Do(func() {
		s.cancel()
		s.closeLn()
		s.wg.Wait()
	})
}

// expect consumes events until one satisfies match and returns it; it fails
// the test when none does within timeout.
func (s *server) expect(t testing.TB, timeout time.Duration, what string, match func(event) bool) event {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case e := <-s.events:
			if match(e) {
				return e
			}
			s.seenMu.Lock()
			s.seen = append(s.seen, e)
			s.seenMu.Unlock()
		case <-timer.C:
			s.seenMu.Lock()
			defer s.seenMu.Unlock()
			t.Fatalf("server never reported %s within %v; other events: %v", what, timeout, s.seen)
			return event{}
		}
	}
}

// drain returns the events reported so far without waiting.
func (s *server) drain() []event {
	s.seenMu.Lock()
	out := append([]event(nil), s.seen...)
	s.seen = nil
	s.seenMu.Unlock()
	for {
		select {
		case e := <-s.events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func isOp(op string, target error) func(event) bool {
	return func(e event) bool { return e.op == op && (target == nil || errors.Is(e.err, target)) }
}

var honestSeq atomic.Int64

// exchange sends a value on p and waits for the server's echo. Unreliable
// transports resend every 500 ms until the echo arrives.
func exchange(t testing.TB, p peer.PacketPeer, timeout time.Duration) {
	t.Helper()
	n := honestSeq.Add(1)
	want := []any{"honest", n}
	deadline := time.Now().Add(timeout)
	for {
		require.NoError(t, p.PutVar(want), "honest put")
		ctx, cancel := context.WithTimeout(context.Background(), min(500*time.Millisecond, time.Until(deadline)))
		for {
			v, err := p.ReadVar(ctx)
			if err != nil {
				break
			}
			if variant.Equal(v, want) {
				cancel()
				return
			}
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("no echo of %v within %v", want, timeout)
		}
	}
}

// honest dials the server with an honest client of k, checks that a value
// comes back, and closes the client.
func honest(t testing.TB, k kit, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	p, err := k.dial(ctx, addr)
	require.NoError(t, err, "honest %s client dial", k.name)
	defer p.Close()
	exchange(t, p, 10*time.Second)
}

// heapNow is the live heap after two garbage collections.
func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// checkHeap fails t when the live heap grew by bound or more since before,
// and logs the growth ("HEAP <test>: ...") for the suite's report.
func checkHeap(t testing.TB, before uint64, bound int64) {
	t.Helper()
	after := heapNow()
	growth := int64(after) - int64(before)
	t.Logf("HEAP %s: %d -> %d bytes, growth %+d (bound %d)", t.Name(), before, after, growth, bound)
	require.Less(t, growth, bound, "live heap grew by %d bytes", growth)
}

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// waitFor polls cond every few milliseconds until it holds or timeout
// passes; for server-side states that have no event to wait on.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// expectClosedByServer reads from c until the server closes it; it fails t
// if the connection is still open after timeout. It returns what was read.
func expectClosedByServer(t testing.TB, c net.Conn, timeout time.Duration) []byte {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(timeout)))
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if len(got) < 1<<16 {
			got = append(got, buf[:n]...)
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("server did not close the connection within %v (read %q)", timeout, truncate(got))
			}
			return got
		}
	}
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
