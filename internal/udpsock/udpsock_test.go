package udpsock

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

func listen(t *testing.T, addr string, cfg Config) *Conn {
	t.Helper()
	uc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	require.NoError(t, err)
	require.NoError(t, uc.SetReadBuffer(1<<21))
	c, err := New(uc, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func sender(t *testing.T) *net.UDPConn {
	t.Helper()
	s, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	require.NoError(t, s.SetReadBuffer(1<<21))
	t.Cleanup(func() { s.Close() })
	return s
}

func addrOf(c interface{ LocalAddr() net.Addr }) netip.AddrPort {
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// serve runs c.Serve on a goroutine until c is closed (at cleanup), sending
// a copy of every datagram to the returned channel.
type got struct {
	from    netip.AddrPort
	payload []byte
	n       int
	over    bool
	batch   int
}

func serve(t *testing.T, c *Conn) <-chan got {
	ch := make(chan got, 4096)
	done := make(chan error, 1)
	go func() {
		done <- c.Serve(func(ms []Message) {
			for _, m := range ms {
				ch <- got{from: m.Addr, payload: append([]byte(nil), m.Payload()...), n: m.N, over: m.Oversize(), batch: len(ms)}
			}
		})
	}()
	t.Cleanup(func() {
		c.Close()
		require.NoError(t, <-done)
	})
	return ch
}

func recvN(t *testing.T, ch <-chan got, n int) []got {
	t.Helper()
	var out []got
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case g := <-ch:
			out = append(out, g)
		case <-timeout:
			t.Fatalf("got %d of %d datagrams", len(out), n)
		}
	}
	return out
}

// Datagrams from many remotes, queued before the first read, come back in
// batches (one recvmmsg on Linux), each with its source address and
// payload, and the headroom before each payload is free.
func TestServeBatchesManyRemotes(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := listen(t, "127.0.0.1:0", Config{Headroom: 18, MaxPacketSize: 1500})
	require.Equal(t, 18, c.Config().Headroom)
	const remotes, each = 64, 2
	to := addrOf(c)
	want := map[netip.AddrPort][]string{}
	for i := range remotes {
		s := sender(t)
		for j := range each {
			msg := []byte{byte(i), byte(j), 'x'}
			_, err := s.WriteToUDPAddrPort(msg, to)
			require.NoError(t, err)
			want[addrOf(s)] = append(want[addrOf(s)], string(msg))
		}
	}
	// Every datagram is in the socket's queue before Serve starts.
	ch := serve(t, c)
	all := recvN(t, ch, remotes*each)
	have := map[netip.AddrPort][]string{}
	largest := 0
	for _, g := range all {
		require.False(t, g.over)
		require.Equal(t, 3, g.n)
		have[g.from] = append(have[g.from], string(g.payload))
		largest = max(largest, g.batch)
	}
	require.Equal(t, want, have)
	if runtime.GOOS == "linux" {
		require.Equal(t, DefaultBatch, largest, "recvmmsg read a full batch at once")
	}
}

// A datagram larger than MaxPacketSize is reported with its real length
// and no payload; the next one is whole.
func TestServeOversize(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := listen(t, "127.0.0.1:0", Config{MaxPacketSize: 100})
	ch := serve(t, c)
	s := sender(t)
	big, small := make([]byte, 300), make([]byte, 100)
	small[99] = 7
	_, err := s.WriteToUDPAddrPort(big, addrOf(c))
	require.NoError(t, err)
	_, err = s.WriteToUDPAddrPort(small, addrOf(c))
	require.NoError(t, err)
	g := recvN(t, ch, 2)
	require.True(t, g[0].over)
	require.Equal(t, 300, g[0].n)
	require.Nil(t, g[0].payload)
	require.False(t, g[1].over)
	require.Equal(t, small, g[1].payload)
}

// Many goroutines writing at once: every datagram arrives, each goroutine's
// in the order it wrote them, and queued datagrams were sent many per call.
func TestWriteToConcurrent(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := listen(t, "127.0.0.1:0", Config{})
	dst := sender(t)
	const writers, each = 8, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			msg := make([]byte, 64)
			for i := range each {
				binary.BigEndian.PutUint16(msg, uint16(w))
				binary.BigEndian.PutUint32(msg[2:], uint32(i))
				if err := c.WriteTo(msg, addrOf(dst)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	next := make([]uint32, writers)
	buf := make([]byte, 100)
	require.NoError(t, dst.SetReadDeadline(time.Now().Add(10*time.Second)))
	for range writers * each {
		n, from, err := dst.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		require.Equal(t, 64, n)
		require.Equal(t, addrOf(c), from)
		w, i := binary.BigEndian.Uint16(buf), binary.BigEndian.Uint32(buf[2:])
		require.Equal(t, next[w], i, "writer %d out of order", w)
		next[w]++
	}
	wg.Wait()
	require.Zero(t, c.SendErrors())
}

// The queue path (sendmmsg) reaches IPv4 and IPv6 remotes from a
// dual-stack socket, and IPv4 remotes from an IPv4 socket; an IPv6 remote
// on an IPv4 socket is refused and counted.
func TestWriteBatchFamilies(t *testing.T) {
	peertest.CheckGoroutines(t)
	v4 := sender(t)
	v6, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	defer v6.Close()
	for _, tc := range []struct {
		local string
		dsts  []netip.AddrPort
		fail  int
	}{
		{"[::]:0", []netip.AddrPort{addrOf(v4), addrOf(v6)}, 0},
		{"127.0.0.1:0", []netip.AddrPort{addrOf(v4), addrOf(v6)}, 1},
	} {
		c := listen(t, tc.local, Config{})
		b := newBatch()
		for _, d := range tc.dsts {
			b.add([]byte("via batch"), d)
		}
		require.Equal(t, tc.fail, c.wr.writeBatch(b), tc.local)
		buf := make([]byte, 64)
		require.NoError(t, v4.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, from, err := v4.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		require.Equal(t, "via batch", string(buf[:n]))
		require.Equal(t, addrOf(c).Port(), from.Port())
		if tc.fail == 0 {
			require.NoError(t, v6.SetReadDeadline(time.Now().Add(5*time.Second)))
			n, _, err = v6.ReadFromUDPAddrPort(buf)
			require.NoError(t, err)
			require.Equal(t, "via batch", string(buf[:n]))
		}
		// And an IPv4 sender to the dual-stack socket is reported as IPv4.
		ch := serve(t, c)
		to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), addrOf(c).Port())
		_, err = v4.WriteToUDPAddrPort([]byte("hi"), to)
		require.NoError(t, err)
		g := recvN(t, ch, 1)[0]
		require.Equal(t, addrOf(v4), g.from)
	}
}

// Reading a batch and writing, alone or queued, allocate nothing.
func TestNoAllocations(t *testing.T) {
	c := listen(t, "127.0.0.1:0", Config{})
	s := sender(t)
	to, back := addrOf(c), addrOf(s)
	msg := make([]byte, 64)
	buf := make([]byte, 100)
	allocs := testing.AllocsPerRun(200, func() {
		for range 4 {
			if _, err := s.WriteToUDPAddrPort(msg, to); err != nil {
				t.Fatal(err)
			}
		}
		for got := 0; got < 4; {
			n, err := c.rd.read(true)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
		if err := c.WriteTo(msg, back); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		c.queue.add(msg, back)
		c.busy = true
		c.mu.Unlock()
		c.flush()
		for range 2 {
			if _, _, err := s.ReadFromUDPAddrPort(buf); err != nil {
				t.Fatal(err)
			}
		}
	})
	require.Zero(t, allocs)
}

// Close makes Serve return nil and WriteTo fail with net.ErrClosed.
func TestClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := listen(t, "127.0.0.1:0", Config{})
	done := make(chan error)
	go func() { done <- c.Serve(func([]Message) {}) }()
	require.NoError(t, c.Close())
	require.NoError(t, <-done)
	require.ErrorIs(t, c.WriteTo([]byte("x"), addrOf(c)), net.ErrClosed)
}

// Enqueue then Flush sends datagrams to several remotes in one sendmmsg,
// in order, without allocating; a WriteTo after Enqueue does not overtake
// the queued datagrams.
func TestEnqueueFlush(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := listen(t, "127.0.0.1:0", Config{})
	dsts := []*net.UDPConn{sender(t), sender(t), sender(t)}
	buf := make([]byte, 64)
	recv := func(d *net.UDPConn) string {
		require.NoError(t, d.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, from, err := d.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		require.Equal(t, addrOf(c), from)
		return string(buf[:n])
	}
	for i, d := range dsts {
		c.Enqueue([]byte{'a' + byte(i)}, addrOf(d))
	}
	c.Flush()
	for i, d := range dsts {
		require.Equal(t, string(rune('a'+i)), recv(d))
	}

	c.Enqueue([]byte("first"), addrOf(dsts[0]))
	require.NoError(t, c.WriteTo([]byte("second"), addrOf(dsts[0])))
	require.Equal(t, "first", recv(dsts[0]))
	require.Equal(t, "second", recv(dsts[0]))

	msg := []byte("x")
	allocs := testing.AllocsPerRun(100, func() {
		for _, d := range dsts {
			c.Enqueue(msg, addrOf(d))
		}
		c.Flush()
		for _, d := range dsts {
			if _, _, err := d.ReadFromUDPAddrPort(buf); err != nil {
				t.Fatal(err)
			}
		}
	})
	require.Zero(t, allocs)
	require.Zero(t, c.SendErrors())
}

// An IPv6 sender is reported with its IPv6 address and port.
func TestServeIPv6Source(t *testing.T) {
	peertest.CheckGoroutines(t)
	v6, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	defer v6.Close()
	c := listen(t, "[::1]:0", Config{})
	ch := serve(t, c)
	_, err = v6.WriteToUDPAddrPort([]byte("six"), addrOf(c))
	require.NoError(t, err)
	g := recvN(t, ch, 1)[0]
	require.Equal(t, addrOf(v6), g.from)
	require.True(t, g.from.Addr().Is6())
	require.Equal(t, "six", string(g.payload))
}

// Queues filled to their byte bound, one after the other, reuse their
// arenas: no allocation once they have grown.
func TestFullQueueNoAllocations(t *testing.T) {
	c := listen(t, "127.0.0.1:0", Config{})
	d := sender(t)
	require.NoError(t, d.SetReadBuffer(1<<20))
	msg := make([]byte, 1200)
	buf := make([]byte, 2048)
	const n = queueBytes / 1200
	allocs := testing.AllocsPerRun(20, func() {
		for range n {
			c.Enqueue(msg, addrOf(d))
		}
		c.Flush()
		for range n {
			if _, _, err := d.ReadFromUDPAddrPort(buf); err != nil {
				t.Fatal(err)
			}
		}
	})
	require.Zero(t, allocs)
	require.Zero(t, c.SendErrors())
}

// ReadCalls and WriteCalls count system calls, not datagrams.
func TestCallCounters(t *testing.T) {
	c := listen(t, "127.0.0.1:0", Config{})
	dsts := []*net.UDPConn{sender(t), sender(t), sender(t)}
	for _, d := range dsts {
		c.Enqueue([]byte("x"), addrOf(d))
	}
	c.Flush()
	require.Equal(t, uint64(1), c.WriteCalls())
	require.NoError(t, c.WriteTo([]byte("y"), addrOf(dsts[0])))
	require.Equal(t, uint64(2), c.WriteCalls())

	for _, d := range dsts {
		_, err := d.WriteToUDPAddrPort([]byte("z"), addrOf(c))
		require.NoError(t, err)
	}
	reads := 0
	for got := 0; got < len(dsts); reads++ {
		ms, err := c.ReadBatch()
		require.NoError(t, err)
		got += len(ms)
	}
	require.Equal(t, uint64(reads), c.ReadCalls())
}

// Drain returns once the queue has been sent: by itself when no one is
// sending, else after the sending goroutine has sent it.
func TestDrain(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := listen(t, "127.0.0.1:0", Config{})
	d := sender(t)
	require.NoError(t, d.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 16)

	c.Enqueue([]byte("queued"), addrOf(d))
	c.Drain()
	n, _, err := d.ReadFromUDPAddrPort(buf)
	require.NoError(t, err)
	require.Equal(t, "queued", string(buf[:n]))

	c.mu.Lock()
	c.busy = true // another goroutine is sending
	c.queue.add([]byte("theirs"), addrOf(d))
	c.mu.Unlock()
	drained := make(chan struct{})
	go func() {
		c.Drain()
		close(drained)
	}()
	c.flush() // what that goroutine does
	<-drained
	n, _, err = d.ReadFromUDPAddrPort(buf)
	require.NoError(t, err)
	require.Equal(t, "theirs", string(buf[:n]))
}

func mustReader(t *testing.T, conn *net.UDPConn, cfg Config) *Reader {
	t.Helper()
	r, err := NewReader(conn, cfg)
	require.NoError(t, err)
	return r
}

// Datagrams queued before the first read: the first read takes one (the
// Reader has one buffer until it sees datagrams waiting), the next ones
// take up to Batch each (one recvmmsg on Linux), in order, with their
// source; oversize ones keep their real length and no payload.
func TestReaderBatchesWaitingDatagrams(t *testing.T) {
	peertest.CheckGoroutines(t)
	rc := sender(t) // the Reader's socket, kept by the caller
	s := sender(t)
	r := mustReader(t, rc, Config{Headroom: 18, MaxPacketSize: 100, Batch: 16})
	require.Equal(t, 16, r.Batch())
	const total = 40
	for i := range total {
		msg := make([]byte, 10)
		if i == 20 {
			msg = make([]byte, 300) // oversize, inside a batch
		}
		msg[0] = byte(i)
		_, err := s.WriteToUDPAddrPort(msg, addrOf(rc))
		require.NoError(t, err)
	}
	var sizes []int
	for next := 0; next < total; {
		ms, err := r.Read()
		require.NoError(t, err)
		sizes = append(sizes, len(ms))
		for _, m := range ms {
			require.Equal(t, addrOf(s), m.Addr)
			if next == 20 {
				require.True(t, m.Oversize())
				require.Equal(t, 300, m.N)
				require.Nil(t, m.Payload())
			} else {
				require.Equal(t, 10, m.N)
				require.Equal(t, byte(next), m.Payload()[0])
				require.Len(t, m.Buf, 18+100, "headroom before the payload")
			}
			next++
		}
	}
	if runtime.GOOS == "linux" {
		require.Equal(t, []int{1, 16, 16, 7}, sizes)
	}
	ms, err := r.Poll()
	require.NoError(t, err)
	require.Empty(t, ms, "Poll returns at once when nothing is queued")

	// That read found nothing waiting: the next one takes one datagram
	// (recvfrom), and finding it waiting, the one after batches again.
	for i := range 5 {
		_, err := s.WriteToUDPAddrPort([]byte{byte(i)}, addrOf(rc))
		require.NoError(t, err)
	}
	sizes = sizes[:0]
	for n := 0; n < 5; {
		ms, err := r.Read()
		require.NoError(t, err)
		sizes = append(sizes, len(ms))
		n += len(ms)
	}
	if runtime.GOOS == "linux" {
		require.Equal(t, []int{1, 4}, sizes)
	}
}

// Poll takes what is queued, many at a time, and on a connected socket
// every datagram's source is the remote (not read from the kernel).
func TestReaderPollConnected(t *testing.T) {
	peertest.CheckGoroutines(t)
	s := sender(t)
	conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(addrOf(s)))
	require.NoError(t, err)
	defer conn.Close()
	r := mustReader(t, conn, Config{MaxPacketSize: 64})
	for i := range 10 {
		_, err := s.WriteToUDPAddrPort([]byte{byte(i)}, addrOf(conn))
		require.NoError(t, err)
	}
	var got []byte
	polls := 0
	for len(got) < 10 {
		ms, err := r.Poll()
		require.NoError(t, err)
		if len(ms) == 0 { // not delivered yet (loopback delivers at once, as a rule)
			ms, err = r.Read()
			require.NoError(t, err)
		}
		polls++
		for _, m := range ms {
			require.Equal(t, addrOf(s), m.Addr)
			got = append(got, m.Payload()...)
		}
	}
	require.Equal(t, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, got)
	if runtime.GOOS == "linux" {
		require.Equal(t, 2, polls, "one datagram, then the other nine at once")
	}
}

// A socket error (ECONNREFUSED from the ICMP port unreachable a connected
// socket gets) comes back as an error matching the errno, and the Reader
// reads on afterwards.
func TestReaderSocketError(t *testing.T) {
	peertest.CheckGoroutines(t)
	gone := sender(t)
	to := addrOf(gone)
	gone.Close()
	conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(to))
	require.NoError(t, err)
	defer conn.Close()
	r := mustReader(t, conn, Config{})
	_, err = conn.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = r.Read()
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	var errno syscall.Errno
	require.ErrorAs(t, err, &errno)
	require.NoError(t, conn.SetReadDeadline(time.Now()))
	_, err = r.Read()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the deadline applies")
}

// Steady-state reads allocate nothing.
func TestReaderNoAllocations(t *testing.T) {
	rc := sender(t)
	s := sender(t)
	r := mustReader(t, rc, Config{MaxPacketSize: 100})
	msg := make([]byte, 32)
	read := func() {
		for range 3 {
			_, err := s.WriteToUDPAddrPort(msg, addrOf(rc))
			require.NoError(t, err)
		}
		for n := 0; n < 3; {
			ms, err := r.Read()
			require.NoError(t, err)
			n += len(ms)
		}
	}
	read() // grows to Batch buffers
	require.Zero(t, testing.AllocsPerRun(100, read))
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// A Reader allocates one datagram's buffer (plus its headers) until a read
// finds datagrams waiting, then the others': Batch*(Headroom+MaxPacketSize)
// bytes of buffers in all.
func TestReaderBuffers(t *testing.T) {
	rc := sender(t)
	s := sender(t)
	cfg := Config{Headroom: 18, MaxPacketSize: 10000, Batch: 8}
	before := totalAlloc()
	r := mustReader(t, rc, cfg)
	fresh := totalAlloc() - before
	require.Less(t, fresh, uint64(18+10000+4096), "one buffer, and headers")
	require.Greater(t, fresh, uint64(18+10000))
	for range 2 {
		_, err := s.WriteToUDPAddrPort([]byte("x"), addrOf(rc))
		require.NoError(t, err)
	}
	before = totalAlloc()
	ms, err := r.Read()
	require.NoError(t, err)
	require.Len(t, ms, 1)
	grown := totalAlloc() - before
	if runtime.GOOS == "linux" {
		// The other seven buffers, in one allocation rounded to pages.
		require.GreaterOrEqual(t, grown, uint64(7*(18+10000)))
		require.Less(t, grown, uint64(7*(18+10000)+8192))
	}
}

// PollBatch returns what is waiting without waiting: nothing on an empty
// socket, every waiting datagram (up to Batch) in one call, and an error
// once closed.
func TestPollBatch(t *testing.T) {
	c := listen(t, "127.0.0.1:0", Config{MaxPacketSize: 64, Batch: 4})
	s := sender(t)
	ms, err := c.PollBatch()
	require.NoError(t, err)
	require.Empty(t, ms)
	for i := range 6 {
		_, err := s.WriteToUDPAddrPort([]byte{byte(i)}, addrOf(c))
		require.NoError(t, err)
	}
	want := 4
	if runtime.GOOS != "linux" {
		want = 1
	}
	var all []byte
	for len(all) < 6 {
		ms, err := c.PollBatch()
		require.NoError(t, err)
		require.NotEmpty(t, ms, "a datagram sent on loopback is waiting")
		if len(all) == 0 {
			require.Len(t, ms, want)
		}
		for _, m := range ms {
			require.Equal(t, addrOf(s), m.Addr)
			all = append(all, m.Payload()...)
		}
	}
	require.Equal(t, []byte{0, 1, 2, 3, 4, 5}, all)
	ms, err = c.PollBatch()
	require.NoError(t, err)
	require.Empty(t, ms)
	require.NoError(t, c.Close())
	_, err = c.PollBatch()
	require.ErrorIs(t, err, net.ErrClosed)
}
