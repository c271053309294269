// Command server runs the arena (package game) for browsers and desktop
// Godot 4.6 clients: open http://localhost:8090/ in two tabs and play, or
// run examples/game/godot from the Godot 4.6 editor (it connects to
// ws://127.0.0.1:8090/ws). The Godot web engine is downloaded on first
// use into godottest's cache (-engine names another folder holding
// index.js and index.wasm).
//
// With -enet ADDR (such as :8091) the game runs over ENet instead, Godot's
// ENetMultiplayerPeer, for desktop clients only (run the Godot project
// with the user argument enet://host:8091): the web engine has no UDP, so
// no site is served then.
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
	"github.com/packetpeer/packetpeer/transport/enet"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "HTTP and WebSocket address")
	engine := flag.String("engine", "", "folder with the Godot 4.6 web engine (default: download into godottest's cache)")
	enetAddr := flag.String("enet", "", "serve the game over ENet (UDP) on this address, such as :8091, for desktop Godot clients, instead of the site and WebSocket")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if *enetAddr != "" {
		err = runENet(ctx, *enetAddr)
	} else {
		err = run(ctx, *addr, *engine)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

func logChat(from int32, text string) { log.Printf("chat %d: %s", from, text) }

// runENet runs the arena on an ENet server (Godot's ENetMultiplayerPeer)
// bound to addr.
func runENet(ctx context.Context, addr string) error {
	mp, err := enet.CreateServer(addr, nil)
	if err != nil {
		return err
	}
	defer mp.Close()
	srv := game.NewServer(mp, &game.Config{OnChat: logChat})
	port := mp.Host().LocalPort()
	log.Printf("arena over ENet on udp %s: run examples/game/godot with the user argument enet://127.0.0.1:%d (desktop only: the web build cannot use ENet, so no site is served)", mp.Host().LocalAddr(), port)
	return srv.Run(ctx)
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
	srv := game.NewServer(mp, &game.Config{OnChat: logChat})
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
	log.Printf("arena over WebSocket on http://%s/ (ws://%s/ws): open it in two tabs", ln.Addr(), ln.Addr())
	return srv.Run(ctx)
}
