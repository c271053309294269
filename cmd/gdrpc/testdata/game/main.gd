extends Node
# The Main scene of the spec's §15 capture.

@rpc("any_peer")
func zeta(v): pass

@rpc("any_peer")
func alpha(v):
	print("alpha ", v) # @rpc("authority") in a comment is ignored

@rpc("any_peer") func hello(s, n):
	var text = "@rpc('unreliable')"
	print(text, s, n)

@rpc("any_peer")
func Zed():
	pass

@rpc("authority")
func from_server(a, b):
	pass

@rpc("any_peer")
func noargs(): pass

@rpc("any_peer")
func pba(b: PackedByteArray) -> void:
	pass

func _ready():
	rpc_config("node_m", {"rpc_mode": MultiplayerAPI.RPC_MODE_ANY_PEER})

func node_m(v): pass

func not_an_rpc(): pass

class Inner:
	@rpc("any_peer")
	func inner_only(): pass
