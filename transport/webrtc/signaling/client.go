package signaling

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/packetpeer/packetpeer/peer"
)

// Client is one connection to a signalling server speaking Godot's demo
// protocol (this package's Server, or Godot's own GDScript or Node.js
// servers). Send may be called from any goroutine; Read from one at a time.
type Client struct {
	conn *websocket.Conn
	wmu  sync.Mutex
}

// Dial connects to a signalling server at url (ws:// or wss://). header may
// be nil.
func Dial(ctx context.Context, url string, header http.Header) (*Client, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096}
	conn, resp, err := d.DialContext(ctx, url, header)
	if err != nil {
		detail := url
		if resp != nil {
			detail += " (HTTP " + resp.Status + ")"
		}
		return nil, &peer.OpError{Op: "dial", Transport: "signaling", Code: peer.ErrCantConnect, Err: err, Detail: detail}
	}
	conn.SetReadLimit(MaxMessageSize)
	return &Client{conn: conn}, nil
}

// Send sends one message as a WebSocket text message.
func (c *Client) Send(m Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.conn.WriteMessage(websocket.TextMessage, m.Marshal())
}

// Read waits for the next message. Messages that are not valid JSON
// messages return an error matching ErrBadMessage, and the connection stays
// usable. When the server closes the connection the error is a
// *websocket.CloseError carrying its code and reason.
func (c *Client) Read() (Message, error) {
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		return Message{}, err
	}
	return ParseMessage(b)
}

// Join asks to join lobby (empty: create one). mesh selects a mesh lobby
// (every member sees every other) rather than client-server (members see
// only the host, id 1). It is ignored when joining an existing lobby.
func (c *Client) Join(lobby string, mesh bool) error {
	id := 1
	if mesh {
		id = 0
	}
	return c.Send(Message{Type: Join, ID: id, Data: lobby})
}

// SendOffer, SendAnswer and SendCandidate relay to peer id (1 = the host).
func (c *Client) SendOffer(id int, sdp string) error {
	return c.Send(Message{Type: Offer, ID: id, Data: sdp})
}

// SendAnswer relays an answer to peer id.
func (c *Client) SendAnswer(id int, sdp string) error {
	return c.Send(Message{Type: Answer, ID: id, Data: sdp})
}

// SendCandidate relays an ICE candidate to peer id.
func (c *Client) SendCandidate(id int, mid string, index int, candidate string) error {
	return c.Send(Message{Type: Candidate, ID: id, Data: CandidateData(mid, index, candidate)})
}

// Seal closes the lobby to newcomers (host only).
func (c *Client) Seal() error { return c.Send(Message{Type: Seal}) }

// Close sends a normal close frame and closes the connection; a Read in
// progress returns an error.
func (c *Client) Close() error {
	c.wmu.Lock()
	c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	return c.conn.Close()
}
