extends Node2D
# A player of the arena. The Go server spawns it (named after the client's
# peer id) and owns its position, which the Sync synchronizer replicates
# every server frame (20 Hz).


func _ready() -> void:
	var id := name.to_int()
	$Body.color = Color.from_hsv(fposmod(id * 0.618034, 1.0), 0.6, 0.95)
	$Name.text = name
	if id == multiplayer.get_unique_id():
		$Name.text = "you"
