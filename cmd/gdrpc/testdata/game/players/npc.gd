extends BasePlayer

@rpc("unreliable") func wander(): pass
