package websocket

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
)

// MultiplayerPeer is Godot 4's WebSocketMultiplayerPeer: a server or a client
// of Godot's high-level multiplayer over WebSocket. It embeds
// *multiplayer.Peer, so it has the whole multiplayer API (ids, targets,
// events, PutVar and the rest) and passes multiplayertest.
//
// The wire is Godot 4's: when a client's WebSocket opens, the server sends
// it one 4-byte binary message, the client's id as int32 little-endian; after
// that every message is one packet, with no header. A client sends
// everything to the server (id 1); relaying between clients is
// SceneMultiplayer's job, so IsServerRelaySupported is true. Every packet
// is reliable, on channel 0, whatever the transfer settings say.
type MultiplayerPeer struct {
	*multiplayer.Peer
	m *mpTransport
}

// mpHeader is the inbox record header: the sender's id, int32 LE.
const mpHeader = 4

// mpLegacyHeader is the 9-byte header of Godot 3's protocol, which Godot 4
// still subtracts in get_max_packet_size.
const mpLegacyHeader = 9

// mpQueueBytes is the most bytes of received packets a MultiplayerPeer
// queues for GetPacket (each costs its length plus 8), whatever the number
// of peers; at least one InboundBufferSize message always fits.
const mpQueueBytes = 1 << 20

type mpPeer struct {
	id     int32
	ws     *Peer
	cancel context.CancelFunc
}

type mpTransport struct {
	*multiplayer.Session[*mpPeer]
	cfg    Config
	in     *ringbuf.Inbox
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// server
	l        *Listener
	refused  atomic.Uint64
	accepted atomic.Uint64
}

func newMPTransport(cfg Config, role multiplayer.Role) *mpTransport {
	m := &mpTransport{
		cfg: cfg,
		in: ringbuf.NewInbox(ringbuf.Config{
			MaxBytes:     max(mpQueueBytes, cfg.InboundBufferSize+2*mpHeader+4),
			MaxPackets:   max(cfg.MaxQueuedPackets, 1),
			Policy:       ringbuf.Block,
			InitialBytes: 4 << 10,
		}, peer.ErrUnavailable),
	}
	m.Session = multiplayer.NewSession[*mpPeer]("websocket", role, 0, m.in.Close)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// CreateServer listens on addr (such as ":9080" or "127.0.0.1:0") and
// serves WebSocket multiplayer clients, over TLS when cfg.TLSConfig is set
// (Godot's create_server(port, bind_address, tls_server_options)). The
// server's id is 1 and it is ConnectionConnected at once. Each client that
// finishes TLS and the upgrade within cfg.HandshakeTimeout is given a
// random id in [2, 2^31-1] not in use, sent that id, and reported with a
// PeerConnected event.
func CreateServer(addr string, cfg *Config) (*MultiplayerPeer, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	l, err := Listen(addr, &c)
	if err != nil {
		return nil, err
	}
	m := newMPTransport(c, multiplayer.RoleServer)
	m.l = l
	m.wg.Add(1)
	go m.acceptLoop()
	return &MultiplayerPeer{Peer: multiplayer.New(m), m: m}, nil
}

// CreateClient connects to a WebSocketMultiplayerPeer server at url
// (ws:// or wss://; cfg.TLSConfig configures wss) and returns at once, in
// ConnectionConnecting (Godot's create_client). It becomes
// ConnectionConnected, with a PeerConnected(1) event, when the server's
// 4-byte id arrives; ConnectionDisconnected if the handshake fails, the
// first message is not exactly 4 bytes holding an id >= 2, or all that
// takes longer than cfg.HandshakeTimeout. DialClient waits for the outcome.
func CreateClient(url string, cfg *Config) (*MultiplayerPeer, error) {
	c, u, err := prepareDial(url, cfg)
	if err != nil {
		return nil, err
	}
	m := newMPTransport(c, multiplayer.RoleClient)
	m.wg.Add(1)
	go m.connect(u)
	return &MultiplayerPeer{Peer: multiplayer.New(m), m: m}, nil
}

// DialClient is CreateClient that waits until the client has its id and
// returns it ConnectionConnected. On failure it returns an error matching
// peer.ErrCantConnect (peer.ErrInvalidData for a bad id message,
// peer.ErrTimeout when cfg.HandshakeTimeout passed) and releases
// everything.
func DialClient(ctx context.Context, url string, cfg *Config) (*MultiplayerPeer, error) {
	p, err := CreateClient(url, cfg)
	if err != nil {
		return nil, err
	}
	return multiplayer.Await(ctx, p, p.m.Connecting())
}

// Addr returns the server's listening address, nil on a client.
func (p *MultiplayerPeer) Addr() net.Addr {
	if p.m.l == nil {
		return nil
	}
	return p.m.l.Addr()
}

// GetPeer returns the WebSocket connection to peer id (Godot's get_peer),
// nil if there is none; on a client, id 1 is the server. Use it for its
// addresses, headers and close code; reading from it would take packets
// from the MultiplayerPeer.
func (p *MultiplayerPeer) GetPeer(id int32) *Peer {
	if mp, ok := p.m.Peer(id); ok {
		return mp.ws
	}
	return nil
}

// PeerAddress returns peer id's IP address (Godot's get_peer_address), ""
// for an unknown id.
func (p *MultiplayerPeer) PeerAddress(id int32) string {
	if ws := p.GetPeer(id); ws != nil {
		return ws.ConnectedHost()
	}
	return ""
}

// PeerPort returns peer id's TCP port (Godot's get_peer_port), 0 for an
// unknown id.
func (p *MultiplayerPeer) PeerPort(id int32) int {
	if ws := p.GetPeer(id); ws != nil {
		return ws.ConnectedPort()
	}
	return 0
}

// Stats returns a server's connection counters: the listener's (TLS or
// upgrade failures, handshake timeouts) with Accepted counting the clients
// given an id and Refused also counting those turned away by
// SetRefuseNewConnections. Zero on a client.
func (p *MultiplayerPeer) Stats() ListenerStats {
	if !p.m.IsServer() {
		return ListenerStats{}
	}
	var s ListenerStats
	if p.m.l != nil {
		s = p.m.l.Stats()
	}
	r := p.m.refused.Load()
	s.Accepted = p.m.accepted.Load()
	s.Refused += r
	return s
}

// NewMultiplayerServer returns a server MultiplayerPeer without a listener
// of its own: it serves the WebSocket connections handed to AddPeer, and
// is otherwise CreateServer's (cfg configures its queues; HandshakeTimeout
// and TLSConfig belong to whoever accepted the connections). Several such
// servers can share one Listener or Handler, each a separate session with
// its own ids, for example one per room chosen from the request's URL.
func NewMultiplayerServer(cfg *Config) (*MultiplayerPeer, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	m := newMPTransport(c, multiplayer.RoleServer)
	return &MultiplayerPeer{Peer: multiplayer.New(m), m: m}, nil
}

// AddPeer makes ws, an accepted connection, a client of the server p: as
// CreateServer does with each client, it gives ws a random id not in use,
// sends it the id and queues a PeerConnected event. It returns the id. A
// client, a closed server or one refusing new connections closes ws and
// returns an error (matching peer.ErrUnavailable, peer.ErrClosed and
// peer.ErrUnavailable respectively).
func (p *MultiplayerPeer) AddPeer(ws *Peer) (int32, error) {
	if !p.m.IsServer() {
		ws.Close()
		return 0, &peer.OpError{Op: "add peer", Transport: "websocket", Code: peer.ErrUnavailable, Detail: "not a server"}
	}
	return p.m.admit(ws)
}

func (m *mpTransport) acceptLoop() {
	defer m.wg.Done()
	for {
		ws, err := m.l.Accept(m.ctx)
		if err != nil {
			return
		}
		m.admit(ws)
	}
}

// admit gives ws an id and starts its reader.
func (m *mpTransport) admit(ws *Peer) (int32, error) {
	if m.IsRefusingNewConnections() {
		// Godot drops the connection without a word.
		m.refused.Add(1)
		ws.CloseWithCode(-1, "")
		ws.Close()
		return 0, &peer.OpError{Op: "add peer", Transport: "websocket", Code: peer.ErrUnavailable, Detail: "refusing new connections"}
	}
	var (
		ctx context.Context
		mp  *mpPeer
	)
	id, err := m.JoinNew(func(id int32) *mpPeer {
		// The id is queued before the peer can be sent anything else (a
		// broadcast, or what the program sends on PeerConnected, such as
		// SceneMultiplayer's ADD_PEER): a Godot client takes the first
		// message as its id. Queueing does not block.
		var idMsg [4]byte
		binary.LittleEndian.PutUint32(idMsg[:], uint32(id))
		if err := ws.PutPacket(idMsg[:]); err != nil {
			// Only a connection that already failed refuses 4 bytes; the
			// reader reports it disconnected.
			ws.CloseWithCode(-1, "")
		}
		mp = &mpPeer{id: id, ws: ws}
		ctx, mp.cancel = context.WithCancel(m.ctx)
		m.wg.Add(1) // before Close can wait
		return mp
	})
	if err != nil {
		ws.CloseWithCode(-1, "")
		ws.Close()
		return 0, err
	}
	m.accepted.Add(1)
	go m.readLoop(ctx, mp)
	return id, nil
}

// readLoop moves mp's packets into the shared queue, then reports mp gone.
func (m *mpTransport) readLoop(ctx context.Context, mp *mpPeer) {
	defer m.wg.Done()
	buf := make([]byte, mpHeader, 256)
	binary.LittleEndian.PutUint32(buf, uint32(mp.id))
	for {
		b, err := mp.ws.ReadPacket(ctx)
		if err != nil {
			break
		}
		buf = append(buf[:mpHeader], b...)
		if err := m.in.Push(ctx, buf); err != nil {
			break
		}
	}
	if m.ctx.Err() != nil {
		// Close: drop at once, as Godot does.
		mp.ws.CloseWithCode(-1, "")
	}
	mp.ws.Close()
	mp.cancel()
	m.Remove(mp.id, mp)
}

func (m *mpTransport) connect(u string) {
	defer m.wg.Done()
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.HandshakeTimeout)
	defer cancel()
	ws, err := Dial(ctx, u, &m.cfg)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && m.ctx.Err() == nil {
			err = &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrTimeout, Detail: fmt.Sprintf("no connection within HandshakeTimeout %v: %v", m.cfg.HandshakeTimeout, err)}
		}
		m.Fail(err)
		return
	}
	b, err := ws.ReadPacket(ctx)
	var id int32
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded) && m.ctx.Err() == nil:
		err = &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrTimeout, Detail: fmt.Sprintf("no id from the server within HandshakeTimeout %v", m.cfg.HandshakeTimeout)}
	case err != nil:
		err = &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrCantConnect, Detail: "the server closed before sending an id", Err: err}
	default:
		id, err = parseID(b)
	}
	if err != nil {
		if m.ctx.Err() != nil {
			ws.CloseWithCode(-1, "")
		}
		ws.Close()
		m.Fail(err)
		return
	}
	mp := &mpPeer{id: multiplayer.TargetPeerServer, ws: ws}
	var rctx context.Context
	rctx, mp.cancel = context.WithCancel(m.ctx)
	m.SetUniqueID(id)
	if err := m.Join(mp.id, mp); err != nil {
		// Closed meanwhile.
		mp.cancel()
		ws.CloseWithCode(-1, "")
		ws.Close()
		return
	}
	m.wg.Add(1)
	go m.readLoop(rctx, mp)
}

// parseID reads the id message a server sends first, as Godot's client
// does: exactly 4 bytes, an int32 LE of at least 2.
func parseID(b []byte) (int32, error) {
	if len(b) != 4 {
		return 0, &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrInvalidData, Detail: fmt.Sprintf("the server's first message is %d bytes, not a 4-byte id", len(b))}
	}
	id := int32(binary.LittleEndian.Uint32(b))
	if id < 2 {
		return 0, &peer.OpError{Op: "dial", Transport: "websocket", Code: peer.ErrInvalidData, Detail: fmt.Sprintf("the server gave id %d, below 2", id)}
	}
	return id, nil
}

func (m *mpTransport) PutPacket(p []byte, target int32, _ multiplayer.TransferMode, _ int) error {
	if m.ConnectionStatus() != multiplayer.ConnectionConnected {
		return m.ErrNotConnected()
	}
	if !m.IsServer() {
		mp, ok := m.Peer(multiplayer.TargetPeerServer)
		if !ok {
			return m.ErrNotConnected()
		}
		return mp.ws.PutPacket(p)
	}
	var buf [16]*mpPeer
	to, err := m.Targets(buf[:0], target)
	for _, mp := range to {
		if e := mp.ws.PutPacket(p); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func (m *mpTransport) GetPacket() ([]byte, multiplayer.PacketInfo, error) {
	if m.ConnectionStatus() == multiplayer.ConnectionConnecting {
		return nil, multiplayer.PacketInfo{}, &peer.OpError{Op: "get packet", Transport: "websocket", Code: peer.ErrUnconfigured, Detail: "still connecting"}
	}
	b, err := m.in.GetPacket()
	if err != nil {
		return nil, multiplayer.PacketInfo{}, err
	}
	info := multiplayer.PacketInfo{From: int32(binary.LittleEndian.Uint32(b)), Mode: multiplayer.TransferModeReliable}
	return b[mpHeader:], info, nil
}

func (m *mpTransport) WaitPacket(ctx context.Context) error { return m.in.WaitPacket(ctx) }
func (m *mpTransport) AvailablePacketCount() int            { return m.in.Len() }

// MaxPacketSize is Godot's: outbound_buffer_size minus the 9-byte header of
// Godot 3's protocol, which Godot 4 still subtracts.
func (m *mpTransport) MaxPacketSize() int { return m.cfg.maxPacketSize() - mpLegacyHeader }

// TransportName implements peer.Namer.
func (m *mpTransport) TransportName() string { return "websocket" }

func (m *mpTransport) DisconnectPeer(id int32, force bool) error {
	mp, err := m.Disconnect(id, force)
	if err != nil {
		return err
	}
	mp.ws.CloseWithCode(CloseNormalClosure, "")
	if force {
		mp.cancel()
	}
	return nil
}

func (m *mpTransport) Close() error {
	// Godot's close drops every connection without a close frame.
	peers := m.Session.Close()
	m.cancel()
	for _, mp := range peers {
		mp.ws.CloseWithCode(-1, "")
	}
	var err error
	if m.l != nil {
		err = m.l.Close()
	}
	m.wg.Wait()
	m.in.Close(nil)
	return err
}
