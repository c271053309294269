package dtls_test

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pdtls "github.com/pion/dtls/v3"
	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/dtls"
)

// syncBuffer is a log sink the Listener's goroutines and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logged returns the log lines with the given cause.
func logged(log *syncBuffer, cause string) []string {
	var out []string
	for line := range strings.Lines(log.String()) {
		if strings.Contains(line, "msg=\"packetpeer: connection dropped\"") &&
			(strings.Contains(line, "cause="+cause+" ") || strings.Contains(line, `cause="`+cause+`"`)) {
			out = append(out, line)
		}
	}
	return out
}

func loggingListener(t *testing.T, cfg *dtls.Config) (*dtls.Listener, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	return listen(t, newCert(t), cfg), log
}

// A handshake that fails (no cipher suite in common) is counted as Failed
// and logged with the client's address and pion's error.
func TestListenerCountsFailedHandshake(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, log := loggingListener(t, &dtls.Config{})
	ctx := testCtx(t, 20*time.Second)
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer u.Close()
	dc, err := pdtls.ClientWithOptions(u, l.Addr(), pdtls.WithInsecureSkipVerify(true),
		pdtls.WithCipherSuites(pdtls.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8))
	require.NoError(t, err)
	defer dc.Close()
	require.Error(t, dc.HandshakeContext(ctx))

	eventually(t, 5*time.Second, func() bool { return l.Stats().Failed == 1 }, "failed handshake not counted")
	st := l.Stats()
	require.Equal(t, peer.ListenerStats{Failed: 1}, st.ListenerStats)
	eventually(t, 5*time.Second, func() bool { return len(logged(log, "failed")) == 1 }, "failure not logged")
	lines := logged(log, "failed")
	require.Contains(t, lines[0], "transport=dtls")
	require.Contains(t, lines[0], "remote="+u.LocalAddr().String())
	require.Contains(t, lines[0], "error=")
}

// A ClientHello pion cannot parse is dropped at once and counted as Failed,
// not left to time out.
func TestListenerCountsMalformedClientHello(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, log := loggingListener(t, &dtls.Config{})
	hello := clientHello(t)
	// Claim one byte more of extensions than there is: classify still sees
	// a ClientHello, pion's parser does not.
	bad := bytes.Clone(hello)
	extLen := len(bad) - 2 - extensionsStart(t, bad)
	bad[len(bad)-extLen-2], bad[len(bad)-extLen-1] = byte((extLen+1)>>8), byte(extLen+1)
	fake, err := net.DialUDP("udp", nil, l.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer fake.Close()
	_, err = fake.Write(bad)
	require.NoError(t, err)
	eventually(t, 5*time.Second, func() bool { return l.Stats().Failed == 1 }, "malformed ClientHello not counted")
	require.Zero(t, l.Stats().Connections, "no handshake state for a malformed ClientHello")
	eventually(t, 5*time.Second, func() bool { return len(logged(log, "failed")) == 1 }, "failure not logged")
	lines := logged(log, "failed")
	require.Contains(t, lines[0], "malformed ClientHello")
	require.Contains(t, lines[0], "remote="+fake.LocalAddr().String())
}

// extensionsStart returns the offset in datagram b (one record, one
// unfragmented ClientHello) of the ClientHello's extensions length.
func extensionsStart(t *testing.T, b []byte) int {
	t.Helper()
	const body = 13 + 12
	off := body + 2 + 32
	off += 1 + int(b[off])                      // session id
	off += 1 + int(b[off])                      // cookie
	off += 2 + (int(b[off])<<8 | int(b[off+1])) // cipher suites
	off += 1 + int(b[off])                      // compression methods
	require.Equal(t, len(b), off+2+(int(b[off])<<8|int(b[off+1])), "not a ClientHello with extensions")
	return off
}

// A handshake whose client never echoes the cookie times out: TimedOut.
func TestListenerCountsTimedOutHandshake(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, log := loggingListener(t, &dtls.Config{HandshakeTimeout: 200 * time.Millisecond})
	fake, err := net.DialUDP("udp", nil, l.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer fake.Close()
	_, err = fake.Write(clientHello(t))
	require.NoError(t, err)
	eventually(t, 5*time.Second, func() bool { return l.Stats().TimedOut == 1 }, "timed-out handshake not counted")
	require.Equal(t, peer.ListenerStats{TimedOut: 1}, l.Stats().ListenerStats)
	eventually(t, 5*time.Second, func() bool { return len(logged(log, "timed out")) == 1 }, "timeout not logged")
	lines := logged(log, "timed out")
	require.Contains(t, lines[0], "HandshakeTimeout")
}

// With one handshake slot: a second ClientHello is refused while the first
// is young, evicts it once it has waited a second for its cookie echo, and
// Close ends the handshake that took the slot (evicted too). A handshaken
// connection left in the accept queue at Close is evicted as well.
func TestListenerCountsRefusedAndEvicted(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, log := loggingListener(t, &dtls.Config{MaxPendingHandshakes: 1})
	hello := clientHello(t)
	a, err := net.DialUDP("udp", nil, l.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer a.Close()
	b, err := net.DialUDP("udp", nil, l.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer b.Close()
	_, err = a.Write(hello)
	require.NoError(t, err)
	eventually(t, 5*time.Second, func() bool { return l.Stats().Pending == 1 }, "first handshake not started")
	_, err = b.Write(hello)
	require.NoError(t, err)
	eventually(t, 5*time.Second, func() bool { return len(logged(log, "refused")) == 1 }, "second ClientHello not refused")
	require.Contains(t, logged(log, "refused")[0], "remote="+b.LocalAddr().String())

	// b retransmits, as a client does, until a's slot may be taken.
	eventually(t, 5*time.Second, func() bool {
		_, _ = b.Write(hello)
		return len(logged(log, "evicted")) == 1
	}, "the silent handshake was never evicted")
	ev := logged(log, "evicted")
	require.Contains(t, ev[0], "remote="+a.LocalAddr().String())
	require.Contains(t, ev[0], "no cookie echo")

	// A handshaken connection nobody takes.
	cert := newCert(t)
	l2 := listen(t, cert, nil)
	c, err := dtls.Dial(testCtx(t, 10*time.Second), l2.Addr().String(), trusting(cert))
	require.NoError(t, err)
	defer c.Close()
	eventually(t, 5*time.Second, l2.IsConnectionAvailable, "connection not queued")

	require.NoError(t, l.Close())
	st := l.Stats()
	require.Equal(t, uint64(2), st.Evicted, "Close did not count the pending handshake: %+v", st)
	require.Equal(t, 2, len(logged(log, "evicted")), log.String())
	require.NoError(t, l2.Close())
	require.Equal(t, peer.ListenerStats{Evicted: 1}, l2.Stats().ListenerStats)
}

// Accept and TakeConnection count what they hand out.
func TestListenerCountsAccepted(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	l := listen(t, cert, nil)
	ctx := testCtx(t, 20*time.Second)
	dialAccept(t, ctx, l, trusting(cert))
	c, err := dtls.Dial(ctx, l.Addr().String(), trusting(cert))
	require.NoError(t, err)
	defer c.Close()
	eventually(t, 5*time.Second, l.IsConnectionAvailable, "second connection not queued")
	s, err := l.TakeConnection()
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, peer.ListenerStats{Accepted: 2}, l.Stats().ListenerStats)
}

// availWriter is a log sink that asks the Listener, at each record logged
// during Close, whether a connection is available.
type availWriter struct {
	l     atomic.Pointer[dtls.Listener]
	calls atomic.Int32
	true  atomic.Int32
}

func (w *availWriter) Write(p []byte) (int, error) {
	if l := w.l.Load(); l != nil {
		w.calls.Add(1)
		if l.IsConnectionAvailable() {
			w.true.Add(1)
		}
	}
	return len(p), nil
}

// IsConnectionAvailable is false once Close has begun, even while
// handshaken connections are still queued (Godot's is_connection_available
// followed by take_connection must not find ErrClosed). Close logs each
// queued connection it evicts; the log sink asks then, with a second one
// still queued.
func TestIsConnectionAvailableAfterClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	cert := newCert(t)
	w := &availWriter{}
	l := listen(t, cert, &dtls.Config{Logger: slog.New(slog.NewTextHandler(w, nil))})
	for range 2 {
		c, err := dtls.Dial(testCtx(t, 10*time.Second), l.Addr().String(), trusting(cert))
		require.NoError(t, err)
		defer c.Close()
	}
	eventually(t, 5*time.Second, func() bool { return l.Stats().Pending == 2 }, "connections not queued")
	require.True(t, l.IsConnectionAvailable())
	w.l.Store(l)
	require.NoError(t, l.Close())
	require.Equal(t, int32(2), w.calls.Load(), "Close should log both queued connections as evicted")
	require.Zero(t, w.true.Load(), "IsConnectionAvailable reported true during Close")
	require.False(t, l.IsConnectionAvailable())
	_, err := l.TakeConnection()
	require.ErrorIs(t, err, peer.ErrClosed)
}
