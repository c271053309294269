package signaling

import (
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ServerConfig configures a Server. A nil *ServerConfig and every zero field
// mean the documented default.
type ServerConfig struct {
	// JoinTimeout closes a connection that has not joined a lobby in time.
	// Default 10 s (Godot's demo server uses 1 s).
	JoinTimeout time.Duration
	// SealTimeout is how long a sealed lobby stays open before the server
	// closes its members' connections. Default 10 s, as Godot's demo.
	SealTimeout time.Duration
	// MaxPeers and MaxLobbies bound the server. Defaults 4096 and 1024, as
	// Godot's Node.js demo server.
	MaxPeers   int
	MaxLobbies int
	// StrictLobbies refuses to join a named lobby that does not exist, as
	// Godot's demo servers do. By default such a join creates the lobby under
	// that name with the joiner as its host, so a Go program can Listen on a
	// well-known lobby name that clients Dial.
	StrictLobbies bool
	// CheckOrigin is passed to the WebSocket upgrader. Default: accept every
	// origin (browser games are often served from another host).
	CheckOrigin func(r *http.Request) bool
	// SendQueueBytes bounds the bytes of the messages waiting to be written
	// to one member (counting the one being written). A member whose queue
	// would exceed it is too slow: its connection is closed at once, without
	// a close frame, and the rest of its lobby gets PEER_DISCONNECT. A single
	// message is always accepted into an empty queue. Keep it well above
	// MaxMessageSize, so that a burst (a join into a big lobby, an offer and
	// its candidates) fits while the member reads. Default 256 KiB
	// (DefaultSendQueueBytes).
	SendQueueBytes int
	// SendQueueMessages bounds the number of messages waiting to be written
	// to one member, with the same consequence. Default 1024
	// (DefaultSendQueueMessages).
	SendQueueMessages int
	// WriteTimeout bounds every write to a member's connection; a write that
	// takes longer closes the connection as a slow member. Default 10 s.
	WriteTimeout time.Duration
	// Logger receives connection and protocol-error events. Default: none.
	Logger *slog.Logger
}

// Defaults of ServerConfig's queue fields.
const (
	DefaultSendQueueBytes    = 256 << 10
	DefaultSendQueueMessages = 1024
)

// Close codes and reasons the server uses (those of Godot's Node.js demo).
const (
	CloseProtocolError = 4000
)

// Server is a signalling server speaking Godot's webrtc_signaling demo
// protocol over WebSocket. It is an http.Handler: mount it on any path.
// Each connection gets a random peer id in [2, 2^31-1]; peers in a lobby see
// each other (mesh) or only the host, who appears as id 1 (client-server),
// and relay offers, answers and candidates through the server.
type Server struct {
	cfg      ServerConfig
	upgrader websocket.Upgrader

	mu      sync.Mutex
	peers   map[int]*serverPeer
	lobbies map[string]*lobby
	closed  bool
	wg      sync.WaitGroup
	timers  map[*lobby]*time.Timer // seal timers
}

type lobby struct {
	name   string
	host   int
	mesh   bool
	sealed bool
	peers  []*serverPeer // in join order
}

type serverPeer struct {
	id    int
	conn  *websocket.Conn
	lobby *lobby
	close chan struct{} // closed once to end the connection
	once  sync.Once
	code  int
	why   string

	// The outbound queue, bounded by maxBytes and maxMsgs.
	qmu      sync.Mutex
	queue    [][]byte      // messages to write, oldest first
	queued   int           // bytes in queue plus the message being written
	dead     bool          // the writer has ended: queue nothing more
	written  int           // messages written
	wake     chan struct{} // capacity 1: the queue has something
	maxBytes int
	maxMsgs  int
	timeout  time.Duration
	logf     func(msg string, args ...any)
}

// NewServer returns a Server. cfg may be nil.
func NewServer(cfg *ServerConfig) *Server {
	var c ServerConfig
	if cfg != nil {
		c = *cfg
	}
	if c.JoinTimeout <= 0 {
		c.JoinTimeout = 10 * time.Second
	}
	if c.SealTimeout <= 0 {
		c.SealTimeout = 10 * time.Second
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = 4096
	}
	if c.MaxLobbies <= 0 {
		c.MaxLobbies = 1024
	}
	if c.SendQueueBytes <= 0 {
		c.SendQueueBytes = DefaultSendQueueBytes
	}
	if c.SendQueueMessages <= 0 {
		c.SendQueueMessages = DefaultSendQueueMessages
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.CheckOrigin == nil {
		c.CheckOrigin = func(*http.Request) bool { return true }
	}
	s := &Server{cfg: c, peers: map[int]*serverPeer{}, lobbies: map[string]*lobby{}, timers: map[*lobby]*time.Timer{}}
	s.upgrader = websocket.Upgrader{CheckOrigin: c.CheckOrigin, ReadBufferSize: 4096, WriteBufferSize: 4096}
	return s
}

func (s *Server) logf(msg string, args ...any) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.Info(msg, args...)
	}
}

// ServeHTTP upgrades the request to a WebSocket and serves one peer until it
// disconnects or the server closes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has replied
	}
	conn.SetReadLimit(MaxMessageSize)
	p := &serverPeer{
		conn:     conn,
		close:    make(chan struct{}),
		wake:     make(chan struct{}, 1),
		maxBytes: s.cfg.SendQueueBytes,
		maxMsgs:  s.cfg.SendQueueMessages,
		timeout:  s.cfg.WriteTimeout,
		logf:     s.logf,
	}
	s.mu.Lock()
	if s.closed || len(s.peers) >= s.cfg.MaxPeers {
		s.mu.Unlock()
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseProtocolError, "Too many peers connected"), time.Now().Add(time.Second))
		conn.Close()
		return
	}
	for p.id == 0 || s.peers[p.id] != nil {
		p.id = randomID()
	}
	s.peers[p.id] = p
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	s.logf("signaling: peer connected", "id", p.id, "remote", r.RemoteAddr)

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		p.writeLoop()
	}()
	joinTimer := time.AfterFunc(s.cfg.JoinTimeout, func() {
		s.mu.Lock()
		joined := p.lobby != nil
		s.mu.Unlock()
		if !joined {
			p.closeWith(CloseProtocolError, "Have not joined lobby yet")
		}
	})
	for {
		typ, b, err := conn.ReadMessage()
		if err != nil {
			break
		}
		if typ != websocket.TextMessage {
			p.closeWith(CloseProtocolError, "Invalid transfer mode, must be text")
			break
		}
		if err := s.handle(p, b); err != nil {
			s.logf("signaling: protocol error", "id", p.id, "err", err)
			p.closeWith(CloseProtocolError, err.Error())
			break
		}
	}
	joinTimer.Stop()
	p.closeWith(websocket.CloseNormalClosure, "")
	<-writerDone
	conn.Close()
	s.leave(p)
	s.logf("signaling: peer disconnected", "id", p.id)
}

// writeLoop writes the queued messages until the connection ends.
func (p *serverPeer) writeLoop() {
	defer func() {
		p.qmu.Lock()
		p.queue, p.queued, p.dead = nil, 0, true // release what a dropped member left
		p.qmu.Unlock()
	}()
	for {
		select {
		case <-p.wake:
		case <-p.close:
			if p.code != websocket.CloseAbnormalClosure {
				p.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(p.code, p.why), time.Now().Add(time.Second))
			}
			// Unblock the reader, which may be waiting for the client.
			p.conn.SetReadDeadline(time.Now())
			return
		}
		if !p.flush() {
			return
		}
	}
}

// flush writes the queued messages; false means the connection failed.
func (p *serverPeer) flush() bool {
	for {
		p.qmu.Lock()
		if len(p.queue) == 0 {
			p.qmu.Unlock()
			return true
		}
		b := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		if len(p.queue) == 0 {
			p.queue = nil // let the backing array go
		}
		p.qmu.Unlock()
		select {
		case <-p.close:
			return true // writeLoop sends the close frame
		default:
		}
		p.conn.SetWriteDeadline(time.Now().Add(p.timeout))
		if err := p.conn.WriteMessage(websocket.TextMessage, b); err != nil {
			p.drop("write failed: " + err.Error())
			return false
		}
		p.qmu.Lock()
		p.queued -= len(b)
		p.written++
		p.qmu.Unlock()
	}
}

func (p *serverPeer) wakeUp() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// closeWith ends the connection with a close frame (once).
func (p *serverPeer) closeWith(code int, why string) {
	p.once.Do(func() {
		p.code, p.why = code, why
		close(p.close)
	})
}

// drop ends the connection at once, without a close frame: closing the
// net.Conn returns a writer blocked in WriteMessage and the reader, whose
// exit removes the peer from its lobby and tells the other members.
func (p *serverPeer) drop(why string) {
	first := false
	p.once.Do(func() {
		first = true
		p.code, p.why = websocket.CloseAbnormalClosure, why
		close(p.close)
	})
	p.conn.NetConn().Close()
	if first {
		p.qmu.Lock()
		queued, written := p.queued, p.written
		p.qmu.Unlock()
		p.logf("signaling: peer dropped", "id", p.id, "why", why, "queued_bytes", queued, "written", written)
	}
}

// send queues m; a peer too slow to take its messages (its queue is full in
// messages or bytes) is dropped at once.
func (p *serverPeer) send(m Message) {
	select {
	case <-p.close:
		return
	default:
	}
	b := m.Marshal()
	p.qmu.Lock()
	if p.dead {
		p.qmu.Unlock()
		return
	}
	full := len(p.queue) >= p.maxMsgs || (p.queued > 0 && p.queued+len(b) > p.maxBytes)
	if !full {
		p.queue = append(p.queue, b)
		p.queued += len(b)
	}
	p.qmu.Unlock()
	if full {
		p.drop("Too slow to read signalling messages")
		return
	}
	p.wakeUp()
}

// closeReason is a request the server refuses: its text is the close reason
// sent to the client, worded as Godot's reference signalling server words it.
type closeReason string

func (r closeReason) Error() string { return string(r) }

const errLobbySealed closeReason = "Lobby is sealed"

func (s *Server) handle(p *serverPeer, b []byte) error {
	m, err := ParseMessage(b)
	if err != nil {
		return closeReason("Invalid message format")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.Type == Join {
		return s.join(p, m)
	}
	l := p.lobby
	if l == nil {
		return closeReason("Invalid message when not in a lobby")
	}
	switch m.Type {
	case Seal:
		if p.id != l.host {
			return closeReason("Only host can seal the lobby")
		}
		if l.sealed {
			return nil
		}
		l.sealed = true
		for _, q := range l.peers {
			q.send(Message{Type: Seal})
		}
		s.timers[l] = time.AfterFunc(s.cfg.SealTimeout, func() {
			s.mu.Lock()
			delete(s.timers, l)
			members := append([]*serverPeer(nil), l.peers...)
			s.mu.Unlock()
			for _, q := range members {
				q.closeWith(websocket.CloseNormalClosure, "Seal complete")
			}
		})
		return nil
	case Offer, Answer, Candidate:
		dest := m.ID
		if dest == 1 {
			dest = l.host
		}
		var to *serverPeer
		for _, q := range l.peers {
			if q.id == dest {
				to = q
			}
		}
		if to == nil || to == p {
			return closeReason("Invalid destination")
		}
		src := p.id
		if p.id == l.host {
			src = 1
		}
		to.send(Message{Type: m.Type, ID: src, Data: m.Data})
		return nil
	}
	return closeReason("Invalid command")
}

// join handles JOIN; s.mu is held.
func (s *Server) join(p *serverPeer, m Message) error {
	if p.lobby != nil {
		return closeReason("Already in a lobby")
	}
	name := m.Data
	l := s.lobbies[name]
	if l == nil {
		if name != "" && s.cfg.StrictLobbies {
			return closeReason("Lobby does not exists")
		}
		if len(s.lobbies) >= s.cfg.MaxLobbies {
			return closeReason("Too many lobbies open, disconnecting")
		}
		for name == "" || s.lobbies[name] != nil {
			name = randomName(32)
		}
		l = &lobby{name: name, host: p.id, mesh: m.ID == 0}
		s.lobbies[name] = l
		s.logf("signaling: lobby created", "lobby", name, "host", p.id, "mesh", l.mesh)
	} else if l.sealed {
		return errLobbySealed
	}
	mesh := ""
	if l.mesh {
		mesh = "true"
	}
	p.send(Message{Type: ID, ID: l.visibleID(p), Data: mesh})
	for _, q := range l.peers {
		if !l.mesh && q.id != l.host {
			continue // in client-server mode only the host is visible
		}
		q.send(Message{Type: PeerConnect, ID: p.id})
		p.send(Message{Type: PeerConnect, ID: l.visibleID(q)})
	}
	l.peers = append(l.peers, p)
	p.lobby = l
	p.send(Message{Type: Join, Data: l.name})
	return nil
}

func (l *lobby) visibleID(p *serverPeer) int {
	if p.id == l.host {
		return 1
	}
	return p.id
}

// leave removes a disconnected peer from the server and its lobby.
func (s *Server) leave(p *serverPeer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.peers, p.id)
	l := p.lobby
	if l == nil {
		return
	}
	for i, q := range l.peers {
		if q == p {
			l.peers = append(l.peers[:i:i], l.peers[i+1:]...)
			break
		}
	}
	if p.id == l.host {
		delete(s.lobbies, l.name)
		s.logf("signaling: lobby deleted", "lobby", l.name)
	}
	if l.sealed {
		return
	}
	for _, q := range l.peers {
		if p.id == l.host {
			q.closeWith(CloseProtocolError, "Room host has disconnected")
		} else {
			q.send(Message{Type: PeerDisconnect, ID: p.id})
		}
	}
}

// Close disconnects every peer and waits for their goroutines to end. The
// http.Server serving s is not closed.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	peers := make([]*serverPeer, 0, len(s.peers))
	for _, p := range s.peers {
		peers = append(peers, p)
	}
	for _, t := range s.timers {
		t.Stop()
	}
	s.timers = map[*lobby]*time.Timer{}
	s.mu.Unlock()
	for _, p := range peers {
		p.closeWith(websocket.CloseGoingAway, "Server shutting down")
	}
	s.wg.Wait()
	return nil
}

func randomID() int {
	var b [4]byte
	rand.Read(b[:])
	id := int(binary.LittleEndian.Uint32(b[:]) & 0x7fffffff)
	if id < 2 {
		return 0
	}
	return id
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomName(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}
