@rpc("any_peer", "call_local", "reliable", "authority", 1)
func f(): pass
