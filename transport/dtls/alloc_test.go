package dtls

import (
	"context"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestSendPathAddsNoAllocations: PutPacket allocates no more than pion's own
// Write on the same connection (pion allocates per record; this package adds
// nothing on the send path).
func TestSendPathAddsNoAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation measurement")
	}
	peertest.CheckGoroutines(t)
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen("127.0.0.1:0", &Config{TLS: ServerOptions(cert.TLS)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, l.Addr().String(), &Config{TLS: ClientOptions(cert.Pool, "")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Stop the server's socket so that only the client's send path is
	// measured (the datagrams are refused by the kernel and ignored).
	l.pc.Close()

	msg := make([]byte, 64)
	const runs = 500
	// Best of a few rounds: pion's background goroutines allocate too.
	best := func(f func()) float64 {
		m := 1e9
		for range 5 {
			m = min(m, testing.AllocsPerRun(runs, f))
		}
		return m
	}
	raw := best(func() { c.c.dc.Write(msg) })
	sdk := best(func() { c.PutPacket(msg) })
	t.Logf("allocs per packet: pion Write %.1f, PutPacket %.1f", raw, sdk)
	if sdk > raw+0.5 {
		t.Fatalf("PutPacket allocates %.1f per packet, pion's Write %.1f: the SDK adds allocations", sdk, raw)
	}
}
