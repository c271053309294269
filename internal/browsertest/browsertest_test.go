package browsertest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/internal/cdp"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestPage: Goto waits for the load event, Eval passes arguments as JSON
// and awaits promises, WaitFor polls until true and stops on an exception,
// and the console goes to Log.
func TestPage(t *testing.T) {
	peertest.CheckGoroutines(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><script>
			console.log('hello', 7);
			window.addEventListener('load', () => { window.loaded = true; setTimeout(() => { window.later = 3; }, 50); });
		</script>`))
	}))
	defer srv.Close()
	b := Launch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := b.NewPage(ctx, "test")
	if err := p.Goto(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	var loaded bool
	if err := p.Eval(ctx, &loaded, "() => window.loaded === true"); err != nil || !loaded {
		t.Fatalf("after Goto, the load handler ran: %v, %v", loaded, err)
	}
	var got struct {
		S string `json:"s"`
		N []int  `json:"n"`
	}
	if err := p.Eval(ctx, &got, "async (s, n) => ({ s: s + '!', n: n.map((x) => x * 2) })", "a</script>", []int{1, 2}); err != nil ||
		got.S != "a</script>!" || !slices.Equal(got.N, []int{2, 4}) {
		t.Fatalf("Eval with arguments: %+v, %v", got, err)
	}
	if err := p.WaitFor(ctx, "(v) => window.later === v", 3); err != nil {
		t.Fatal(err)
	}
	var x *cdp.Exception
	if err := p.WaitFor(ctx, "() => window.nothing.here"); !errors.As(err, &x) {
		t.Fatalf("WaitFor on a throwing function: %v, want a *cdp.Exception", err)
	}
	short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	err := p.WaitFor(short, "() => false")
	stop()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor past its context: %v, want DeadlineExceeded", err)
	}
	if log := p.Log(); !slices.ContainsFunc(log, func(s string) bool { return strings.Contains(s, "hello 7") }) {
		t.Fatalf("console output %q lacks the page's console.log", log)
	}
}

func TestEvalArgumentError(t *testing.T) {
	if _, err := call("() => 1", []any{func() {}}); err == nil {
		t.Fatal("a function argument (not JSON) was accepted")
	}
}
