// Package wschat is the WebSocket chat server of examples/chat/websocket:
// one http.Handler that serves the browser page (web/, embedded) at "/" and
// the chat room's WebSocket endpoint at "/ws". Browsers, Go clients
// (examples/chat/websocket/client) and Godot 4 games
// (examples/godot/websocket_chat_client.gd) join the same room; all speak
// Godot Variant Dictionaries in binary frames.
package wschat

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"io/fs"
	"net"
	"net/http"

	"github.com/packetpeer/packetpeer/examples/chat/chat"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

//go:embed web
var webFiles embed.FS

// Server is the chat's HTTP side.
type Server struct {
	ws  *websocket.Handler
	mux *http.ServeMux
}

// New returns a Server that serves room until ctx ends or Close is called.
// cfg configures the WebSocket side (nil: Godot's defaults, same-origin
// browsers only).
func New(ctx context.Context, room *chat.Room, cfg *websocket.Config) (*Server, error) {
	h, err := websocket.NewHandler(cfg, func(p *websocket.Peer) {
		room.Serve(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	web, err := fs.Sub(webFiles, "web")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", h)
	mux.Handle("/", http.FileServerFS(web))
	return &Server{ws: h, mux: mux}, nil
}

// ServeHTTP serves the page and the WebSocket endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close disconnects every chat client and waits for them.
func (s *Server) Close() error { return s.ws.Close() }

// Serve serves the page and the chat on ln (https and wss with cert, http
// and ws without) until ctx ends or ln fails. Then it shuts down: HTTP
// stops, every chat client is closed with code 1001 (going away), and it
// returns once every session has ended: nil when ctx ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener, cert *tls.Certificate) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: websocket.DefaultHandshakeTimeout}
	websocket.ConfigureServer(hs, s.ws) // HTTP/1.1 for wss; Shutdown closes the clients
	ln = websocket.WrapListener(ln)     // a chat burst leaves in one write per client
	shutDown := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(shutDown)
		hs.Shutdown(context.Background())
	})
	var err error
	if cert != nil {
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
		err = hs.ServeTLS(ln, "", "")
	} else {
		err = hs.Serve(ln)
	}
	if stop() {
		hs.Close()
	} else {
		<-shutDown
	}
	s.ws.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
