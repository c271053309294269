package enet

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

var _ peer.Listener[*Peer] = (*Listener)(nil)

func TestListenerContract(t *testing.T) {
	peertest.TestListener(t, peertest.ListenerHarness[*Peer]{
		Listen: func(t *testing.T, maxPending int) peer.Listener[*Peer] {
			l, err := Listen("127.0.0.1:0", &Config{MaxPendingConnections: maxPending})
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		Connect: func(ctx context.Context, ln peer.Listener[*Peer]) (io.Closer, error) {
			return Dial(ctx, ln.Addr().String(), nil)
		},
		Refuses: true,
	})
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the logged drops with the given cause.
func (b *logBuffer) lines(cause string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for line := range strings.Lines(b.buf.String()) {
		if strings.Contains(line, `msg="packetpeer: connection dropped"`) && (strings.Contains(line, "cause="+cause+" ") || strings.Contains(line, `cause="`+cause+`"`)) {
			out = append(out, line)
		}
	}
	return out
}

func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(time.Millisecond):
		}
	}
}

// A connection beyond the pending cap is disconnected (its client sees the
// connection end) and counted and logged as refused; a taken peer whose
// remote vanishes is counted as expired; Close evicts what still waits.
func TestListenerRefusesExpiresEvicts(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	log := &logBuffer{}
	l, err := Listen("127.0.0.1:0", &Config{
		MaxPendingConnections: 1,
		Logger:                slog.New(slog.NewTextHandler(log, nil)),
	})
	require.NoError(t, err)
	defer l.Close()

	first, err := Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	defer first.Close()
	waitUntil(t, ctx, "the first peer pending", l.IsConnectionAvailable)

	second, err := Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	defer second.Close()
	_, err = second.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF, "the refused client is disconnected")
	waitUntil(t, ctx, "the refusal logged", func() bool { return len(log.lines("refused")) == 1 })
	refused := log.lines("refused")[0]
	require.Contains(t, refused, "transport=enet")
	require.Contains(t, refused, remoteOf(second))
	require.Contains(t, refused, "MaxPendingConnections")
	require.Equal(t, 1, l.ListenerStats().Pending)

	// The taken peer's remote stops answering: ENet's timeout expires it.
	p, err := l.TakeConnection()
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.SetTimeout(1, 50*time.Millisecond, 200*time.Millisecond))
	first.Reset()
	require.NoError(t, p.PutPacket([]byte("anyone there?")))
	waitUntil(t, ctx, "the silent peer expired", func() bool { return len(log.lines("expired")) == 1 })
	require.Contains(t, log.lines("expired")[0], remoteOf(first))

	// Close evicts the one still pending.
	third, err := Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	defer third.Close()
	waitUntil(t, ctx, "a new pending peer", l.IsConnectionAvailable)
	require.NoError(t, l.Close())
	_, err = third.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF, "the evicted client is disconnected")
	require.Len(t, log.lines("evicted"), 1)
	require.Contains(t, log.lines("evicted")[0], remoteOf(third))

	require.Equal(t, peer.ListenerStats{Accepted: 1, Refused: 1, Evicted: 1, Expired: 1}, l.ListenerStats())
}

// remoteOf is how a Listener on 127.0.0.1 logs the address of p, a Dial
// peer.
func remoteOf(p *Peer) string {
	return "remote=127.0.0.1:" + strconv.Itoa(p.LocalAddr().(*net.UDPAddr).Port)
}

// A client that sends CONNECT and never acknowledges the VERIFY_CONNECT is
// counted and logged as a timed-out handshake, and never handed out.
func TestListenerCountsHandshakeTimeout(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx := testCtx(t)
	log := &logBuffer{}
	l, err := Listen("127.0.0.1:0", &Config{Logger: slog.New(slog.NewTextHandler(log, nil))})
	require.NoError(t, err)
	defer l.Close()
	conn, err := net.DialUDP("udp4", nil, l.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write(connectDatagram(1))
	require.NoError(t, err)
	buf := make([]byte, maxMTU)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Read(buf) // the VERIFY_CONNECT, left unacknowledged
	require.NoError(t, err)

	// ENet's default timeout takes 5 to 30 s; shorten it on the half-open
	// slot.
	h := l.Host()
	h.mu.Lock()
	for _, s := range h.slots {
		if s.state == StateAcknowledgingConnect {
			s.timeoutLimit, s.timeoutMin, s.timeoutMax = 1, 50, 200
		}
	}
	h.mu.Unlock()
	waitUntil(t, ctx, "the handshake timed out", func() bool { return len(log.lines("timed out")) == 1 })
	line := log.lines("timed out")[0]
	require.Contains(t, line, "remote="+conn.LocalAddr().String())
	require.Contains(t, line, "VERIFY_CONNECT")
	require.False(t, l.IsConnectionAvailable())
	require.Equal(t, peer.ListenerStats{TimedOut: 1}, l.ListenerStats())
}
