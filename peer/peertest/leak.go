package peertest

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

// CheckGoroutines records the goroutines running now and registers a cleanup
// that fails t if, when the test ends, goroutines started since are still
// running. It waits up to 5 seconds for them to finish (goroutines often end
// just after Close returns). Call it first in a test, before anything whose
// cleanup should run earlier. Goroutines whose stack contains one of ignore
// (for example a library's known long-lived worker) are not counted.
func CheckGoroutines(t testing.TB, ignore ...string) {
	t.Helper()
	before := goroutineIDs()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		delay := time.Millisecond
		for {
			leaked := newGoroutines(before, ignore)
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutine(s) still running after the test closed everything:\n\n%s",
					len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			// Waiting for goroutines we do not own to exit: there is
			// nothing to synchronise on but the scheduler.
			time.Sleep(delay)
			if delay < 50*time.Millisecond {
				delay *= 2
			}
		}
	})
}

func stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Split(string(bytes.TrimSpace(buf)), "\n\n")
}

func goroutineID(stack string) string {
	// "goroutine 42 [running]:"
	line, _, _ := strings.Cut(stack, "\n")
	f := strings.Fields(line)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

func goroutineIDs() map[string]bool {
	ids := map[string]bool{}
	for _, s := range stacks() {
		ids[goroutineID(s)] = true
	}
	return ids
}

// Goroutines of the runtime and the testing package that may appear at any time.
var alwaysIgnored = []string{
	"created by testing.",
	"runtime.goexit0",
	"created by runtime.gc",
	"runtime.ensureSigM",
	"os/signal.signal_recv",
	"signal.loop",
	"runtime.ReadTrace",
}

func newGoroutines(before map[string]bool, ignore []string) []string {
	var out []string
next:
	for _, s := range stacks() {
		if before[goroutineID(s)] {
			continue
		}
		for _, ig := range alwaysIgnored {
			if strings.Contains(s, ig) {
				continue next
			}
		}
		for _, ig := range ignore {
			if strings.Contains(s, ig) {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}
