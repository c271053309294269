extends Node2D

var health := 100
var label := "init"
var direction := Vector2.ZERO


func _enter_tree() -> void:
	# The player named after a client id sends its own input.
	$Input.set_multiplayer_authority(name.to_int())


func _process(_delta: float) -> void:
	if $Input.is_multiplayer_authority():
		direction = Vector2(1, 2)
