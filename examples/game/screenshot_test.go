package game

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/internal/cdp"
	"github.com/packetpeer/packetpeer/transport/websocket"
	"github.com/packetpeer/packetpeer/variant"
)

// TestScreenshot serves the arena as make demo-game does (Site: the page,
// the Godot 4.6 web engine, the packed client, /ws), opens it in Chromium
// (rendering with WebGL on SwiftShader) while two Go bots play, and saves
// a screenshot once the three players are drawn: game.png in
// $PACKETPEER_ARTIFACTS, else in the test's temporary folder.
func TestScreenshot(t *testing.T) {
	noLeaks(t)
	required := os.Getenv("PACKETPEER_REQUIRE_BROWSER") == "1"
	unavailable := func(format string, args ...any) {
		t.Helper()
		if required {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	exe := os.Getenv("PACKETPEER_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if exe != "" {
			break
		}
		exe, _ = exec.LookPath(name)
	}
	if exe == "" {
		unavailable("no Chromium")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	engine, err := godottest.EngineDir(ctx, nil)
	if errors.Is(err, godottest.ErrUnavailable) {
		unavailable("%v", err)
	} else if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	mp, err := websocket.NewMultiplayerServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(mp, nil)
	ws, err := websocket.NewHandler(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	site, err := Site(engine, ws)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: site}
	srvCtx, stop := context.WithCancel(context.Background())
	wg.Add(3)
	go func() { defer wg.Done(); hs.Serve(ln) }()
	go func() { defer wg.Done(); Accept(srvCtx, ws, mp) }()
	go func() { defer wg.Done(); srv.Run(srvCtx) }()
	t.Cleanup(func() { stop(); hs.Close(); ws.Close(); mp.Close() })

	url := "ws://" + ln.Addr().String() + "/ws"
	a := startBot(t, &wg, url)
	b := startBot(t, &wg, url)
	a.Move(variant.Vector2{X: 1, Y: 1})

	profile := t.TempDir()
	br, err := cdp.Launch(ctx, exe, "--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
		"--ignore-gpu-blocklist", "--window-size=960,540", "--mute-audio", "--no-first-run", "--disable-extensions",
		"--user-data-dir="+profile)
	if err != nil {
		unavailable("starting %s: %v", exe, err)
	}
	defer br.Close()
	page, err := br.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := page.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": Width, "height": Height, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	if err := page.Call(ctx, "Page.navigate", map[string]any{"url": "http://" + ln.Addr().String() + "/"}, nil); err != nil {
		t.Fatal(err)
	}
	// The browser's client joined when the bots see a third player.
	wait(t, b.Bot, "the browser's player", func(pl map[string]variant.Vector2, _ []string) bool { return len(pl) == 3 })
	a.Move(variant.Vector2{})
	a.Chat("hello from a Go bot")
	wait(t, b.Bot, "the chat line", func(_ map[string]variant.Vector2, chats []string) bool { return len(chats) == 1 })

	// Poll until three player squares are drawn (bright pixels, which the
	// dark floor has none of).
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var shot []byte
	for {
		shot, err = page.Screenshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := brightPixels(t, shot); n >= 3*32*32*9/10 {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("no three players drawn; last screenshot has %d bright pixels", brightPixels(t, shot))
		}
	}
	dir := os.Getenv("PACKETPEER_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "game.png")
	if err := os.WriteFile(name, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", name)
}

// brightPixels counts the pixels of a PNG with a channel above 200/255.
func brightPixels(t *testing.T, b []byte) int {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if max(cr, cg, cb) > 200<<8 {
				n++
			}
		}
	}
	return n
}
