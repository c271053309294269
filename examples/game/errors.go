package game

import (
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/scene"
)

// errBadPlayer is a SPAWN that is not a player of player.tscn.
var errBadPlayer = &scene.Error{Command: scene.CommandSpawn, Offset: -1, Reason: "not a player: want one synchronizer with a Vector2 position", Err: peer.ErrInvalidData}
