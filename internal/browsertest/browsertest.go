// Package browsertest runs browser end-to-end tests in Debian's Chromium,
// driven from Go over the DevTools protocol (package internal/cdp, the
// driver godottest uses): a browser test needs Go and Chromium, nothing
// else.
//
// When Chromium is missing the test is skipped, unless
// PACKETPEER_REQUIRE_BROWSER=1 (set by .ci/run), in which case it fails.
// When a test fails, each open page's screenshot goes to ArtifactDir and
// its console output to the test log.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/internal/cdp"
)

// ChromiumFlags are the flags Launch starts Chromium with: they work on
// headless CI machines with a closed network, and keep every page's timers
// running at full speed when it is not the front tab.
var ChromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--no-default-browser-check", "--mute-audio", "--disable-extensions",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-background-timer-throttling", "--disable-renderer-backgrounding",
	"--disable-backgrounding-occluded-windows",
}

// Find returns the path of the Chromium binary ($PACKETPEER_CHROMIUM, else
// chromium or chromium-browser on $PATH), skipping the test (failing it
// under PACKETPEER_REQUIRE_BROWSER=1) when there is none.
func Find(t testing.TB) string {
	t.Helper()
	names := []string{"chromium", "chromium-browser"}
	if e := os.Getenv("PACKETPEER_CHROMIUM"); e != "" {
		names = []string{e}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	const missing = "chromium (apt-get install chromium, or set PACKETPEER_CHROMIUM)"
	if os.Getenv("PACKETPEER_REQUIRE_BROWSER") == "1" {
		t.Fatalf("browser test needs %s", missing)
	}
	t.Skipf("browser test skipped: no %s (set PACKETPEER_REQUIRE_BROWSER=1 to fail instead)", missing)
	return ""
}

// Browser is a headless Chromium with a fresh profile, closed when the test
// ends (or by Close).
type Browser struct {
	t     testing.TB
	b     *cdp.Browser
	once  sync.Once
	mu    sync.Mutex
	pages []*Page
	done  bool // Close has run
}

// Launch finds Chromium (see Find) and starts it with ChromiumFlags and
// flags.
func Launch(t testing.TB, flags ...string) *Browser {
	t.Helper()
	exe := Find(t)
	args := append(append([]string{"--user-data-dir=" + t.TempDir()}, ChromiumFlags...), flags...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cb, err := cdp.Launch(ctx, exe, args...)
	if err != nil {
		t.Fatalf("browsertest: starting %s: %v", exe, err)
	}
	b := &Browser{t: t, b: cb}
	t.Cleanup(func() {
		if t.Failed() {
			b.saveScreenshots()
		}
		b.Close()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.pages {
			if log := p.Log(); len(log) > 0 && t.Failed() {
				t.Logf("page %s console:\n\t%s", p.name, strings.Join(log, "\n\t"))
			}
		}
	})
	return b
}

// Call calls a DevTools protocol method on the browser itself (not a page),
// such as Browser.grantPermissions or Security.setIgnoreCertificateErrors.
func (b *Browser) Call(ctx context.Context, method string, params, result any) error {
	return b.b.Call(ctx, "", method, params, result)
}

// Close closes the browser and waits for it to exit; the pages' WebSocket
// and WebRTC connections end with it. Calling it again does nothing.
func (b *Browser) Close() {
	b.once.Do(func() {
		b.b.Close()
		b.mu.Lock()
		pages := b.pages
		b.done = true
		b.mu.Unlock()
		for _, p := range pages {
			<-p.done
		}
	})
}

// NewPage opens a blank page; name labels its screenshot and console
// output. It fails the test when the page cannot be opened.
func (b *Browser) NewPage(ctx context.Context, name string) *Page {
	b.t.Helper()
	s, err := b.b.NewPage(ctx)
	if err != nil {
		b.t.Fatalf("browsertest: opening page %s: %v", name, err)
	}
	p := &Page{name: name, s: s, loads: make(chan string, 1), done: make(chan struct{})}
	go p.events()
	b.mu.Lock()
	b.pages = append(b.pages, p)
	b.mu.Unlock()
	for _, m := range []string{"Runtime.enable", "Page.enable"} {
		if err := s.Call(ctx, m, nil, nil); err != nil {
			b.t.Fatalf("browsertest: page %s: %v", name, err)
		}
	}
	return p
}

func (b *Browser) saveScreenshots() {
	b.mu.Lock()
	pages, done := b.pages, b.done
	b.mu.Unlock()
	if done {
		return // the test closed the browser itself: its pages are gone
	}
	dir := ArtifactDir(b.t)
	file := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(b.t.Name(), "_")
	for _, p := range pages {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		png, err := p.s.Screenshot(ctx)
		cancel()
		if err != nil {
			b.t.Logf("screenshot of page %s: %v", p.name, err)
			continue
		}
		path := filepath.Join(dir, file+"-"+p.name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Logf("screenshot of page %s: %v", p.name, err)
			continue
		}
		b.t.Logf("screenshot of page %s: %s", p.name, path)
	}
}

// Page is a browser tab.
type Page struct {
	name  string
	s     *cdp.Session
	loads chan string // frame ids of load events; the last one is kept
	done  chan struct{}

	mu  sync.Mutex
	log []string
}

// events reads the page's events until it closes: console output and
// uncaught exceptions go to the log, load events to Goto.
func (p *Page) events() {
	defer close(p.done)
	for {
		ev, err := p.s.Next(context.Background())
		if err != nil {
			return
		}
		switch ev.Method {
		case "Runtime.consoleAPICalled":
			var c struct {
				Type string `json:"type"`
				Args []struct {
					Value       json.RawMessage `json:"value"`
					Description string          `json:"description"`
				} `json:"args"`
			}
			json.Unmarshal(ev.Params, &c)
			parts := []string{"console." + c.Type + ":"}
			for _, a := range c.Args {
				var s string
				switch {
				case json.Unmarshal(a.Value, &s) == nil:
				case len(a.Value) > 0:
					s = string(a.Value)
				default:
					s = a.Description
				}
				parts = append(parts, s)
			}
			p.addLog(strings.Join(parts, " "))
		case "Runtime.exceptionThrown":
			var x struct {
				Details struct {
					Text      string `json:"text"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			json.Unmarshal(ev.Params, &x)
			p.addLog("uncaught: " + x.Details.Text + " " + x.Details.Exception.Description)
		case "Page.loadEventFired":
			select {
			case p.loads <- "":
			default:
			}
		}
	}
}

func (p *Page) addLog(s string) {
	p.mu.Lock()
	p.log = append(p.log, s)
	p.mu.Unlock()
}

// Log returns the page's console output and uncaught exceptions so far.
func (p *Page) Log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// Goto loads url in the page and waits for its load event.
func (p *Page) Goto(ctx context.Context, url string) error {
	select {
	case <-p.loads:
	default:
	}
	var r struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.s.Call(ctx, "Page.navigate", map[string]any{"url": url}, &r); err != nil {
		return fmt.Errorf("browsertest: page %s: loading %s: %w", p.name, url, err)
	}
	if r.ErrorText != "" {
		return fmt.Errorf("browsertest: page %s: loading %s: %s", p.name, url, r.ErrorText)
	}
	select {
	case <-p.loads:
		return nil
	case <-p.done:
		return fmt.Errorf("browsertest: page %s closed while loading %s", p.name, url)
	case <-ctx.Done():
		return fmt.Errorf("browsertest: page %s: loading %s: %w", p.name, url, ctx.Err())
	}
}

// Eval calls the JavaScript function fn (its source, such as
// "(a, b) => a + b") in the page with args (passed as JSON), waits for its
// promise when it returns one, and decodes the value (as JSON) into result
// unless result is nil. A JavaScript exception is an error holding its
// message and stack.
func (p *Page) Eval(ctx context.Context, result any, fn string, args ...any) error {
	expr, err := call(fn, args)
	if err != nil {
		return err
	}
	if err := p.s.Evaluate(ctx, expr, result); err != nil {
		return fmt.Errorf("browsertest: page %s: %w", p.name, err)
	}
	return nil
}

// WaitFor calls the JavaScript function fn with args until it returns a
// truthy value (polling every 10ms in the page); an exception it throws
// ends the wait with an error, and so does ctx.
func (p *Page) WaitFor(ctx context.Context, fn string, args ...any) error {
	expr, err := call(fn, args)
	if err != nil {
		return err
	}
	poll := "(async () => { for (;;) { if (await " + expr + ") return; await new Promise((r) => setTimeout(r, 10)); } })()"
	if err := p.s.Evaluate(ctx, poll, nil); err != nil {
		return fmt.Errorf("browsertest: page %s: waiting for %s: %w", p.name, fn, err)
	}
	return nil
}

// call returns the expression that calls fn with args.
func call(fn string, args []any) (string, error) {
	a, err := json.Marshal(args)
	if err != nil {
		return "", fmt.Errorf("browsertest: arguments of %s: %w", fn, err)
	}
	if args == nil {
		a = []byte("[]")
	}
	return "(" + fn + ")(..." + string(a) + ")", nil
}

// ArtifactDir is where screenshots of failed tests go: $PACKETPEER_ARTIFACTS
// if set, else a temporary folder of the test.
func ArtifactDir(t testing.TB) string {
	if d := os.Getenv("PACKETPEER_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			return d
		}
	}
	return t.TempDir()
}
