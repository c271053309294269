package multiplayer_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/multiplayer/multiplayertest"
	"github.com/packetpeer/packetpeer/peer"
)

// memNet is a user-written multiplayer transport (Godot's
// MultiplayerPeerExtension) in memory: a star of clients around a server.
// It implements neither peer.Waiter nor Poller, so Peer polls it, and it
// reports each packet's mode and channel as sent.
type memNet struct {
	mu     sync.Mutex
	nodes  map[int32]*memNode
	refuse bool
	closed bool
}

type memPacket struct {
	data []byte
	info multiplayer.PacketInfo
}

type memNode struct {
	net    *memNet
	id     int32
	ev     multiplayer.Events
	mu     sync.Mutex
	queue  []memPacket
	status multiplayer.ConnectionStatus
}

func newMemServer() (*memNet, *multiplayer.Peer) {
	n := &memNet{nodes: map[int32]*memNode{}}
	s := &memNode{net: n, id: 1, status: multiplayer.ConnectionConnected}
	n.nodes[1] = s
	return n, multiplayer.New(s)
}

func (n *memNet) connect() (*multiplayer.Peer, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.refuse || n.closed {
		return nil, &peer.OpError{Op: "connect", Err: peer.ErrCantConnect, Detail: "refused"}
	}
	id := multiplayer.GenerateUniqueID()
	for n.nodes[id] != nil {
		id = multiplayer.GenerateUniqueID()
	}
	c := &memNode{net: n, id: id, status: multiplayer.ConnectionConnected}
	n.nodes[id] = c
	n.nodes[1].ev.PeerConnected(id)
	c.ev.PeerConnected(1)
	return multiplayer.New(c), nil
}

func (m *memNode) deliver(p []byte, info multiplayer.PacketInfo) {
	m.mu.Lock()
	m.queue = append(m.queue, memPacket{append([]byte(nil), p...), info})
	m.mu.Unlock()
}

func (m *memNode) PutPacket(p []byte, target int32, mode multiplayer.TransferMode, ch int) error {
	n := m.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes[m.id] != m {
		return &peer.OpError{Op: "put packet", Err: peer.ErrUnconfigured}
	}
	info := multiplayer.PacketInfo{From: m.id, Channel: ch, Mode: mode}
	if m.id != 1 {
		n.nodes[1].deliver(p, info)
		return nil
	}
	if target > 0 {
		d := n.nodes[target]
		if d == nil || target == 1 {
			return &peer.OpError{Op: "put packet", Err: peer.ErrInvalidParameter, Detail: fmt.Sprint("no peer ", target)}
		}
		d.deliver(p, info)
		return nil
	}
	for id, d := range n.nodes {
		if id != 1 && id != -target {
			d.deliver(p, info)
		}
	}
	return nil
}

func (m *memNode) GetPacket() ([]byte, multiplayer.PacketInfo, error) {
	gone := m.ConnectionStatus() == multiplayer.ConnectionDisconnected
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.queue) == 0 {
		if gone {
			return nil, multiplayer.PacketInfo{}, &peer.OpError{Op: "get packet", Err: peer.ErrUnconfigured}
		}
		return nil, multiplayer.PacketInfo{}, &peer.OpError{Op: "get packet", Err: peer.ErrUnavailable}
	}
	p := m.queue[0]
	m.queue = m.queue[1:]
	return p.data, p.info, nil
}

func (m *memNode) AvailablePacketCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue)
}

func (m *memNode) MaxPacketSize() int { return 1 << 16 }
func (m *memNode) UniqueID() int32 {
	if m.ConnectionStatus() == multiplayer.ConnectionDisconnected {
		return 0
	}
	return m.id
}
func (m *memNode) IsServer() bool              { return m.id == 1 }
func (m *memNode) Events() *multiplayer.Events { return &m.ev }
func (m *memNode) ConnectionStatus() multiplayer.ConnectionStatus {
	m.net.mu.Lock()
	defer m.net.mu.Unlock()
	return m.status
}

func (m *memNode) SetRefuseNewConnections(r bool) {
	m.net.mu.Lock()
	m.net.refuse = r
	m.net.mu.Unlock()
}

// drop removes client id; the caller holds n.mu. The side that forced the
// other out gets no event.
func (n *memNet) drop(id int32, clientEvent, serverEvent bool) {
	c := n.nodes[id]
	delete(n.nodes, id)
	c.status = multiplayer.ConnectionDisconnected
	if clientEvent {
		c.ev.PeerDisconnected(1)
	}
	if serverEvent {
		n.nodes[1].ev.PeerDisconnected(id)
	}
}

func (m *memNode) DisconnectPeer(id int32, force bool) error {
	n := m.net
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case m.id == 1 && id != 1 && n.nodes[id] != nil:
		n.drop(id, true, !force)
	case m.id != 1 && id == 1 && n.nodes[m.id] == m:
		n.drop(m.id, !force, true)
	default:
		return &peer.OpError{Op: "disconnect peer", Err: peer.ErrInvalidParameter}
	}
	return nil
}

func (m *memNode) Close() error {
	n := m.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if m.id == 1 {
		n.closed = true
		for id := range n.nodes {
			if id != 1 {
				n.drop(id, true, false)
			}
		}
		m.status = multiplayer.ConnectionDisconnected
	} else if n.nodes[m.id] == m {
		n.drop(m.id, true, true)
	}
	return nil
}

func memNetwork(t *testing.T, clients int) multiplayertest.Network {
	n, s := newMemServer()
	nw := multiplayertest.Network{Server: s}
	nw.Connect = func(context.Context) (multiplayer.MultiplayerPeer, error) {
		c, err := n.connect()
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	for range clients {
		c, err := n.connect()
		if err != nil {
			t.Fatal(err)
		}
		nw.Clients = append(nw.Clients, c)
	}
	return nw
}

// A user-written transport passes the suite, with modes and channels.
func TestConformanceUserTransport(t *testing.T) {
	multiplayertest.Run(t, memNetwork, multiplayertest.Config{Channels: 4})
}

// countingNode is a memNode that reports drop counters.
type countingNode struct{ *memNode }

func (countingNode) PeerStats() peer.PeerStats { return peer.PeerStats{DroppedFull: 1, DroppedLate: 2} }

// Peer.PeerStats returns the counters of a transport that reports them, and
// zero for one that does not.
func TestPeerStatsFromTransport(t *testing.T) {
	n, s := newMemServer()
	defer s.Close()
	require := func(got, want peer.PeerStats) {
		t.Helper()
		if got != want {
			t.Fatalf("PeerStats = %+v, want %+v", got, want)
		}
	}
	require(s.PeerStats(), peer.PeerStats{})
	c := &memNode{net: n, id: 7, status: multiplayer.ConnectionConnected}
	n.mu.Lock()
	n.nodes[7] = c
	n.mu.Unlock()
	p := multiplayer.New(countingNode{c})
	defer p.Close()
	require(p.PeerStats(), peer.PeerStats{DroppedFull: 1, DroppedLate: 2})
	if err := p.WritePacket(context.Background(), []byte("to the server")); err != nil {
		t.Fatalf("WritePacket: %v", err)
	}
}
