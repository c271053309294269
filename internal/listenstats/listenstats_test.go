package listenstats

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
)

func TestCountsByCauseAndLogs(t *testing.T) {
	var buf bytes.Buffer
	c := New("udp", slog.New(slog.NewTextHandler(&buf, nil)))
	remote := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
	c.Accepted()
	c.Drop(peer.DropRefused, remote, nil)
	c.Drop(peer.DropFailed, remote, errors.New("bad hello"))
	c.Drop(peer.DropFailed, nil, nil)
	c.Drop(peer.DropTimedOut, remote, nil)
	c.Drop(peer.DropEvicted, remote, nil)
	c.Drop(peer.DropExpired, remote, nil)
	got := c.Stats(3)
	want := peer.ListenerStats{Pending: 3, Accepted: 1, Refused: 1, Failed: 2, TimedOut: 1, Evicted: 1, Expired: 1}
	if got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
	if got.Dropped() != 6 {
		t.Fatalf("Dropped = %d, want 6", got.Dropped())
	}
	out := buf.String()
	if n := strings.Count(out, "packetpeer: connection dropped"); n != 6 {
		t.Fatalf("%d log lines, want 6:\n%s", n, out)
	}
	for _, s := range []string{"transport=udp", "cause=refused", `cause="timed out"`, "remote=127.0.0.1:5000", `error="bad hello"`} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %s:\n%s", s, out)
		}
	}
}

func TestNilLoggerIsSilent(t *testing.T) {
	c := New("stream", nil)
	c.Drop(peer.DropRefused, nil, nil)
	if c.Stats(0).Refused != 1 {
		t.Fatal("drop not counted without a logger")
	}
	if allocs := testing.AllocsPerRun(100, func() { c.Drop(peer.DropRefused, nil, nil) }); allocs != 0 {
		t.Fatalf("Drop without a logger allocates %v times", allocs)
	}
}
