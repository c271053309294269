package webrtc

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/pion/ice/v4"
	pion "github.com/pion/webrtc/v4"
)

// PeerConnection is Godot's WebRTCPeerConnection on pion/webrtc: it creates
// data channels, makes and takes offers and answers, takes ICE candidates and
// reports its own through the handlers in Config. Create one with
// NewPeerConnection (Godot's new() + initialize()). It is safe for concurrent
// use.
type PeerConnection struct {
	pc  *pion.PeerConnection
	cfg Config

	events *eventQueue

	mu        sync.Mutex
	channels  []*DataChannel
	pending   []pion.ICECandidateInit // candidates added before the remote description
	remoteSet bool
	closed    bool

	stateHook atomic.Pointer[func()] // set by a MultiplayerPeer: the state changed
}

// NewPeerConnection creates a peer connection in StateNew (Godot's
// initialize). cfg may be nil.
func NewPeerConnection(cfg *Config) (*PeerConnection, error) {
	c := cfg.withDefaults()
	var se pion.SettingEngine
	if c.SettingEngine != nil {
		se = *c.SettingEngine
	}
	se.SetSCTPMaxMessageSize(uint32(c.MaxMessageSize))
	var conf pion.Configuration
	if c.LoopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	} else {
		for _, s := range c.ICEServers {
			conf.ICEServers = append(conf.ICEServers, pion.ICEServer{
				URLs: s.URLs, Username: s.Username, Credential: s.Credential,
			})
		}
	}
	api := pion.NewAPI(pion.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(conf)
	if err != nil {
		return nil, &peer.OpError{Op: "initialize", Transport: "webrtc", Code: peer.ErrInvalidParameter, Err: err}
	}
	p := &PeerConnection{pc: pc, cfg: c, events: newEventQueue()}
	pc.OnICECandidate(func(cand *pion.ICECandidate) {
		if cand == nil || c.OnICECandidate == nil {
			return
		}
		init := cand.ToJSON()
		media, index := "", 0
		if init.SDPMid != nil {
			media = *init.SDPMid
		}
		if init.SDPMLineIndex != nil {
			index = int(*init.SDPMLineIndex)
		}
		p.events.push(func() { c.OnICECandidate(media, index, init.Candidate) })
	})
	pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		if s == pion.PeerConnectionStateFailed || s == pion.PeerConnectionStateClosed {
			p.endChannels(s)
		}
		if h := p.stateHook.Load(); h != nil {
			(*h)()
		}
		if c.OnConnectionStateChange != nil {
			st := connectionStateOf(s)
			p.events.push(func() { c.OnConnectionStateChange(st) })
		}
	})
	pc.OnDataChannel(func(d *pion.DataChannel) {
		if c.OnDataChannel == nil {
			// Nobody would ever read it: refuse it rather than keep a
			// queue and a goroutine per channel the remote cares to open.
			d.Close()
			return
		}
		dc := p.wrap(d, false)
		p.events.push(func() { c.OnDataChannel(dc) })
	})
	return p, nil
}

// endChannels ends every channel's receive queue when the connection fails
// or closes (pion may not report each channel's close then).
func (p *PeerConnection) endChannels(s pion.PeerConnectionState) {
	p.mu.Lock()
	chs := append([]*DataChannel(nil), p.channels...)
	p.mu.Unlock()
	var cause error = errPeerClosed
	if s == pion.PeerConnectionStateFailed {
		cause = errPeerFailed
	}
	for _, dc := range chs {
		dc.t.remoteClosed(cause)
	}
}

// Pion returns the underlying pion PeerConnection, for what this package
// does not cover (stats, media). Do not set its handlers.
func (p *PeerConnection) Pion() *pion.PeerConnection { return p.pc }

// CreateDataChannel creates a data channel (Godot's create_data_channel).
// opts may be nil (reliable, ordered, in-band). Bad options return an error
// matching ErrInvalidParameter. Create channels before CreateOffer so that
// the offer includes the data section. Close the channel when done; closing
// the PeerConnection ends all its channels too.
func (p *PeerConnection) CreateDataChannel(label string, opts *DataChannelConfig) (*DataChannel, error) {
	var o DataChannelConfig
	if opts != nil {
		o = *opts
	}
	init, err := o.pion()
	if err != nil {
		return nil, err
	}
	if len(label) > 65535 {
		return nil, &peer.OpError{Op: "create data channel", Transport: "webrtc", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("label of %d bytes is longer than 65535", len(label))}
	}
	d, err := p.pc.CreateDataChannel(label, init)
	if err != nil {
		if p.isClosed() {
			return nil, &peer.OpError{Op: "create data channel", Transport: "webrtc", Err: peer.ErrClosed}
		}
		return nil, &peer.OpError{Op: "create data channel", Transport: "webrtc", Code: peer.ErrInvalidParameter, Err: err}
	}
	return p.wrap(d, o.Negotiated), nil
}

func (p *PeerConnection) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// CreateOffer makes an offer (Godot's create_offer); OnSessionDescription
// then receives ("offer", sdp).
func (p *PeerConnection) CreateOffer() error {
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		return p.opError("create offer", err)
	}
	p.emitDescription(offer)
	return nil
}

func (p *PeerConnection) emitDescription(d pion.SessionDescription) {
	if f := p.cfg.OnSessionDescription; f != nil {
		typ, sdp := d.Type.String(), d.SDP
		p.events.push(func() { f(typ, sdp) })
	}
}

func (p *PeerConnection) opError(op string, err error) error {
	if p.isClosed() {
		return &peer.OpError{Op: op, Transport: "webrtc", Err: peer.ErrClosed}
	}
	return &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter, Err: err}
}

func parseSDPType(op, typ string) (pion.SDPType, error) {
	t := pion.NewSDPType(typ)
	if t == pion.SDPTypeUnknown || t == pion.SDPTypeRollback {
		return t, &peer.OpError{Op: op, Transport: "webrtc", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("session description type %q is not offer, answer or pranswer", typ)}
	}
	return t, nil
}

// SetLocalDescription applies a description made by this connection (Godot's
// set_local_description), typically from OnSessionDescription. ICE
// gathering starts, and OnICECandidate receives the candidates.
func (p *PeerConnection) SetLocalDescription(typ, sdp string) error {
	t, err := parseSDPType("set local description", typ)
	if err != nil {
		return err
	}
	if err := p.pc.SetLocalDescription(pion.SessionDescription{Type: t, SDP: sdp}); err != nil {
		return p.opError("set local description", err)
	}
	return nil
}

// SetRemoteDescription applies the remote peer's description (Godot's
// set_remote_description). For an offer, an answer is made and
// OnSessionDescription receives ("answer", sdp), as in Godot. Candidates
// given to AddICECandidate before this are applied now.
func (p *PeerConnection) SetRemoteDescription(typ, sdp string) error {
	t, err := parseSDPType("set remote description", typ)
	if err != nil {
		return err
	}
	if err := p.pc.SetRemoteDescription(pion.SessionDescription{Type: t, SDP: sdp}); err != nil {
		return p.opError("set remote description", err)
	}
	p.mu.Lock()
	p.remoteSet = true
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, c := range pending {
		if err := p.pc.AddICECandidate(c); err != nil {
			return p.opError("add ice candidate", err)
		}
	}
	if t == pion.SDPTypeOffer {
		answer, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return p.opError("create answer", err)
		}
		p.emitDescription(answer)
	}
	return nil
}

// AddICECandidate adds a remote candidate (Godot's add_ice_candidate): media
// is the sdpMid, index the sdpMLineIndex, name the candidate line as
// OnICECandidate on the other side produced it. Candidates that arrive
// before the remote description are kept and applied with it.
func (p *PeerConnection) AddICECandidate(media string, index int, name string) error {
	if index < 0 || index > 65535 {
		return &peer.OpError{Op: "add ice candidate", Transport: "webrtc", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("sdpMLineIndex %d is outside [0, 65535]", index)}
	}
	idx := uint16(index)
	c := pion.ICECandidateInit{Candidate: name, SDPMid: &media, SDPMLineIndex: &idx}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return &peer.OpError{Op: "add ice candidate", Transport: "webrtc", Err: peer.ErrClosed}
	}
	if !p.remoteSet {
		if len(p.pending) >= maxPendingCandidates {
			p.mu.Unlock()
			return &peer.OpError{Op: "add ice candidate", Transport: "webrtc", Code: peer.ErrOutOfMemory,
				Detail: fmt.Sprintf("more than %d candidates before the remote description", maxPendingCandidates)}
		}
		p.pending = append(p.pending, c)
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	if err := p.pc.AddICECandidate(c); err != nil {
		return p.opError("add ice candidate", err)
	}
	return nil
}

const maxPendingCandidates = 1024

// ConnectionState returns Godot's get_connection_state, as pion reports it.
// pion v4 can report StateConnecting for a while after its channels open,
// or stay there (two of its goroutines compute the state without a lock):
// to know the connection carries data, wait for a channel (WaitOpen).
func (p *PeerConnection) ConnectionState() ConnectionState {
	return connectionStateOf(p.pc.ConnectionState())
}

// GatheringState returns Godot's get_gathering_state.
func (p *PeerConnection) GatheringState() GatheringState {
	return gatheringStateOf(p.pc.ICEGatheringState())
}

// SignalingState returns Godot's get_signaling_state.
func (p *PeerConnection) SignalingState() SignalingState {
	return signalingStateOf(p.pc.SignalingState())
}

// Close closes the connection and every channel on it (Godot's close) and
// waits for pion's goroutines to finish. Handlers are not called afterwards.
// Calling it again returns nil.
func (p *PeerConnection) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	// End the receive queues first: a reliable channel's message handler
	// may be waiting for room in a full queue, and pion waits for it.
	p.endChannels(pion.PeerConnectionStateClosed)
	p.events.close()
	return p.pc.GracefulClose()
}

var (
	errPeerClosed = &peer.OpError{Op: "read packet", Transport: "webrtc", Detail: "peer connection closed"}
	errPeerFailed = &peer.OpError{Op: "read packet", Transport: "webrtc", Code: peer.ErrConnectionError, Detail: "peer connection failed"}
)

// eventQueue runs handlers one at a time, in order, on one goroutine that
// exists only while there is work (so an idle connection holds none).
type eventQueue struct {
	mu      sync.Mutex
	q       []func()
	running bool
	closed  bool
}

func newEventQueue() *eventQueue { return &eventQueue{} }

func (e *eventQueue) push(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.q = append(e.q, f)
	if !e.running {
		e.running = true
		go e.run()
	}
}

func (e *eventQueue) run() {
	e.mu.Lock()
	for len(e.q) > 0 && !e.closed {
		f := e.q[0]
		e.q[0] = nil
		e.q = e.q[1:]
		e.mu.Unlock()
		f()
		e.mu.Lock()
	}
	e.q = nil
	e.running = false
	e.mu.Unlock()
}

// close drops queued events; a handler already running finishes, and the
// goroutine ends after it.
func (e *eventQueue) close() {
	e.mu.Lock()
	e.closed = true
	e.q = nil
	e.mu.Unlock()
}
