## Chat client for the packetpeer WebRTC chat server (examples/chat/webrtc/server).
##
## Godot 4. On desktop/mobile it needs the official webrtc-native GDExtension
## (github.com/godotengine/webrtc-native releases, extracted into the
## project); web exports use the browser's WebRTC. Attach this script to any
## Node, set signal_url/lobby/nick in the inspector, optionally point
## `line_edit` at a LineEdit: pressing Enter in it sends the text. Call
## say("...") from your own code to send too. Messages are printed; connect
## to `message_received` to show them in your UI.
##
## Signalling: the server speaks the protocol of Godot's own
## webrtc_signaling demo (JSON {"type", "id", "data"} text messages over a
## WebSocket), so this script is a small, self-contained version of that
## demo's client: join the lobby in client-server mode, wait for the host
## (peer 1), offer to it (the larger id offers), relay candidates.
##
## Data: two negotiated data channels, created identically by the Go server
## (webchat.Channels):
##   id 1 "reliable"    ordered, reliable: the chat, one Variant per message
##                      (put_var/get_var), e.g. {"type": "say", "text": "hi"}
##   id 3 "unreliable"  unordered, maxRetransmits 0: the server echoes every
##                      packet; ping() measures the round trip on it.
extends Node

signal message_received(msg: Dictionary)

enum Message { JOIN, ID, PEER_CONNECT, PEER_DISCONNECT, OFFER, ANSWER, CANDIDATE, SEAL }

@export var signal_url: String = "ws://127.0.0.1:8080/signal"
@export var lobby: String = "chat"
@export var nick: String = "godot"
## STUN server for players behind NAT, e.g. "stun:stun.l.google.com:19302";
## empty on a LAN.
@export var stun_url: String = ""
@export var line_edit: LineEdit

var _ws := WebSocketPeer.new()
var _ws_state := WebSocketPeer.STATE_CLOSED
var _my_id := 0
var _pc: WebRTCPeerConnection
var _reliable: WebRTCDataChannel
var _unreliable: WebRTCDataChannel
var _joined_chat := false
var _ping_sent_ms := {}


func _ready() -> void:
	var err := _ws.connect_to_url(signal_url)
	if err != OK:
		push_error("WebRTC chat: cannot reach the signalling server %s: %s" % [signal_url, error_string(err)])
		return
	if line_edit:
		line_edit.text_submitted.connect(_on_text_submitted)


## Sends one chat line on the reliable channel.
func say(text: String) -> void:
	if text.strip_edges().is_empty() or not _channel_open(_reliable):
		return
	_reliable.put_var({"type": "say", "text": text})


## Sends a ping on the unreliable channel; the echo prints the round trip.
func ping() -> void:
	if not _channel_open(_unreliable):
		return
	var seq := Time.get_ticks_usec()
	_ping_sent_ms[seq] = Time.get_ticks_msec()
	_unreliable.put_var(seq)


func _on_text_submitted(text: String) -> void:
	say(text)
	line_edit.clear()


func _process(_delta: float) -> void:
	_poll_signalling()
	if _pc:
		_pc.poll()  # emits session_description_created / ice_candidate_created
		if _channel_open(_reliable) and not _joined_chat:
			_joined_chat = true
			_reliable.put_var({"type": "join", "nick": nick})
		while _channel_open(_reliable) and _reliable.get_available_packet_count() > 0:
			var msg = _reliable.get_var()
			if typeof(msg) == TYPE_DICTIONARY:
				_show(msg)
				message_received.emit(msg)
		while _channel_open(_unreliable) and _unreliable.get_available_packet_count() > 0:
			var seq = _unreliable.get_var()
			if _ping_sent_ms.has(seq):
				print("* ping: %d ms" % (Time.get_ticks_msec() - _ping_sent_ms[seq]))
				_ping_sent_ms.erase(seq)


func _channel_open(ch: WebRTCDataChannel) -> bool:
	return ch != null and ch.get_ready_state() == WebRTCDataChannel.STATE_OPEN


# --- signalling (Godot's webrtc_signaling demo protocol) ---

func _poll_signalling() -> void:
	_ws.poll()
	var state := _ws.get_ready_state()
	if state == WebSocketPeer.STATE_OPEN and _ws_state != WebSocketPeer.STATE_OPEN:
		# id 1 = client-server mode: we only see the lobby's host, the Go server.
		_send(Message.JOIN, 1, lobby)
	if state == WebSocketPeer.STATE_CLOSED and _ws_state != WebSocketPeer.STATE_CLOSED:
		if not _channel_open(_reliable):
			push_error("WebRTC chat: signalling closed (%d %s)" % [_ws.get_close_code(), _ws.get_close_reason()])
	_ws_state = state
	while state == WebSocketPeer.STATE_OPEN and _ws.get_available_packet_count() > 0:
		var parsed = JSON.parse_string(_ws.get_packet().get_string_from_utf8())
		if typeof(parsed) != TYPE_DICTIONARY or not parsed.has("type") or not parsed.has("id"):
			continue
		_on_signal(int(parsed.type), int(parsed.id), str(parsed.get("data", "")))


func _send(type: int, id: int, data: String = "") -> void:
	_ws.send_text(JSON.stringify({"type": type, "id": id, "data": data}))


func _on_signal(type: int, id: int, data: String) -> void:
	match type:
		Message.ID:
			_my_id = id
			if id == 1:
				push_error("WebRTC chat: lobby '%s' has no host; is the Go server running?" % lobby)
				_ws.close()
		Message.PEER_CONNECT:
			if id == 1:
				_connect_to_host()
		Message.ANSWER:
			if _pc:
				_pc.set_remote_description("answer", data)
		Message.CANDIDATE:
			var parts := data.split("\n", false)
			if _pc and parts.size() == 3 and parts[1].is_valid_int():
				_pc.add_ice_candidate(parts[0], parts[1].to_int(), parts[2])
		Message.PEER_DISCONNECT:
			if id == 1:
				print("* the server left")


func _connect_to_host() -> void:
	_pc = WebRTCPeerConnection.new()
	var config := {}
	if not stun_url.is_empty():
		config["iceServers"] = [{"urls": [stun_url]}]
	_pc.initialize(config)
	_pc.session_description_created.connect(_on_session_description)
	_pc.ice_candidate_created.connect(_on_ice_candidate)
	# Negotiated channels must match the Go side exactly (id and options).
	_reliable = _pc.create_data_channel("reliable", {"negotiated": true, "id": 1})
	_unreliable = _pc.create_data_channel("unreliable",
			{"negotiated": true, "id": 3, "ordered": false, "maxRetransmits": 0})
	# The peer with the larger id offers (Godot's demo rule); the host is 1.
	_pc.create_offer()


func _on_session_description(type: String, sdp: String) -> void:
	_pc.set_local_description(type, sdp)
	_send(Message.OFFER if type == "offer" else Message.ANSWER, 1, sdp)


func _on_ice_candidate(media: String, index: int, name: String) -> void:
	_send(Message.CANDIDATE, 1, "\n%s\n%d\n%s" % [media, index, name])


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
	if _reliable and _channel_open(_reliable):
		_reliable.put_var({"type": "leave"})
	if _pc:
		_pc.close()
	_ws.close()
