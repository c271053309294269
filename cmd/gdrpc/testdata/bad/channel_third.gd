@rpc("any_peer", "unreliable", 2)
func f(): pass
