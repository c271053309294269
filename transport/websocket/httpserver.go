package websocket

import (
	"net/http"
	"slices"
)

// ConfigureServer prepares hs, your own http.Server with h mounted on it,
// for WebSocket (Listen does all of this for the server it owns):
//
//   - HTTP/2 is turned off (hs.Protocols without HTTP/2, and "h2" taken out
//     of hs.TLSConfig.NextProtos), so browsers open wss:// with the HTTP/1.1
//     upgrade. Over HTTP/2 a browser would ask for WebSocket with RFC 8441's
//     extended CONNECT, which this package and Godot do not speak.
//   - hs.Shutdown closes h's peers. An upgraded connection is hijacked: out
//     of http.Server's reach, so Shutdown and Close leave it open. With
//     ConfigureServer, Shutdown starts h.Close (close code 1001 "going
//     away" to every peer); Shutdown does not wait for it, so call h.Close
//     after Shutdown returns to wait until every peer is closed and every
//     serve function has returned. After hs.Close, call h.Close yourself.
//
// Serve a listener wrapped with WrapListener (hs.Serve(WrapListener(ln)) or
// hs.ServeTLS(WrapListener(ln), cert, key)): bursts of messages then leave
// in one write each instead of one per frame. Call ConfigureServer before
// hs serves.
func ConfigureServer(hs *http.Server, h *Handler) {
	if hs.Protocols == nil {
		hs.Protocols = new(http.Protocols)
		hs.Protocols.SetHTTP1(true)
	}
	hs.Protocols.SetHTTP2(false)
	hs.Protocols.SetUnencryptedHTTP2(false)
	if hs.TLSConfig != nil && slices.Contains(hs.TLSConfig.NextProtos, "h2") {
		hs.TLSConfig = hs.TLSConfig.Clone()
		hs.TLSConfig.NextProtos = slices.DeleteFunc(hs.TLSConfig.NextProtos, func(p string) bool { return p == "h2" })
	}
	hs.RegisterOnShutdown(func() { h.Close() })
}
