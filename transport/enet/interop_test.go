package enet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

var (
	enetPeerOnce sync.Once
	enetPeerPath string
	enetPeerErr  error
)

// enetPeer builds testdata/enetpeer.c against the system's libenet (Debian's
// libenet-dev 1.3.17). Without gcc or libenet the test is skipped, unless
// PACKETPEER_REQUIRE_ENET=1 (CI) makes that a failure.
func enetPeer(t testing.TB) string {
	t.Helper()
	enetPeerOnce.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil {
			enetPeerErr = fmt.Errorf("gcc not found: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "enetpeer")
		if err != nil {
			enetPeerErr = err
			return
		}
		enetPeerPath = filepath.Join(dir, "enetpeer")
		out, err := exec.Command("gcc", "-O2", "-Wall", "-o", enetPeerPath, "testdata/enetpeer.c", "-lenet").CombinedOutput()
		if err != nil {
			enetPeerErr = fmt.Errorf("building the libenet peer (apt-get install libenet-dev): %v\n%s", err, out)
		}
	})
	if enetPeerErr != nil {
		if os.Getenv("PACKETPEER_REQUIRE_ENET") == "1" {
			t.Fatal(enetPeerErr)
		}
		t.Skip(enetPeerErr)
	}
	return enetPeerPath
}

// cPeer is a running enetpeer process and its output lines.
type cPeer struct {
	addr  string // a server's 127.0.0.1:port, once connectC has read it
	cmd   *exec.Cmd
	in    io.WriteCloser // its stdin, for the godot-* modes' commands
	lines chan string
	mu    sync.Mutex
	log   []string
	done  chan error
}

func startC(t *testing.T, args ...string) *cPeer {
	t.Helper()
	return startProc(t, enetPeer(t), args...)
}

// startProc runs bin with args and collects its output lines.
func startProc(t *testing.T, bin string, args ...string) *cPeer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	c := &cPeer{cmd: cmd, in: in, lines: make(chan string, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.mu.Lock()
			c.log = append(c.log, sc.Text())
			c.mu.Unlock()
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.done
		if t.Failed() {
			c.mu.Lock()
			t.Logf("C peer output:\n%s\nstderr: %s", strings.Join(c.log, "\n"), stderr.String())
			c.mu.Unlock()
		}
	})
	return c
}

// expect waits for a line starting with prefix and returns it.
func (c *cPeer) expect(t *testing.T, prefix string) string {
	t.Helper()
	timer := time.NewTimer(20 * time.Second)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("C peer ended before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timer.C:
			t.Fatalf("timed out waiting for %q from the C peer", prefix)
		}
	}
}

func (c *cPeer) wait(t *testing.T) error {
	t.Helper()
	for range c.lines {
	}
	select {
	case err := <-c.done:
		c.done <- err
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("C peer did not exit")
		return nil
	}
}

// serve runs h's events through f until f returns false or ctx ends.
func serve(t *testing.T, ctx context.Context, h *Host, f func(Event) bool) {
	t.Helper()
	for {
		ev, err := h.Service(ctx)
		require.NoError(t, err)
		if !f(ev) {
			return
		}
	}
}

// TestLibenetClientGoServer: libenet 1.3.17 connects to a Go host, sends
// reliable packets from 0 bytes to 1 MB, unreliable, unsequenced and
// unreliable-fragment packets on 4 channels, checks every echo, and
// disconnects with data 0x1234.
func TestLibenetClientGoServer(t *testing.T) {
	t.Run("Plain", func(t *testing.T) { testLibenetClientGoServer(t, false, false) })
	// With the range coder on both ends: libenet's compressed datagrams are
	// dropped unless the Go decoder follows them exactly.
	t.Run("RangeCoder", func(t *testing.T) { testLibenetClientGoServer(t, true, false) })
	// With CRC-32 checksums on both ends, and with both options at once.
	t.Run("Checksum", func(t *testing.T) { testLibenetClientGoServer(t, false, true) })
	t.Run("ChecksumRangeCoder", func(t *testing.T) { testLibenetClientGoServer(t, true, true) })
}

func testLibenetClientGoServer(t *testing.T, rangeCoder, checksum bool) {
	peertest.CheckGoroutines(t)
	enetPeer(t)
	h, err := NewHost("127.0.0.1:0", &Config{Checksum: checksum})
	require.NoError(t, err)
	defer h.Close()
	args := []string{"client", fmt.Sprint(h.LocalPort()), "--channels", "4", "--data", "0x11223344"}
	if checksum {
		args = append(args, "--checksum")
	}
	if rangeCoder {
		require.NoError(t, h.Compress(CompressRangeCoder))
		args = append(args, "--range-coder")
	}
	c := startC(t, args...)
	ctx := testCtx(t)
	received := map[PacketFlags]int{}
	serve(t, ctx, h, func(ev Event) bool {
		switch ev.Type {
		case EventConnect:
			require.Equal(t, uint32(0x11223344), ev.Data)
			require.Equal(t, 4, ev.Peer.Channels())
			require.Equal(t, 1392, ev.Peer.MTU(), "1.3.17 offers 1400; a Go server keeps its own 1392")
		case EventReceive:
			p, err := ev.Peer.GetPacket()
			require.NoError(t, err)
			require.Equal(t, ev.Channel, ev.Peer.PacketChannel())
			received[ev.Peer.PacketFlags()]++
			require.NoError(t, ev.Peer.Send(ev.Channel, p, ev.Peer.PacketFlags()))
		case EventDisconnect:
			require.Equal(t, uint32(0x1234), ev.Data)
			return false
		}
		return true
	})
	require.NoError(t, c.wait(t), "the C client checks every echo")
	if rangeCoder {
		require.Equal(t, 7, received[FlagReliable], "libenet skips its empty packet with the range coder")
	} else {
		require.Equal(t, 8, received[FlagReliable])
	}
	// libenet drops unreliable sends itself when its packet throttle falls
	// (a busy machine raises the RTT while the 1 MB packet is in flight), so
	// each unreliable kind may arrive fewer than the 3 times it was sent,
	// never more; at least one must come through, and the C client has
	// checked every echo it got.
	require.LessOrEqual(t, received[FlagUnsequenced], 3)
	require.LessOrEqual(t, received[FlagUnreliableFragment], 3, "UNRELIABLE_FRAGMENT packets, UNSEQUENCED|UNRELIABLE_FRAGMENT included (§4.2)")
	require.LessOrEqual(t, received[0], 3)
	require.Positive(t, received[FlagUnsequenced]+received[FlagUnreliableFragment]+received[0], "no unreliable packet arrived")
}

type scripted struct {
	ch    int
	flags PacketFlags
	data  []byte
}

// script is the test sequence of §12. With rangeCoder it has no empty
// packet: libenet 1.3.17's range coder reads one byte past an empty packet
// (a NULL one crashes it), so libenet cannot echo one compressed.
func script(mtu, channels int, rangeCoder bool) []scripted {
	f := mtu - 28
	var s []scripted
	sizes := []int{0, 1, f - 1, f, f + 1, 3000, 100000, 1000000}
	if rangeCoder {
		sizes = sizes[1:]
	}
	for i, n := range sizes {
		s = append(s, scripted{i % channels, FlagReliable, pattern(n, byte(len(s)))})
	}
	for i, n := range []int{1, 100, f} {
		s = append(s, scripted{(i + 1) % channels, 0, pattern(n, byte(len(s)))})
		s = append(s, scripted{(i + 2) % channels, FlagUnsequenced, pattern(n, byte(len(s)))})
	}
	s = append(s, scripted{1, FlagUnreliableFragment, pattern(3000, byte(len(s)))})
	s = append(s, scripted{1, FlagUnreliableFragment, pattern(10000, byte(len(s)))})
	return s
}

// connectC starts a libenet server and connects a Go host to it (with the
// range coder if args ask libenet for it).
func connectC(t *testing.T, channels int, args ...string) (*cPeer, *Host, *Peer) {
	t.Helper()
	c := startC(t, append([]string{"server"}, args...)...)
	port := strings.TrimPrefix(c.expect(t, "PORT "), "PORT ")
	c.addr = "127.0.0.1:" + port
	h, err := NewHost("", &Config{MaxPeers: 1, Checksum: slices.Contains(args, "--checksum")})
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	for _, a := range args {
		if a == "--range-coder" {
			require.NoError(t, h.Compress(CompressRangeCoder))
		}
	}
	p, err := h.ConnectToHost("127.0.0.1:"+port, channels, 0x11223344)
	require.NoError(t, err)
	ev, err := h.Service(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, EventConnect, ev.Type)
	require.Equal(t, p, ev.Peer)
	return c, h, p
}

// TestGoClientLibenetServer: a Go host connects to libenet 1.3.17 with
// data, sends the same script, checks every echo (reliable ones complete
// and in order per channel), then the server disconnects it with data.
func TestGoClientLibenetServer(t *testing.T) {
	t.Run("Plain", func(t *testing.T) { testGoClientLibenetServer(t) })
	t.Run("RangeCoder", func(t *testing.T) { testGoClientLibenetServer(t, "--range-coder") })
	t.Run("Checksum", func(t *testing.T) { testGoClientLibenetServer(t, "--checksum") })
	t.Run("ChecksumRangeCoder", func(t *testing.T) { testGoClientLibenetServer(t, "--checksum", "--range-coder") })
}

func testGoClientLibenetServer(t *testing.T, extra ...string) {
	peertest.CheckGoroutines(t)
	c, h, p := connectC(t, 4, append([]string{"--channels", "4"}, extra...)...)
	rangeCoder := slices.Contains(extra, "--range-coder")
	require.Equal(t, "CONNECT data=11223344 mtu=1392 channels=4", c.expect(t, "CONNECT"))
	require.Equal(t, 1392, p.MTU())
	ctx := testCtx(t)
	mtu := p.MTU()
	if slices.Contains(extra, "--checksum") {
		mtu -= 4 // fragments are 4 bytes shorter with a checksum
	}
	msgs := script(mtu, 4, rangeCoder)
	for _, m := range msgs {
		require.NoError(t, p.Send(m.ch, m.data, m.flags))
	}
	// C echoes with the flags it received; check them all, reliable in order.
	var reliable [4][][]byte
	for _, m := range msgs {
		if m.flags == FlagReliable {
			reliable[m.ch] = append(reliable[m.ch], m.data)
		}
	}
	unreliable := 0
	left := 0
	for _, m := range msgs {
		if m.flags == FlagReliable {
			left++
		}
	}
	for left > 0 || unreliable < 8 {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if left == 0 {
			rctx, cancel = context.WithTimeout(ctx, 2*time.Second)
		}
		ev, err := h.Service(rctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && left == 0 {
			break // an unreliable echo lost on loopback: allowed
		}
		require.NoError(t, err)
		require.Equal(t, EventReceive, ev.Type)
		got, err := p.GetPacket()
		require.NoError(t, err)
		if p.PacketFlags() == FlagReliable {
			want := reliable[ev.Channel][0]
			reliable[ev.Channel] = reliable[ev.Channel][1:]
			require.True(t, bytes.Equal(want, got), "reliable echo on channel %d: %d bytes, want %d", ev.Channel, len(got), len(want))
			left--
		} else {
			unreliable++
		}
	}
	require.NoError(t, p.Send(0, []byte("BYE"), FlagReliable))
	for {
		ev, err := h.Service(ctx)
		require.NoError(t, err)
		if ev.Type == EventDisconnect {
			require.Equal(t, uint32(0xABCD), ev.Data)
			break
		}
	}
	require.Equal(t, "DISCONNECT data=00000000", c.expect(t, "DISCONNECT"))
	require.NoError(t, c.wait(t))
}

func TestLibenetDisconnects(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, c *cPeer, h *Host, p *Peer)
	}{
		{"GoDisconnect", func(t *testing.T, c *cPeer, h *Host, p *Peer) {
			p.Disconnect(0x1234)
			ev, err := h.Service(testCtx(t))
			require.NoError(t, err)
			require.Equal(t, EventDisconnect, ev.Type)
			require.Equal(t, "DISCONNECT data=00001234", c.expect(t, "DISCONNECT"))
		}},
		{"GoDisconnectNow", func(t *testing.T, c *cPeer, h *Host, p *Peer) {
			p.DisconnectNow(0x4321)
			require.Equal(t, "DISCONNECT data=00004321", c.expect(t, "DISCONNECT"))
			ev, err := h.ServiceTimeout(100 * time.Millisecond)
			require.NoError(t, err)
			require.Equal(t, EventNone, ev.Type)
		}},
		{"GoDisconnectLater", func(t *testing.T, c *cPeer, h *Host, p *Peer) {
			big := pattern(200000, 3)
			require.NoError(t, p.Send(0, big, FlagReliable))
			p.DisconnectLater(0x5555)
			require.Equal(t, StateDisconnectLater, p.State())
			require.Contains(t, c.expect(t, "RECV"), fmt.Sprintf("len=200000 flags=1 sum=%08x", crc32.ChecksumIEEE(big)))
			require.Equal(t, "DISCONNECT data=00005555", c.expect(t, "DISCONNECT"))
		}},
		{"LibenetDisconnectNow", func(t *testing.T, c *cPeer, h *Host, p *Peer) {
			require.NoError(t, p.Send(0, []byte("BYE-NOW"), FlagReliable))
			ev, err := h.Service(testCtx(t))
			require.NoError(t, err)
			require.Equal(t, EventDisconnect, ev.Type)
			require.Equal(t, uint32(0xABCD), ev.Data)
		}},
		{"LibenetDisconnectLater", func(t *testing.T, c *cPeer, h *Host, p *Peer) {
			require.NoError(t, p.Send(0, []byte("BYE-LATER"), FlagReliable))
			ctx := testCtx(t)
			ev, err := h.Service(ctx)
			require.NoError(t, err)
			require.Equal(t, EventReceive, ev.Type)
			got, err := p.GetPacket()
			require.NoError(t, err)
			require.Equal(t, "last", string(got), "queued data arrives before the disconnect")
			ev, err = h.Service(ctx)
			require.NoError(t, err)
			require.Equal(t, EventDisconnect, ev.Type)
			require.Equal(t, uint32(0xABCD), ev.Data)
		}},
		{"LibenetResetTimesOut", func(t *testing.T, c *cPeer, h *Host, p *Peer) {
			require.NoError(t, p.SetTimeout(4, 300*time.Millisecond, 600*time.Millisecond))
			require.NoError(t, p.Send(0, []byte("RESET"), FlagReliable))
			c.expect(t, "DONE")
			ev, err := h.Service(testCtx(t))
			require.NoError(t, err)
			require.Equal(t, EventDisconnect, ev.Type)
			_, err = p.GetPacket()
			require.ErrorIs(t, err, peer.ErrTimeout)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peertest.CheckGoroutines(t)
			c, h, p := connectC(t, 2, "--channels", "2")
			c.expect(t, "CONNECT")
			tc.run(t, c, h, p)
		})
	}
}

// TestLibenetChannelLimit: a libenet server limited to 2 channels, a Go
// client asking for 4: both use 2.
func TestLibenetChannelLimit(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, _, p := connectC(t, 4, "--channels", "2")
	require.Equal(t, "CONNECT data=11223344 mtu=1392 channels=2", c.expect(t, "CONNECT"))
	require.Equal(t, 2, p.Channels())
	err := p.Send(3, []byte("x"), FlagReliable)
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
}

// TestLibenetDialConformance runs Dial against libenet's echo server: what
// PutPacket sends comes back through ReadPacket.
func TestLibenetDial(t *testing.T) {
	peertest.CheckGoroutines(t)
	c := startC(t, "server")
	port := strings.TrimPrefix(c.expect(t, "PORT "), "PORT ")
	ctx := testCtx(t)
	p, err := Dial(ctx, "127.0.0.1:"+port, &Config{ConnectData: 99})
	require.NoError(t, err)
	defer p.Close()
	require.Equal(t, "CONNECT data=00000063 mtu=1392 channels=255", c.expect(t, "CONNECT"))
	for i := range 50 {
		require.NoError(t, p.PutPacket(pattern(i*1000, byte(i))))
	}
	for i := range 50 {
		if i == 0 {
			continue // PutPacket sends nothing for an empty packet
		}
		got, err := p.ReadPacket(ctx)
		require.NoError(t, err)
		require.True(t, bytes.Equal(pattern(i*1000, byte(i)), got), "packet %d", i)
	}
	require.NoError(t, p.Close())
	require.Equal(t, "DISCONNECT data=00000000", c.expect(t, "DISCONNECT"))
	_, err = p.ReadPacket(ctx)
	require.ErrorIs(t, err, peer.ErrClosed, "after Close")
}

// TestLibenetServerFull: a libenet server with one slot ignores a second
// client, which times out with a DISCONNECT event (data 0).
func TestLibenetServerFull(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, _, _ := connectC(t, 1, "--peers", "1")
	c.expect(t, "CONNECT")
	h2, err := NewHost("", &Config{MaxPeers: 1})
	require.NoError(t, err)
	defer h2.Close()
	p2, err := h2.ConnectToHost(c.addr, 1, 0)
	require.NoError(t, err)
	require.NoError(t, p2.SetTimeout(4, 300*time.Millisecond, 600*time.Millisecond))
	ev, err := h2.Service(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, EventDisconnect, ev.Type)
	require.Equal(t, uint32(0), ev.Data)
}

// TestLibenet255Channels: a Go client asking for 255 channels gets them,
// and the last channel carries data both ways.
func TestLibenet255Channels(t *testing.T) {
	peertest.CheckGoroutines(t)
	c, h, p := connectC(t, 0)
	require.Equal(t, "CONNECT data=11223344 mtu=1392 channels=255", c.expect(t, "CONNECT"))
	require.Equal(t, 255, p.Channels())
	require.NoError(t, p.Send(254, []byte("last channel"), FlagReliable))
	ev, err := h.Service(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, EventReceive, ev.Type)
	require.Equal(t, 254, ev.Channel)
	got, err := p.GetPacket()
	require.NoError(t, err)
	require.Equal(t, "last channel", string(got))
}

func TestMain(m *testing.M) {
	code := m.Run()
	if enetPeerPath != "" {
		os.RemoveAll(filepath.Dir(enetPeerPath))
	}
	os.Exit(code)
}
