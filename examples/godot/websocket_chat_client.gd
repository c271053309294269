## Chat client for the packetpeer WebSocket chat server
## (examples/chat/websocket/server).
##
## Godot 4 (4.1+; heartbeat_interval needs 4.4). Attach this script to any
## Node, set url/nick in the inspector (or before the node enters the tree),
## optionally point `line_edit` at a LineEdit: pressing Enter in it sends the
## text. Call say("...") from your own code to send too. Messages are
## printed; connect to `message_received` to show them in your UI. Works in
## web exports too (the browser's WebSocket carries the same bytes).
##
## Wire format: every WebSocket message is one binary frame holding one
## Variant (put_var/get_var), a Dictionary such as
## {"type": "join", "nick": "alice"} or {"type": "say", "text": "hello"}.
## The server answers with {"type": "welcome" | "join" | "say" | "leave" |
## "error", ...}. The server pings every 20 s; WebSocketPeer answers by
## itself as long as poll() runs.
extends Node

signal message_received(msg: Dictionary)
signal disconnected(code: int, reason: String)

@export var url: String = "ws://127.0.0.1:8080/ws"
@export var nick: String = "godot"
@export var line_edit: LineEdit

var _ws := WebSocketPeer.new()
var _joined := false
var _was_open := false


func _ready() -> void:
	# Defaults match the Go side: 64 KiB messages, 4096 queued packets.
	var err := _ws.connect_to_url(url)
	if err != OK:
		push_error("WebSocket chat: connect_to_url(%s) failed: %s" % [url, error_string(err)])
		set_process(false)
		return
	if line_edit:
		line_edit.text_submitted.connect(_on_text_submitted)


## Sends one chat line.
func say(text: String) -> void:
	if text.strip_edges().is_empty() or _ws.get_ready_state() != WebSocketPeer.STATE_OPEN:
		return
	_ws.put_var({"type": "say", "text": text})


## Leaves the room and closes the connection (code 1000).
func leave() -> void:
	if _ws.get_ready_state() == WebSocketPeer.STATE_OPEN:
		_ws.put_var({"type": "leave"})
		_ws.close(1000, "bye")


func _on_text_submitted(text: String) -> void:
	say(text)
	line_edit.clear()


func _exit_tree() -> void:
	leave()


func _process(_delta: float) -> void:
	_ws.poll()
	match _ws.get_ready_state():
		WebSocketPeer.STATE_OPEN:
			_was_open = true
			if not _joined:
				_joined = true
				_ws.put_var({"type": "join", "nick": nick})
			while _ws.get_available_packet_count() > 0:
				var msg = _ws.get_var()
				if typeof(msg) != TYPE_DICTIONARY:  # get_var returns null on bad data
					continue
				_show(msg)
				message_received.emit(msg)
		WebSocketPeer.STATE_CLOSED:
			var code := _ws.get_close_code()
			var reason := _ws.get_close_reason()
			if _was_open:
				print("* disconnected (code %d%s)" % [code, (" " + reason) if reason else ""])
			else:
				push_error("WebSocket chat: could not connect to %s" % url)
			disconnected.emit(code, reason)
			set_process(false)


func _show(msg: Dictionary) -> void:
	match msg.get("type", ""):
		"welcome":
			var members := PackedStringArray(msg.get("members", []))
			print("* welcome %s (members: %s)" % [msg.get("nick", ""), ", ".join(members)])
		"join":
			print("* %s joined" % msg.get("nick", ""))
		"leave":
			print("* %s left" % msg.get("nick", ""))
		"say":
			print("<%s> %s" % [msg.get("nick", ""), msg.get("text", "")])
		"error":
			print("! %s" % msg.get("text", ""))
