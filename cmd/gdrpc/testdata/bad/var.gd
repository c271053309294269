@rpc("any_peer")
var x = 1
