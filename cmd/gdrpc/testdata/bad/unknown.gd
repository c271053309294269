@rpc("anypeer")
func f(): pass
