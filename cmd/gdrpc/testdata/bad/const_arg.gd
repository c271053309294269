const CH = 2
@rpc("any_peer", CH)
func f(): pass
