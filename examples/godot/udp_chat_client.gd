## Chat client for the packetpeer UDP chat server (examples/chat/udp/server).
##
## Godot 4. Attach this script to any Node, set host/port/nick in the
## inspector (or before the node enters the tree), optionally point
## `line_edit` at a LineEdit: pressing Enter in it sends the text. Call
## say("...") from your own code to send too. Messages are printed; connect to
## the `message_received` signal to show them in your UI.
##
## Wire format: every UDP datagram is one Variant (put_var/get_var), a
## Dictionary such as {"type": "join", "nick": "alice"} or
## {"type": "say", "text": "hello"}. The server answers with
## {"type": "welcome" | "join" | "say" | "leave" | "error", ...}.
## The Go server drops clients silent for 10 minutes (UDP has no disconnect);
## the next message then gets an "error" reply and this script re-joins.
extends Node

signal message_received(msg: Dictionary)

@export var host: String = "127.0.0.1"
@export var port: int = 4242
@export var nick: String = "godot"
@export var line_edit: LineEdit

var _udp := PacketPeerUDP.new()


func _ready() -> void:
	var ip := host
	if not ip.is_valid_ip_address():
		ip = IP.resolve_hostname(host)
	# connect_to_host: the OS now only delivers this server's datagrams.
	var err := _udp.connect_to_host(ip, port)
	if err != OK:
		push_error("UDP chat: connect_to_host(%s, %d) failed: %s" % [host, port, error_string(err)])
		return
	_join()
	if line_edit:
		line_edit.text_submitted.connect(_on_text_submitted)


func _join() -> void:
	_udp.put_var({"type": "join", "nick": nick})


## Sends one chat line.
func say(text: String) -> void:
	if text.strip_edges().is_empty():
		return
	_udp.put_var({"type": "say", "text": text})


func _on_text_submitted(text: String) -> void:
	say(text)
	line_edit.clear()


func _process(_delta: float) -> void:
	# PacketPeerUDP polls the socket in get_available_packet_count().
	while _udp.is_socket_connected() and _udp.get_available_packet_count() > 0:
		var msg = _udp.get_var()
		if typeof(msg) != TYPE_DICTIONARY:  # get_var returns null on bad data
			continue
		_show(msg)
		message_received.emit(msg)


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
			if str(msg.get("text", "")).begins_with("first message must be a join"):
				_join()  # the server forgot us (idle timeout): join again
		_:
			print("? %s" % msg)


func _exit_tree() -> void:
	if _udp.is_socket_connected():
		_udp.put_var({"type": "leave"})
	_udp.close()
