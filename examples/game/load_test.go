package game

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// TestArenaServerProcess is the server of BenchmarkArena, in a process of
// its own so that its CPU time can be read: it runs only when the
// benchmark starts it ($GAME_SERVER_NEAREST set), prints its address and
// serves until its standard input closes.
func TestArenaServerProcess(t *testing.T) {
	nearest, ok := os.LookupEnv("GAME_SERVER_NEAREST")
	if !ok {
		t.Skip("the server process of BenchmarkArena")
	}
	n, _ := strconv.Atoi(nearest)
	mp, err := websocket.CreateServer("127.0.0.1:0", &websocket.Config{MaxPendingConnections: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer mp.Close()
	s := NewServer(mp, &Config{Nearest: n})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	fmt.Printf("addr %s\n", mp.Addr())
	s.Run(ctx)
}

// BenchmarkArena measures the arena's server under N Go bots that each
// send an input RPC at 20 Hz (a new direction every second) while the
// server syncs every visible player's position at 20 Hz: the server's CPU
// per client (its process's user+system time over a 5 s window, as a
// share of one core) and the replication bytes a client receives per
// second (SPAWN/SYNC/DESPAWN payloads, without WebSocket framing), plus
// the rate of sync frames one bot sees (20/s when the server keeps up; when the
// machine gives the server less CPU than that takes, the @20Hz figures
// scale CPU and bytes to 20 frames a second, as both are per frame). Full
// visibility for N = 50, 100, 200; each client sees its 20 nearest for
// N = 500. Run with -benchtime=1x; Linux only (/proc).
//
// GAME_ARENA_SIZES replaces the list ("300,1000/20": 300 with full
// visibility, 1000 seeing their 20 nearest), to find the largest N one core
// holds; GAME_ARENA_CPU pins the server process to that CPU with taskset.
func BenchmarkArena(b *testing.B) {
	type size struct{ n, nearest int }
	sizes := []size{{50, 0}, {100, 0}, {200, 0}, {500, 20}}
	if env := os.Getenv("GAME_ARENA_SIZES"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			ns, ks, _ := strings.Cut(f, "/")
			n, err := strconv.Atoi(ns)
			k, err2 := strconv.Atoi(cmp.Or(ks, "0"))
			if err != nil || err2 != nil || n <= 0 || k < 0 {
				b.Fatalf("GAME_ARENA_SIZES: bad entry %q", f)
			}
			sizes = append(sizes, size{n, k})
		}
	}
	for _, c := range sizes {
		name := fmt.Sprintf("N=%d/full", c.n)
		if c.nearest > 0 {
			name = fmt.Sprintf("N=%d/nearest=%d", c.n, c.nearest)
		}
		b.Run(name, func(b *testing.B) { benchArena(b, c.n, c.nearest) })
	}
}

func benchArena(b *testing.B, n, nearest int) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("needs /proc")
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestArenaServerProcess$", "-test.count=1")
	if cpu := os.Getenv("GAME_ARENA_CPU"); cpu != "" {
		ts, err := exec.LookPath("taskset")
		if err != nil {
			b.Fatal("GAME_ARENA_CPU needs taskset: ", err)
		}
		cmd = exec.Command(ts, "-c", cpu, exe, "-test.run=^TestArenaServerProcess$", "-test.count=1")
	}
	cmd.Env = append(os.Environ(), "GAME_SERVER_NEAREST="+strconv.Itoa(nearest), "GOMAXPROCS=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	var addr string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		b.Fatal("the server process printed no address")
	}
	go io.Copy(io.Discard, out)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	bots := make([]*Bot, n)
	for i := range bots {
		p, err := websocket.CreateClient("ws://"+addr, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		bots[i] = NewBot(p)
		wg.Add(1)
		go func() { defer wg.Done(); bots[i].Run(ctx) }()
		if i%50 == 49 || i == n-1 {
			// Let the server admit them before dialing more.
			wctx, wcancel := context.WithTimeout(ctx, time.Minute)
			err := bots[i].Wait(wctx, func(pl map[string]variant.Vector2, _ []string) bool {
				_, ok := pl[strconv.Itoa(int(bots[i].ID()))]
				return ok
			})
			wcancel()
			if err != nil {
				b.Fatalf("bot %d did not join: %v", i, err)
			}
		}
	}
	// Bots send their input at 20 Hz.
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second / TickRate)
		defer tick.Stop()
		dirs := []variant.Vector2{{X: 1}, {Y: 1}, {X: -1}, {Y: -1}}
		for k := 0; ; k++ {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			for i, bot := range bots {
				bot.Move(dirs[(i+k/20)%4])
			}
		}
	}()
	const window = 5 * time.Second
	for range b.N {
		cpu0, bytes0, syncs0 := procCPU(b, cmd.Process.Pid), botBytes(bots), bots[0].syncCount()
		self0 := procCPU(b, os.Getpid())
		t0 := time.Now()
		time.Sleep(window) // the measurement window, not synchronisation
		el := time.Since(t0).Seconds()
		cpu := (procCPU(b, cmd.Process.Pid) - cpu0).Seconds() / el
		bytes := float64(botBytes(bots)-bytes0) / el / float64(n)
		rate := float64(bots[0].syncCount()-syncs0) / el
		// On a loaded machine the server may get less CPU than 20 frames a
		// second need; its work is per frame, so scale to 20 Hz.
		cpu20 := cpu * TickRate / max(rate, 0.1)
		b.ReportMetric(100*cpu, "cpu%")
		b.ReportMetric(rate, "frames/s")
		b.ReportMetric(100*cpu20/float64(n), "cpu%/client@20Hz")
		b.ReportMetric(float64(n)/cpu20, "clients/core@20Hz")
		b.ReportMetric(bytes*TickRate/max(rate, 0.1), "B/s/client@20Hz")
		b.ReportMetric(100*(procCPU(b, os.Getpid())-self0).Seconds()/el, "bots-cpu%")
	}
}

func botBytes(bots []*Bot) uint64 {
	var s uint64
	for _, b := range bots {
		s += b.ReplicationBytes()
	}
	return s
}

// procCPU returns the user+system CPU time of process pid so far.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which is in parentheses).
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}
