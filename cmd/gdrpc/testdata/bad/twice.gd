@rpc("reliable", "unreliable")
func f(): pass
