package game

import (
	"context"
	"embed"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/packetpeer/packetpeer/internal/pck"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// Client is the Godot 4.6 client project, as text: project.godot,
// main.tscn, arena.gd, player.tscn, player.gd.
//
//go:embed godot
var client embed.FS

// ClientFiles returns the files of the client project, keyed by their path
// under res://.
func ClientFiles() (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(client, "godot", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := client.ReadFile(path)
		if err != nil {
			return err
		}
		files[strings.TrimPrefix(path, "godot/")] = b
		return nil
	})
	return files, err
}

// Pack returns the client project packed as Godot 4.6 loads it (a .pck),
// which is what a web export runs: no editor export step is needed, as
// Godot compiles text scenes and scripts when it loads them.
func Pack() ([]byte, error) {
	files, err := ClientFiles()
	if err != nil {
		return nil, err
	}
	files[".godot/global_script_class_cache.cfg"] = []byte("list=[]\n")
	return pck.Build(pck.Version{Major: 4, Minor: 6}, files)
}

// page starts the engine with the packed client; the client connects back
// to the /ws endpoint of the host that served the page.
const page = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>packetpeer arena</title>
<style>html,body{margin:0;height:100%;background:#171c26;overflow:hidden}canvas{display:block;width:100%;height:100%}</style>
</head><body><canvas id="canvas" tabindex="0"></canvas>
<script src="index.js"></script>
<script>
(function () {
	const ws = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
	const engine = new Engine({executable: 'index', mainPack: 'game.pck', canvas: document.getElementById('canvas'), unloadAfterInit: false});
	engine.startGame({args: ['--', ws]}).catch((e) => { document.body.textContent = String(e); });
})();
</script></body></html>
`

// Site serves the arena to browsers: the page at /, the Godot 4.6 web
// engine (index.js and index.wasm from engineDir, such as the folder
// godottest downloads) and the packed client (game.pck), and hands /ws
// to ws, the WebSocket endpoint of the game's server peer.
func Site(engineDir string, ws http.Handler) (http.Handler, error) {
	pack, err := Pack()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	for _, name := range []string{"index.js", "index.wasm"} {
		mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.Join(engineDir, name))
		})
	}
	mux.HandleFunc("GET /game.pck", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(pack)
	})
	mux.Handle("/ws", ws)
	return mux, nil
}

// Accept makes every connection h accepts a client of mp, the game's
// server peer, until ctx ends or h is closed (mount h at /ws with Site).
func Accept(ctx context.Context, h *websocket.Handler, mp *websocket.MultiplayerPeer) error {
	for {
		ws, err := h.Accept(ctx)
		if err != nil {
			return err
		}
		mp.AddPeer(ws) // a refused connection is closed; the next may do
	}
}
