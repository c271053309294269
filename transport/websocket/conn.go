package websocket

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	gws "github.com/gorilla/websocket"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
	"github.com/packetpeer/packetpeer/peer"
)

// State is a connection's ready state, with Godot's WebSocketPeer.State
// numbers.
type State int32

// Godot's WebSocketPeer.State values.
const (
	StateConnecting State = 0 // opening handshake in progress
	StateOpen       State = 1 // messages flow both ways
	StateClosing    State = 2 // a close frame was sent, waiting for the remote's
	StateClosed     State = 3 // the connection is gone
)

// String returns Godot's name of the state, e.g. "OPEN".
func (s State) String() string {
	switch s {
	case StateConnecting:
		return "CONNECTING"
	case StateOpen:
		return "OPEN"
	case StateClosing:
		return "CLOSING"
	case StateClosed:
		return "CLOSED"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// WriteMode says whether Send sends a text or a binary message, with
// Godot's WebSocketPeer.WriteMode numbers.
type WriteMode int

// Godot's WebSocketPeer.WriteMode values.
const (
	WriteModeText   WriteMode = 0
	WriteModeBinary WriteMode = 1
)

// Close codes used by this package (RFC 6455 section 7.4).
const (
	CloseNormalClosure = 1000
	CloseGoingAway     = 1001
	CloseProtocolError = 1002
	CloseNoStatus      = 1005
	CloseMessageTooBig = 1009
	CloseTryAgainLater = 1013
	CloseCodeUnclean   = -1 // Godot's get_close_code when no close frame was received
)

// maxCloseReasonLength is the longest close reason (125-byte control frame
// payload minus the code).
const maxCloseReasonLength = 123

// CloseError ends a connection. GetPacket and ReadPacket return it once the
// queued packets are drained. Code is the close code from the remote's close
// frame, or the code this side sent when it failed the connection (1009,
// 1002), or -1 when the connection ended without a close frame; Err is the
// underlying cause then. A normal close (1000, 1001, or a close frame
// without a code) matches io.EOF with errors.Is.
type CloseError struct {
	Code   int
	Reason string
	Err    error
}

// Error describes the close: code, reason and cause.
func (e *CloseError) Error() string {
	s := fmt.Sprintf("websocket: closed with code %d", e.Code)
	if e.Reason != "" {
		s += fmt.Sprintf(" (%q)", e.Reason)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause of an unclean close.
func (e *CloseError) Unwrap() error { return e.Err }

// Is reports io.EOF for a normal close.
func (e *CloseError) Is(target error) bool {
	return target == io.EOF && (e.Code == CloseNormalClosure || e.Code == CloseGoingAway || e.Code == CloseNoStatus)
}

var (
	errHeartbeat    = &peer.OpError{Op: "heartbeat", Transport: "websocket", Code: peer.ErrTimeout, Detail: "no pong before the next ping was due"}
	errCloseTimeout = &peer.OpError{Op: "close", Transport: "websocket", Code: peer.ErrTimeout, Detail: "the remote did not answer the close frame in time"}
	errLocalClose   = &peer.OpError{Op: "close", Transport: "websocket", Err: peer.ErrClosed, Detail: "closed locally"}
	errTruncated    = &peer.OpError{Op: "read packet", Transport: "websocket", Code: peer.ErrConnectionError, Err: io.ErrUnexpectedEOF,
		Detail: "the connection closed inside a frame"}
	errNoCloseFrame = &peer.OpError{Op: "read packet", Transport: "websocket", Code: peer.ErrConnectionError, Detail: "the connection closed without a close frame"}
	errCloseLength  = &peer.OpError{Op: "read packet", Transport: "websocket", Code: peer.ErrInvalidData, Detail: "close frame with a 1-byte payload (RFC 6455 5.5.1)"}
)

// closeDrainLimit bounds the bytes read and discarded after this side failed
// the connection (see conn.drain).
const closeDrainLimit = 4 << 20

// record kinds in the outbound queue and the inbound ring (first byte)
const (
	kindBinary = 0
	kindText   = 1
	outHeader  = 5 // kind + u32 length
)

// conn is the peer.Transport over one gorilla connection.
type conn struct {
	ws        *gws.Conn
	batch     *batchConn // nil when the connection is not ours (Upgrade, Handler)
	fw        *frameWatch
	cfg       Config
	server    bool
	url       string
	protocol  string
	req       *http.Request
	respHdr   http.Header
	remote    net.Addr
	local     net.Addr
	maxPacket int

	in        *ringbuf.Inbox
	wasString atomic.Bool
	discard   atomic.Bool // set by a local close: inbound data is dropped

	state atomic.Int32

	omu        sync.Mutex
	oq         []byte // queued records: kind, u32 LE length, payload
	ocount     int    // messages queued or being written
	obytes     int    // their payload bytes
	closeFrame []byte // close frame to send after the queued data
	owake      chan struct{}
	oroom      chan struct{}

	cmu         sync.Mutex
	closeSet    bool
	closeCode   int
	closeReason string
	closeTimer  *time.Timer

	pong     atomic.Bool
	draining atomic.Bool   // set by the reader once it failed the connection
	drainCh  chan struct{} // closed by drain: the writer stops
	stop     chan struct{} // closed by teardown
	finished chan struct{} // closed by teardown, after state is CLOSED
	tdOnce   sync.Once

	ready      chan struct{} // closed by attach
	readerDone chan struct{}
	writerDone chan struct{}
	hbDone     chan struct{}

	wsMu       sync.Mutex // guards ws and rawConn against teardown while connecting
	tornDown   bool
	rawConn    net.Conn // TCP connection of a handshake in progress (Connect)
	cancelDial context.CancelFunc

	onClose func() // called once by teardown (a Handler untracks the peer)
}

// newConn returns a conn in StateConnecting without a connection yet;
// attach gives it one.
func newConn(cfg Config, server bool, url string) *conn {
	c := &conn{
		cfg:        cfg,
		server:     server,
		url:        url,
		maxPacket:  cfg.maxPacketSize(),
		closeCode:  CloseCodeUnclean,
		owake:      make(chan struct{}, 1),
		oroom:      make(chan struct{}, 1),
		drainCh:    make(chan struct{}),
		stop:       make(chan struct{}),
		finished:   make(chan struct{}),
		ready:      make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
		hbDone:     make(chan struct{}),
	}
	c.in = ringbuf.NewInbox(ringbuf.Config{
		// Room for one largest message plus slack for small ones, as
		// Godot's payload ring of about inbound_buffer_size bytes.
		MaxBytes:   cfg.InboundBufferSize + outHeader + 4*min(cfg.MaxQueuedPackets, 256),
		MaxPackets: max(cfg.MaxQueuedPackets, 1),
		Policy:     ringbuf.Block,
	}, peer.ErrUnavailable)
	c.state.Store(int32(StateConnecting))
	return c
}

// attach gives c its established connection, switches it to StateOpen and
// starts its goroutines. It returns false (and closes ws) when c was closed
// while connecting.
func (c *conn) attach(ws *gws.Conn, respHdr http.Header) bool {
	ws.SetReadLimit(int64(c.cfg.InboundBufferSize))
	ws.SetCloseHandler(c.handleClose)
	ws.SetPongHandler(func(string) error {
		c.pong.Store(true)
		return nil
	})
	c.wsMu.Lock()
	if c.tornDown {
		c.wsMu.Unlock()
		ws.Close()
		c.abandon()
		return false
	}
	c.ws = ws
	c.batch = findBatchConn(ws.NetConn())
	c.fw, _ = ws.NetConn().(*frameWatch)
	c.protocol = ws.Subprotocol()
	c.remote = ws.RemoteAddr()
	c.local = ws.LocalAddr()
	c.respHdr = respHdr
	c.state.Store(int32(StateOpen))
	close(c.ready)
	c.wsMu.Unlock()
	go c.readLoop()
	go c.writeLoop()
	if c.cfg.HeartbeatInterval > 0 {
		go c.heartbeatLoop()
	} else {
		close(c.hbDone)
	}
	return true
}

// setRawConn records the TCP connection of a handshake in progress so that
// closing while connecting interrupts it.
func (c *conn) setRawConn(nc net.Conn) {
	c.wsMu.Lock()
	defer c.wsMu.Unlock()
	if c.tornDown {
		nc.Close()
		return
	}
	c.rawConn = nc
}

// abandon marks the goroutines of a conn that never opened as finished.
func (c *conn) abandon() {
	close(c.readerDone)
	close(c.writerDone)
	close(c.hbDone)
}

// isReady reports whether attach has run (fields such as remote are set).
func (c *conn) isReady() bool {
	select {
	case <-c.ready:
		return true
	default:
		return false
	}
}

// handleClose runs in the reader when the remote's close frame arrives.
func (c *conn) handleClose(code int, text string) error {
	if code == CloseNoStatus && c.fw != nil && c.fw.closeLen == 1 {
		// RFC 6455 5.5.1: a code takes 2 bytes; gorilla reads 1 as none.
		msg := gws.FormatCloseMessage(CloseProtocolError, "close frame with a 1-byte payload")
		c.ws.WriteControl(gws.CloseMessage, msg, time.Now().Add(c.cfg.CloseTimeout))
		return errCloseLength
	}
	c.setClose(code, text)
	if c.state.CompareAndSwap(int32(StateOpen), int32(StateClosing)) {
		// The remote started the close: answer with its code.
		msg := gws.FormatCloseMessage(code, "")
		c.ws.WriteControl(gws.CloseMessage, msg, time.Now().Add(c.cfg.CloseTimeout))
		if c.batch != nil {
			// The writer may be mid-batch: send the answer before teardown.
			c.batch.flush()
		}
	}
	return nil
}

// setClose records the close code and reason; the first record wins.
func (c *conn) setClose(code int, reason string) {
	c.cmu.Lock()
	if !c.closeSet {
		c.closeSet, c.closeCode, c.closeReason = true, code, reason
	}
	c.cmu.Unlock()
}

func (c *conn) closeInfo() (int, string) {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	return c.closeCode, c.closeReason
}

func (c *conn) readLoop() {
	defer close(c.readerDone)
	limit := c.cfg.InboundBufferSize
	buf := make([]byte, 1, min(limit+2, 1024))
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			c.readFailed(err)
			return
		}
		buf = buf[:1]
		buf[0] = kindBinary
		if mt == gws.TextMessage {
			buf[0] = kindText
		}
		for {
			if len(buf) == cap(buf) {
				nb := make([]byte, len(buf), min(2*cap(buf), limit+2))
				copy(nb, buf)
				buf = nb
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				c.readFailed(err)
				return
			}
		}
		if c.discard.Load() {
			continue
		}
		// Block: a full queue stops reading, and TCP flow control slows
		// the sender. Push fails only once teardown closed the ring.
		c.in.Push(context.Background(), buf)
	}
}

// readFailed classifies the reader's final error and tears down. When this
// side failed the connection (1009, 1002) it drains first, so that the
// remote reads the close frame.
func (c *conn) readFailed(err error) {
	var ce *gws.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce) && ce.Code == gws.CloseAbnormalClosure:
		// gorilla's name for EOF; no close frame carries 1006.
		if c.fw != nil && c.fw.midFrame() {
			err = errTruncated
		} else {
			err = errNoCloseFrame
		}
	case errors.As(err, &ce):
		// handleClose recorded the code.
	case errors.Is(err, gws.ErrReadLimit):
		// gorilla sent a 1009 close frame.
		c.setClose(CloseMessageTooBig, "Message too big")
		err = &peer.OpError{Op: "read packet", Transport: "websocket", Code: peer.ErrOutOfMemory,
			Detail: fmt.Sprintf("message larger than InboundBufferSize %d", c.cfg.InboundBufferSize)}
		c.drain()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.As(err, &ne):
		// connection dropped: unclean
	default:
		// gorilla (or handleClose) found a protocol error and sent a 1002
		// close frame.
		c.setClose(CloseProtocolError, "Protocol error")
		if !errors.Is(err, peer.ErrInvalidData) {
			err = &peer.OpError{Op: "read packet", Transport: "websocket", Code: peer.ErrInvalidData, Err: err}
		}
		c.drain()
	}
	c.teardown(err)
}

// drain runs in the reader after this side sent a close frame that fails
// the connection. Closing the socket at once, with the remote's message
// still unread, would make the kernel reset the connection and the remote
// (a browser: every Godot web export) would never read the close frame. As
// RFC 6455 7.1.1 asks, drain stops the writer, half-closes the connection
// and reads and discards until the remote's close frame, its end of the
// stream, closeDrainLimit bytes or CloseTimeout, whichever comes first.
// Nothing read is kept.
func (c *conn) drain() {
	c.draining.Store(true)
	c.omu.Lock()
	c.state.CompareAndSwap(int32(StateOpen), int32(StateClosing))
	c.omu.Unlock()
	close(c.drainCh)
	deadline := time.Now().Add(c.cfg.CloseTimeout)
	nc := c.ws.NetConn()
	nc.SetDeadline(deadline)
	// The writer stops at the end of its batch (gorilla refuses messages
	// after the close frame). One stuck on a remote that does not read
	// ends when teardown closes the socket.
	t := time.NewTimer(c.cfg.CloseTimeout)
	defer t.Stop()
	select {
	case <-c.writerDone:
	case <-t.C:
		return
	}
	if c.batch != nil {
		c.batch.flush()
	}
	if c.fw != nil && c.fw.closeSeen {
		return
	}
	halfClose(nc)
	var r io.Reader = nc
	if c.fw != nil {
		r = c.fw
	}
	var buf [4096]byte
	for n := 0; n < closeDrainLimit; {
		k, err := r.Read(buf[:min(len(buf), closeDrainLimit-n)])
		n += k
		if err != nil || (c.fw != nil && c.fw.closeSeen) {
			return
		}
	}
}

// halfClose ends what this side sends (a TLS close_notify, then the TCP
// FIN) and leaves the read side open.
func halfClose(nc net.Conn) {
	if fw, ok := nc.(*frameWatch); ok {
		nc = fw.Conn
	}
	if tc, ok := nc.(*tls.Conn); ok {
		tc.CloseWrite()
		nc = tc.NetConn()
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

func (c *conn) writeLoop() {
	defer close(c.writerDone)
	var spare []byte
	for {
		select {
		case <-c.owake:
		case <-c.stop:
			return
		case <-c.drainCh:
			return
		}
		c.omu.Lock()
		batch := c.oq
		c.oq = spare[:0]
		closeFrame := c.closeFrame
		c.closeFrame = nil
		c.omu.Unlock()
		if c.batch != nil {
			c.batch.cork()
		}
		n, bytes := 0, 0
		var werr error
		for off := 0; off < len(batch); {
			kind := batch[off]
			size := int(binary.LittleEndian.Uint32(batch[off+1:]))
			p := batch[off+outHeader : off+outHeader+size]
			off += outHeader + size
			mt := gws.BinaryMessage
			if kind == kindText {
				mt = gws.TextMessage
			}
			if werr = c.ws.WriteMessage(mt, p); werr != nil {
				break
			}
			n++
			bytes += size
		}
		if werr == nil && closeFrame != nil {
			if err := c.ws.WriteControl(gws.CloseMessage, closeFrame, time.Now().Add(c.cfg.CloseTimeout)); err != nil && !errors.Is(err, gws.ErrCloseSent) {
				werr = err
			}
		}
		if c.batch != nil {
			if err := c.batch.uncork(); err != nil && werr == nil {
				werr = err
			}
		}
		if werr != nil {
			if !c.draining.Load() && !errors.Is(werr, gws.ErrCloseSent) {
				c.teardown(werr)
			}
			return
		}
		spare = batch
		if n > 0 {
			c.omu.Lock()
			c.ocount -= n
			c.obytes -= bytes
			c.omu.Unlock()
			signal(c.oroom)
		}
	}
}

// heartbeatLoop pings every HeartbeatInterval and drops the connection
// when the previous ping got no pong. It runs apart from the writer so that
// a peer that stopped reading (and so blocks the writer) is dropped too.
func (c *conn) heartbeatLoop() {
	defer close(c.hbDone)
	hb := c.cfg.HeartbeatInterval
	t := time.NewTicker(hb)
	defer t.Stop()
	awaitingPong := false
	for {
		select {
		case <-t.C:
		case <-c.stop:
			return
		}
		if awaitingPong && !c.pong.Load() {
			c.teardown(errHeartbeat)
			return
		}
		c.pong.Store(false)
		awaitingPong = true
		// WriteControl may run beside the writer; it gives up at the
		// deadline when the writer is stuck, and the next tick drops.
		c.ws.WriteControl(gws.PingMessage, nil, time.Now().Add(hb))
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// enqueue queues one message for the writer. It never blocks: a full queue
// is an error matching ErrOutOfMemory, as Godot's send.
func (c *conn) enqueue(op string, kind byte, p []byte) error {
	c.omu.Lock()
	if st := State(c.state.Load()); st != StateOpen {
		c.omu.Unlock()
		return c.notOpen(op, st)
	}
	if err := c.checkRoom(op, len(p)); err != nil {
		c.omu.Unlock()
		return err
	}
	c.oq = append(c.oq, kind, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(c.oq[len(c.oq)-4:], uint32(len(p)))
	c.oq = append(c.oq, p...)
	c.ocount++
	c.obytes += len(p)
	c.omu.Unlock()
	signal(c.owake)
	return nil
}

// checkRoom reports whether a message of n bytes fits the outbound limits
// now. c.omu is held.
func (c *conn) checkRoom(op string, n int) error {
	if c.cfg.OutboundBufferSize > 0 && n > c.cfg.OutboundBufferSize {
		return &peer.OpError{Op: op, Transport: "websocket", Code: peer.ErrOutOfMemory,
			Detail: fmt.Sprintf("message of %d bytes exceeds OutboundBufferSize %d", n, c.cfg.OutboundBufferSize)}
	}
	if c.ocount >= c.cfg.MaxQueuedPackets {
		return &peer.OpError{Op: op, Transport: "websocket", Code: peer.ErrOutOfMemory,
			Detail: fmt.Sprintf("%d messages already queued (MaxQueuedPackets)", c.ocount)}
	}
	if c.cfg.OutboundBufferSize > 0 && c.obytes+n > c.cfg.OutboundBufferSize {
		return &peer.OpError{Op: op, Transport: "websocket", Code: peer.ErrOutOfMemory,
			Detail: fmt.Sprintf("%d bytes queued, %d more exceed OutboundBufferSize %d", c.obytes, n, c.cfg.OutboundBufferSize)}
	}
	return nil
}

func (c *conn) notOpen(op string, st State) error {
	code, reason := c.closeInfo()
	return &peer.OpError{Op: op, Transport: "websocket", Code: peer.ErrFailed,
		Detail: fmt.Sprintf("connection is %v (close code %d %q)", st, code, reason)}
}

// write queues p, waiting for room in the outbound queue until ctx ends.
func (c *conn) write(ctx context.Context, kind byte, p []byte) error {
	for {
		err := c.enqueue("write packet", kind, p)
		if err == nil || !errors.Is(err, peer.ErrOutOfMemory) {
			return err
		}
		c.omu.Lock()
		tooBig := c.cfg.OutboundBufferSize > 0 && len(p) > c.cfg.OutboundBufferSize
		c.omu.Unlock()
		if tooBig {
			return err
		}
		select {
		case <-c.oroom:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.stop:
		}
	}
}

// WritePacket implements peer.ContextWriter: one binary message like
// PutPacket, but when the outbound queue is full it waits for room until
// ctx ends instead of failing: Go-style back-pressure for bulk senders.
func (c *conn) WritePacket(ctx context.Context, p []byte) error {
	return c.write(ctx, kindBinary, p)
}

// TransportName implements peer.Namer.
func (c *conn) TransportName() string { return "websocket" }

// PutPacket implements peer.Transport: one binary message, never blocking.
func (c *conn) PutPacket(p []byte) error { return c.enqueue("put packet", kindBinary, p) }

// GetPacket implements peer.Transport.
func (c *conn) GetPacket() ([]byte, error) {
	b, err := c.in.GetPacket()
	if err != nil {
		return nil, err
	}
	c.wasString.Store(b[0] == kindText)
	return b[1:], nil
}

func (c *conn) AvailablePacketCount() int { return c.in.Len() }
func (c *conn) MaxPacketSize() int        { return c.maxPacket }

// WaitPacket implements peer.Waiter.
func (c *conn) WaitPacket(ctx context.Context) error { return c.in.WaitPacket(ctx) }

// startClose begins the closing handshake (Godot's close). code < 0 drops
// the connection at once.
func (c *conn) startClose(code int, reason string) error {
	if code < 0 {
		c.discard.Store(true)
		c.in.Reset()
		c.teardown(errLocalClose)
		return nil
	}
	if err := validCloseCode(code, reason); err != nil {
		return err
	}
	if State(c.state.Load()) == StateConnecting {
		// As Godot: closing while connecting goes straight to CLOSED.
		c.teardown(errLocalClose)
		return nil
	}
	c.omu.Lock()
	if !c.state.CompareAndSwap(int32(StateOpen), int32(StateClosing)) {
		c.omu.Unlock()
		return nil // already closing or closed
	}
	c.closeFrame = gws.FormatCloseMessage(code, reason)
	c.omu.Unlock()
	// Godot discards pending inbound packets on close.
	c.discard.Store(true)
	c.in.Reset()
	c.cmu.Lock()
	c.closeTimer = time.AfterFunc(c.cfg.CloseTimeout, func() { c.teardown(errCloseTimeout) })
	c.cmu.Unlock()
	signal(c.owake)
	return nil
}

func validCloseCode(code int, reason string) error {
	bad := func(d string) error {
		return &peer.OpError{Op: "close", Transport: "websocket", Code: peer.ErrInvalidParameter, Detail: d}
	}
	switch {
	case code < 1000 || code > 4999 || code == 1004 || code == 1005 || code == 1006 || code == 1015 || (code > 1014 && code < 3000):
		return bad(fmt.Sprintf("close code %d cannot be sent (use 1000-1003, 1007-1014 or 3000-4999)", code))
	case len(reason) > maxCloseReasonLength:
		return bad(fmt.Sprintf("close reason of %d bytes exceeds %d", len(reason), maxCloseReasonLength))
	case !utf8.ValidString(reason):
		return bad("close reason is not valid UTF-8")
	}
	return nil
}

// teardown drops the connection: state CLOSED, socket closed, goroutines
// told to stop, the inbound queue closed with the CloseError.
func (c *conn) teardown(cause error) {
	c.tdOnce.Do(func() {
		c.cmu.Lock()
		clean := c.closeSet
		code, reason := c.closeCode, c.closeReason
		if c.closeTimer != nil {
			c.closeTimer.Stop()
		}
		c.cmu.Unlock()
		c.state.Store(int32(StateClosed))
		c.wsMu.Lock()
		c.tornDown = true
		ws, cancel, raw := c.ws, c.cancelDial, c.rawConn
		c.wsMu.Unlock()
		if ws != nil {
			ws.Close()
		} else if raw != nil {
			raw.Close() // interrupts the handshake
		}
		if cancel != nil {
			cancel()
		}
		close(c.stop)
		ce := &CloseError{Code: code, Reason: reason}
		if !clean || (code != CloseNormalClosure && code != CloseGoingAway && code != CloseNoStatus) {
			ce.Err = cause
		}
		c.in.Close(ce)
		close(c.finished)
		if c.onClose != nil {
			c.onClose()
		}
	})
}

// Close implements peer.Transport: close code 1000, wait for the remote's
// close frame (at most CloseTimeout), drop the socket and wait for the
// goroutines.
func (c *conn) Close() error {
	c.startClose(CloseNormalClosure, "")
	<-c.finished
	<-c.readerDone
	<-c.writerDone
	<-c.hbDone
	return nil
}

func (c *conn) setNoDelay(on bool) error {
	if !c.isReady() {
		return &peer.OpError{Op: "set no delay", Transport: "websocket", Code: peer.ErrUnconfigured, Detail: "not connected yet"}
	}
	nc := underlying(c.ws.NetConn())
	if bc, ok := nc.(*batchConn); ok {
		nc = bc.Conn
	}
	tcp, ok := nc.(*net.TCPConn)
	if !ok {
		return &peer.OpError{Op: "set no delay", Transport: "websocket", Code: peer.ErrUnavailable, Detail: "not a TCP connection"}
	}
	return tcp.SetNoDelay(on)
}
