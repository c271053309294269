package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/internal/acceptq"
	"github.com/packetpeer/packetpeer/internal/listenstats"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

// session is one peer connection set up through the signalling server with
// the remote peer id.
type session struct {
	remote int
	pc     *PeerConnection
	chans  []*DataChannel
	sig    *signaling.Client

	failOnce sync.Once
	errMu    sync.Mutex
	err      error // first setup error, guarded by errMu
}

// newSession creates the connection and the configured channels; the side
// with the larger id makes the offer, as in Godot's demo client.
func newSession(cfg Config, sig *signaling.Client, self, remote int) (*session, error) {
	for _, ch := range cfg.Channels {
		if !ch.Negotiated {
			return nil, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrInvalidParameter,
				Detail: fmt.Sprintf("channel %q is not negotiated; Dial and Listen create every channel on both sides, so each needs Negotiated and an ID", ch.Label)}
		}
	}
	s := &session{remote: remote, sig: sig}
	user := cfg
	cfg.OnSessionDescription = func(typ, sdp string) {
		if err := s.pc.SetLocalDescription(typ, sdp); err != nil {
			s.fail(err)
			return
		}
		var err error
		if typ == "offer" {
			err = sig.SendOffer(remote, sdp)
		} else {
			err = sig.SendAnswer(remote, sdp)
		}
		if err != nil {
			s.fail(err)
		}
	}
	cfg.OnICECandidate = func(media string, index int, name string) {
		if err := sig.SendCandidate(remote, media, index, name); err != nil {
			s.fail(err)
		}
	}
	cfg.OnDataChannel = user.OnDataChannel
	pc, err := NewPeerConnection(&cfg)
	if err != nil {
		return nil, err
	}
	s.pc = pc
	for _, ch := range cfg.Channels {
		dc, err := pc.CreateDataChannel(ch.Label, &ch.DataChannelConfig)
		if err != nil {
			pc.Close()
			return nil, err
		}
		s.chans = append(s.chans, dc)
	}
	if remote < self {
		if err := pc.CreateOffer(); err != nil {
			pc.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *session) fail(err error) {
	s.failOnce.Do(func() {
		s.errMu.Lock()
		s.err = err
		s.errMu.Unlock()
	})
	s.pc.Close()
}

// setupErr returns the first setup error, if any.
func (s *session) setupErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// handle applies a message relayed from the remote peer.
func (s *session) handle(m signaling.Message) {
	var err error
	switch m.Type {
	case signaling.Offer:
		err = s.pc.SetRemoteDescription("offer", m.Data)
	case signaling.Answer:
		err = s.pc.SetRemoteDescription("answer", m.Data)
	case signaling.Candidate:
		mid, idx, cand, perr := signaling.ParseCandidate(m.Data)
		if perr != nil {
			return // a bad candidate is ignored, as Godot's demo client does
		}
		err = s.pc.AddICECandidate(mid, idx, cand)
	}
	if err != nil {
		s.fail(err)
	}
}

// waitOpen waits until every channel is open.
func (s *session) waitOpen(ctx context.Context) error {
	for _, dc := range s.chans {
		if err := dc.WaitOpen(ctx); err != nil {
			if serr := s.setupErr(); serr != nil {
				return serr // why the channel never opened
			}
			return err
		}
	}
	return nil
}

// peer returns the first channel, set up to own the connection.
func (s *session) peer(extra func()) *DataChannel {
	dc := s.chans[0]
	dc.addOnClose(func() {
		s.pc.Close()
		if extra != nil {
			extra()
		}
	})
	return dc
}

// Channel returns the connection's channel with the given label, or nil. On
// a peer from Dial or Accept these are the Config.Channels (by default
// "reliable", "ordered" and "unreliable").
func (p *PeerConnection) Channel(label string) *DataChannel {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, dc := range p.channels {
		if dc.Label() == label {
			return dc
		}
	}
	return nil
}

// Channels returns the connection's channels in creation order.
func (p *PeerConnection) Channels() []*DataChannel {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*DataChannel(nil), p.channels...)
}

// Dial joins lobby cfg.Lobby on the signalling server at url (ws:// or
// wss://, speaking Godot's webrtc_signaling protocol, e.g. signaling.Server),
// connects to the lobby's host (a Listener, or a Godot game hosting the
// lobby) and returns once every channel of cfg.Channels is open. The peer is
// the first channel; the others are reached with
// p.Connection().Channel(label). Closing the peer closes the connection and
// the signalling link, which stays open until then (Godot's demo hosts drop
// peers whose signalling link closes).
//
// Errors: a missing lobby name matches ErrInvalidParameter; a lobby without
// host, a host that leaves or a connection that fails matches ErrCantConnect;
// ctx's error when ctx ends first.
func Dial(ctx context.Context, url string, cfg *Config) (*Peer, error) {
	c := cfg.withDefaults()
	if c.Lobby == "" {
		return nil, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: "Config.Lobby is empty; name the lobby a Listener opened"}
	}
	sig, stop, err := dialSignalling(ctx, url)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Peer, error) {
		stop()
		sig.Close()
		if ctx.Err() != nil {
			return nil, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrTimeout, Err: ctx.Err()}
		}
		var oe *peer.OpError
		if errors.As(err, &oe) {
			return nil, err
		}
		return nil, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect, Err: err}
	}
	if err := sig.Join(c.Lobby, false); err != nil {
		return fail(err)
	}
	self := 0
	for {
		m, err := sig.Read()
		if errors.Is(err, signaling.ErrBadMessage) {
			continue
		}
		if err != nil {
			return fail(&peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect, Err: err, Detail: "signalling"})
		}
		if m.Type == signaling.ID {
			self = m.ID
			if self == 1 {
				return fail(&peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect,
					Detail: fmt.Sprintf("lobby %q has no host (is the Listener running?)", c.Lobby)})
			}
		}
		if m.Type == signaling.PeerConnect && m.ID == 1 && self != 0 {
			break
		}
	}
	s, err := newSession(c, sig, self, 1)
	if err != nil {
		return fail(err)
	}
	// Relay the host's messages for as long as the peer lives. Until the
	// channels are open, losing the host or the signalling link fails Dial.
	var established atomic.Bool
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			m, err := sig.Read()
			if errors.Is(err, signaling.ErrBadMessage) {
				continue
			}
			if err != nil {
				if !established.Load() {
					s.fail(&peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrConnectionError, Err: err,
						Detail: "signalling link lost before the connection opened (did the lobby host leave?)"})
				}
				return
			}
			if m.ID == 1 {
				if m.Type == signaling.PeerDisconnect {
					if !established.Load() {
						s.fail(&peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect, Detail: "the lobby host left"})
					}
					continue
				}
				s.handle(m)
			}
		}
	}()
	if err := s.waitOpen(ctx); err != nil {
		s.pc.Close()
		sig.Close()
		<-readerDone
		stop()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect, Err: err}
	}
	established.Store(true)
	stop()
	return s.peer(func() {
		sig.Close()
		<-readerDone
	}), nil
}

// dialSignalling connects to the signalling server at url; until stop is
// called, ctx ending closes the link.
func dialSignalling(ctx context.Context, url string) (sig *signaling.Client, stop func() bool, err error) {
	sig, err = signaling.Dial(ctx, url, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect, Err: err}
	}
	return sig, context.AfterFunc(ctx, func() { sig.Close() }), nil
}

// Listener hosts a signalling lobby and accepts a peer for each member that
// joins it (Godot's client-server mode: the listener is peer 1). Create one
// with Listen.
type Listener struct {
	cfg   Config
	url   string
	lobby string
	sig   *signaling.Client

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	sessions map[int]*session             // setting up, by remote id
	live     map[*session]struct{}        // accepted or ready
	ready    *acceptq.Queue[*DataChannel] // pushed with mu held
	err      error                        // why the listener ended

	stats *listenstats.Counters
}

// ListenerStats are a Listener's counters since Listen: members being set
// up or ready for Accept (Pending), peers handed out (Accepted), and
// members dropped by cause: Refused (they joined after the Listener
// closed), Failed (their offer, answer or candidates could not be used, or
// they left the lobby before connecting), TimedOut (their channels did not
// open within HandshakeTimeout) and Evicted (the member joined again before
// its first connection was set up, or the Listener closed first).
type ListenerStats struct {
	peer.ListenerStats
}

// Stats returns the listener's counters.
func (l *Listener) Stats() ListenerStats {
	l.mu.Lock()
	pending := len(l.sessions) + l.ready.Len()
	l.mu.Unlock()
	return ListenerStats{l.stats.Stats(pending)}
}

// ListenerStats returns the counters every transport's listener shares
// (peer.Listener).
func (l *Listener) ListenerStats() peer.ListenerStats { return l.Stats().ListenerStats }

// Listen connects to the signalling server at url, opens lobby cfg.Lobby
// (empty: the server names it; see Lobby) as its host, and returns a
// Listener whose Accept returns a peer for each member that joins and
// connects. It waits at most cfg.HandshakeTimeout for the server. A lobby
// that already has a host matches ErrAlreadyInUse.
//
// Each connection is set up in the background; one that does not open all
// its channels within HandshakeTimeout is dropped. The signalling link
// stays open for the Listener's lifetime; if it drops, Accept returns the
// error (peers already accepted are unaffected).
func Listen(url string, cfg *Config) (*Listener, error) {
	c := cfg.withDefaults()
	sig, lobby, err := hostLobby(url, c)
	if err != nil {
		return nil, err
	}
	l := &Listener{cfg: c, url: url, sig: sig, lobby: lobby, sessions: map[int]*session{}, live: map[*session]struct{}{},
		stats: listenstats.New("webrtc", c.Logger)}
	l.ready = acceptq.New(c.MaxPendingConnections, l.stats, func(dc *DataChannel) net.Addr {
		dc.Close()
		return nil
	})
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.readLoop()
	return l, nil
}

// hostLobby connects to the signalling server at url and opens lobby
// c.Lobby as its host (peer 1), waiting at most c.HandshakeTimeout. It
// returns the link and the lobby's name.
func hostLobby(url string, c Config) (*signaling.Client, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.HandshakeTimeout)
	defer cancel()
	sig, err := signaling.Dial(ctx, url, nil)
	if err != nil {
		return nil, "", &peer.OpError{Op: "listen", Transport: "webrtc", Code: peer.ErrCantConnect, Err: err}
	}
	stop := context.AfterFunc(ctx, func() { sig.Close() })
	defer stop()
	fail := func(code *peer.Error, cause error, detail string) (*signaling.Client, string, error) {
		sig.Close()
		if ctx.Err() != nil {
			return nil, "", &peer.OpError{Op: "listen", Transport: "webrtc", Code: peer.ErrTimeout, Err: ctx.Err(), Detail: "no answer from the signalling server"}
		}
		return nil, "", &peer.OpError{Op: "listen", Transport: "webrtc", Code: code, Err: cause, Detail: detail}
	}
	if err := sig.Join(c.Lobby, false); err != nil {
		return fail(peer.ErrCantConnect, err, "")
	}
	lobby := ""
	for lobby == "" {
		m, err := sig.Read()
		if errors.Is(err, signaling.ErrBadMessage) {
			continue
		}
		if err != nil {
			return fail(peer.ErrCantConnect, err, "signalling")
		}
		switch m.Type {
		case signaling.ID:
			if m.ID != 1 {
				return fail(peer.ErrAlreadyInUse, nil, fmt.Sprintf("lobby %q already has a host", c.Lobby))
			}
		case signaling.Join:
			lobby = m.Data
		}
	}
	if !stop() {
		return fail(peer.ErrTimeout, nil, "no answer from the signalling server")
	}
	return sig, lobby, nil
}

func (l *Listener) readLoop() {
	defer l.wg.Done()
	for {
		m, err := l.sig.Read()
		if errors.Is(err, signaling.ErrBadMessage) {
			continue
		}
		if err != nil {
			l.end(&peer.OpError{Op: "accept", Transport: "webrtc", Code: peer.ErrConnectionError, Err: err, Detail: "signalling link lost"})
			return
		}
		switch m.Type {
		case signaling.PeerConnect:
			l.start(m.ID)
		case signaling.PeerDisconnect:
			l.mu.Lock()
			s := l.sessions[m.ID]
			delete(l.sessions, m.ID)
			l.mu.Unlock()
			if s != nil {
				s.fail(&peer.OpError{Op: "accept", Transport: "webrtc", Code: peer.ErrCantConnect, Detail: "the peer left the lobby"})
			}
		case signaling.Offer, signaling.Answer, signaling.Candidate:
			l.mu.Lock()
			s := l.sessions[m.ID]
			l.mu.Unlock()
			if s != nil {
				s.handle(m)
			}
		}
	}
}

// start sets up a connection to a new lobby member.
func (l *Listener) start(remote int) {
	addr := lobbyAddr{fmt.Sprintf("%s#%s/%d", l.url, l.lobby, remote)}
	s, err := newSession(l.cfg, l.sig, 1, remote)
	if err != nil {
		l.stats.Drop(peer.DropFailed, addr, err)
		return
	}
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		s.pc.Close()
		l.stats.Drop(peer.DropRefused, addr, l.err)
		return
	}
	if l.ready.Len() >= l.ready.Max() {
		l.mu.Unlock()
		s.pc.Close()
		l.stats.Drop(peer.DropRefused, addr, errPendingFull)
		return
	}
	if old := l.sessions[remote]; old != nil {
		old.fail(errReplaced)
	}
	l.sessions[remote] = s
	l.live[s] = struct{}{}
	l.wg.Add(1)
	l.mu.Unlock()
	go func() {
		defer l.wg.Done()
		ctx, cancel := context.WithTimeout(l.ctx, l.cfg.HandshakeTimeout)
		err := s.waitOpen(ctx)
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		l.mu.Lock()
		if l.sessions[remote] == s {
			delete(l.sessions, remote)
		}
		if err != nil || l.err != nil {
			delete(l.live, s)
			closed := l.err
			l.mu.Unlock()
			s.pc.Close()
			switch {
			case closed != nil:
				l.stats.Drop(peer.DropEvicted, addr, closed)
			case errors.Is(err, errReplaced):
				l.stats.Drop(peer.DropEvicted, addr, err)
			case timedOut:
				l.stats.Drop(peer.DropTimedOut, addr, err)
			default:
				l.stats.Drop(peer.DropFailed, addr, err)
			}
			return
		}
		dc := s.peer(func() {
			l.mu.Lock()
			delete(l.live, s)
			l.mu.Unlock()
		})
		ok := l.ready.Push(dc)
		l.mu.Unlock()
		if !ok {
			l.stats.Drop(peer.DropRefused, addr, errPendingFull)
			dc.Close()
		}
	}()
}

var errPendingFull = &peer.OpError{Op: "accept", Transport: "webrtc", Code: peer.ErrBusy, Detail: "MaxPendingConnections members are being set up or wait for Accept"}

// errReplaced ends the setup of a member whose id joined again.
var errReplaced = &peer.OpError{Op: "accept", Transport: "webrtc", Code: peer.ErrAlreadyInUse, Detail: "the member connected again before its first connection was set up"}

func (l *Listener) end(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
		l.ready.Fail(err)
	}
	l.mu.Unlock()
}

// Accept waits for the next connected peer. It returns ctx's error when ctx
// ends, an error matching net.ErrClosed after Close, and the signalling
// error if the link to the server was lost.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) { return l.ready.Accept(ctx) }

// IsConnectionAvailable reports whether TakeConnection has a peer (Godot's
// is_connection_available); false after Close.
func (l *Listener) IsConnectionAvailable() bool { return l.ready.Available() }

// TakeConnection returns a connected peer without waiting, or an error
// matching ErrUnavailable when none is ready (Godot's take_connection),
// net.ErrClosed after Close, or the signalling error once the link to the
// server was lost.
func (l *Listener) TakeConnection() (*Peer, error) { return l.ready.Take() }

// Lobby returns the lobby's name: cfg.Lobby, or the name the server made up.
// Clients Dial with it.
func (l *Listener) Lobby() string { return l.lobby }

// Addr returns the signalling URL and lobby as a net.Addr (network
// "webrtc-signaling", string "URL#lobby").
func (l *Listener) Addr() net.Addr { return lobbyAddr{l.url + "#" + l.lobby} }

type lobbyAddr struct{ s string }

func (a lobbyAddr) Network() string { return "webrtc-signaling" }
func (a lobbyAddr) String() string  { return a.s }

// Close leaves the lobby (the server then closes it), closes every peer
// accepted or being set up, and waits for the Listener's goroutines.
func (l *Listener) Close() error {
	l.mu.Lock()
	if l.err != nil && errors.Is(l.err, net.ErrClosed) {
		l.mu.Unlock()
		return nil
	}
	l.err = &peer.OpError{Op: "accept", Transport: "webrtc", Err: peer.ErrClosed}
	var live []*session
	for s := range l.live {
		live = append(live, s)
	}
	closed := l.err
	l.mu.Unlock()
	l.ready.Close(closed)
	l.cancel()
	l.sig.Close() // an error here only means the link was already gone
	for _, s := range live {
		s.chans[0].Close()
		s.pc.Close()
	}
	l.wg.Wait()
	return nil
}
