@rpc(1, "any_peer")
func f(): pass
