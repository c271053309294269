package dtls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pdtls "github.com/pion/dtls/v3"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
	"github.com/packetpeer/packetpeer/peer"
)

// Peer is one DTLS connection, client or server side: Godot's
// PacketPeerDTLS. The embedded *peer.Peer gives PutPacket, GetPacket,
// PutVar, GetVar, ReadPacket, ReadVar and the rest; every packet is one DTLS
// record. A Peer is safe for concurrent use.
type Peer struct {
	*peer.Peer
	c *conn
}

// Status returns Godot's connection status: StatusConnected after Dial or
// Accept, StatusDisconnected after Close or once the other side sent
// close_notify, StatusError after a fatal read error.
func (p *Peer) Status() Status {
	if p.IsClosed() {
		return StatusDisconnected
	}
	return Status(p.c.status.Load())
}

// LocalAddr returns the local UDP address.
func (p *Peer) LocalAddr() net.Addr { return p.c.local }

// RemoteAddr returns the other side's UDP address.
func (p *Peer) RemoteAddr() net.Addr { return p.c.remote }

// TransportName implements peer.Namer.
func (c *conn) TransportName() string { return "dtls" }

// PeerStats implements peer.StatsReporter: (*Peer).PeerStats().DroppedFull
// counts the packets dropped because the receive queue was full.
func (c *conn) PeerStats() peer.PeerStats { return peer.PeerStats{DroppedFull: c.Inbox.Dropped()} }

// ConnectionState returns pion's view of the connection: cipher suite,
// peer certificates, and so on.
func (p *Peer) ConnectionState() (pdtls.State, bool) { return p.c.dc.ConnectionState() }

// conn is the peer.Transport over one handshaken pion connection. A reader
// goroutine moves decrypted records into a bounded ring.
type conn struct {
	dc *pdtls.Conn
	*ringbuf.Inbox
	max    int
	local  net.Addr
	remote net.Addr
	status atomic.Int32
	done   chan struct{} // reader exited
	hooks  peerHooks
	idle   time.Duration // Config.IdleTimeout; 0: none

	// expired is the error puts return once IdleTimeout dropped the
	// connection.
	expired atomic.Pointer[peer.OpError]

	closeOnce sync.Once
}

// peerHooks are a Listener's bookkeeping for its peers; nil for Dial.
type peerHooks struct {
	closed  func()          // run once by Close
	expired func(err error) // run when IdleTimeout drops the connection
}

func newPeer(dc *pdtls.Conn, cfg *Config, hooks peerHooks) *Peer {
	c := &conn{
		dc:     dc,
		Inbox:  ringbuf.NewInbox(ringbuf.Config{MaxBytes: cfg.ReceiveQueueBytes, MaxPackets: cfg.ReceiveQueuePackets, Policy: ringbuf.DropNewest}, peer.ErrUnavailable),
		max:    cfg.MaxPacketSize,
		local:  dc.LocalAddr(),
		remote: dc.RemoteAddr(),
		done:   make(chan struct{}),
		hooks:  hooks,
		idle:   cfg.IdleTimeout,
	}
	c.status.Store(int32(StatusConnected))
	go c.readLoop()
	return &Peer{Peer: peer.New(c), c: c}
}

// readLoop moves records from pion into the ring until the connection ends.
func (c *conn) readLoop() {
	defer close(c.done)
	// pion refuses a read buffer smaller than the record; 16 KiB is the
	// largest DTLS record plaintext.
	buf := make([]byte, 1<<14)
	// With an IdleTimeout, pion's read deadline is pushed back to
	// 1.25*idle after the latest packet, at most every idle/4: a
	// connection expires between idle and 1.25*idle after its last packet.
	var armed time.Time
	if c.idle > 0 {
		armed = time.Now()
		_ = c.dc.SetReadDeadline(armed.Add(c.idle + c.idle/4))
	}
	for {
		n, err := c.dc.Read(buf)
		if err != nil {
			if c.idle > 0 && isTimeout(err) && Status(c.status.Load()) == StatusConnected {
				c.expire()
				return
			}
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, pdtls.ErrConnClosed) {
				// close_notify from the other side: drain, then io.EOF.
				// (After our own Close the queue has ended already.)
				c.status.CompareAndSwap(int32(StatusConnected), int32(StatusDisconnected))
				c.Inbox.Close(io.EOF)
				return
			}
			if isFatal(err) {
				c.status.Store(int32(StatusError))
				c.Inbox.Close(&peer.OpError{Op: "read packet", Transport: "dtls", Code: peer.ErrConnectionError, Err: err})
				return
			}
			// pion passes non-fatal errors (a bad record, a warning
			// alert, an ICMP error) and keeps the connection: go on.
			continue
		}
		if c.idle > 0 {
			if now := time.Now(); now.Sub(armed) >= c.idle/4 {
				armed = now
				_ = c.dc.SetReadDeadline(now.Add(c.idle + c.idle/4))
			}
		}
		if n == 0 {
			continue
		}
		// DropNewest: a full queue drops the packet and counts it.
		_ = c.Inbox.Push(context.Background(), buf[:n])
	}
}

// expire ends a connection from which no packet came for IdleTimeout: its
// queue ends with a timeout once drained, its puts fail with the same
// error, and the pion connection is closed (a Listener then takes the
// remote's next ClientHello as a new connection).
func (c *conn) expire() {
	detail := fmt.Sprintf("no packet from %s for %s (IdleTimeout)", c.remote, c.idle)
	c.expired.Store(&peer.OpError{Op: "put packet", Transport: "dtls", Code: peer.ErrTimeout, Detail: detail})
	c.status.Store(int32(StatusDisconnected))
	err := &peer.OpError{Op: "read packet", Transport: "dtls", Code: peer.ErrTimeout, Detail: detail}
	if c.hooks.expired != nil {
		c.hooks.expired(err) // counted before a reader wakes
	}
	c.Inbox.Close(err)
	_ = c.dc.Close()
}

// isFatal reports whether pion's error ends the connection.
func isFatal(err error) bool {
	var fe *pdtls.FatalError
	return errors.As(err, &fe)
}

func (c *conn) PutPacket(p []byte) error {
	if e := c.expired.Load(); e != nil {
		return e
	}
	if len(p) > c.max {
		return &peer.OpError{Op: "put packet", Transport: "dtls", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds max packet size %d", len(p), c.max)}
	}
	if Status(c.status.Load()) != StatusConnected {
		return &peer.OpError{Op: "put packet", Transport: "dtls", Code: peer.ErrConnectionError, Detail: "connection closed by the other side"}
	}
	if _, err := c.dc.Write(p); err != nil {
		return &peer.OpError{Op: "put packet", Transport: "dtls", Code: peer.ErrConnectionError, Err: err}
	}
	return nil
}

func (c *conn) MaxPacketSize() int { return c.max }

// Close sends close_notify (pion does so for an established connection) and
// waits for the reader to exit.
func (c *conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.status.Store(int32(StatusDisconnected))
		// End the queue first, so that a waiting read gets net.ErrClosed
		// rather than the io.EOF the reader reports once pion is closed.
		c.Inbox.Close(nil)
		err = c.dc.Close()
		<-c.done
		if c.hooks.closed != nil {
			c.hooks.closed()
		}
	})
	if errors.Is(err, net.ErrClosed) || errors.Is(err, pdtls.ErrConnClosed) {
		err = nil
	}
	return err
}
