@rpc("any_peer", "call_local", "unreliable", "reliable")
func f(): pass
