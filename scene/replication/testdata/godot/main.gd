extends Node
# The Godot client of TestGodotLive. The Go server steers it with RAW
# packets ("spawn", "quit"); it reports what it saw with print() and acks
# some of it to the server with send_bytes ("ack <what>").

var reported := {}
var mine: Node2D


func _ready() -> void:
	$Spawner.spawn_function = _spawn_flag
	$Spawner.spawned.connect(_on_spawned)
	$Spawner.despawned.connect(func(n): print("despawned ", n.name); ack("despawned " + n.name))
	var peer := WebSocketMultiplayerPeer.new()
	var err := peer.create_client(OS.get_cmdline_user_args()[0])
	if err != OK:
		print("F create_client ", error_string(err))
	multiplayer.multiplayer_peer = peer
	multiplayer.peer_packet.connect(_on_packet)
	multiplayer.server_disconnected.connect(func(): print("server gone"); get_tree().quit(1))


func _spawn_flag(data: Variant) -> Node:
	print("spawn_function ", data)
	var n: Node2D = preload("res://flag.tscn").instantiate()
	return n


func _on_spawned(n: Node) -> void:
	if n.has_method("_process"):
		print("spawned player ", n.name, " position ", n.position, " health ", n.health, " label ", n.label)
		n.get_node("Sync").synchronized.connect(func(): _synced(n))
		n.get_node("Sync").delta_synchronized.connect(func(): print("delta health ", n.health); ack("health %d" % n.health))
		# A spawner nested in the player: the server spawns bullets with it.
		n.get_node("BulletSpawner").spawned.connect(func(b): print("spawned bullet ", b.name, " in ", n.name, " position ", b.position); ack("bullet " + b.name))
		n.get_node("BulletSpawner").despawned.connect(func(b): print("despawned bullet ", b.name))
	else:
		print("spawned flag ", n.name, " position ", n.position)
		n.get_node("Sync").synchronized.connect(func(): print("flag synchronized ", n.position))
	ack("spawned " + n.name)


func _synced(n: Node2D) -> void:
	if n.position.x >= 110 and not reported.has("pos"):
		reported["pos"] = true
		print("synchronized position ", n.position, " label ", n.label)
		ack("position %d %d %s" % [n.position.x, n.position.y, n.label])


func ack(what: String) -> void:
	multiplayer.send_bytes(("ack " + what).to_utf8_buffer(), 1)


func _on_packet(_from: int, data: PackedByteArray) -> void:
	var cmd := data.get_string_from_utf8()
	print("cmd ", cmd)
	match cmd:
		"spawn":
			var me := multiplayer.get_unique_id()
			$ClientSpawner.set_multiplayer_authority(me)
			mine = preload("res://player2.tscn").instantiate()
			mine.name = "p2"
			mine.position = Vector2(3, 4)
			mine.rotation = 0.5
			mine.health = 7
			mine.set_multiplayer_authority(me)
			$Mine.add_child(mine)
		"hurt":
			mine.health = 9
		"quit":
			get_tree().quit()
