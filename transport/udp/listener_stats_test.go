package udp

import (
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/internal/udpsock"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the logged drops with the given cause.
func (b *syncBuffer) lines(cause string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for line := range strings.Lines(b.buf.String()) {
		if strings.Contains(line, `msg="packetpeer: connection dropped"`) && strings.Contains(line, "cause="+cause+" ") {
			out = append(out, line)
		}
	}
	return out
}

// Every way a Listener drops a remote is counted by cause and logged with
// the remote's address: refused (pending queue full), evicted (the cap
// lowered, or Close with peers still pending), expired (IdleTimeout); and
// every peer handed out is counted as accepted.
func TestListenerCountsAndLogsDrops(t *testing.T) {
	peertest.CheckGoroutines(t)
	log := &syncBuffer{}
	l, err := Listen("127.0.0.1:0", &Config{
		MaxPendingConnections: 2,
		IdleTimeout:           100 * time.Millisecond,
		Logger:                slog.New(slog.NewTextHandler(log, nil)),
	})
	require.NoError(t, err)
	defer l.Close()
	s := rawSockets(t, 5)
	send := func(i int) {
		t.Helper()
		_, err := s[i].WriteToUDPAddrPort([]byte{byte(i)}, listenerAddr(l))
		require.NoError(t, err)
	}
	addr := func(i int) string { return s[i].LocalAddr().String() }

	// Two pending, the third refused.
	send(0)
	send(1)
	waitFor(t, "two pending", func() bool { return l.Stats().Pending == 2 })
	send(2)
	waitFor(t, "the third refused and logged", func() bool { return len(log.lines("refused")) == 1 })
	refused := log.lines("refused")
	require.Len(t, refused, 1)
	require.Contains(t, refused[0], "transport=udp")
	require.Contains(t, refused[0], "remote="+addr(2))
	require.Contains(t, refused[0], "MaxPendingConnections")

	// Lowering the cap evicts the newest pending peer.
	l.SetMaxPendingConnections(1)
	evicted := log.lines("evicted")
	require.Len(t, evicted, 1)
	require.Contains(t, evicted[0], "remote="+addr(1))

	// The remaining pending peer is taken, then expires.
	p, err := l.TakeConnection()
	require.NoError(t, err)
	defer p.Close()
	waitFor(t, "the silent peer to expire", func() bool { return len(log.lines("expired")) == 1 })
	expired := log.lines("expired")
	require.Len(t, expired, 1)
	require.Contains(t, expired[0], "remote="+addr(0))
	require.Contains(t, expired[0], "IdleTimeout")

	// Close drops the peer still pending.
	send(3)
	waitFor(t, "a new pending peer", l.IsConnectionAvailable)
	require.NoError(t, l.Close())
	require.Len(t, log.lines("evicted"), 2)
	require.Contains(t, log.lines("evicted")[1], "remote="+addr(3))

	require.Equal(t, peer.ListenerStats{Accepted: 1, Refused: 1, Evicted: 2, Expired: 1}, l.Stats().ListenerStats)
}

// Without a Logger nothing is logged, and refusing a datagram allocates
// nothing.
func TestListenerRefusesWithoutAllocating(t *testing.T) {
	l, err := Listen("127.0.0.1:0", &Config{MaxPendingConnections: RefuseNewConnections})
	require.NoError(t, err)
	defer l.Close()
	src := listenerAddr(l)
	buf := make([]byte, recordHeader+1)
	allocs := testing.AllocsPerRun(100, func() { demuxOne(l, src, buf, 1) })
	require.Zero(t, allocs)
	require.EqualValues(t, 101, l.Stats().Refused)
}

// A datagram for an existing peer is queued without allocating (once its
// ring has grown to the traffic), and so is a refused one.
func TestListenerDemuxDoesNotAllocate(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", &Config{MaxPendingConnections: 1})
	require.NoError(t, err)
	defer l.Close()
	c := rawSockets(t, 1)[0]
	_, err = c.WriteToUDPAddrPort([]byte("hi"), listenerAddr(l))
	require.NoError(t, err)
	p, err := l.Accept(testCtx(t))
	require.NoError(t, err)
	src := c.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, recordHeader+100)
	allocs := testing.AllocsPerRun(100, func() {
		demuxOne(l, src, buf, 100)
		if _, err := p.GetPacket(); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "per datagram to an existing peer")
}

// demuxOne hands l's demultiplexer one datagram from src, its payload at
// buf[recordHeader:recordHeader+n], as the read loop would.
func demuxOne(l *Listener, src netip.AddrPort, buf []byte, n int) {
	ms := [1]udpsock.Message{udpsock.MakeMessage(buf, n, src, udpsock.Config{Headroom: recordHeader, MaxPacketSize: l.cfg.MaxPacketSize})}
	l.demux(ms[:])
}
