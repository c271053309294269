## Chat client for the packetpeer ENet chat server (examples/chat/enet/server).
##
## Godot 4. Attach this script to any Node, set host/port/nick in the
## inspector (or before the node enters the tree), optionally point
## `line_edit` at a LineEdit: pressing Enter in it sends the text. Call
## say("...") from your own code to send too. Messages are printed; connect to
## the `message_received` signal to show them in your UI.
##
## Wire format: ENet (ENetConnection), every message one Variant
## (put_var/get_var) sent reliably on channel 0 (ENetPacketPeer.put_packet),
## a Dictionary such as {"type": "join", "nick": "alice"} or
## {"type": "say", "text": "hello"}. The server answers with
## {"type": "welcome" | "join" | "say" | "leave" | "error", ...}.
extends Node

signal message_received(msg: Dictionary)

@export var host: String = "127.0.0.1"
@export var port: int = 4242
@export var nick: String = "godot"
@export var line_edit: LineEdit

var _enet := ENetConnection.new()
var _server: ENetPacketPeer


func _ready() -> void:
	var err := _enet.create_host(1)
	if err != OK:
		push_error("ENet chat: create_host failed: %s" % error_string(err))
		return
	_server = _enet.connect_to_host(host, port)
	if _server == null:
		push_error("ENet chat: connect_to_host(%s, %d) failed" % [host, port])
		return
	if line_edit:
		line_edit.text_submitted.connect(_on_text_submitted)


## Sends one chat line.
func say(text: String) -> void:
	if text.strip_edges().is_empty() or _server == null:
		return
	_server.put_var({"type": "say", "text": text})


func _on_text_submitted(text: String) -> void:
	say(text)
	line_edit.clear()


func _process(_delta: float) -> void:
	if _server == null:
		return
	# service(0) runs ENet once without waiting; drain every event.
	while true:
		var ev := _enet.service()
		match ev[0]:
			ENetConnection.EVENT_NONE:
				return
			ENetConnection.EVENT_CONNECT:
				_server.put_var({"type": "join", "nick": nick})
			ENetConnection.EVENT_DISCONNECT:
				print("* disconnected")
				_server = null
				return
			ENetConnection.EVENT_RECEIVE:
				var msg = ev[1].get_var()
				if typeof(msg) == TYPE_DICTIONARY:  # get_var returns null on bad data
					_show(msg)
					message_received.emit(msg)
			ENetConnection.EVENT_ERROR:
				push_error("ENet chat: service error")
				return


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
		_:
			print("? %s" % msg)


func _exit_tree() -> void:
	if _server != null:
		_server.put_var({"type": "leave"})
		_server.peer_disconnect_later()
		_enet.flush()
	_enet.destroy()
