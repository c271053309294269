## WebRTCMultiplayerPeer client for a packetpeer server
## (transport/webrtc ListenMultiplayer, e.g. examples/multiplayer/server
## -webrtc), signalled through a server speaking the protocol of Godot's
## webrtc_signaling demo (transport/webrtc/signaling, or the demo's own).
##
## Godot 4. On desktop/mobile it needs the official webrtc-native
## GDExtension; web exports use the browser's WebRTC. Add this script to
## the tree, set signal_url, lobby and channels_config (the same custom
## channels as the Go server's MultiplayerConfig.Channels), then use `peer`
## as any MultiplayerPeer: poll it and read its packets yourself, or assign
## it to multiplayer.multiplayer_peer once `connected` fires.
##
## What happens: join the lobby in client-server mode; the signalling
## server sends this client its id (ID), then the host, peer 1 (PEER_CONNECT).
## peer.create_client(id) and add_peer(connection, 1) create Godot's
## negotiated channels; this side offers (the larger id offers, as in the
## demo) and relays descriptions and candidates. The server removes a
## client whose signalling link closes, so it stays open.
extends Node

## The client has its id and its connection to the server is up.
signal connected(id: int)
## The connection to the server ended, or could not be made.
signal disconnected()

enum Message { JOIN, ID, PEER_CONNECT, PEER_DISCONNECT, OFFER, ANSWER, CANDIDATE, SEAL }

@export var signal_url: String = "ws://127.0.0.1:9081/signal"
@export var lobby: String = "lobby"
## STUN server for players behind NAT, e.g. "stun:stun.l.google.com:19302";
## empty on a LAN.
@export var stun_url: String = ""
## Godot's channels_config: TransferMode of each custom channel (transfer
## channel 1, 2, ...). Must match the server's.
@export var channels_config: Array[int] = []

var peer := WebRTCMultiplayerPeer.new()
var _ws := WebSocketPeer.new()
var _ws_state := WebSocketPeer.STATE_CLOSED
var _connection: WebRTCPeerConnection


func _ready() -> void:
	peer.peer_connected.connect(func(id: int) -> void:
		if id == MultiplayerPeer.TARGET_PEER_SERVER:
			connected.emit(peer.get_unique_id()))
	peer.peer_disconnected.connect(func(id: int) -> void:
		if id == MultiplayerPeer.TARGET_PEER_SERVER:
			disconnected.emit())
	var err := _ws.connect_to_url(signal_url)
	if err != OK:
		push_error("webrtc multiplayer: cannot reach %s: %s" % [signal_url, error_string(err)])


func _process(_delta: float) -> void:
	_poll_signalling()
	peer.poll()


func _poll_signalling() -> void:
	_ws.poll()
	var state := _ws.get_ready_state()
	if state == WebSocketPeer.STATE_OPEN and _ws_state != WebSocketPeer.STATE_OPEN:
		_send(Message.JOIN, 1, lobby)  # id 1: client-server lobby
	if state == WebSocketPeer.STATE_CLOSED and _ws_state != WebSocketPeer.STATE_CLOSED:
		if peer.get_connection_status() != MultiplayerPeer.CONNECTION_CONNECTED:
			disconnected.emit()
	_ws_state = state
	while state == WebSocketPeer.STATE_OPEN and _ws.get_available_packet_count() > 0:
		var msg = JSON.parse_string(_ws.get_packet().get_string_from_utf8())
		if typeof(msg) == TYPE_DICTIONARY and msg.has("type") and msg.has("id"):
			_on_signal(int(msg.type), int(msg.id), str(msg.get("data", "")))


func _send(type: int, id: int, data: String = "") -> void:
	_ws.send_text(JSON.stringify({"type": type, "id": id, "data": data}))


func _on_signal(type: int, id: int, data: String) -> void:
	match type:
		Message.ID:
			if id == 1:
				push_error("webrtc multiplayer: lobby '%s' has no host" % lobby)
				_ws.close()
				return
			peer.create_client(id, channels_config)
		Message.PEER_CONNECT:
			if id == 1:
				_connect_to_server()
		Message.PEER_DISCONNECT:
			if id == 1 and peer.has_peer(1):
				peer.remove_peer(1)
		Message.ANSWER:
			if _connection:
				_connection.set_remote_description("answer", data)
		Message.CANDIDATE:
			var parts := data.split("\n", false)
			if _connection and parts.size() == 3 and parts[1].is_valid_int():
				_connection.add_ice_candidate(parts[0], parts[1].to_int(), parts[2])


func _connect_to_server() -> void:
	_connection = WebRTCPeerConnection.new()
	var config := {}
	if not stun_url.is_empty():
		config["iceServers"] = [{"urls": [stun_url]}]
	_connection.initialize(config)
	_connection.session_description_created.connect(func(type: String, sdp: String) -> void:
		_connection.set_local_description(type, sdp)
		_send(Message.OFFER if type == "offer" else Message.ANSWER, 1, sdp))
	_connection.ice_candidate_created.connect(func(media: String, index: int, name: String) -> void:
		_send(Message.CANDIDATE, 1, "\n%s\n%d\n%s" % [media, index, name]))
	var err := peer.add_peer(_connection, 1)
	if err != OK:
		push_error("webrtc multiplayer: add_peer: %s" % error_string(err))
		return
	_connection.create_offer()


## Leaves: closes the peer and the signalling link.
func leave() -> void:
	peer.close()
	_ws.close()


func _exit_tree() -> void:
	leave()
