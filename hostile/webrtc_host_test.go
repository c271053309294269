package hostile

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/webrtc"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

// webrtcHostEnv makes the test binary run runWebRTCHost instead of the
// tests: a WebRTC host in its own process, so that its memory can be
// measured apart from the attacking client's.
const webrtcHostEnv = "HOSTILE_WEBRTC_HOST"

// runWebRTCHost serves a signalling server and an echo Listener hosting
// rtcLobby, prints "URL <url>", and then answers each "measure" line on
// stdin with "HEAP <live heap bytes> GOROUTINES <n>". It exits when stdin
// closes.
func runWebRTCHost() int {
	sig := signaling.NewServer(nil)
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hs := &http.Server{Handler: sig, ReadHeaderTimeout: time.Second}
	go hs.Serve(hl)
	url := "ws://" + hl.Addr().String() + "/"
	ln, err := webrtc.Listen(url, &webrtc.Config{LoopbackOnly: true, Lobby: rtcLobby})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		for {
			p, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				defer p.Close()
				for {
					v, err := p.ReadVar(context.Background())
					if err != nil {
						return
					}
					p.PutVar(v)
				}
			}()
		}
	}()
	fmt.Println("URL " + url)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Printf("HEAP %d GOROUTINES %d\n", heapNow(), runtime.NumGoroutine())
	}
	ln.Close()
	sig.Close()
	hs.Close()
	return 0
}

// webrtcHost is a runWebRTCHost child process.
type webrtcHost struct {
	url   string
	stdin interface{ Write([]byte) (int, error) }
	out   *bufio.Scanner
}

func startWebRTCHost(t *testing.T) *webrtcHost {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), webrtcHostEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	h := &webrtcHost{stdin: stdin, out: bufio.NewScanner(stdout)}
	require.True(t, h.out.Scan(), "the host process printed nothing")
	url, ok := strings.CutPrefix(h.out.Text(), "URL ")
	require.True(t, ok, "host said %q", h.out.Text())
	h.url = url
	return h
}

// measure returns the host process's live heap and goroutine count.
func (h *webrtcHost) measure(t *testing.T) (heap int64, goroutines int) {
	t.Helper()
	_, err := h.stdin.Write([]byte("measure\n"))
	require.NoError(t, err)
	require.True(t, h.out.Scan(), "the host process died")
	_, err = fmt.Sscanf(h.out.Text(), "HEAP %d GOROUTINES %d", &heap, &goroutines)
	require.NoError(t, err, "host said %q", h.out.Text())
	return heap, goroutines
}

// TestWebRTCUnaskedChannels: a connected client opens 500 in-band data
// channels the host never asked for (the Listener has no OnDataChannel
// handler, so its application never sees them). The host runs in its own
// process so its memory is measured alone; what it keeps for channels
// it never asked for must stay bounded.
func TestWebRTCUnaskedChannels(t *testing.T) {
	peertest.CheckGoroutines(t)
	h := startWebRTCHost(t)
	k := webrtcKit()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := k.dial(ctx, h.url)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	exchange(t, p, 10*time.Second)
	heap0, g0 := h.measure(t)

	const n = 500
	pc := p.(*webrtc.DataChannel).Connection()
	for i := range n {
		dc, err := pc.CreateDataChannel(fmt.Sprintf("unasked-%d", i), nil)
		require.NoError(t, err)
		// The host refuses channels nobody handles: this one may open and
		// then close, or close before it opens. Either way it must not stay.
		if err := dc.WaitOpen(ctx); err != nil {
			require.NotErrorIs(t, err, context.DeadlineExceeded)
		}
	}
	exchange(t, p, 10*time.Second)
	heap1, g1 := h.measure(t)
	t.Logf("HEAP %s: %d unasked channels cost the host %d bytes (%d each) and %d goroutines",
		t.Name(), n, heap1-heap0, (heap1-heap0)/n, g1-g0)
	require.Less(t, heap1-heap0, int64(heapBound))
}
