package enet

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
)

// System channels Godot 4's ENetMultiplayerPeer reserves (its SYSCH_*
// enum): transfer channel 0 uses channel 0 for reliable packets and channel
// 1 for unreliable ones; transfer channel c > 0 is ENet channel c+1.
const (
	mpChannelReliable   = 0
	mpChannelUnreliable = 1
	mpSystemChannels    = 2
)

// mpMaxPacketSize is Godot's get_max_packet_size for ENetMultiplayerPeer.
const mpMaxPacketSize = 1 << 24

// MultiplayerConfig configures a MultiplayerPeer: the arguments of Godot's
// create_server and create_client. The zero value is Godot's defaults.
type MultiplayerConfig struct {
	// MaxClients is the most clients a server accepts (max_clients); 0
	// means 32.
	MaxClients int
	// Channels is the number of transfer channels beyond channel 0
	// (create_client's channel_count, create_server's max_channels). A
	// client asks for Channels+2 ENet channels, 255 when 0. A server passes
	// Channels+2 where Godot 4.6 does, as the host's incoming bandwidth in
	// bytes per second (not as its channel limit, which stays 255), so a
	// non-zero Channels on a server shrinks the window it advertises exactly
	// as a Godot server's does.
	Channels int
	// InBandwidth and OutBandwidth are the host's bandwidth in bytes per
	// second, 0 = unlimited. A server ignores InBandwidth, as Godot does.
	InBandwidth, OutBandwidth uint32
	// LocalAddr is a client's local address ("host:port"; Godot's bind_ip
	// and local_port); "" binds an ephemeral port on every address.
	LocalAddr string
}

// MultiplayerStats counts a server's incoming connections.
type MultiplayerStats struct {
	// Accepted counts the clients reported with PeerConnected.
	Accepted uint64
	// Refused counts the ENet connections reset on arrival: a CONNECT id
	// below 2, above 2^31-1 or in use, one completing after
	// SetRefuseNewConnections(true) (the host ignores later CONNECTs
	// without counting them), or any incoming one on a mesh host.
	Refused uint64
}

// MultiplayerPeer is Godot 4's ENetMultiplayerPeer: a server or a client of
// Godot's high-level multiplayer over ENet. It embeds *multiplayer.Peer, so
// it has the whole multiplayer API (ids, targets, events, PutVar and the
// rest) and passes multiplayertest.
//
// The wire is Godot 4.6's: a client draws its id and sends it as the
// CONNECT data; the server resets (silently drops, the client times out) a
// CONNECT whose id is below 2 or taken, and every connection while it
// refuses new ones. Packets carry no header. TransferModeReliable travels
// on ENet channel 0 with FlagReliable, TransferModeUnreliableOrdered on
// channel 1 with FlagUnreliableFragment, TransferModeUnreliable on channel
// 1 with FlagUnsequenced|FlagUnreliableFragment; transfer channel c > 0
// moves either to ENet channel c+1. A receiver reports the mode from the
// flags and the transfer channel from the ENet channel (an unreliable
// packet larger than the MTU travels as sequenced unreliable fragments, so
// it arrives as TransferModeUnreliableOrdered, as in Godot). A client sends
// everything to the server, whatever the target, but as Godot refuses
// (peer.ErrInvalidParameter) a target other than 0, 1 and -1; relaying is
// SceneMultiplayer's job, so IsServerRelaySupported is true.
//
// Received packets stay in their ENet peer's queue until read, under the
// host's Config.MaxWaitingData and MaxHostWaitingData limits (beyond them
// ENet stops acknowledging and the sender retransmits); the peer adds 16
// bytes per queued packet, 32 while its queue grows (each packet is charged
// at least 128 bytes there, so at most a quarter more). Sending is as Host's: every PutPacket
// flushes the host, as Godot's put_packet does.
//
// Godot → Go:
//
//	ENetMultiplayerPeer.create_server(port, max_clients, max_channels, in, out)
//	                                        CreateServer("bind_ip:port", &MultiplayerConfig{MaxClients, Channels, ..., OutBandwidth})
//	create_client(address, port, channel_count, in, out, local_port)
//	                                        CreateClient("address:port", &MultiplayerConfig{Channels, InBandwidth, OutBandwidth, LocalAddr}), DialClient(ctx, ...)
//	set_bind_ip(ip)                         the host part of CreateServer's addr, MultiplayerConfig.LocalAddr
//	create_mesh(id), add_mesh_peer(id, host)  CreateMesh(id), AddMeshPeer(id, host)
//	get_peer(id)                            GetPeer(id)
//	host, get_host()                        Host()
type MultiplayerPeer struct {
	*multiplayer.Peer
	m *mpTransport
}

type mpEntry struct {
	p    *Peer
	from int32
}

// mpPeer is a peer of the session: its ENet peer and, in a mesh, the host
// that reaches it.
type mpPeer struct {
	id int32
	p  *Peer
	h  *Host
}

type mpTransport struct {
	*multiplayer.Session[*mpPeer]
	h      *Host // nil in a mesh
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[*Peer]*mpPeer // every admitted ENet peer until it disconnects (Godot's _net_id meta)

	// Received packets stay in their ENet peer's queue, charged against
	// the host's limits; q says whose packet comes next.
	q *multiplayer.Queue[mpEntry]

	accepted, refused atomic.Uint64
}

func newMPTransport(h *Host, role multiplayer.Role, id int32) *mpTransport {
	m := &mpTransport{h: h, conns: map[*Peer]*mpPeer{}, q: multiplayer.NewQueue[mpEntry]()}
	m.Session = multiplayer.NewSession[*mpPeer]("enet", role, id, m.q.End)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// withDefaults returns a copy of c (nil-safe) with MaxClients defaulted.
func (c *MultiplayerConfig) withDefaults() MultiplayerConfig {
	var r MultiplayerConfig
	if c != nil {
		r = *c
	}
	if r.MaxClients == 0 {
		r.MaxClients = DefaultMaxPeers
	}
	return r
}

// check reports a field of a defaulted MultiplayerConfig outside its range.
func (c *MultiplayerConfig) check(op string) error {
	if c.MaxClients < 0 || c.MaxClients > MaxPeers {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("MaxClients %d outside 1..%d", c.MaxClients, MaxPeers)}
	}
	if c.Channels < 0 || c.Channels > MaxChannels-mpSystemChannels {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("Channels %d outside 0..%d", c.Channels, MaxChannels-mpSystemChannels)}
	}
	return nil
}

// CreateServer creates a server host bound to addr ("host:port"; "*" or an
// empty host = every address) for up to cfg.MaxClients clients (Godot's
// set_bind_ip + create_server). The server's id is 1 and it is
// ConnectionConnected at once; each client it admits is reported with a
// PeerConnected event for the id the client sent.
func CreateServer(addr string, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	c := cfg.withDefaults()
	if err := c.check("create server"); err != nil {
		return nil, err
	}
	hc := &Config{MaxPeers: c.MaxClients, OutgoingBandwidth: c.OutBandwidth, MaxPacketSize: mpMaxPacketSize}
	if c.Channels > 0 {
		hc.IncomingBandwidth = uint32(c.Channels + mpSystemChannels)
	}
	h, err := NewHost(addr, hc)
	if err != nil {
		return nil, err
	}
	m := newMPTransport(h, multiplayer.RoleServer, multiplayer.TargetPeerServer)
	m.wg.Add(1)
	go m.serviceLoop(h)
	return &MultiplayerPeer{Peer: multiplayer.New(m), m: m}, nil
}

// CreateMesh creates a mesh peer with id (Godot's create_mesh): it has no
// host of its own; AddMeshPeer adds each peer with the host connected to
// it. It is ConnectionConnected at once, not a server, and sends to its
// peers directly.
func CreateMesh(id int32) (*MultiplayerPeer, error) {
	if id <= 0 {
		return nil, &peer.OpError{Op: "create mesh", Transport: "enet", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("unique id %d is not positive", id)}
	}
	m := newMPTransport(nil, multiplayer.RoleMesh, id)
	return &MultiplayerPeer{Peer: multiplayer.New(m), m: m}, nil
}

// AddMeshPeer adds peer id to a mesh, reached through h, which must have
// exactly one peer and that peer connected (Godot's add_mesh_peer), and
// reports PeerConnected(id). The mesh takes h over: it services h (do not
// call Service on it any more), resets any connection h accepts later, and
// closes h when the peer disconnects or the mesh closes.
func (p *MultiplayerPeer) AddMeshPeer(id int32, h *Host) error {
	const op = "add mesh peer"
	m := p.m
	if p.IsClosed() {
		return &peer.OpError{Op: op, Transport: "enet", Err: peer.ErrClosed}
	}
	if m.Role() != multiplayer.RoleMesh {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrUnconfigured, Detail: "not a mesh: call CreateMesh first"}
	}
	if h == nil || id <= 0 {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrInvalidParameter, Detail: "needs a host and a positive id"}
	}
	ps := h.Peers()
	if len(ps) != 1 || ps[0].State() != StateConnected {
		return &peer.OpError{Op: op, Transport: "enet", Code: peer.ErrInvalidParameter, Detail: "the host must have exactly one peer, connected"}
	}
	mp := &mpPeer{id: id, p: ps[0], h: h}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.Join(id, mp); err != nil {
		return err
	}
	m.conns[mp.p] = mp
	m.wg.Add(1)
	go m.serviceLoop(h)
	return nil
}

// CreateClient connects to an ENetMultiplayerPeer server at addr
// ("host:port") from a one-peer host and returns at once, in
// ConnectionConnecting (Godot's create_client). The client's id, drawn by
// multiplayer.GenerateUniqueID, is the CONNECT data. It becomes
// ConnectionConnected, with a PeerConnected(1) event, when ENet connects;
// ConnectionDisconnected if the server never answers. A Godot server that
// refuses the id (below 2 or taken) lets ENet connect first and then
// resets the connection without a word: the client is connected until ENet
// times out (5 to 30 s), then gets PeerDisconnected(1), as a Godot client
// does. DialClient waits for the outcome.
func CreateClient(addr string, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	c := cfg.withDefaults()
	if err := c.check("create client"); err != nil {
		return nil, err
	}
	h, err := NewHost(c.LocalAddr, &Config{MaxPeers: 1, IncomingBandwidth: c.InBandwidth,
		OutgoingBandwidth: c.OutBandwidth, MaxPacketSize: mpMaxPacketSize})
	if err != nil {
		return nil, err
	}
	channels := 0
	if c.Channels > 0 {
		channels = c.Channels + mpSystemChannels
	}
	id := multiplayer.GenerateUniqueID()
	p, err := h.ConnectToHost(addr, channels, uint32(id))
	if err != nil {
		h.Close()
		return nil, err
	}
	m := newMPTransport(h, multiplayer.RoleClient, id)
	mp := &mpPeer{id: multiplayer.TargetPeerServer, p: p}
	m.Add(mp.id, mp)
	m.conns[p] = mp
	m.wg.Add(1)
	go m.serviceLoop(h)
	return &MultiplayerPeer{Peer: multiplayer.New(m), m: m}, nil
}

// DialClient is CreateClient that waits until the client is connected and
// returns it ConnectionConnected. On failure it returns an error matching
// peer.ErrCantConnect, or ctx's error, and releases everything.
func DialClient(ctx context.Context, addr string, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	p, err := CreateClient(addr, cfg)
	if err != nil {
		return nil, err
	}
	return multiplayer.Await(ctx, p, p.m.Connecting())
}

// Host returns the ENet host under the peer (Godot's host property), for
// compression, statistics and its address; nil in a mesh. Do not call
// Service on it.
func (p *MultiplayerPeer) Host() *Host { return p.m.h }

// GetPeer returns the ENet peer of multiplayer peer id (Godot's get_peer),
// nil if there is none; a client only has id 1, its server. Use it for
// statistics, timeouts and addresses; reading from it would take packets
// from the MultiplayerPeer.
func (p *MultiplayerPeer) GetPeer(id int32) *Peer {
	if mp, ok := p.m.Peer(id); ok {
		return mp.p
	}
	return nil
}

// Stats returns a server's connection counters.
func (p *MultiplayerPeer) Stats() MultiplayerStats {
	return MultiplayerStats{Accepted: p.m.accepted.Load(), Refused: p.m.refused.Load()}
}

// serviceLoop runs h's events.
func (m *mpTransport) serviceLoop(h *Host) {
	defer m.wg.Done()
	mesh := m.Role() == multiplayer.RoleMesh
	for {
		e, err := h.Service(m.ctx)
		if err != nil {
			return
		}
		switch e.Type {
		case EventConnect:
			if mesh {
				m.mu.Lock()
				_, ours := m.conns[e.Peer]
				m.mu.Unlock()
				if !ours {
					m.refused.Add(1)
					e.Peer.Reset()
				}
				continue
			}
			m.onConnect(e)
		case EventReceive:
			m.mu.Lock()
			mp := m.conns[e.Peer]
			m.mu.Unlock()
			if mp == nil {
				// A connection reset on arrival: its packets are dropped.
				_, _ = e.Peer.GetPacket()
				continue
			}
			m.q.Push(mpEntry{p: e.Peer, from: mp.id})
		case EventDisconnect:
			m.onDisconnect(e)
			if mesh {
				// Godot drops a mesh host with its peer.
				h.Close()
				return
			}
		}
	}
}

func (m *mpTransport) onConnect(e Event) {
	if !m.IsServer() {
		m.mu.Lock()
		mp := m.conns[e.Peer]
		m.mu.Unlock()
		if mp != nil {
			m.Connect(mp.id, mp)
		}
		return
	}
	if m.IsRefusingNewConnections() || e.Data < 2 || e.Data > math.MaxInt32 {
		m.refused.Add(1)
		e.Peer.Reset()
		return
	}
	mp := &mpPeer{id: int32(e.Data), p: e.Peer}
	m.mu.Lock()
	m.conns[e.Peer] = mp
	m.mu.Unlock()
	if err := m.Join(mp.id, mp); err != nil {
		m.mu.Lock()
		delete(m.conns, e.Peer)
		m.mu.Unlock()
		m.refused.Add(1)
		e.Peer.Reset()
		return
	}
	m.accepted.Add(1)
}

func (m *mpTransport) onDisconnect(e Event) {
	m.mu.Lock()
	mp := m.conns[e.Peer]
	delete(m.conns, e.Peer)
	m.mu.Unlock()
	if mp == nil {
		return
	}
	if m.Role() == multiplayer.RoleClient && m.ConnectionStatus() == multiplayer.ConnectionConnecting {
		m.Fail(&peer.OpError{Op: "dial", Transport: "enet", Code: peer.ErrCantConnect, Detail: "the server did not answer the CONNECT"})
	}
	m.Remove(mp.id, mp)
}

// mpChannel maps a transfer mode and channel to Godot's ENet channel and
// flags.
func mpChannel(mode multiplayer.TransferMode, channel int) (int, PacketFlags) {
	ch, flags := mpChannelReliable, FlagReliable
	switch mode {
	case multiplayer.TransferModeUnreliable:
		ch, flags = mpChannelUnreliable, FlagUnsequenced|FlagUnreliableFragment
	case multiplayer.TransferModeUnreliableOrdered:
		ch, flags = mpChannelUnreliable, FlagUnreliableFragment
	}
	if channel > 0 {
		ch = mpSystemChannels + channel - 1
	}
	return ch, flags
}

// mpInfo describes a received packet as Godot's get_packet_channel and
// get_packet_mode do.
func mpInfo(from int32, ch int, flags PacketFlags) multiplayer.PacketInfo {
	info := multiplayer.PacketInfo{From: from, Mode: multiplayer.TransferModeUnreliableOrdered}
	if ch >= mpSystemChannels {
		info.Channel = ch - mpSystemChannels + 1
	}
	switch {
	case flags&FlagReliable != 0:
		info.Mode = multiplayer.TransferModeReliable
	case flags&FlagUnsequenced != 0:
		info.Mode = multiplayer.TransferModeUnreliable
	}
	return info
}

func (m *mpTransport) PutPacket(p []byte, target int32, mode multiplayer.TransferMode, channel int) error {
	if m.ConnectionStatus() != multiplayer.ConnectionConnected {
		return m.ErrNotConnected()
	}
	if len(p) > mpMaxPacketSize {
		return tooLarge("put packet", len(p), mpMaxPacketSize)
	}
	ch, flags := mpChannel(mode, channel)
	// As Godot, a client checks the target against its one peer (1) too,
	// then sends to the server whatever the target.
	if target != 0 {
		if _, ok := m.Peer(abs32(target)); !ok {
			return &peer.OpError{Op: "put packet", Transport: "enet", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("no peer %d", target)}
		}
	}
	if m.Role() == multiplayer.RoleClient {
		sp, ok := m.Peer(multiplayer.TargetPeerServer)
		if !ok {
			return m.ErrNotConnected()
		}
		err := sp.p.Send(ch, p, flags)
		m.h.Flush()
		return err
	}
	var buf [16]*mpPeer
	to, err := m.Targets(buf[:0], target)
	for _, mp := range to {
		if e := mp.p.Send(ch, p, flags); e != nil && err == nil {
			err = e
		}
		if mp.h != nil {
			mp.h.Flush()
		}
	}
	if m.h != nil {
		m.h.Flush()
	}
	return err
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// GetPacket returns the next packet; with none queued (while connecting
// too) the error matches peer.ErrUnavailable, as Godot's.
func (m *mpTransport) GetPacket() ([]byte, multiplayer.PacketInfo, error) {
	return m.q.GetPacket(readNote)
}

// readNote reads the packet a note is for.
func readNote(e mpEntry) ([]byte, multiplayer.PacketInfo, bool) {
	b, err := e.p.GetPacket()
	if err != nil {
		return nil, multiplayer.PacketInfo{}, false
	}
	return b, mpInfo(e.from, e.p.PacketChannel(), e.p.PacketFlags()), true
}

func (m *mpTransport) WaitPacket(ctx context.Context) error { return m.q.Wait(ctx) }
func (m *mpTransport) AvailablePacketCount() int            { return m.q.Len() }

// MaxPacketSize is Godot's: 2^24.
func (m *mpTransport) MaxPacketSize() int { return mpMaxPacketSize }

// TransportName implements peer.Namer.
func (m *mpTransport) TransportName() string { return "enet" }

// SetRefuseNewConnections makes the host ignore CONNECTs (Godot's patched
// ENet does the same); one already under way is reset when it completes.
func (m *mpTransport) SetRefuseNewConnections(r bool) {
	m.Session.SetRefuseNewConnections(r)
	if m.h != nil {
		m.h.RefuseNewConnections(r)
	}
	m.Each(func(_ int32, mp *mpPeer) {
		if mp.h != nil {
			mp.h.RefuseNewConnections(r)
		}
	})
}

func (m *mpTransport) DisconnectPeer(id int32, force bool) error {
	mp, err := m.Disconnect(id, force)
	if err != nil {
		return err
	}
	mp.p.Disconnect(0)
	h := m.h
	if mp.h != nil {
		h = mp.h
	}
	if h != nil {
		h.Flush()
	}
	if force && mp.h != nil {
		mp.h.Close()
	}
	return nil
}

func (m *mpTransport) Close() error {
	m.mu.Lock()
	peers := m.Session.Close()
	m.mu.Unlock()
	m.cancel()
	m.q.Close()
	// Godot's close: peer_disconnect_now to every peer, then flush; the
	// host's Close does both.
	var err error
	if m.h != nil {
		err = m.h.Close()
	}
	for _, mp := range peers {
		if mp.h != nil {
			mp.h.Close()
		}
	}
	m.wg.Wait()
	m.q.Close()
	return err
}
