package webrtc

import (
	"strconv"

	pion "github.com/pion/webrtc/v4"
)

// ConnectionState is Godot's WebRTCPeerConnection.ConnectionState.
type ConnectionState int

// Connection states, with Godot's values.
const (
	StateNew          ConnectionState = 0 // STATE_NEW
	StateConnecting   ConnectionState = 1 // STATE_CONNECTING
	StateConnected    ConnectionState = 2 // STATE_CONNECTED
	StateDisconnected ConnectionState = 3 // STATE_DISCONNECTED
	StateFailed       ConnectionState = 4 // STATE_FAILED
	StateClosed       ConnectionState = 5 // STATE_CLOSED
)

var connectionStateNames = [...]string{"STATE_NEW", "STATE_CONNECTING", "STATE_CONNECTED",
	"STATE_DISCONNECTED", "STATE_FAILED", "STATE_CLOSED"}

// String returns Godot's constant name, e.g. "STATE_CONNECTED".
func (s ConnectionState) String() string { return enumName(connectionStateNames[:], int(s)) }

// GatheringState is Godot's WebRTCPeerConnection.GatheringState.
type GatheringState int

// Gathering states, with Godot's values.
const (
	GatheringStateNew       GatheringState = 0 // GATHERING_STATE_NEW
	GatheringStateGathering GatheringState = 1 // GATHERING_STATE_GATHERING
	GatheringStateComplete  GatheringState = 2 // GATHERING_STATE_COMPLETE
)

var gatheringStateNames = [...]string{"GATHERING_STATE_NEW", "GATHERING_STATE_GATHERING", "GATHERING_STATE_COMPLETE"}

// String returns Godot's constant name.
func (s GatheringState) String() string { return enumName(gatheringStateNames[:], int(s)) }

// SignalingState is Godot's WebRTCPeerConnection.SignalingState.
type SignalingState int

// Signaling states, with Godot's values.
const (
	SignalingStateStable             SignalingState = 0 // SIGNALING_STATE_STABLE
	SignalingStateHaveLocalOffer     SignalingState = 1 // SIGNALING_STATE_HAVE_LOCAL_OFFER
	SignalingStateHaveRemoteOffer    SignalingState = 2 // SIGNALING_STATE_HAVE_REMOTE_OFFER
	SignalingStateHaveLocalPranswer  SignalingState = 3 // SIGNALING_STATE_HAVE_LOCAL_PRANSWER
	SignalingStateHaveRemotePranswer SignalingState = 4 // SIGNALING_STATE_HAVE_REMOTE_PRANSWER
	SignalingStateClosed             SignalingState = 5 // SIGNALING_STATE_CLOSED
)

var signalingStateNames = [...]string{"SIGNALING_STATE_STABLE", "SIGNALING_STATE_HAVE_LOCAL_OFFER",
	"SIGNALING_STATE_HAVE_REMOTE_OFFER", "SIGNALING_STATE_HAVE_LOCAL_PRANSWER",
	"SIGNALING_STATE_HAVE_REMOTE_PRANSWER", "SIGNALING_STATE_CLOSED"}

// String returns Godot's constant name.
func (s SignalingState) String() string { return enumName(signalingStateNames[:], int(s)) }

// ChannelState is Godot's WebRTCDataChannel.ChannelState (get_ready_state).
type ChannelState int

// Data channel states, with Godot's values.
const (
	ChannelConnecting ChannelState = 0 // STATE_CONNECTING
	ChannelOpen       ChannelState = 1 // STATE_OPEN
	ChannelClosing    ChannelState = 2 // STATE_CLOSING
	ChannelClosed     ChannelState = 3 // STATE_CLOSED
)

var channelStateNames = [...]string{"STATE_CONNECTING", "STATE_OPEN", "STATE_CLOSING", "STATE_CLOSED"}

// String returns Godot's constant name.
func (s ChannelState) String() string { return enumName(channelStateNames[:], int(s)) }

// WriteMode is Godot's WebRTCDataChannel.WriteMode: it selects the SCTP
// payload protocol id of sent messages (a string or a binary message, as a
// browser's send(string) and send(ArrayBuffer)).
type WriteMode int

// Write modes, with Godot's values. WriteModeBinary is the default.
const (
	WriteModeText   WriteMode = 0 // WRITE_MODE_TEXT
	WriteModeBinary WriteMode = 1 // WRITE_MODE_BINARY
)

var writeModeNames = [...]string{"WRITE_MODE_TEXT", "WRITE_MODE_BINARY"}

// String returns Godot's constant name.
func (m WriteMode) String() string { return enumName(writeModeNames[:], int(m)) }

func enumName(names []string, v int) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return "UNKNOWN(" + strconv.Itoa(v) + ")"
}

func connectionStateOf(s pion.PeerConnectionState) ConnectionState {
	switch s {
	case pion.PeerConnectionStateConnecting:
		return StateConnecting
	case pion.PeerConnectionStateConnected:
		return StateConnected
	case pion.PeerConnectionStateDisconnected:
		return StateDisconnected
	case pion.PeerConnectionStateFailed:
		return StateFailed
	case pion.PeerConnectionStateClosed:
		return StateClosed
	}
	return StateNew
}

func gatheringStateOf(s pion.ICEGatheringState) GatheringState {
	switch s {
	case pion.ICEGatheringStateGathering:
		return GatheringStateGathering
	case pion.ICEGatheringStateComplete:
		return GatheringStateComplete
	}
	return GatheringStateNew
}

func signalingStateOf(s pion.SignalingState) SignalingState {
	switch s {
	case pion.SignalingStateHaveLocalOffer:
		return SignalingStateHaveLocalOffer
	case pion.SignalingStateHaveRemoteOffer:
		return SignalingStateHaveRemoteOffer
	case pion.SignalingStateHaveLocalPranswer:
		return SignalingStateHaveLocalPranswer
	case pion.SignalingStateHaveRemotePranswer:
		return SignalingStateHaveRemotePranswer
	case pion.SignalingStateClosed:
		return SignalingStateClosed
	}
	return SignalingStateStable
}

func channelStateOf(s pion.DataChannelState) ChannelState {
	switch s {
	case pion.DataChannelStateOpen:
		return ChannelOpen
	case pion.DataChannelStateClosing:
		return ChannelClosing
	case pion.DataChannelStateClosed:
		return ChannelClosed
	}
	return ChannelConnecting
}
