// Package browsertest runs browser end-to-end tests: a Node.js script that
// drives Debian's Chromium through npm's playwright-core (installed into e2e/
// by `make e2e-deps` or .ci/run).
//
// When Chromium, Node.js or playwright-core is missing the test is skipped,
// unless PACKETPEER_REQUIRE_BROWSER=1 (set by .ci/run), in which case it fails.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// ChromiumFlags are the flags that work on headless CI machines with a closed
// network. Pass them to chromium.launchPersistentContext via args.
var ChromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// Env describes a usable browser setup.
type Env struct {
	Chromium    string // path of the chromium binary
	Node        string // path of node
	NodeModules string // folder holding playwright-core
}

// Find returns the browser setup, skipping (or failing under
// PACKETPEER_REQUIRE_BROWSER=1) the test when something is missing.
func Find(t testing.TB) Env {
	t.Helper()
	var e Env
	missing := ""
	e.Chromium = os.Getenv("PACKETPEER_CHROMIUM")
	if e.Chromium == "" {
		for _, c := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
			if _, err := os.Stat(c); err == nil {
				e.Chromium = c
				break
			}
		}
	}
	if e.Chromium == "" {
		missing = "chromium (apt-get install chromium)"
	}
	if p, err := exec.LookPath("node"); err == nil {
		e.Node = p
	} else {
		missing = "node"
	}
	e.NodeModules = filepath.Join(repoRoot(), "e2e", "node_modules")
	if _, err := os.Stat(filepath.Join(e.NodeModules, "playwright-core")); err != nil {
		missing = "playwright-core (make e2e-deps)"
	}
	if missing != "" {
		if os.Getenv("PACKETPEER_REQUIRE_BROWSER") == "1" {
			t.Fatalf("browser test needs %s", missing)
		}
		t.Skipf("browser test skipped: %s not installed (set PACKETPEER_REQUIRE_BROWSER=1 to fail instead)", missing)
	}
	return e
}

// RunScript runs a Node.js script with args. The script can
// require('playwright-core') and reads the Chromium path from
// process.env.CHROMIUM_PATH and a fresh profile folder from
// process.env.PROFILE_DIR; process.env.CHROMIUM_FLAGS holds ChromiumFlags
// joined by spaces. It returns stdout and stderr; err is non-nil when the
// script exits non-zero or ctx ends.
func RunScript(ctx context.Context, t testing.TB, e Env, script string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, e.Node, append([]string{script}, args...)...)
	flags := ""
	for i, f := range ChromiumFlags {
		if i > 0 {
			flags += " "
		}
		flags += f
	}
	cmd.Env = append(os.Environ(),
		"NODE_PATH="+e.NodeModules,
		"CHROMIUM_PATH="+e.Chromium,
		"CHROMIUM_FLAGS="+flags,
		"PROFILE_DIR="+t.TempDir(),
		"ARTIFACT_DIR="+ArtifactDir(t),
	)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// ArtifactDir is where scripts should put screenshots taken on failure:
// $PACKETPEER_ARTIFACTS if set, else a temporary folder of the test.
func ArtifactDir(t testing.TB) string {
	if d := os.Getenv("PACKETPEER_ARTIFACTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	return t.TempDir()
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
