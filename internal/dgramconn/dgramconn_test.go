package dgramconn

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

var remote = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4433}

func pushConn(write func([]byte) error) *Conn {
	if write == nil {
		write = func([]byte) error { return nil }
	}
	return New(Config{Local: remote, Remote: remote, Write: write})
}

// Pushed datagrams come out of ReadFrom in order, copied (the pusher may
// reuse its buffer), from the one remote; writes go to Config.Write.
func TestPushReadWrite(t *testing.T) {
	var sent [][]byte
	c := pushConn(func(b []byte) error { sent = append(sent, bytes.Clone(b)); return nil })
	defer c.Close()
	buf := []byte("one")
	c.Push(buf)
	copy(buf, "xxx")
	c.Push([]byte("two"))
	for _, want := range []string{"one", "two"} {
		b := make([]byte, 100)
		n, from, err := c.ReadFrom(b)
		require.NoError(t, err)
		require.Equal(t, want, string(b[:n]))
		require.Equal(t, remote, from)
	}
	n, err := c.WriteTo([]byte("out"), nil)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, [][]byte{[]byte("out")}, sent)

	werr := errors.New("socket gone")
	c2 := pushConn(func([]byte) error { return werr })
	defer c2.Close()
	_, err = c2.WriteTo([]byte("x"), nil)
	require.ErrorIs(t, err, werr)
}

// The queue holds Config.Queue datagrams; more, and datagrams larger than
// MaxDatagram, are dropped without blocking the pusher.
func TestQueueBound(t *testing.T) {
	c := New(Config{Remote: remote, Write: func([]byte) error { return nil }, Queue: 4})
	defer c.Close()
	c.Push(make([]byte, MaxDatagram+1))
	for i := range 10 {
		c.Push([]byte{byte(i)})
	}
	require.NoError(t, c.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	var got []byte
	b := make([]byte, MaxDatagram)
	for {
		n, _, err := c.ReadFrom(b)
		if err != nil {
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			break
		}
		got = append(got, b[:n]...)
	}
	require.Equal(t, []byte{0, 1, 2, 3}, got)
}

// A blocked read ends at its deadline, a deadline in the past fails a read
// at once even with datagrams queued, and Close ends reads and writes with
// net.ErrClosed, runs OnClose once and drops later pushes.
func TestDeadlineAndClose(t *testing.T) {
	closes := 0
	c := New(Config{Remote: remote, Write: func([]byte) error { return nil }, OnClose: func() { closes++ }})
	b := make([]byte, 10)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, _, err := c.ReadFrom(b)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	c.Push([]byte("queued"))
	require.NoError(t, c.SetDeadline(time.Now().Add(-time.Second)))
	_, _, err = c.ReadFrom(b)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, c.SetReadDeadline(time.Time{}))
	n, _, err := c.ReadFrom(b)
	require.NoError(t, err)
	require.Equal(t, "queued", string(b[:n]))

	read := make(chan error, 1)
	go func() {
		_, _, err := c.ReadFrom(b)
		read <- err
	}()
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	require.ErrorIs(t, <-read, net.ErrClosed)
	_, err = c.WriteTo([]byte("x"), nil)
	require.ErrorIs(t, err, net.ErrClosed)
	require.Equal(t, 1, closes)
	c.Push([]byte("late"))
	require.Empty(t, c.in)
}

// fakeSource is a connected UDP peer's read side.
type fakeSource struct {
	ch  chan []byte
	err error
}

func (s *fakeSource) AppendPacket(ctx context.Context, b []byte) ([]byte, error) {
	select {
	case p := <-s.ch:
		if p == nil {
			return nil, s.err
		}
		return append(b, p...), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Over a Source, a read blocked on the Source returns a datagram pushed
// meanwhile first, then the Source's; it ends at the deadline, at Close,
// and with the Source's own error.
func TestSource(t *testing.T) {
	peertest.CheckGoroutines(t)
	srcErr := errors.New("udp peer timed out")
	src := &fakeSource{ch: make(chan []byte, 4), err: srcErr}
	c := New(Config{Remote: remote, Write: func([]byte) error { return nil }, Source: src})
	b := make([]byte, 100)
	type res struct {
		s   string
		err error
	}
	got := make(chan res, 1)
	var wg sync.WaitGroup
	read := func() {
		wg.Go(func() {
			n, _, err := c.ReadFrom(b)
			got <- res{string(b[:n]), err}
		})
	}
	read()
	c.Push([]byte("pushed"))
	require.Equal(t, res{"pushed", nil}, <-got)
	wg.Wait()
	src.ch <- []byte("from source")
	read()
	require.Equal(t, res{"from source", nil}, <-got)
	wg.Wait()

	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, _, err := c.ReadFrom(b)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, c.SetReadDeadline(time.Time{}))

	src.ch <- nil
	_, _, err = c.ReadFrom(b)
	require.ErrorIs(t, err, srcErr)

	read()
	require.NoError(t, c.Close())
	r := <-got
	require.ErrorIs(t, r.err, net.ErrClosed)
	wg.Wait()
}

// An idle push-fed Conn holds under IdleBytes: a server with 10 000 remotes
// in the handshake pays at most 10 MiB for their Conns.
func TestIdleBytes(t *testing.T) {
	const n = 2000
	conns := make([]*Conn, n)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range conns {
		conns[i] = New(Config{Local: remote, Remote: remote, Write: func([]byte) error { return nil }})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("%d bytes per idle Conn", per)
	require.Less(t, per, int64(IdleBytes))
	runtime.KeepAlive(conns)
}
