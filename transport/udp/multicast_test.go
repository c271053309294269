package udp

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestMulticastLoopback joins a group on the loopback interface and receives
// a datagram sent to it from this host, when the system routes multicast
// over loopback (skipped otherwise: no traffic leaves the machine).
func TestMulticastLoopback(t *testing.T) {
	peertest.CheckGoroutines(t)
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo interface: %v", err)
	}
	const group = "239.255.42.99"
	p, err := Bind("0.0.0.0:0", nil)
	require.NoError(t, err)
	defer p.Close()
	if err := p.JoinMulticastGroup(group, "lo"); err != nil {
		t.Skipf("cannot join %s on lo: %v", group, err)
	}
	s := rawSockets(t, 1)[0]
	pc := ipv4.NewPacketConn(s)
	require.NoError(t, pc.SetMulticastInterface(lo))
	require.NoError(t, pc.SetMulticastLoopback(true))
	to := &net.UDPAddr{IP: net.ParseIP(group), Port: p.LocalPort()}
	if _, err := s.WriteTo([]byte("to the group"), to); err != nil {
		t.Skipf("cannot send multicast over lo: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	got, err := p.ReadPacket(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Skip("this system does not loop multicast back over lo")
	}
	require.NoError(t, err)
	require.Equal(t, "to the group", string(got))
	require.Equal(t, s.LocalAddr().(*net.UDPAddr).Port, p.PacketPort())
	require.NoError(t, p.LeaveMulticastGroup(group, "lo"))
}
