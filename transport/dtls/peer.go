package dtls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

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

// DroppedPackets returns how many received packets were discarded because
// the receive queue was full.
func (p *Peer) DroppedPackets() uint64 { return p.c.Inbox.Dropped() }

// TransportName implements peer.Namer.
func (c *conn) TransportName() string { return "dtls" }

// PeerStats implements peer.StatsReporter.
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
	onDone func()        // run once by Close (listener bookkeeping)

	closeOnce sync.Once
}

func newPeer(dc *pdtls.Conn, cfg *config, onClose func()) *Peer {
	c := &conn{
		dc:     dc,
		Inbox:  ringbuf.NewInbox(ringbuf.Config{MaxBytes: cfg.queueBytes, MaxPackets: cfg.queuePackets, Policy: ringbuf.DropNewest}, peer.ErrUnavailable),
		max:    cfg.maxPacketSize,
		local:  dc.LocalAddr(),
		remote: dc.RemoteAddr(),
		done:   make(chan struct{}),
		onDone: onClose,
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
	for {
		n, err := c.dc.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, pdtls.ErrConnClosed) {
				// close_notify from the other side (or our own Close): drain, then io.EOF.
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
		if n == 0 {
			continue
		}
		// DropNewest: a full queue drops the packet and counts it.
		_ = c.Inbox.Push(context.Background(), buf[:n])
	}
}

// isFatal reports whether pion's error ends the connection.
func isFatal(err error) bool {
	var fe *pdtls.FatalError
	return errors.As(err, &fe)
}

func (c *conn) PutPacket(p []byte) error {
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
		err = c.dc.Close()
		<-c.done
		c.Inbox.Close(nil)
		if c.onDone != nil {
			c.onDone()
		}
	})
	if errors.Is(err, net.ErrClosed) || errors.Is(err, pdtls.ErrConnClosed) {
		err = nil
	}
	return err
}
