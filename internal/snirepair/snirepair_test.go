package snirepair

import (
	"bytes"
	"testing"

	"github.com/pion/dtls/v3/pkg/protocol"
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"
)

// helloDatagram is one record holding one ClientHello with the given
// cookie and extensions, as a client sends it.
func helloDatagram(t testing.TB, cookie []byte, exts ...extension.Extension) []byte {
	t.Helper()
	rec := &recordlayer.RecordLayer{
		Header: recordlayer.Header{Version: protocol.Version1_2},
		Content: &handshake.Handshake{Message: &handshake.MessageClientHello{
			Version:            protocol.Version1_2,
			Cookie:             cookie,
			CipherSuiteIDs:     []uint16{0xc02b},
			CompressionMethods: []*protocol.CompressionMethod{{}},
			Extensions:         exts,
		}},
	}
	b, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parsesInPion reports whether pion's ClientHello parser accepts the
// ClientHello in datagram b.
func parsesInPion(b []byte) error {
	var h handshake.Handshake
	return h.Unmarshal(b[recHdr:])
}

func TestRepairEmptyServerName(t *testing.T) {
	ems := &extension.UseExtendedMasterSecret{Supported: true}
	curves := &extension.SupportedEllipticCurves{EllipticCurves: nil}
	for _, tc := range []struct {
		name   string
		exts   []extension.Extension
		repair bool
	}{
		{"empty name", []extension.Extension{&extension.ServerName{}, ems, curves}, true},
		{"empty name last", []extension.Extension{ems, &extension.ServerName{}}, true},
		{"a name", []extension.Extension{&extension.ServerName{ServerName: "example.com"}, ems}, false},
		{"no server_name", []extension.Extension{ems}, false},
		{"no extensions", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cookie := range [][]byte{nil, {1, 2, 3}} {
				b := helloDatagram(t, cookie, tc.exts...)
				if got := EmptySNIHello(b); got != tc.repair {
					t.Fatalf("EmptySNIHello = %v, want %v", got, tc.repair)
				}
				if tc.repair != (parsesInPion(b) != nil) {
					t.Fatalf("pion's parser: %v (want it to fail exactly when a repair is needed)", parsesInPion(b))
				}
				r := &Repair{}
				out := r.Inbound(bytes.Clone(b))
				if !tc.repair {
					if !bytes.Equal(out, b) {
						t.Fatal("a ClientHello that needs no repair was changed")
					}
					continue
				}
				if err := parsesInPion(out); err != nil {
					t.Fatalf("repaired ClientHello still fails in pion: %v", err)
				}
				var h handshake.Handshake
				_ = h.Unmarshal(out[recHdr:])
				for _, e := range h.Message.(*handshake.MessageClientHello).Extensions {
					if e.TypeValue() == extension.ServerNameTypeValue || e.TypeValue() == extension.UseExtendedMasterSecretTypeValue {
						t.Fatalf("extension %d left in the repaired ClientHello", e.TypeValue())
					}
				}
				if (r.origHello != nil) != (len(cookie) > 0) {
					t.Fatal("the transcript's ClientHello is the one with the cookie")
				}
				if len(cookie) > 0 && !bytes.Equal(r.origHello, b[recHdr:]) {
					t.Fatal("the client's own ClientHello not kept as sent")
				}
			}
		})
	}
}

// FuzzSNIRepair: the repair never panics on any datagram in either
// direction, never grows a datagram, and holds a bounded number of records.
func FuzzSNIRepair(f *testing.F) {
	f.Add(helloDatagram(f, nil, &extension.ServerName{}), true)
	f.Add(helloDatagram(f, []byte{9}, &extension.ServerName{}, &extension.UseExtendedMasterSecret{Supported: true}), true)
	f.Add(helloDatagram(f, []byte{1, 2, 3}, &extension.ServerName{ServerName: "example.com"}), false)
	f.Add([]byte{22, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 3, 20, 0, 0}, true)
	f.Fuzz(func(t *testing.T, b []byte, in bool) {
		r := &Repair{Deliver: func([]byte) {}}
		EmptySNIHello(b)
		for range 3 { // as retransmissions would
			var out []byte
			if in {
				out = r.Inbound(bytes.Clone(b))
			} else {
				out = r.Outbound(bytes.Clone(b))
			}
			if len(out) > len(b) {
				t.Fatalf("datagram grew from %d to %d bytes", len(b), len(out))
			}
		}
		if len(r.held) > maxHeld {
			t.Fatalf("%d records held", len(r.held))
		}
		_, _ = r.Write([]byte("CLIENT_RANDOM 00 00\n"))
	})
}
