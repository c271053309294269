package scene

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

// The §15.2/§15.5 sequence as seen by the client: the first RPC sends
// SIMPLIFY_PATH and the full path, the second (unconfirmed) the full path
// only, after CONFIRM_PATH the 8-bit id; with a second target (42) that has
// not confirmed, the confirmed target gets the plain 32-bit id.
func TestPathCacheSequence(t *testing.T) {
	var ids NodeIDs
	var to1, to42 PeerPaths
	id, ok := ids.ID("Main")
	if !ok || id != 1 {
		t.Fatalf("first id %d, %v", id, ok)
	}
	if again, _ := ids.ID("Main"); again != 1 {
		t.Fatalf("same node got id %d", again)
	}
	send := func(pp *PeerPaths) (simplify bool, pkt []byte) {
		simplify, confirmed := pp.Reference(id)
		c := RemoteCall{Node: id, Method: 3}
		if !confirmed {
			c = RemoteCall{Path: "Main", Method: 3}
		}
		pkt, err := AppendRemoteCall(nil, c, variant.EncodeOptions{}, "x", 5)
		if err != nil {
			t.Fatal(err)
		}
		return simplify, pkt
	}
	full := "20 15 00 00 80 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00"
	s, pkt := send(&to1)
	check(t, "first call", pkt, nil, full)
	if !s {
		t.Fatal("first reference must send SIMPLIFY_PATH")
	}
	s, pkt = send(&to1)
	check(t, "second call before CONFIRM_PATH", pkt, nil, full)
	if s {
		t.Fatal("SIMPLIFY_PATH must not be resent")
	}
	cp, _ := ParseConfirmPath(h(t, "02 01 01 00 00 00"))
	if _, known := ids.Path(cp.ID); !known {
		t.Fatal("own id unknown")
	}
	if err := to1.Confirm(cp.ID); err != nil {
		t.Fatal(err)
	}
	s, pkt = send(&to1)
	check(t, "after CONFIRM_PATH", pkt, nil, "00 01 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05")
	if s {
		t.Fatal("SIMPLIFY_PATH resent after confirmation")
	}
	// A call to both: not all confirmed → 32-bit forms.
	if s, c := to42.Reference(id); !s || c {
		t.Fatalf("42: %v %v", s, c)
	}
	if to1.Confirmed(id) != true || to42.Confirmed(id) {
		t.Fatal("confirmation state")
	}
	if err := to42.Confirm(99); !errors.Is(err, peer.ErrInvalidData) {
		t.Errorf("confirming an id never sent: %v", err)
	}
	// A checksum mismatch (valid 0) still confirms, as in Godot.
	if err := to42.Confirm(id); err != nil || !to42.Confirmed(id) {
		t.Errorf("confirm with valid=0: %v", err)
	}
	// The node leaves and comes back: a new id, and the old one is gone.
	old, _ := ids.Forget("Main")
	to1.Forget(old)
	if n, _ := ids.ID("Main"); n != 2 {
		t.Errorf("recreated node got id %d, want 2", n)
	}
	if _, ok := ids.Path(old); ok {
		t.Error("forgotten id still resolves")
	}
	if s, c := to1.Reference(2); !s || c {
		t.Errorf("new id toward 1: %v %v", s, c)
	}
}

func TestPathCacheReceive(t *testing.T) {
	var from PeerPaths
	m, _ := ParseSimplifyPath(h(t, "01 6134636231313163653063396363646230646566333766316161343632353861 00 07 00 00 00 4d 61 69 6e 00"))
	if err := from.Add(m.ID, m.Path); err != nil {
		t.Fatal(err)
	}
	if p, ok := from.Path(7); !ok || p != "Main" {
		t.Fatalf("Path(7) = %q, %v", p, ok)
	}
	if err := from.Add(7, "Other"); !errors.Is(err, peer.ErrAlreadyExists) {
		t.Errorf("duplicate id: %v", err)
	}
	if p, _ := from.Path(7); p != "Main" {
		t.Errorf("duplicate replaced the path: %q", p)
	}
	if _, ok := from.Path(99); ok {
		t.Error("unknown id resolves")
	}
}

// TestPeerPathsBound fills one PeerPaths to its bounds both ways and checks
// that it refuses more and stays within the memory figure documented on
// MaxPeerPaths.
func TestPeerPathsBound(t *testing.T) {
	const figure = 1280 << 10
	var p PeerPaths
	long := strings.Repeat("n", MaxPeerPathBytes/MaxPeerPaths)
	a := allocated(func() {
		p = PeerPaths{}
		for i := range uint32(MaxPeerPaths) {
			if err := p.Add(i, strings.Clone(long)); err != nil {
				t.Fatal(err)
			}
			if s, _ := p.Reference(i + 1); !s {
				t.Fatal("reference refused below the bound")
			}
		}
	})
	if a > figure {
		t.Errorf("a full PeerPaths allocated %d bytes, figure %d", a, figure)
	}
	t.Logf("full PeerPaths: %d bytes allocated (paths %d)", a, MaxPeerPathBytes)
	if err := p.Add(MaxPeerPaths, "x"); !errors.Is(err, peer.ErrOutOfMemory) {
		t.Errorf("past MaxPeerPaths: %v", err)
	}
	if s, c := p.Reference(MaxPeerPaths + 5); s || c {
		t.Errorf("Reference past the bound = %v, %v; want full path", s, c)
	}
	if s, c := p.Reference(1); s || c {
		t.Errorf("known id past the bound = %v, %v", s, c)
	}
	// The byte bound: few long paths.
	var q PeerPaths
	big := strings.Repeat("p", 60000)
	var err error
	n := 0
	for ; err == nil; n++ {
		err = q.Add(uint32(n), big)
	}
	if !errors.Is(err, peer.ErrOutOfMemory) || n-1 != MaxPeerPathBytes/len(big) {
		t.Errorf("byte bound: %d paths of %d bytes accepted, err %v", n-1, len(big), err)
	}
	if _, r := q.Len(); r != n-1 {
		t.Errorf("Len %d", r)
	}
}

func TestNodeIDsExhausted(t *testing.T) {
	n := NodeIDs{last: MaxNodeID - 1}
	if id, ok := n.ID("a"); !ok || id != MaxNodeID {
		t.Fatalf("last id %d %v", id, ok)
	}
	if id, ok := n.ID("b"); ok || id != 0 {
		t.Fatalf("after the last id: %d %v", id, ok)
	}
	if id, ok := n.ID("a"); !ok || id != MaxNodeID {
		t.Fatal("known node lost its id")
	}
	if n.Len() != 1 {
		t.Fatal(strconv.Itoa(n.Len()))
	}
}
