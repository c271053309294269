package godottest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// DefaultTestTimeout bounds a RunTest run when the test has no earlier
// deadline. The first run on a machine also downloads the engine (12 MB).
const DefaultTestTimeout = 2 * time.Minute

// RunTest is Run for tests: it runs script with opts under t's context,
// logs what the engine prints with t.Log (unless opts.Output is set), and
// returns the result of a run that exited with code 0. Any other outcome
// fails the test, except that a missing browser or engine (ErrUnavailable)
// skips it with the reason, unless the environment has
// PACKETPEER_REQUIRE_BROWSER=1, as CI sets.
func RunTest(t testing.TB, script string, opts *Options) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), DefaultTestTimeout)
	defer cancel()
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			var c2 context.CancelFunc
			ctx, c2 = context.WithDeadline(ctx, dl.Add(-5*time.Second))
			defer c2()
		}
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Output == nil {
		o.Output = &logWriter{t: t}
	}
	res, err := Run(ctx, script, &o)
	if errors.Is(err, ErrUnavailable) {
		if os.Getenv("PACKETPEER_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%v (PACKETPEER_REQUIRE_BROWSER=1)", err)
		}
		t.Skipf("skipped: %v (set PACKETPEER_REQUIRE_BROWSER=1 to fail instead)", err)
	}
	if err != nil {
		t.Fatalf("godottest.Run: %v", err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("Godot exited with code %d; errors:\n%s", res.ExitCode, strings.Join(res.Errors, "\n"))
	}
	return res
}

type logWriter struct{ t testing.TB }

func (w *logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
