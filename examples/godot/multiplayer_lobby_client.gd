## Lobby chat client for the packetpeer multiplayer lobby server
## (examples/multiplayer/server), over WebSocketMultiplayerPeer, or over
## WebRTCMultiplayerPeer when signal_url is set (the server runs with
## -webrtc; webrtc_multiplayer_client.gd, next to this script, does the
## signalling), or over ENetMultiplayerPeer when enet_host is set (the
## server runs with -enet; native builds only: the web build has no UDP).
##
## Godot 4. Attach this script to any Node and set url/nick. The peer is
## driven by hand (poll, get_packet_peer, get_var) rather than assigned to
## multiplayer.multiplayer_peer, because the lobby speaks put_var
## Dictionaries, not SceneMultiplayer RPCs. godottest runs it in Godot 4.6
## against the Go server (TestExampleMultiplayerLobbyClientLive).
##
## Wire: the server sends this client its id (4 bytes) when the WebSocket
## opens; after that each message is one Variant, a Dictionary such as
## {"type": "join", "nick": "alice"} or {"type": "say", "text": "hello"}.
extends Node

signal message_received(msg: Dictionary)

@export var url: String = "ws://127.0.0.1:9080"
## WebRTC instead of WebSocket: the signalling server's URL, e.g.
## "ws://127.0.0.1:9081/signal"; the lobby is "lobby".
@export var signal_url: String = ""
## ENet instead of WebSocket: the server's host and port (server -enet :9082).
@export var enet_host: String = ""
@export var enet_port: int = 9082
@export var nick: String = "godot"

var _peer: MultiplayerPeer


func _ready() -> void:
	if not enet_host.is_empty():
		var en := ENetMultiplayerPeer.new()
		var err := en.create_client(enet_host, enet_port)
		if err != OK:
			push_error("lobby: create_client failed: %s" % error_string(err))
		_peer = en
	elif signal_url.is_empty():
		var ws := WebSocketMultiplayerPeer.new()
		var err := ws.create_client(url)
		if err != OK:
			push_error("lobby: create_client failed: %s" % error_string(err))
		_peer = ws
	else:
		var rtc: Node = preload("webrtc_multiplayer_client.gd").new()
		rtc.signal_url = signal_url
		rtc.lobby = "lobby"
		add_child(rtc)
		_peer = rtc.peer
	_peer.peer_connected.connect(_on_peer_connected)
	_peer.peer_disconnected.connect(func(_id): print("lobby: disconnected"))


func _on_peer_connected(id: int) -> void:
	if id == MultiplayerPeer.TARGET_PEER_SERVER:
		print("lobby: connected as peer %d" % _peer.get_unique_id())
		_peer.set_target_peer(MultiplayerPeer.TARGET_PEER_SERVER)
		_peer.put_var({"type": "join", "nick": nick})


func say(text: String) -> void:
	if _peer.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED:
		_peer.put_var({"type": "say", "text": text})


## Leaves the lobby: the server tells the others.
func leave() -> void:
	_peer.close()


func _process(_delta: float) -> void:
	_peer.poll()
	while _peer.get_available_packet_count() > 0:
		var from := _peer.get_packet_peer()  # always 1 on a client
		var msg = _peer.get_var()
		if from == 1 and msg is Dictionary:
			message_received.emit(msg)
			match msg.get("type"):
				"join": print("* %s joined" % msg.get("nick"))
				"leave": print("* %s left" % msg.get("nick"))
				"say": print("%s: %s" % [msg.get("nick"), msg.get("text")])
