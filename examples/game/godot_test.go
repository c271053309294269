package game

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/variant"
)

// driver is the main script of the Godot clients of TestGodotClients: the
// arena's client (arena.gd) steered by a script instead of the keyboard.
// User args: the server URL and the role. Each client moves its player 40
// px toward the middle of the arena and says what it sees; "a" quits when
// a player despawns, "b" chats once it moved and quits when its own line
// comes back.
const driver = `extends "res://arena.gd"

var role := ""
var steer := Vector2.ZERO
var starts := {}
var reported := {}


func _ready() -> void:
	super._ready()
	role = OS.get_cmdline_user_args()[1]
	$Spawner.spawned.connect(_on_spawned)
	$Spawner.despawned.connect(_on_despawned)
	multiplayer.connected_to_server.connect(func(): print("me ", multiplayer.get_unique_id()))
	multiplayer.server_disconnected.connect(func(): print("server gone"); get_tree().quit(1))


func read_input() -> Vector2:
	return steer


func _on_spawned(n: Node) -> void:
	starts[n.name] = n.position
	print("spawned ", n.name, " at ", n.position)
	if n.name == str(multiplayer.get_unique_id()):
		if role == "a":
			steer = Vector2(0, signf(270.0 - n.position.y))
		else:
			steer = Vector2(signf(480.0 - n.position.x), 0)


func _on_despawned(n: Node) -> void:
	print("despawned ", n.name)
	if role == "a":
		get_tree().quit()


func _process(_delta: float) -> void:
	for n in $Players.get_children():
		var moved: Vector2 = n.position - starts.get(n.name, n.position)
		if moved.length() < 40 or reported.has(n.name):
			continue
		reported[n.name] = true
		if n.name == str(multiplayer.get_unique_id()):
			steer = Vector2.ZERO
			print("moved to ", n.position)
			if role == "b":
				send_chat("hi from b")
		else:
			print("saw ", n.name, " moved to ", n.position)


func on_chat(from: int, text: String) -> void:
	print("chat ", from, ": ", text)
	if role == "b" and from == multiplayer.get_unique_id():
		get_tree().quit()
`

// driverFiles returns the client project with the driver as main script.
func driverFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := ClientFiles()
	if err != nil {
		t.Fatal(err)
	}
	main := bytes.Replace(files["main.tscn"], []byte(`path="res://arena.gd"`), []byte(`path="res://main.gd"`), 1)
	if bytes.Equal(main, files["main.tscn"]) {
		t.Fatal("main.tscn does not load res://arena.gd")
	}
	files["main.tscn"] = main
	return files
}

// lineWatch is an io.Writer of a run's output that signals when a line
// starting with prefix is printed.
type lineWatch struct {
	mu     sync.Mutex
	buf    []byte
	prefix string
	seen   chan string
	lines  []string
	t      *testing.T
	name   string
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		w.t.Logf("godot %s: %s", w.name, line)
		w.lines = append(w.lines, line)
		if w.prefix != "" && strings.HasPrefix(line, w.prefix) {
			w.prefix = ""
			w.seen <- line
		}
	}
}

func vec(t *testing.T, s string) variant.Vector2 {
	t.Helper()
	var v variant.Vector2
	if _, err := fmt.Sscanf(s, "(%g, %g)", &v.X, &v.Y); err != nil {
		t.Fatalf("not a Vector2: %q", s)
	}
	return v
}

// lineWith returns the part after prefix of the first line starting with
// it.
func lineWith(t *testing.T, lines []string, prefix string) string {
	t.Helper()
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
	if i < 0 {
		t.Fatalf("no line %q... in:\n%s", prefix, strings.Join(lines, "\n"))
	}
	return strings.TrimPrefix(lines[i], prefix)
}

func within(a, b variant.Vector2, tol float64) bool {
	return math.Abs(a.X-b.X) <= tol && math.Abs(a.Y-b.Y) <= tol
}

// TestGodotClients plays the arena with two real Godot 4.6 clients (the
// client project with a scripted driver, web build in headless Chromium)
// and a Go bot watching: a joins and moves; b joins late and sees a where a
// is now (the server's spawn state), not where it spawned; b moves and a
// sees it move; b chats and both get the line; b leaves and a sees its
// player despawn. Positions Godot prints are checked against the server's
// (what the bot sees) within a pixel.
func TestGodotClients(t *testing.T) {
	noLeaks(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after the bots' cleanups stopped them
	_, url := arena(t, nil)
	watcher := startBot(t, &wg, url)
	files := driverFiles(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	type run struct {
		res *godottest.Result
		err error
	}
	start := func(role string, w *lineWatch) chan run {
		done := make(chan run, 1)
		go func() {
			res, err := godottest.Run(ctx, driver, &godottest.Options{Files: files, Args: []string{url, role}, Output: w})
			done <- run{res, err}
		}()
		return done
	}
	aw := &lineWatch{t: t, name: "a", prefix: "moved to ", seen: make(chan string, 1)}
	aDone := start("a", aw)
	var aMoved string
	select {
	case aMoved = <-aw.seen:
	case r := <-aDone:
		skipOrFail(t, r.err, r.res)
		t.Fatalf("a exited before it moved")
	}
	// b joins late: once it is in, a has long stopped (it stops when it sees
	// itself moved, before b's engine has even started); the bot sees where
	// the server has it.
	bw := &lineWatch{t: t, name: "b", prefix: "me ", seen: make(chan string, 1)}
	bDone := start("b", bw)
	var aPos variant.Vector2
	select {
	case <-bw.seen:
		aw.mu.Lock()
		lines := slices.Clone(aw.lines)
		aw.mu.Unlock()
		aid := lineWith(t, lines, "me ")
		aPos = watcher.Players()[aid]
	case r := <-bDone:
		skipOrFail(t, r.err, r.res)
		t.Fatalf("b exited before it joined")
	}
	if !within(vec(t, strings.TrimPrefix(aMoved, "moved to ")), aPos, 40) {
		t.Errorf("a printed %s, the server has it at %v", aMoved, aPos)
	}
	b := <-bDone
	skipOrFail(t, b.err, b.res)
	a := <-aDone
	skipOrFail(t, a.err, a.res)

	aid := lineWith(t, a.res.Lines, "me ")
	bid := lineWith(t, b.res.Lines, "me ")
	// The late joiner sees a where the server has it.
	if got := vec(t, lineWith(t, b.res.Lines, "spawned "+aid+" at ")); !within(got, aPos, 1) {
		t.Errorf("b saw a spawn at %v, the server has it at %v", got, aPos)
	}
	id, _ := strconv.Atoi(aid)
	if got := vec(t, lineWith(t, a.res.Lines, "spawned "+aid+" at ")); got != spawnPoint(int32(id)) {
		t.Errorf("a spawned at %v, want %v", got, spawnPoint(int32(id)))
	}
	id, _ = strconv.Atoi(bid)
	bStart := spawnPoint(int32(id))
	if got := vec(t, lineWith(t, a.res.Lines, "spawned "+bid+" at ")); got != bStart {
		t.Errorf("a saw b spawn at %v, want %v", got, bStart)
	}
	aSaw := vec(t, lineWith(t, a.res.Lines, "saw "+bid+" moved to "))
	bAt := vec(t, lineWith(t, b.res.Lines, "moved to "))
	if aSaw.Y != bStart.Y || math.Abs(aSaw.X-bStart.X) < 40 || !within(aSaw, bAt, 20) {
		t.Errorf("a saw b move to %v; b started at %v and saw itself at %v", aSaw, bStart, bAt)
	}
	for _, r := range []*godottest.Result{a.res, b.res} {
		if !slices.Contains(r.Lines, "chat "+bid+": hi from b") {
			t.Errorf("a client did not get b's chat line")
		}
	}
	if !slices.Contains(a.res.Lines, "despawned "+bid) {
		t.Errorf("a did not see b despawn")
	}
	for _, r := range []*godottest.Result{a.res, b.res} {
		for _, e := range r.Errors {
			if strings.Contains(e, "slot >= slot_max") || strings.HasPrefix(e, "godottest: JavaScript error") {
				continue // the web build's known noise (package godottest)
			}
			t.Errorf("Godot error: %s", e)
		}
	}
	// The watcher saw b come and go.
	wait(t, watcher.Bot, "b despawn", func(pl map[string]variant.Vector2, _ []string) bool { _, ok := pl[bid]; return !ok })
}

// skipOrFail ends the test on a failed Godot run: a skip when no browser or
// engine can be had (godottest.RunTest's rule), else a failure.
func skipOrFail(t *testing.T, err error, res *godottest.Result) {
	t.Helper()
	if err == nil {
		if res.ExitCode != 0 {
			t.Fatalf("Godot exited with %d:\n%s\n%s", res.ExitCode, strings.Join(res.Lines, "\n"), strings.Join(res.Errors, "\n"))
		}
		return
	}
	if isUnavailable(err) {
		t.Skipf("Godot unavailable: %v", err)
	}
	var lines, errs string
	if res != nil {
		lines, errs = strings.Join(res.Lines, "\n"), strings.Join(res.Errors, "\n")
	}
	t.Fatalf("Godot: %v\n%s\n%s", err, lines, errs)
}

func isUnavailable(err error) bool {
	return errors.Is(err, godottest.ErrUnavailable) && os.Getenv("PACKETPEER_REQUIRE_BROWSER") != "1"
}

// webENetDriver runs the arena's client and prints what it shows and
// whether it set a multiplayer peer.
const webENetDriver = `extends "res://arena.gd"


func _ready() -> void:
	super._ready()
	print("status ", $UI/Status.text)
	print("offline ", multiplayer.multiplayer_peer is OfflineMultiplayerPeer)
	get_tree().quit()
`

// The web build given an enet:// address says it cannot use ENet (the web
// engine has no UDP) instead of connecting anywhere.
func TestGodotWebENet(t *testing.T) {
	files := driverFiles(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	res, err := godottest.Run(ctx, webENetDriver, &godottest.Options{Files: files, Args: []string{"enet://127.0.0.1:8091"}})
	skipOrFail(t, err, res)
	for _, want := range []string{"status cannot connect to enet://127.0.0.1:8091: Unavailable", "offline true"} {
		if !slices.Contains(res.Lines, want) {
			t.Errorf("Godot printed %q, want the line %q", res.Lines, want)
		}
	}
}
