// Command server runs the arena (package game) for browsers and desktop
// Godot 4.6 clients: open http://localhost:8090/ in two tabs and play, or
// run examples/game/godot from the Godot 4.6 editor (it connects to
// ws://127.0.0.1:8090/ws). The Godot web engine is downloaded on first
// use into godottest's cache (-engine names another folder holding
// index.js and index.wasm).
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/packetpeer/packetpeer/examples/game"
	"github.com/packetpeer/packetpeer/godottest"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "HTTP and WebSocket address")
	engine := flag.String("engine", "", "folder with the Godot 4.6 web engine (default: download into godottest's cache)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *engine); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, engine string) error {
	if engine == "" {
		dir, err := godottest.EngineDir(ctx, nil)
		if err != nil {
			return err
		}
		engine = dir
	}
	mp, err := websocket.NewMultiplayerServer(nil)
	if err != nil {
		return err
	}
	defer mp.Close()
	srv := game.NewServer(mp, &game.Config{OnChat: func(from int32, text string) { log.Printf("chat %d: %s", from, text) }})
	ws, err := websocket.NewHandler(nil, nil)
	if err != nil {
		return err
	}
	defer ws.Close()
	go game.Accept(ctx, ws, mp)
	site, err := game.Site(engine, ws)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	log.Printf("arena on http://%s/ (WebSocket ws://%s/ws): open it in two tabs", ln.Addr(), ln.Addr())
	return srv.Run(ctx)
}
