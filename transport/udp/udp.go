package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/packetpeer/packetpeer/internal/ringbuf"
	"github.com/packetpeer/packetpeer/internal/udpsock"
	"github.com/packetpeer/packetpeer/peer"
)

// Stats are a peer's counters since it was opened. The embedded
// peer.PeerStats (what PeerStats returns) counts the datagrams dropped:
// DroppedFull because the receive ring was full, DroppedOversize because
// they exceeded MaxPacketSize; DroppedLate stays 0.
type Stats struct {
	peer.PeerStats
	PacketsReceived uint64 // datagrams queued for GetPacket
	BytesReceived   uint64 // payload bytes of those
	PacketsSent     uint64 // successful PutPacket calls
	BytesSent       uint64 // payload bytes of those
	ReadErrors      uint64 // transient socket read errors (e.g. ECONNREFUSED after an ICMP port unreachable)
	Queued          int    // packets queued now (AvailablePacketCount)
}

type counters struct {
	pktIn, bytesIn, pktOut, bytesOut, dropFull, dropBig, readErr atomic.Uint64
}

// Peer is Godot's PacketPeerUDP: a UDP socket whose datagrams are packets.
// It embeds *peer.Peer for PutPacket, GetPacket, PutVar, GetVar, ReadPacket
// and the rest; the methods below are the UDP-specific ones. Make one with
// Bind, Dial or Listener.Accept.
type Peer struct {
	*peer.Peer
	t *transport
}

// transport implements peer.Transport for the three kinds of UDP peer: a
// bound socket (Bind), a kernel-connected socket (Dial), and a peer sharing a
// Listener's socket.
type transport struct {
	conn      *net.UDPConn
	remote    atomic.Pointer[netip.AddrPort] // non-nil when connected: one remote only
	key       netip.AddrPort                 // a Listener peer's remote, its key in the Listener
	listener  *Listener                      // non-nil for a Listener peer (shares conn)
	dest      atomic.Pointer[netip.AddrPort]
	maxPacket int
	ring      *ringbuf.Buffer
	stats     counters
	pp        *peer.Peer

	readMu  sync.Mutex
	readBuf []byte
	last    netip.AddrPort

	closed     atomic.Bool
	readerDone chan struct{} // closed when the reader goroutine ends; nil for Listener peers

	// A Listener peer's last datagram (the Listener's expiry tick then),
	// under the Listener's mu; expired is the error its puts return once the
	// Listener dropped it as idle.
	seen    uint64
	expired atomic.Pointer[peer.OpError]

	direct *directState // non-nil for a Dial peer without Config.BackgroundRead: no reader goroutine
	sockMu sync.Mutex   // held while reading the socket directly
}

var errNoPacket = &peer.OpError{Op: "get packet", Transport: "udp", Code: peer.ErrUnavailable, Detail: "no packet queued"}

func newRing(cfg *Config) *ringbuf.Buffer {
	size := ringBytes(cfg.ReceiveQueueBytes, cfg.MaxPacketSize)
	return ringbuf.New(ringbuf.Config{MaxBytes: size, MaxPackets: maxPackets(cfg, size), Policy: ringbuf.DropNewest})
}

// maxPackets is a ring's packet bound: ReceiveQueuePackets, or one that
// never binds before the byte bound, as in Godot.
func maxPackets(cfg *Config, ringSize int) int {
	if cfg.ReceiveQueuePackets > 0 {
		return cfg.ReceiveQueuePackets
	}
	return ringSize / (recordHeader + 4)
}

// newListenerRing is a Listener peer's ring: as large as newRing's at
// most, but grown from listenerFirstRing as packets need room, so an idle
// peer costs what it has queued.
func newListenerRing(cfg *Config) *ringbuf.Buffer {
	size := ringBytes(cfg.ReceiveQueueBytes, cfg.MaxPacketSize)
	return ringbuf.New(ringbuf.Config{MaxBytes: size, MaxPackets: maxPackets(cfg, size), Policy: ringbuf.DropNewest,
		InitialBytes: min(listenerFirstRing, size)})
}

func newPeer(t *transport) *Peer {
	t.pp = peer.New(t)
	return &Peer{Peer: t.pp, t: t}
}

// normalize maps Godot's "*" wildcard host to Go's empty host.
func normalize(addr string) string {
	if addr == "" || addr == "*" {
		return ":0"
	}
	if rest, ok := strings.CutPrefix(addr, "*:"); ok {
		return ":" + rest
	}
	return addr
}

func control(cfg *Config, listener bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var err error
		cerr := c.Control(func(fd uintptr) {
			if err = setBroadcast(fd, cfg.Broadcast); err != nil {
				return
			}
			if listener && cfg.ReuseAddress {
				err = setReuseAddr(fd)
			}
		})
		if cerr != nil {
			return cerr
		}
		return err
	}
}

func setBuffers(conn *net.UDPConn, cfg *Config) error {
	if cfg.SocketBuffer <= 0 {
		return nil
	}
	if err := conn.SetReadBuffer(cfg.SocketBuffer); err != nil {
		return err
	}
	return conn.SetWriteBuffer(cfg.SocketBuffer)
}

// Bind opens a UDP socket on addr (Godot's bind): "host:port", where an
// empty host or "*" means every address (a dual-stack socket) and port 0 an
// ephemeral port, e.g. ":4242", "*:4242", "127.0.0.1:0". It accepts datagrams
// from anyone; PacketAddr tells who sent the last one. Set a destination
// with SetDestAddress before PutPacket. Errors match ErrAlreadyInUse (port
// taken), ErrInvalidParameter (bad address) or ErrCantCreate.
func Bind(addr string, cfg *Config) (*Peer, error) {
	c := cfg.withDefaults()
	lc := net.ListenConfig{Control: control(&c, false)}
	pc, err := lc.ListenPacket(context.Background(), "udp", normalize(addr))
	if err != nil {
		return nil, &peer.OpError{Op: "bind", Transport: "udp", Code: openCode(err), Err: err, Detail: addr}
	}
	conn := pc.(*net.UDPConn)
	if err := setBuffers(conn, &c); err != nil {
		conn.Close()
		return nil, &peer.OpError{Op: "bind", Transport: "udp", Code: peer.ErrCantCreate, Err: err, Detail: addr + ": socket buffer"}
	}
	return start(conn, &c, false, netip.AddrPort{}), nil
}

// Dial opens a UDP socket connected to addr ("host:port"; the host is
// resolved with ctx), Godot's connect_to_host. The kernel then delivers only
// datagrams from that remote, and PutPacket sends to it. Config.LocalAddr
// picks the local address and port. Errors match ErrCantResolve (unknown
// name), ErrInvalidParameter (bad address or port 0), ErrAlreadyInUse
// (LocalAddr taken) or ErrCantConnect.
func Dial(ctx context.Context, addr string, cfg *Config) (*Peer, error) {
	c := cfg.withDefaults()
	d := net.Dialer{Control: control(&c, false)}
	if c.LocalAddr != "" {
		la, err := net.ResolveUDPAddr("udp", normalize(c.LocalAddr))
		if err != nil {
			return nil, &peer.OpError{Op: "dial", Transport: "udp", Code: peer.ErrInvalidParameter, Err: err, Detail: addr + ": local address"}
		}
		d.LocalAddr = la
	}
	nc, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, &peer.OpError{Op: "dial", Transport: "udp", Code: dialCode(err), Err: err, Detail: addr}
	}
	conn := nc.(*net.UDPConn)
	if err := setBuffers(conn, &c); err != nil {
		conn.Close()
		return nil, &peer.OpError{Op: "dial", Transport: "udp", Code: peer.ErrCantCreate, Err: err, Detail: addr + ": socket buffer"}
	}
	remote := conn.RemoteAddr().(*net.UDPAddr).AddrPort()
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	if remote.Port() == 0 || remote.Addr().IsUnspecified() {
		conn.Close()
		return nil, &peer.OpError{Op: "dial", Transport: "udp", Code: peer.ErrInvalidParameter, Detail: "remote " + remote.String() + " needs a port in 1..65535 and a specified address"}
	}
	return start(conn, &c, true, remote), nil
}

// dialCode is Godot's error for a failed dial.
func dialCode(err error) *peer.Error {
	var de *net.DNSError
	switch {
	case errors.As(err, &de):
		return peer.ErrCantResolve
	case errors.Is(err, syscall.EADDRINUSE):
		return peer.ErrAlreadyInUse
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return peer.ErrTimeout
	}
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return peer.ErrInvalidParameter
	}
	return peer.ErrCantConnect
}

// openCode is Godot's error for a socket that could not be opened.
func openCode(err error) *peer.Error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return peer.ErrAlreadyInUse
	}
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return peer.ErrInvalidParameter
	}
	return peer.ErrCantCreate
}

func start(conn *net.UDPConn, c *Config, connected bool, remote netip.AddrPort) *Peer {
	t := &transport{
		conn:       conn,
		maxPacket:  c.MaxPacketSize,
		ring:       newRing(c),
		readerDone: make(chan struct{}),
	}
	if connected {
		t.remote.Store(&remote)
	}
	p := newPeer(t)
	rd, err := udpsock.NewReader(conn, udpsock.Config{Headroom: recordHeader, MaxPacketSize: c.MaxPacketSize,
		Batch: max(1, min(udpsock.DefaultBatch, peerReadBytes/(recordHeader+c.MaxPacketSize)))})
	if err != nil {
		// A *net.UDPConn always has a syscall.RawConn.
		t.ring.Close(&peer.OpError{Op: "read packet", Transport: "udp", Code: peer.ErrConnectionError, Err: err})
		close(t.readerDone)
		return p
	}
	if connected && !c.BackgroundRead && t.setupDirect(rd) {
		close(t.readerDone)
		return p
	}
	go t.readLoop(rd)
	return p
}

// readLoop moves datagrams from the socket into the ring until Close,
// reading many per system call when many wait.
func (t *transport) readLoop(rd *udpsock.Reader) {
	defer close(t.readerDone)
	for {
		ms, err := rd.Read()
		if err != nil {
			if t.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			if transientReadError(err) {
				t.stats.readErr.Add(1)
				continue
			}
			t.ring.Close(&peer.OpError{Op: "read packet", Transport: "udp", Code: peer.ErrConnectionError, Err: err})
			return
		}
		r := t.remote.Load()
		for i := range ms {
			m := &ms[i]
			if r != nil && (r.Port() != m.Addr.Port() || r.Addr().WithZone("") != m.Addr.Addr().WithZone("")) {
				// Read just before ConnectToHost connected the socket.
				continue
			}
			t.receive(m.Buf, m.N, m.Addr)
		}
	}
}

func transientReadError(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOBUFS)
}

// receive queues the datagram in buf[recordHeader:recordHeader+n] from src.
func (t *transport) receive(buf []byte, n int, src netip.AddrPort) {
	if n > t.maxPacket {
		t.stats.dropBig.Add(1)
		return
	}
	putRecordHeader(buf, src)
	switch err := t.ring.Push(context.Background(), buf[:recordHeader+n]); err {
	case nil:
		t.stats.pktIn.Add(1)
		t.stats.bytesIn.Add(uint64(n))
	case ringbuf.ErrFull, ringbuf.ErrTooLarge:
		t.stats.dropFull.Add(1)
	}
}

func (t *transport) PutPacket(p []byte) error {
	if e := t.expired.Load(); e != nil {
		return e
	}
	if len(p) > t.maxPacket {
		return &peer.OpError{Op: "put packet", Transport: "udp", Code: peer.ErrInvalidParameter,
			Detail: fmt.Sprintf("packet of %d bytes exceeds max packet size %d", len(p), t.maxPacket)}
	}
	var err error
	switch {
	case t.listener != nil && t.listener.cfg.Polled:
		t.listener.sock.Enqueue(p, t.key) // sent by the next Poll
	case t.listener != nil:
		err = t.listener.sock.WriteTo(p, t.key)
	case t.remote.Load() != nil:
		_, err = t.conn.Write(p)
	default:
		d := t.dest.Load()
		if d == nil {
			return &peer.OpError{Op: "put packet", Transport: "udp", Code: peer.ErrUnconfigured, Detail: "no destination address (call SetDestAddress)"}
		}
		_, err = t.conn.WriteToUDPAddrPort(p, *d)
	}
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return &peer.OpError{Op: "put packet", Transport: "udp", Err: peer.ErrClosed}
		}
		return &peer.OpError{Op: "put packet", Transport: "udp", Code: peer.ErrFailed, Err: err}
	}
	t.stats.pktOut.Add(1)
	t.stats.bytesOut.Add(uint64(len(p)))
	return nil
}

func (t *transport) GetPacket() ([]byte, error) {
	if t.direct != nil && t.ring.Len() == 0 {
		t.drain()
	}
	t.readMu.Lock()
	defer t.readMu.Unlock()
	b, err := t.ring.TryPop(t.readBuf)
	if err != nil {
		if err == ringbuf.ErrEmpty {
			return nil, errNoPacket
		}
		return nil, err
	}
	t.readBuf = b
	src, payload, err := decodeRecord(b)
	if err != nil {
		return nil, err
	}
	t.last = src
	return payload, nil
}

func (t *transport) WaitPacket(ctx context.Context) error {
	if t.direct != nil {
		return t.waitDirect(ctx)
	}
	return t.ring.Wait(ctx)
}

func (t *transport) AvailablePacketCount() int {
	if t.direct != nil {
		t.drain()
	}
	return t.ring.Len()
}

func (t *transport) MaxPacketSize() int { return t.maxPacket }

// TransportName implements peer.Namer.
func (t *transport) TransportName() string { return "udp" }

// PeerStats implements peer.StatsReporter, polling the socket first as
// AvailablePacketCount does.
func (t *transport) PeerStats() peer.PeerStats {
	if t.direct != nil && !t.closed.Load() {
		t.drain()
	}
	return peer.PeerStats{DroppedFull: t.stats.dropFull.Load(), DroppedOversize: t.stats.dropBig.Load()}
}

func (t *transport) Close() error {
	if !t.closed.CompareAndSwap(false, true) {
		return nil
	}
	t.ring.Close(nil)
	if t.listener != nil {
		t.listener.unregister(t)
		return nil
	}
	err := t.conn.Close()
	<-t.readerDone
	return err
}

// socket returns the socket this peer sends on (a Listener's for its peers).
func (t *transport) socket() *net.UDPConn {
	if t.listener != nil {
		return t.listener.conn
	}
	return t.conn
}

// PacketAddr returns the source of the packet last returned by GetPacket,
// ReadPacket, GetVar or ReadVar (Godot's get_packet_ip and get_packet_port
// together). IPv4 senders are reported as IPv4 addresses, also on
// dual-stack sockets. It is the zero AddrPort before the first packet.
func (p *Peer) PacketAddr() netip.AddrPort {
	p.t.readMu.Lock()
	defer p.t.readMu.Unlock()
	return p.t.last
}

// PacketIP returns the source IP of the last packet read, as text (Godot's
// get_packet_ip); "" before the first packet.
func (p *Peer) PacketIP() string {
	a := p.PacketAddr()
	if !a.IsValid() {
		return ""
	}
	return a.Addr().String()
}

// PacketPort returns the source port of the last packet read (Godot's
// get_packet_port); 0 before the first packet.
func (p *Peer) PacketPort() int { return int(p.PacketAddr().Port()) }

// SetDestAddress sets where PutPacket sends (Godot's set_dest_address). host
// is an IP literal or a name, resolved now. It fails with ErrLocked on a
// connected peer (from Dial or a Listener), whose destination is fixed,
// ErrInvalidParameter for a port outside 1..65535 and ErrCantResolve when
// the name does not resolve.
func (p *Peer) SetDestAddress(host string, port int) error {
	if r := p.t.remote.Load(); r != nil {
		return &peer.OpError{Op: "set dest address", Transport: "udp", Code: peer.ErrLocked, Detail: "the socket is connected to " + r.String()}
	}
	if port < 1 || port > 65535 {
		return &peer.OpError{Op: "set dest address", Transport: "udp", Code: peer.ErrInvalidParameter, Detail: "port " + strconv.Itoa(port) + " is outside 1..65535"}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		ua, rerr := net.ResolveUDPAddr("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if rerr != nil {
			return &peer.OpError{Op: "set dest address", Transport: "udp", Code: peer.ErrCantResolve, Err: rerr, Detail: strconv.Quote(host)}
		}
		addr = ua.AddrPort().Addr()
	}
	return p.SetDestAddrPort(netip.AddrPortFrom(addr, uint16(port)))
}

// SetDestAddrPort is SetDestAddress for an already parsed address.
func (p *Peer) SetDestAddrPort(ap netip.AddrPort) error {
	if r := p.t.remote.Load(); r != nil {
		return &peer.OpError{Op: "set dest address", Transport: "udp", Code: peer.ErrLocked, Detail: "the socket is connected to " + r.String()}
	}
	if !ap.IsValid() || ap.Port() == 0 {
		return &peer.OpError{Op: "set dest address", Transport: "udp", Code: peer.ErrInvalidParameter, Detail: "invalid address " + ap.String()}
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	p.t.dest.Store(&ap)
	return nil
}

// DestAddr returns where PutPacket sends: the remote of a connected peer,
// the address set with SetDestAddress, or the zero AddrPort.
func (p *Peer) DestAddr() netip.AddrPort {
	if r := p.t.remote.Load(); r != nil {
		return *r
	}
	if d := p.t.dest.Load(); d != nil {
		return *d
	}
	return netip.AddrPort{}
}

// Wait blocks until a packet is queued, the peer is closed or ctx ends
// (Godot's wait, with a context). It returns nil when GetPacket has
// something to report.
func (p *Peer) Wait(ctx context.Context) error {
	if p.IsClosed() {
		return &peer.OpError{Op: "wait", Transport: "udp", Err: peer.ErrClosed}
	}
	return p.t.WaitPacket(ctx)
}

// IsBound reports whether the peer has an open socket (Godot's is_bound):
// true until Close.
func (p *Peer) IsBound() bool { return !p.IsClosed() }

// IsSocketConnected reports whether the peer talks to one remote only
// (Godot's is_socket_connected): true for peers from Dial and Listener, and
// after ConnectToHost.
func (p *Peer) IsSocketConnected() bool { return p.t.remote.Load() != nil && !p.IsClosed() }

// LocalAddr returns the socket's local address (shared with the Listener
// for its peers).
func (p *Peer) LocalAddr() net.Addr { return p.t.socket().LocalAddr() }

// LocalPort returns the local port (Godot's get_local_port).
func (p *Peer) LocalPort() int {
	if ua, ok := p.LocalAddr().(*net.UDPAddr); ok {
		return ua.Port
	}
	return 0
}

// RemoteAddr returns the remote of a connected peer (Dial, Listener), or nil.
func (p *Peer) RemoteAddr() net.Addr {
	r := p.t.remote.Load()
	if r == nil {
		return nil
	}
	return net.UDPAddrFromAddrPort(*r)
}

// Stats returns the peer's counters.
func (p *Peer) Stats() Stats {
	if p.t.direct != nil && !p.IsClosed() {
		p.t.drain() // poll the socket, as AvailablePacketCount does
	}
	s := &p.t.stats
	return Stats{
		PeerStats:       peer.PeerStats{DroppedFull: s.dropFull.Load(), DroppedOversize: s.dropBig.Load()},
		PacketsReceived: s.pktIn.Load(),
		BytesReceived:   s.bytesIn.Load(),
		PacketsSent:     s.pktOut.Load(),
		BytesSent:       s.bytesOut.Load(),
		ReadErrors:      s.readErr.Load(),
		Queued:          p.t.ring.Len(),
	}
}

func (p *Peer) ownSocket(op string) (syscall.RawConn, error) {
	if p.IsClosed() {
		return nil, &peer.OpError{Op: op, Transport: "udp", Err: peer.ErrClosed}
	}
	if p.t.listener != nil {
		return nil, &peer.OpError{Op: op, Transport: "udp", Code: peer.ErrLocked, Detail: "the peer shares its Listener's socket"}
	}
	return p.t.conn.SyscallConn()
}

// SetBroadcastEnabled turns SO_BROADCAST on or off (Godot's
// set_broadcast_enabled; off by default). It fails with ErrLocked on a
// Listener's peer.
func (p *Peer) SetBroadcastEnabled(on bool) error {
	rc, err := p.ownSocket("set broadcast enabled")
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = setBroadcast(fd, on) }); err != nil {
		return err
	}
	if serr != nil {
		return &peer.OpError{Op: "set broadcast enabled", Transport: "udp", Code: peer.ErrFailed, Err: serr}
	}
	return nil
}

// IsBroadcastEnabled reads SO_BROADCAST back from the socket (unix only;
// elsewhere it returns ErrUnavailable).
func (p *Peer) IsBroadcastEnabled() (bool, error) {
	rc, err := p.ownSocket("is broadcast enabled")
	if err != nil {
		return false, err
	}
	var on bool
	var gerr error
	if err := rc.Control(func(fd uintptr) { on, gerr = getBroadcast(fd) }); err != nil {
		return false, err
	}
	return on, gerr
}

// JoinMulticastGroup joins the IPv4 or IPv6 multicast group addr on the
// interface named ifaceName ("" for the system's choice), Godot's
// join_multicast_group. Bind to the group's port (any address) to receive
// its datagrams. Errors: ErrInvalidParameter for a non-multicast address or
// an unknown interface, ErrLocked on a Listener's peer.
func (p *Peer) JoinMulticastGroup(addr, ifaceName string) error {
	return p.multicast("join multicast group", addr, ifaceName, true)
}

// LeaveMulticastGroup leaves a group joined with JoinMulticastGroup (Godot's
// leave_multicast_group).
func (p *Peer) LeaveMulticastGroup(addr, ifaceName string) error {
	return p.multicast("leave multicast group", addr, ifaceName, false)
}

func (p *Peer) multicast(op, addr, ifaceName string, join bool) error {
	if _, err := p.ownSocket(op); err != nil {
		return err
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.IsMulticast() {
		return &peer.OpError{Op: op, Transport: "udp", Code: peer.ErrInvalidParameter, Detail: fmt.Sprintf("%q is not a multicast address", addr)}
	}
	var ifi *net.Interface
	if ifaceName != "" {
		if ifi, err = net.InterfaceByName(ifaceName); err != nil {
			return &peer.OpError{Op: op, Transport: "udp", Code: peer.ErrInvalidParameter, Err: err, Detail: "interface " + strconv.Quote(ifaceName)}
		}
	}
	group := &net.UDPAddr{IP: ip.AsSlice()}
	if ip.Is4() {
		pc := ipv4.NewPacketConn(p.t.conn)
		if join {
			err = pc.JoinGroup(ifi, group)
		} else {
			err = pc.LeaveGroup(ifi, group)
		}
	} else {
		pc := ipv6.NewPacketConn(p.t.conn)
		if join {
			err = pc.JoinGroup(ifi, group)
		} else {
			err = pc.LeaveGroup(ifi, group)
		}
	}
	if err != nil {
		return &peer.OpError{Op: op, Transport: "udp", Code: peer.ErrFailed, Err: err, Detail: addr}
	}
	return nil
}

// ConnectToHost connects the socket to host:port (Godot's connect_to_host on
// a bound peer): from now on the kernel delivers only that remote's
// datagrams, PutPacket sends to it, and packets already queued are
// discarded, as in Godot. host is an IP literal or a name, resolved now. It
// keeps the local port, which Dial cannot (hole punching, for one). Errors:
// ErrLocked on a Listener's peer, ErrInvalidParameter for a port outside
// 1..65535 or an address of the wrong family, ErrCantResolve for an unknown
// name, ErrFailed if the system refuses.
func (p *Peer) ConnectToHost(host string, port int) error {
	const op = "connect to host"
	rc, err := p.ownSocket(op)
	if err != nil {
		return err
	}
	if port < 1 || port > 65535 {
		return &peer.OpError{Op: op, Transport: "udp", Code: peer.ErrInvalidParameter, Detail: "port " + strconv.Itoa(port) + " is outside 1..65535"}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		ua, rerr := net.ResolveUDPAddr("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if rerr != nil {
			return &peer.OpError{Op: op, Transport: "udp", Code: peer.ErrCantResolve, Err: rerr, Detail: strconv.Quote(host)}
		}
		addr = ua.AddrPort().Addr()
	}
	remote := netip.AddrPortFrom(addr.Unmap(), uint16(port))
	v6 := true
	if la, ok := p.t.conn.LocalAddr().(*net.UDPAddr); ok && la.IP.To4() != nil {
		v6 = false
	}
	if !v6 && !remote.Addr().Is4() {
		return &peer.OpError{Op: op, Transport: "udp", Code: peer.ErrInvalidParameter, Detail: "IPv6 address " + remote.Addr().String() + " on an IPv4 socket"}
	}
	var cerr error
	if err := rc.Control(func(fd uintptr) { cerr = connectSocket(fd, remote, v6) }); err != nil {
		return err
	}
	if cerr != nil {
		return &peer.OpError{Op: op, Transport: "udp", Code: peer.ErrFailed, Err: cerr, Detail: remote.String()}
	}
	p.t.remote.Store(&remote)
	p.t.ring.Reset()
	return nil
}
