extends "res://players/base_player.gd"

# Overrides the base's config: the derived one wins.
@rpc("call_local", "reliable", "any_peer", 3)
func input(dir): pass

@rpc(
	"any_peer",   # who
	"call_local", # where
	"unreliable",
	1
)
@warning_ignore("unused_parameter")
static func shoot(target): pass

@rpc('call_remote', 'authority')

func damage(amount):
	pass
