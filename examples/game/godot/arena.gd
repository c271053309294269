extends Node2D
# The arena's Godot client. It connects to the Go server (the last user
# argument that is a ws://, wss:// or enet://host:port URL, else
# DEFAULT_URL; ENet only on desktop, the web has no UDP), sends its
# input direction whenever it changes (the input RPC) and chat lines (the
# chat RPC), and shows what the server replicates: a player per client,
# spawned by the Spawner under Players, moved by its Sync synchronizer.

const DEFAULT_URL := "ws://127.0.0.1:8090/ws"

var connected := false
var last_dir := Vector2.ZERO

@onready var status: Label = $UI/Status
@onready var chat_log: Label = $UI/Log
@onready var chat_line: LineEdit = $UI/Chat


func _ready() -> void:
	var url := DEFAULT_URL
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("ws://") or arg.begins_with("wss://") or arg.begins_with("enet://"):
			url = arg
	var peer: MultiplayerPeer
	var err := OK
	if url.begins_with("enet://"):
		var enet := ENetMultiplayerPeer.new()
		var host := url.trim_prefix("enet://")
		var colon := host.rfind(":")
		if OS.has_feature("web"):
			err = ERR_UNAVAILABLE
		elif colon < 0:
			err = ERR_INVALID_PARAMETER
		else:
			var ip := host.left(colon).trim_prefix("[").trim_suffix("]")
			err = enet.create_client(ip, host.substr(colon + 1).to_int())
		peer = enet
	else:
		var ws := WebSocketMultiplayerPeer.new()
		err = ws.create_client(url)
		peer = ws
	if err != OK:
		status.text = "cannot connect to %s: %s" % [url, error_string(err)]
		return
	multiplayer.multiplayer_peer = peer
	multiplayer.connected_to_server.connect(_on_connected)
	multiplayer.connection_failed.connect(func(): status.text = "cannot reach " + url)
	multiplayer.server_disconnected.connect(_on_server_gone)
	chat_line.text_submitted.connect(_on_chat_submitted)
	status.text = "connecting to " + url


func _on_connected() -> void:
	connected = true
	status.text = "connected as %d: arrows to move, Enter to chat" % multiplayer.get_unique_id()


func _on_server_gone() -> void:
	connected = false
	status.text = "the server is gone"


## The direction the player wants to move in, read every physics frame.
func read_input() -> Vector2:
	if chat_line.has_focus():
		return Vector2.ZERO
	return Input.get_vector("ui_left", "ui_right", "ui_up", "ui_down")


func _physics_process(_delta: float) -> void:
	if not connected:
		return
	var dir := read_input()
	if dir != last_dir:
		last_dir = dir
		input.rpc_id(1, dir)


func send_chat(text: String) -> void:
	if connected and text != "":
		chat.rpc_id(1, text)


func _on_chat_submitted(text: String) -> void:
	send_chat(text)
	chat_line.clear()
	chat_line.release_focus()


func _unhandled_input(event: InputEvent) -> void:
	if event.is_action_pressed("ui_accept") and not chat_line.has_focus():
		chat_line.grab_focus()


# The server runs these two (the Go server's handlers).
@rpc("any_peer", "call_remote", "reliable")
func input(_dir: Vector2) -> void:
	pass


@rpc("any_peer", "call_remote", "reliable")
func chat(_text: String) -> void:
	pass


# The server calls this on every client with each chat line.
@rpc("authority", "call_remote", "reliable")
func chat_message(from: int, text: String) -> void:
	var lines := chat_log.text.split("\n", false)
	lines.append("%d: %s" % [from, text])
	chat_log.text = "\n".join(lines.slice(max(0, lines.size() - 5)))
	on_chat(from, text)


## Called with each chat line shown (a hook for tests and mods).
func on_chat(_from: int, _text: String) -> void:
	pass
