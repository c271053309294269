package godottest_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/godottest"
)

// noLeaks fails the test if goroutines started during it are still running
// shortly after it ends.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

func TestRunArgsLinesErrorsExitCode(t *testing.T) {
	noLeaks(t)
	res := godottest.RunTest(t, `extends Node
func _ready():
	print("args ", OS.get_cmdline_user_args())
	print("display ", DisplayServer.get_name())
	printerr("to stderr")
	print("two\nlines")
	get_tree().quit()
`, &godottest.Options{Args: []string{"a", "b c", "</script>"}})
	want := []string{`args ["a", "b c", "</script>"]`, "display headless", "two", "lines"}
	if !slices.Equal(res.Lines, want) {
		t.Fatalf("lines %q, want %q", res.Lines, want)
	}
	if !slices.Contains(res.Errors, "to stderr") {
		t.Fatalf("errors %q lack the printerr line", res.Errors)
	}
}

func TestRunExitCode(t *testing.T) {
	res, err := godottest.Run(t.Context(), "extends Node\nfunc _ready():\n\tget_tree().quit(42)\n", nil)
	skipUnavailable(t, err)
	if err != nil || res.ExitCode != 42 {
		t.Fatalf("Run: %+v, %v; want exit code 42", res, err)
	}
}

func TestRunFiles(t *testing.T) {
	res := godottest.RunTest(t, `extends Node
const Helper = preload("res://lib/helper.gd")
func _ready():
	var child = load("res://child.tscn").instantiate()
	add_child(child)
	print(child.name, " ", Helper.twice(21), " ", FileAccess.get_file_as_string("res://data.txt"))
	get_tree().quit()
`, &godottest.Options{Files: map[string][]byte{
		"lib/helper.gd": []byte("extends RefCounted\nstatic func twice(x: int) -> int:\n\treturn 2 * x\n"),
		"child.tscn":    []byte("[gd_scene format=3]\n\n[node name=\"Child\" type=\"Node2D\"]\n"),
		"data.txt":      []byte("data"),
	}})
	if want := []string{"Child 42 data"}; !slices.Equal(res.Lines, want) {
		t.Fatalf("lines %q, want %q", res.Lines, want)
	}
}

func TestRunScriptError(t *testing.T) {
	for _, tc := range []struct{ name, main, other string }{
		{"main", "extends Node\nfunc _ready():\n\tvar x: int = \"s\"\n", ""},
		{"other", "extends Node\nfunc _ready():\n\tget_tree().quit()\n", "extends RefCounted\nfunc f() -> int:\n\treturn \"x\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var files map[string][]byte
			if tc.other != "" {
				files = map[string][]byte{"other.gd": []byte(tc.other)}
			}
			_, err := godottest.Run(t.Context(), tc.main, &godottest.Options{Files: files})
			skipUnavailable(t, err)
			if !errors.Is(err, godottest.ErrScript) || !strings.Contains(err.Error(), "res://"+tc.name+".gd") {
				t.Fatalf("err %v, want ErrScript naming res://%s.gd", err, tc.name)
			}
		})
	}
}

// cancelOn cancels a context when a line is written.
type cancelOn struct {
	line   string
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if strings.TrimSuffix(string(p), "\n") == c.line {
		c.once.Do(c.cancel)
	}
	return len(p), nil
}

func TestRunContextEnds(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	res, err := godottest.Run(ctx, "extends Node\nfunc _ready():\n\tprint(\"started\")\n", &godottest.Options{
		Output: &cancelOn{line: "started", cancel: cancel},
	})
	skipUnavailable(t, err)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if res == nil || !slices.Equal(res.Lines, []string{"started"}) {
		t.Fatalf("result %+v, want the line printed before the end", res)
	}
}

func TestRunNoChromium(t *testing.T) {
	_, err := godottest.Run(t.Context(), "extends Node\n", &godottest.Options{Chromium: "/nonexistent/chromium"})
	if !errors.Is(err, godottest.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
}

func skipUnavailable(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, godottest.ErrUnavailable) {
		if testingRequireBrowser() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}
