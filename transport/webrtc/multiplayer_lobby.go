package webrtc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/transport/webrtc/signaling"
)

// mpLobby is the glue of Godot's webrtc_signaling demo between a
// signalling link and a MultiplayerPeer: a PeerConnection and AddPeer for
// each lobby member (the host) or for the host (a member), descriptions
// and candidates relayed, members that leave the lobby removed.
type mpLobby struct {
	sig    *signaling.Client
	p      *MultiplayerPeer
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newLobby(sig *signaling.Client, p *MultiplayerPeer, c Config) *mpLobby {
	l := &mpLobby{sig: sig, p: p, cfg: c}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	p.m.lobby = l
	return l
}

// ListenMultiplayer is the server of Godot's webrtc_signaling demo: it
// connects to the signalling server at url (speaking the demo's protocol,
// e.g. signaling.Server), opens lobby cfg.Connection.Lobby as its host and
// returns a CreateServer peer that adds every member joining the lobby
// (AddPeer with the member's id and Godot's default unreliable lifetime, 1
// ms) and answers its offer. A member not connected within
// HandshakeTimeout, or leaving the lobby, is removed; one joining while
// SetRefuseNewConnections is on is refused. Stats counts both. A Godot
// game using the demo's client with WebRTCMultiplayerPeer.create_client
// joins as is. The signalling link stays open until Close.
func ListenMultiplayer(url string, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	c, mc := lobbyConfig(cfg)
	p, err := CreateServer(&mc)
	if err != nil {
		return nil, err
	}
	sig, _, err := hostLobby(url, c)
	if err != nil {
		p.Close()
		return nil, err
	}
	l := newLobby(sig, p, c)
	l.wg.Add(1)
	go l.serve()
	return p, nil
}

// DialMultiplayer is the client of Godot's webrtc_signaling demo: it joins
// lobby cfg.Connection.Lobby on the signalling server at url, becomes a
// CreateClient peer with the id the server gives it, offers a connection to
// the lobby's host (id 1) and returns once that connection is up
// (ConnectionConnected, PeerConnected(1) queued). Errors match
// ErrInvalidParameter for a missing lobby name and ErrCantConnect for a
// lobby without host or a connection that fails; when ctx ends first, ctx's
// error (and ErrTimeout once the signalling link is up). The signalling
// link stays open until Close (the demo's hosts remove members that leave
// it).
func DialMultiplayer(ctx context.Context, url string, cfg *MultiplayerConfig) (*MultiplayerPeer, error) {
	c, mc := lobbyConfig(cfg)
	if c.Lobby == "" {
		return nil, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrInvalidParameter, Detail: "Connection.Lobby is empty; name the lobby ListenMultiplayer opened"}
	}
	sig, stop, err := dialSignalling(ctx, url)
	if err != nil {
		return nil, err
	}
	self, err := joinLobby(sig, c.Lobby)
	if !stop() {
		sig.Close()
		return nil, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrTimeout, Err: ctx.Err()}
	}
	if err != nil {
		sig.Close()
		return nil, err
	}
	p, err := CreateClient(self, &mc)
	if err != nil {
		sig.Close()
		return nil, err
	}
	l := newLobby(sig, p, c)
	l.wg.Add(1)
	go l.serve()
	return multiplayer.Await(ctx, p, p.m.Connecting())
}

func lobbyConfig(cfg *MultiplayerConfig) (Config, MultiplayerConfig) {
	var mc MultiplayerConfig
	if cfg != nil {
		mc = *cfg
	}
	c := mc.Connection.withDefaults()
	c.Channels = nil
	return c, mc
}

// joinLobby joins lobby in client-server mode and returns the id the
// server gave.
func joinLobby(sig *signaling.Client, lobby string) (int32, error) {
	fail := func(detail string) (int32, error) {
		return 0, &peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect, Detail: detail}
	}
	if err := sig.Join(lobby, false); err != nil {
		return fail(err.Error())
	}
	for {
		m, err := sig.Read()
		if errors.Is(err, signaling.ErrBadMessage) {
			continue
		}
		if err != nil {
			return fail("signalling: " + err.Error())
		}
		if m.Type != signaling.ID {
			continue
		}
		if m.ID == 1 {
			return fail(fmt.Sprintf("lobby %q has no host (is ListenMultiplayer running?)", lobby))
		}
		if m.ID < 2 || m.ID > math.MaxInt32 {
			return fail(fmt.Sprintf("the signalling server gave id %d, outside [2, 2^31-1]", m.ID))
		}
		return int32(m.ID), nil
	}
}

// serve relays the signalling server's messages until the link closes.
func (l *mpLobby) serve() {
	defer l.wg.Done()
	client := !l.p.IsServer()
	for {
		msg, err := l.sig.Read()
		if errors.Is(err, signaling.ErrBadMessage) {
			continue
		}
		if err != nil {
			if client {
				l.p.m.Connecting().Finish(&peer.OpError{Op: "dial", Transport: "webrtc", Code: peer.ErrCantConnect, Err: err, Detail: "signalling link lost"})
			}
			return
		}
		if client && msg.ID != 1 {
			continue
		}
		switch msg.Type {
		case signaling.PeerConnect:
			l.add(msg.ID)
		case signaling.PeerDisconnect:
			// The demo removes a member whose signalling link closed.
			if l.p.HasPeer(int32(msg.ID)) {
				l.p.RemovePeer(int32(msg.ID))
			}
		case signaling.Offer, signaling.Answer, signaling.Candidate:
			l.relay(msg)
		}
	}
}

// add creates the PeerConnection to lobby member id; a member offers to
// the host (the larger id offers, as in the demo).
func (l *mpLobby) add(id int) {
	m := l.p.m
	if id < 1 || id > math.MaxInt32 || (l.p.IsServer() && id == 1) {
		m.refused.Add(1)
		return
	}
	c := l.cfg
	var pc *PeerConnection
	c.OnSessionDescription = func(typ, sdp string) {
		if pc.SetLocalDescription(typ, sdp) != nil {
			return
		}
		if typ == "offer" {
			l.sig.SendOffer(id, sdp)
		} else {
			l.sig.SendAnswer(id, sdp)
		}
	}
	c.OnICECandidate = func(media string, index int, name string) {
		l.sig.SendCandidate(id, media, index, name)
	}
	pc, err := NewPeerConnection(&c)
	if err != nil {
		m.failed.Add(1)
		return
	}
	if err := l.p.AddPeer(pc, int32(id), 1); err != nil {
		if errors.Is(err, peer.ErrAlreadyInUse) {
			m.refused.Add(1)
		}
		pc.Close()
		return
	}
	if !l.p.IsServer() {
		if err := pc.CreateOffer(); err != nil {
			m.failed.Add(1)
			l.p.RemovePeer(int32(id))
			return
		}
	}
	l.wg.Add(1)
	go l.expire(int32(id), pc)
}

// expire removes member id if it is not connected within
// HandshakeTimeout.
func (l *mpLobby) expire(id int32, pc *PeerConnection) {
	defer l.wg.Done()
	t := time.NewTimer(l.cfg.HandshakeTimeout)
	defer t.Stop()
	for _, dc := range pc.Channels() {
		select {
		case <-dc.t.opened:
		case <-dc.t.gone:
			return
		case <-l.ctx.Done():
			return
		case <-t.C:
			m := l.p.m
			m.mu.Lock()
			mp, ok := m.Peer(id)
			if !ok || mp.pc != pc || mp.live.Load() {
				m.mu.Unlock()
				return
			}
			m.timedOut.Add(1)
			if m.Role() == multiplayer.RoleClient {
				m.End(multiplayer.SessionEnded("webrtc", fmt.Sprintf("the server did not connect within HandshakeTimeout %v", l.cfg.HandshakeTimeout)))
			}
			m.removeLocked(mp, false)
			return
		}
	}
}

// relay hands an offer, answer or candidate to the member's connection. A
// description the connection cannot use removes the member; a bad
// candidate is ignored, as the demo does.
func (l *mpLobby) relay(msg signaling.Message) {
	cp := l.p.GetPeer(int32(msg.ID))
	if cp == nil {
		return
	}
	pc := cp.Connection
	var err error
	switch msg.Type {
	case signaling.Offer:
		err = pc.SetRemoteDescription("offer", msg.Data)
	case signaling.Answer:
		err = pc.SetRemoteDescription("answer", msg.Data)
	case signaling.Candidate:
		mid, idx, cand, perr := signaling.ParseCandidate(msg.Data)
		if perr != nil {
			return
		}
		err = pc.AddICECandidate(mid, idx, cand)
	}
	if err != nil && l.p.RemovePeer(int32(msg.ID)) == nil {
		l.p.m.failed.Add(1)
	}
}

// close ends the signalling link and waits for the lobby's goroutines.
func (l *mpLobby) close() {
	l.cancel()
	l.sig.Close()
	l.wg.Wait()
}
