package quic

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
	"github.com/packetpeer/packetpeer/peer"
)

// queueOverhead is what one packet costs in the receive queue beyond its
// payload: ringbuf's 4-byte length and our 1-byte transfer mode.
const queueOverhead = 5

// copyLimit is the largest reliable packet copied next to its header for a
// single stream write; larger ones are written as header, then payload.
const copyLimit = 16 << 10

// Peer is one end of a QUIC connection: a peer.Peer (Godot's PacketPeer:
// PutPacket, GetPacket, PutVar, GetVar, ReadPacket, ...) plus the transfer
// modes of Godot's MultiplayerPeer and the connection's addresses.
//
// PutPacket sends with the peer's transfer mode (SetTransferMode, default
// TransferModeReliable); PutPacketMode chooses per packet. Packets of every
// mode arrive in one receive queue, in arrival order; PacketMode tells how
// the last one read travelled.
//
// A Peer is safe for concurrent use, readers included (see package peer); a
// slice returned by GetPacket is valid until the next read, and one returned
// by ReadPacket is the caller's.
type Peer struct {
	*peer.Peer
	c *conn
}

func newPeer(c *conn) *Peer { return &Peer{Peer: peer.New(c), c: c} }

// PutPacketMode sends p with the given transfer mode, whatever the peer's
// default. An empty p sends nothing and returns nil, as PutPacket. An
// unreliable packet larger than MaxDatagramSize fails with an error matching
// peer.ErrInvalidParameter that names both sizes; nothing is sent.
func (p *Peer) PutPacketMode(b []byte, mode TransferMode) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "put packet", Transport: "quic", Err: peer.ErrClosed}
	}
	if !mode.Valid() {
		return &peer.OpError{Op: "put packet", Transport: "quic", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("unknown transfer mode %d", int(mode))}
	}
	if len(b) == 0 {
		return nil
	}
	return p.c.put(b, mode)
}

// SetTransferMode sets the mode PutPacket and PutVar use (Godot's
// MultiplayerPeer.transfer_mode). An unknown mode fails with
// peer.ErrInvalidParameter, an unreliable mode without datagrams (disabled
// at either end) with peer.ErrUnavailable; neither changes anything.
func (p *Peer) SetTransferMode(mode TransferMode) error {
	if !mode.Valid() {
		return &peer.OpError{Op: "set transfer mode", Transport: "quic", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("unknown transfer mode %d", int(mode))}
	}
	if mode != TransferModeReliable && !p.c.dgram {
		return &peer.OpError{Op: "set transfer mode", Transport: "quic", Code: peer.ErrUnavailable,
			Detail: mode.String() + " needs QUIC datagrams, which are disabled at one end (Config.DisableDatagrams)"}
	}
	p.c.mode.Store(int32(mode))
	return nil
}

// TransferMode returns the mode PutPacket uses (default TransferModeReliable).
func (p *Peer) TransferMode() TransferMode { return TransferMode(p.c.mode.Load()) }

// PacketMode returns the transfer mode of the packet last returned by
// GetPacket or ReadPacket (Godot's get_packet_mode); TransferModeReliable
// before any.
func (p *Peer) PacketMode() TransferMode { return TransferMode(p.c.lastMode.Load()) }

// MaxDatagramSize returns the largest unreliable packet that can be sent now:
// the QUIC datagram limit of the current path minus this package's 4-byte
// datagram header. It starts around 1200 bytes and may grow as path MTU
// discovery probes larger packets. It is 0 when datagrams are not available
// (disabled at either end) or the connection is closed.
func (p *Peer) MaxDatagramSize() int {
	if p.IsClosed() {
		return 0
	}
	return p.c.maxDatagramSize()
}

// DatagramsEnabled reports whether both ends enabled QUIC datagrams, which
// the unreliable transfer modes need.
func (p *Peer) DatagramsEnabled() bool { return p.c.dgram }

// LocalAddr returns the local UDP address (a client's changes with Migrate).
func (p *Peer) LocalAddr() net.Addr {
	if a := p.c.localAddr.Load(); a != nil {
		return *a
	}
	return p.c.qc.LocalAddr()
}

// RemoteAddr returns the remote UDP address (Godot's get_connected_host and
// get_connected_port). On a Listener's peer it follows the client when the
// client migrates.
func (p *Peer) RemoteAddr() net.Addr {
	if a := p.c.remoteAddr.Load(); a != nil {
		return *a
	}
	return p.c.qc.RemoteAddr()
}

// Migrate moves a dialled connection to a new local UDP socket (QUIC
// connection migration, RFC 9000 §9), as a client does when its network
// changes: it probes the server from the new socket, then switches to it.
// The connection, its stream and queued packets are kept; the server sees
// the new RemoteAddr. ctx bounds the probe. On a Listener's peer it fails
// with peer.ErrUnavailable (only clients migrate). Old sockets stay open
// until Close, for packets still in flight.
func (p *Peer) Migrate(ctx context.Context) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "migrate", Transport: "quic", Err: peer.ErrClosed}
	}
	return p.c.migrate(ctx)
}

// TLSConnectionState returns the TLS state of the connection: the negotiated
// ALPN protocol, the peer's certificates, and so on.
func (p *Peer) TLSConnectionState() tls.ConnectionState {
	return p.c.qc.ConnectionState().TLS
}

// conn is the peer.Transport over one QUIC connection.
type conn struct {
	cfg *Config
	qc  *quicgo.Conn
	str *quicgo.Stream
	// owned by a dialled conn, nil on a Listener's:
	tr  *quicgo.Transport
	udp net.PacketConn

	migrateMu sync.Mutex
	oldPaths  []io.Closer // transports and sockets used before Migrate
	// A dialled conn's addresses, cached: quic-go's Conn.LocalAddr races
	// with a path switch on the client side.
	localAddr, remoteAddr atomic.Pointer[net.Addr]

	dgram bool // both ends support datagrams
	in    *ringbuf.Inbox

	ctx    context.Context // cancelled by Close: stops the readers
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mode     atomic.Int32 // default transfer mode
	lastMode atomic.Int32

	writeMu sync.Mutex // serialises frames on the stream
	wbuf    []byte

	dgramMu  sync.Mutex // guards dgramBuf and seq; keeps sequence numbers in send order
	dgramBuf []byte
	seq      uint32

	closeOnce sync.Once
	closing   atomic.Bool
	noLinger  atomic.Bool
	ln        *Listener // the Listener that accepted the connection, nil for Dial

	droppedLate atomic.Uint64
	droppedFull atomic.Uint64

	endErr atomic.Pointer[error] // why the connection ended, as reads report it
}

func newConn(cfg *Config, qc *quicgo.Conn, str *quicgo.Stream, tr *quicgo.Transport, udp net.PacketConn, ln *Listener) *conn {
	st := qc.ConnectionState()
	c := &conn{
		cfg:      cfg,
		qc:       qc,
		str:      str,
		tr:       tr,
		udp:      udp,
		ln:       ln,
		dgram:    st.SupportsDatagrams.Local && st.SupportsDatagrams.Remote,
		dgramBuf: make([]byte, datagramHeaderSize, maxQUICDatagram),
		in: ringbuf.NewInbox(ringbuf.Config{
			MaxBytes:   cfg.ReceiveQueueBytes,
			MaxPackets: cfg.ReceiveQueuePackets,
			Policy:     ringbuf.Block,
		}, peer.ErrUnavailable),
	}
	if tr != nil {
		c.oldPaths = []io.Closer{tr, udp}
		la, ra := udp.LocalAddr(), qc.RemoteAddr()
		c.localAddr.Store(&la)
		c.remoteAddr.Store(&ra)
	}
	c.mode.Store(int32(TransferModeReliable))
	c.lastMode.Store(int32(TransferModeReliable))
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(1)
	go c.readStream()
	if c.dgram {
		c.wg.Add(1)
		go c.readDatagrams()
	}
	return c
}

// readStream moves reliable frames from the stream to the receive queue.
// Block policy: when the queue is full it stops reading, and QUIC flow
// control slows the sender down.
func (c *conn) readStream() {
	defer c.wg.Done()
	d := frameDecoder{r: bufio.NewReaderSize(c.str, 16<<10), max: c.cfg.MaxPacketSize}
	const keep = 64 << 10 // a bigger buffer, grown for a big packet, is not kept
	small := make([]byte, 1, 1+min(c.cfg.MaxPacketSize, 2048))
	buf := small
	for {
		b, err := d.next(buf[:1])
		if err != nil {
			c.endRead(err)
			return
		}
		buf = b
		if cap(b) > keep {
			buf = small
		}
		if len(b) == 1 || c.closing.Load() {
			// An empty frame (the stream-opening marker), or Close is
			// waiting for the remote end: read on, to see its end.
			continue
		}
		b[0] = byte(TransferModeReliable)
		// Push fails only once the queue is closed; the next read then
		// reports why the connection ended.
		c.in.Push(c.ctx, b)
	}
}

// endRead ends the receive queue after the stream reader stopped with err.
func (c *conn) endRead(err error) {
	switch {
	case err == io.EOF:
		// The remote end closed: everything it sent has been read. Close the
		// connection, which tells its Close it can stop waiting.
		c.setEnd(io.EOF)
		c.qc.CloseWithError(0, "")
		c.in.Close(io.EOF)
	case c.closing.Load():
		c.in.Close(peer.ErrClosed)
	case errors.Is(err, peer.ErrInvalidData), errors.Is(err, io.ErrUnexpectedEOF):
		c.fail(err)
	default:
		err = connError("read", err)
		c.setEnd(err)
		if c.ln != nil && errors.Is(err, peer.ErrTimeout) {
			c.ln.stats.Drop(peer.DropExpired, c.qc.RemoteAddr(), err) // before the reads see err
		}
		c.in.Close(err)
	}
}

func (c *conn) setEnd(err error) { c.endErr.CompareAndSwap(nil, &err) }

// fail closes the connection because the remote end broke the protocol,
// telling it why with the Godot error code, and ends the receive queue.
func (c *conn) fail(err error) {
	code := quicgo.ApplicationErrorCode(peer.ErrFailed.Code())
	if ge, ok := errors.AsType[*peer.Error](err); ok {
		code = quicgo.ApplicationErrorCode(ge.Code())
	}
	c.setEnd(err)
	c.qc.CloseWithError(code, err.Error())
	c.in.Close(err)
}

var cancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// readDatagrams moves datagrams to the receive queue, dropping late ordered
// ones and, when the queue is full, new ones (never blocking: they are
// unreliable anyway).
func (c *conn) readDatagrams() {
	defer c.wg.Done()
	var order orderFilter
	for {
		d, err := c.qc.ReceiveDatagram(c.ctx)
		if err != nil {
			return // the stream reader reports why
		}
		if len(d) < datagramHeaderSize || d[0] > byte(TransferModeUnreliableOrdered) {
			c.fail(&peer.OpError{Op: "read datagram", Transport: "quic", Code: peer.ErrInvalidData,
				Detail: fmt.Sprintf("datagram of %d bytes with an invalid header %x", len(d), d[:min(len(d), datagramHeaderSize)])})
			return
		}
		mode := TransferMode(d[0])
		if mode == TransferModeUnreliableOrdered && !order.accept(datagramSeq(d)) {
			c.droppedLate.Add(1)
			continue
		}
		if len(d) == datagramHeaderSize {
			continue // empty packets are never sent; ignore
		}
		q := d[datagramHeaderSize-1:]
		q[0] = byte(mode)
		if err := c.in.Push(cancelled, q); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			c.droppedFull.Add(1)
		}
	}
}

func (c *conn) PutPacket(p []byte) error { return c.put(p, TransferMode(c.mode.Load())) }

// TransportName implements peer.Namer.
func (c *conn) TransportName() string { return "quic" }

// PeerStats implements peer.StatsReporter: received datagrams dropped
// because the receive queue was full (DroppedFull) or because a later
// ordered one had arrived (DroppedLate).
func (c *conn) PeerStats() peer.PeerStats {
	return peer.PeerStats{DroppedFull: c.droppedFull.Load(), DroppedLate: c.droppedLate.Load()}
}

// WritePacket implements peer.ContextWriter: a reliable packet waits for
// flow control until ctx ends. An unreliable one never waits long (see
// putDatagram) and is put as PutPacket does.
func (c *conn) WritePacket(ctx context.Context, p []byte) error {
	mode := TransferMode(c.mode.Load())
	if mode != TransferModeReliable || ctx.Done() == nil {
		return c.put(p, mode)
	}
	return c.putReliableContext(ctx, p)
}

// putReliableContext is putReliable bounded by ctx through the stream's
// write deadline. When ctx ends before any byte of the packet was written
// nothing was sent and the connection stays usable; when it ends inside the
// packet the framing is broken, so the connection is closed.
func (c *conn) putReliableContext(ctx context.Context, p []byte) error {
	if len(p) > c.cfg.MaxPacketSize {
		return &peer.OpError{Op: "write packet", Transport: "quic", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds max packet size %d", len(p), c.cfg.MaxPacketSize)}
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if d, ok := ctx.Deadline(); ok {
		c.str.SetWriteDeadline(d)
	}
	expired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.str.SetWriteDeadline(time.Unix(1, 0))
		close(expired)
	})
	var n, m int
	var err error
	if len(p) <= copyLimit {
		c.wbuf = appendFrame(c.wbuf[:0], p)
		n, err = c.str.Write(c.wbuf)
	} else {
		c.wbuf = binary.LittleEndian.AppendUint32(c.wbuf[:0], uint32(len(p)))
		if n, err = c.str.Write(c.wbuf); err == nil {
			m, err = c.str.Write(p)
		}
	}
	if !stop() {
		<-expired
	}
	c.str.SetWriteDeadline(time.Time{})
	if err == nil {
		return nil
	}
	// quic-go's deadline can fire a moment before ctx's own timer.
	deadline := errors.Is(err, os.ErrDeadlineExceeded) && !c.closing.Load()
	if ctx.Err() == nil && !deadline {
		return c.writeError(err)
	}
	if n+m > 0 {
		cut := &peer.OpError{Op: "write packet", Transport: "quic", Code: peer.ErrConnectionError,
			Detail: fmt.Sprintf("the context ended after %d of %d bytes of a packet; the connection is closed", n+m, len(p)+4)}
		c.fail(cut)
	}
	if err := ctx.Err(); err != nil {
		return err // peer.Peer adds ErrTimeout
	}
	return context.DeadlineExceeded
}

func (c *conn) put(p []byte, mode TransferMode) error {
	if mode == TransferModeReliable {
		return c.putReliable(p)
	}
	return c.putDatagram(p, mode)
}

func (c *conn) putReliable(p []byte) error {
	if len(p) > c.cfg.MaxPacketSize {
		return &peer.OpError{Op: "put packet", Transport: "quic", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds max packet size %d", len(p), c.cfg.MaxPacketSize)}
	}
	c.writeMu.Lock()
	var err error
	if len(p) <= copyLimit {
		c.wbuf = appendFrame(c.wbuf[:0], p)
		_, err = c.str.Write(c.wbuf)
	} else {
		c.wbuf = binary.LittleEndian.AppendUint32(c.wbuf[:0], uint32(len(p)))
		if _, err = c.str.Write(c.wbuf); err == nil {
			_, err = c.str.Write(p)
		}
	}
	c.writeMu.Unlock()
	if err != nil {
		return c.writeError(err)
	}
	return nil
}

// maxQUICDatagram bounds any QUIC datagram quic-go can send (its largest
// packet is 1452 bytes); bigger packets fail without being copied.
const maxQUICDatagram = 1500

func (c *conn) putDatagram(p []byte, mode TransferMode) error {
	if !c.dgram {
		return &peer.OpError{Op: "put packet", Transport: "quic", Code: peer.ErrUnavailable,
			Detail: mode.String() + " needs QUIC datagrams, which are disabled at one end (Config.DisableDatagrams)"}
	}
	if len(p)+datagramHeaderSize > maxQUICDatagram {
		return c.tooLarge(len(p), c.maxDatagramSize())
	}
	// One buffer per connection: quic-go's datagram queue serialises
	// senders anyway, and SendDatagram copies the bytes.
	c.dgramMu.Lock()
	b := append(c.dgramBuf[:datagramHeaderSize], p...)
	seq := uint32(0)
	if mode == TransferModeUnreliableOrdered {
		seq = c.seq
	}
	putDatagramHeader(b, mode, seq)
	err := c.qc.SendDatagram(b)
	if err == nil && mode == TransferModeUnreliableOrdered {
		c.seq = (c.seq + 1) & seqMask
	}
	c.dgramBuf = b
	c.dgramMu.Unlock()
	if err != nil {
		if tl, ok := errors.AsType[*quicgo.DatagramTooLargeError](err); ok {
			return c.tooLarge(len(p), int(tl.MaxDatagramPayloadSize)-datagramHeaderSize)
		}
		return c.writeError(err)
	}
	return nil
}

func (c *conn) tooLarge(n, limit int) error {
	return &peer.OpError{Op: "put packet", Transport: "quic", Code: peer.ErrInvalidParameter,
		Detail: fmt.Sprintf("unreliable packet of %d bytes exceeds max datagram size %d; send it reliably", n, max(limit, 0))}
}

// probe is larger than any QUIC datagram, so SendDatagram refuses it and
// reports the current limit. Its first byte is an invalid mode, should it
// ever be sent.
var probe = func() []byte {
	b := make([]byte, 2*maxQUICDatagram)
	b[0] = 0xff
	return b
}()

func (c *conn) maxDatagramSize() int {
	if !c.dgram {
		return 0
	}
	if tl, ok := errors.AsType[*quicgo.DatagramTooLargeError](c.qc.SendDatagram(probe)); ok {
		return max(int(tl.MaxDatagramPayloadSize)-datagramHeaderSize, 0)
	}
	return 0
}

func (c *conn) migrate(ctx context.Context) error {
	if c.tr == nil {
		return &peer.OpError{Op: "migrate", Transport: "quic", Code: peer.ErrUnavailable, Detail: "only a dialled (client) connection can migrate"}
	}
	c.migrateMu.Lock()
	defer c.migrateMu.Unlock()
	if c.closing.Load() {
		return &peer.OpError{Op: "migrate", Transport: "quic", Err: peer.ErrClosed}
	}
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return &peer.OpError{Op: "migrate", Transport: "quic", Code: peer.ErrCantCreate, Err: err}
	}
	tr := &quicgo.Transport{Conn: udp}
	// Closing a Transport kills the connections it carries, so every one
	// used is kept until Close.
	c.oldPaths = append(c.oldPaths, tr, udp)
	path, err := c.qc.AddPath(tr)
	if err == nil {
		if err = path.Probe(ctx); err == nil {
			err = path.Switch()
		}
		if err != nil {
			path.Close()
		}
	}
	if err != nil {
		return &peer.OpError{Op: "migrate", Transport: "quic", Code: peer.ErrCantConnect, Err: err}
	}
	la := udp.LocalAddr()
	c.localAddr.Store(&la)
	return nil
}

func (c *conn) writeError(err error) error {
	if c.closing.Load() {
		return &peer.OpError{Op: "put packet", Transport: "quic", Err: peer.ErrClosed}
	}
	if e := c.endErr.Load(); e != nil {
		return *e
	}
	return connError("put packet", err)
}

// connError maps a quic-go connection error to one matching Godot's codes:
// the remote end's normal close is io.EOF, an idle or handshake timeout
// matches peer.ErrTimeout, a close with a Godot code matches that code, and
// anything else matches peer.ErrConnectionError.
func connError(op string, err error) error {
	if ae, ok := errors.AsType[*quicgo.ApplicationError](err); ok {
		if ae.ErrorCode == 0 {
			if ae.Remote {
				return io.EOF
			}
			return &peer.OpError{Op: op, Transport: "quic", Err: peer.ErrClosed}
		}
		detail := "connection closed by the remote end"
		if !ae.Remote {
			detail = "connection closed"
		}
		if ae.ErrorMessage != "" {
			detail += ": " + ae.ErrorMessage
		}
		if ge := peer.ErrorFromCode(int(ae.ErrorCode)); ge != nil {
			return &peer.OpError{Op: op, Transport: "quic", Code: ge, Detail: detail}
		}
		return &peer.OpError{Op: op, Transport: "quic", Code: peer.ErrConnectionError, Detail: fmt.Sprintf("%s (code %d)", detail, ae.ErrorCode)}
	}
	if te, ok := errors.AsType[*quicgo.TransportError](err); ok {
		if te.ErrorCode == quicgo.ConnectionRefused {
			return &peer.OpError{Op: op, Transport: "quic", Code: peer.ErrCantConnect,
				Detail: "the server refused the connection (too many connections waiting to be accepted?)", Err: err}
		}
		return &peer.OpError{Op: op, Transport: "quic", Code: peer.ErrConnectionError, Err: err}
	}
	if _, ok := errors.AsType[*quicgo.IdleTimeoutError](err); ok {
		return &peer.OpError{Op: op, Transport: "quic", Code: peer.ErrTimeout, Detail: "nothing received within the idle timeout", Err: err}
	}
	if _, ok := errors.AsType[*quicgo.HandshakeTimeoutError](err); ok {
		return &peer.OpError{Op: op, Transport: "quic", Code: peer.ErrTimeout, Err: err}
	}
	if errors.Is(err, peer.ErrClosed) {
		return &peer.OpError{Op: op, Transport: "quic", Err: peer.ErrClosed}
	}
	return &peer.OpError{Op: op, Transport: "quic", Code: peer.ErrConnectionError, Err: err}
}

// GetPacket pops the next record: its mode byte, then the packet.
func (c *conn) GetPacket() ([]byte, error) {
	b, err := c.in.GetPacket()
	if err != nil {
		return nil, err
	}
	c.lastMode.Store(int32(b[0]))
	return b[1:], nil
}

func (c *conn) WaitPacket(ctx context.Context) error { return c.in.WaitPacket(ctx) }

func (c *conn) AvailablePacketCount() int { return c.in.Len() }

// MaxPacketSize is the limit of the peer's current transfer mode.
func (c *conn) MaxPacketSize() int {
	if TransferMode(c.mode.Load()) == TransferModeReliable {
		return c.cfg.MaxPacketSize
	}
	return c.maxDatagramSize()
}

// Close ends the reliable stream, waits up to CloseTimeout for the remote end
// to read it and close the connection, then closes the connection and waits
// for the readers to stop.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.in.Close(peer.ErrClosed) // wakes waiting reads now, not after the linger
		if linger := c.cfg.CloseTimeout; linger > 0 && !c.noLinger.Load() {
			deadline := time.Now().Add(linger)
			// A write blocked by flow control gives up at the deadline.
			c.str.SetWriteDeadline(deadline)
			c.writeMu.Lock()
			err := c.str.Close() // FIN after everything written
			c.writeMu.Unlock()
			if err == nil {
				t := time.NewTimer(time.Until(deadline))
				select {
				case <-c.qc.Context().Done():
				case <-t.C:
				}
				t.Stop()
			}
		}
		c.qc.CloseWithError(0, "")
		c.cancel()
		c.wg.Wait()
		if c.tr != nil {
			c.migrateMu.Lock()
			for _, cl := range c.oldPaths {
				cl.Close()
			}
			c.migrateMu.Unlock()
		}
		if c.ln != nil {
			c.ln.untrack(c)
		}
	})
	return nil
}
