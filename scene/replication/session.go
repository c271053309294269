package replication

import "github.com/packetpeer/packetpeer/scene"

// Attach returns a Replicator that runs in m's session, usually a server: m hands
// it the SPAWN, DESPAWN and SYNC packets peers send, with their sender,
// calls AddPeer and RemovePeer as peers are admitted and leave, and Tick at
// scene.Config.TickRate frames per second from Run or Poll; the Replicator
// names nodes with m's path cache. It is m.SetReplication(New(m, cfg)).
//
// The Replicator then belongs to m's polling goroutine: spawn, despawn and
// change property Values from m's callbacks and RPC handlers, or from a
// scene.Replication that wraps the Replicator and steps the game in Tick
// before calling the Replicator's.
//
// On a client session, the Replicator receives what the server spawns,
// syncs and despawns on the spawners declared with OnSpawned (see "On a
// Go client" in the package doc).
func Attach(m *scene.Multiplayer, cfg *Config) *Replicator {
	r := New(m, cfg)
	m.SetReplication(r)
	return r
}

var _ scene.Replication = (*Replicator)(nil)
