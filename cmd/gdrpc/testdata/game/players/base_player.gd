class_name BasePlayer
extends CharacterBody2D

@rpc
func sync_state(pos: Vector2): pass

@rpc("unreliable_ordered", "any_peer", "call_remote", 2)
func input(dir): pass
