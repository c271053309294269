package signaling

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/packetpeer/packetpeer/peer"
)

// MessageType is the "type" field of a signalling message, as numbered by
// Godot's webrtc_signaling demo.
type MessageType int

// Message types of Godot's webrtc_signaling demo protocol.
const (
	// Join: client → server to create (empty Data) or join (Data = name) a
	// lobby, ID 0 for a mesh lobby, non-zero for client-server; server →
	// client with Data = the lobby's name once joined.
	Join MessageType = 0
	// ID: server → client, the client's peer id in the lobby (1 for the host
	// in client-server mode); Data "true" for a mesh lobby, "" otherwise.
	ID MessageType = 1
	// PeerConnect: server → client, peer ID is in the lobby (and visible).
	PeerConnect MessageType = 2
	// PeerDisconnect: server → client, peer ID left.
	PeerDisconnect MessageType = 3
	// Offer, Answer, Candidate: client → server with ID = destination;
	// server → destination with ID = source. Data is the SDP, or for a
	// candidate "\n" + mid + "\n" + index + "\n" + candidate line.
	Offer     MessageType = 4
	Answer    MessageType = 5
	Candidate MessageType = 6
	// Seal: client (lobby host) → server to close the lobby to newcomers;
	// server → every member. The server closes the lobby after a delay.
	Seal MessageType = 7
)

var typeNames = [...]string{"JOIN", "ID", "PEER_CONNECT", "PEER_DISCONNECT", "OFFER", "ANSWER", "CANDIDATE", "SEAL"}

// String returns the demo's name of the type, e.g. "OFFER".
func (t MessageType) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// MaxMessageSize is the largest signalling message accepted (an SDP is a few
// KiB).
const MaxMessageSize = 64 << 10

// Message is one signalling message: the JSON object
// {"type": int, "id": int, "data": string} sent as one WebSocket text
// message.
type Message struct {
	Type MessageType
	ID   int
	Data string
}

type wireMessage struct {
	Type int    `json:"type"`
	ID   int    `json:"id"`
	Data string `json:"data"`
}

// Marshal returns the JSON text of m. '<', '>' and '&' are not escaped (as
// JavaScript's JSON.stringify in Godot's Node.js demo server), so a relayed
// message is not six times the size of the one received.
func (m Message) Marshal() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(wireMessage{Type: int(m.Type), ID: int(m.ID), Data: m.Data}) // cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

// ErrBadMessage is matched (errors.Is) by every ParseMessage and
// ParseCandidate error, a *peer.OpError that also matches
// peer.ErrInvalidData and says what was wrong.
var ErrBadMessage = errors.New("invalid message")

func badMessage(format string, a ...any) error {
	return &peer.OpError{Op: "parse message", Transport: "signaling", Code: peer.ErrInvalidData, Err: ErrBadMessage,
		Detail: fmt.Sprintf(format, a...)}
}

// ParseMessage decodes a message as Godot's demo server does: a JSON object
// with "type" and "id" (integers, or strings holding integers, as GDScript
// accepts) and a string "data". Unknown fields are ignored. The type is not
// checked against the known ones here.
func ParseMessage(b []byte) (Message, error) {
	if len(b) > MaxMessageSize {
		return Message{}, badMessage("message of %d bytes is larger than %d", len(b), MaxMessageSize)
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Message{}, badMessage("not a JSON object: %v", err)
	}
	if dec.More() {
		return Message{}, badMessage("trailing data after the JSON object")
	}
	typ, err := intField(raw, "type")
	if err != nil {
		return Message{}, err
	}
	id, err := intField(raw, "id")
	if err != nil {
		return Message{}, err
	}
	d, ok := raw["data"]
	if !ok {
		return Message{}, badMessage(`missing "data"`)
	}
	var data string
	if err := json.Unmarshal(d, &data); err != nil {
		return Message{}, badMessage(`"data" is not a string`)
	}
	return Message{Type: MessageType(typ), ID: id, Data: data}, nil
}

func intField(raw map[string]json.RawMessage, name string) (int, error) {
	v, ok := raw[name]
	if !ok {
		return 0, badMessage("missing %q", name)
	}
	var s string
	if len(v) > 0 && v[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, badMessage("%q is not a valid string", name)
		}
	} else {
		s = string(v)
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < math.MinInt32 || n > math.MaxInt32 {
			return 0, badMessage("%q %d is out of range", name, n)
		}
		return int(n), nil
	}
	// JSON numbers written as floats (Godot's JSON.stringify of a float).
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, badMessage("%q is not an integer: %.40q", name, s)
	}
	return int(f), nil
}

// CandidateData formats an ICE candidate as the Data of a Candidate message,
// as Godot's demo client does.
func CandidateData(mid string, index int, candidate string) string {
	return "\n" + mid + "\n" + strconv.Itoa(index) + "\n" + candidate
}

// ParseCandidate splits the Data of a Candidate message into sdpMid,
// sdpMLineIndex and candidate line. As in Godot's demo the data is split on
// newlines, empty parts are dropped, and exactly three must remain, the
// second an integer.
func ParseCandidate(data string) (mid string, index int, candidate string, err error) {
	var parts []string
	for p := range strings.SplitSeq(data, "\n") {
		if p != "" {
			parts = append(parts, p)
			if len(parts) > 3 {
				break
			}
		}
	}
	if len(parts) != 3 {
		return "", 0, "", badMessage("candidate data has %d non-empty lines, want 3 (mid, index, candidate)", len(parts))
	}
	idx, perr := strconv.Atoi(strings.TrimSpace(parts[1]))
	if perr != nil || idx < 0 || idx > 65535 {
		return "", 0, "", badMessage("candidate sdpMLineIndex %.20q is not an integer in [0, 65535]", parts[1])
	}
	return parts[0], idx, parts[2], nil
}
