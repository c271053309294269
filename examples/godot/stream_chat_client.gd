## Chat client for the packetpeer stream chat server
## (examples/chat/stream/server): StreamPeerTCP + PacketPeerStream.
##
## Godot 4. Attach this script to any Node, set host/port/nick in the
## inspector (or before the node enters the tree), optionally point
## `line_edit` at a LineEdit: pressing Enter in it sends the text. Call
## say("...") from your own code to send too. Messages are printed; connect to
## the `message_received` signal to show them in your UI.
##
## Wire format: each packet is a 4-byte little-endian length and a Variant
## (PacketPeerStream's framing, put_var/get_var), a Dictionary such as
## {"type": "join", "nick": "alice"} or {"type": "say", "text": "hello"}. The
## server answers with {"type": "welcome" | "join" | "say" | "leave" | "error", ...}.
## Keep packets under 65532 bytes (PacketPeerStream's default buffers).
extends Node

signal message_received(msg: Dictionary)

@export var host: String = "127.0.0.1"
@export var port: int = 4242
@export var nick: String = "godot"
@export var line_edit: LineEdit

var _tcp := StreamPeerTCP.new()
var _peer := PacketPeerStream.new()
var _joined := false


func _ready() -> void:
	var err := _tcp.connect_to_host(host, port)
	if err != OK:
		push_error("stream chat: connect_to_host(%s, %d) failed: %s" % [host, port, error_string(err)])
		return
	_peer.stream_peer = _tcp
	if line_edit:
		line_edit.text_submitted.connect(_on_text_submitted)


## Sends one chat line.
func say(text: String) -> void:
	if not _joined or text.strip_edges().is_empty():
		return
	_peer.put_var({"type": "say", "text": text})


## Leaves the room and closes the connection.
func leave() -> void:
	if _joined and _tcp.get_status() == StreamPeerTCP.STATUS_CONNECTED:
		_peer.put_var({"type": "leave"})
	_joined = false
	_tcp.disconnect_from_host()


func _on_text_submitted(text: String) -> void:
	say(text)
	line_edit.clear()


func _process(_delta: float) -> void:
	# StreamPeerTCP only advances (CONNECTING -> CONNECTED, reads) when polled.
	_tcp.poll()
	match _tcp.get_status():
		StreamPeerTCP.STATUS_CONNECTED:
			if not _joined:
				_joined = true
				_tcp.set_no_delay(true)  # chat lines go out at once
				_peer.put_var({"type": "join", "nick": nick})
			# PacketPeerStream reads the socket in get_available_packet_count().
			while _peer.get_available_packet_count() > 0:
				var msg = _peer.get_var()
				if typeof(msg) != TYPE_DICTIONARY:  # get_var returns null on bad data
					continue
				_show(msg)
				message_received.emit(msg)
		StreamPeerTCP.STATUS_ERROR:
			push_error("stream chat: connection to %s:%d failed" % [host, port])
			_tcp.disconnect_from_host()
			_joined = false
		StreamPeerTCP.STATUS_NONE:
			if _joined:
				print("* disconnected")
				_joined = false


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


func _exit_tree() -> void:
	leave()
