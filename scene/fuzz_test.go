package scene

import (
	"bytes"
	"testing"

	"github.com/packetpeer/packetpeer/variant"
)

// seeds are every captured and worked packet of the spec.
var seeds = []string{
	"07 01 4e 61 bc 00", "07 02 2a 00 00 00", "07 03 2a 00 00 00 03 de ad be ef", "07 00 73 65 63 72 65 74", "07 00",
	"03 de ad be ef", "02 01 01 00 00 00",
	"01 6134636231313163653063396363646230646566333766316161343632353861 00 01 00 00 00 4d 61 69 6e 00",
	"20 15 00 00 80 03 02 04 00 00 00 01 00 00 00 78 00 00 00 02 05 4d 61 69 6e 00",
	"00 01 03 02 81 42 2c 01", "80 01 05 ca fe", "40 01 00 80 01 02 07", "20 01 00 00 00 01 01 02 03",
	"00 07 02 02 82 70 11 01 00 c2 00 00 00 00 00 01 00 00",
	"00 07 02 02 03 00 01 00 9a 99 99 99 99 99 b9 3f 04 00 00 00 06 00 00 00 68 c3 a9 6c 6c 6f 00 00",
	"00 07 02 02 05 00 00 00 00 00 80 3f 00 00 00 40 1c 00 00 00 02 00 00 00 02 00 00 00 01 00 00 00 04 00 00 00 01 00 00 00 61 00 00 00",
	"30 01 00", "00 01 00 01 18 00 00 00",
}

func addSeeds(f *testing.F) {
	for _, s := range seeds {
		f.Add(h(f, s))
	}
}

func FuzzParseSys(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := ParseSys(p)
		if err != nil {
			return
		}
		var b []byte
		switch m.Command {
		case SysAuth:
			b = AppendAuth(nil, m.Data)
		case SysAddPeer:
			b = AppendAddPeer(nil, m.Peer)
		case SysDelPeer:
			b = AppendDelPeer(nil, m.Peer)
		case SysRelay:
			if b, err = AppendRelay(nil, m.Peer, m.Data); err != nil {
				t.Fatalf("re-encoding %+v: %v", m, err)
			}
		}
		if !bytes.Equal(b[1:], p[1:len(b)]) {
			t.Fatalf("% x re-encoded as % x", p, b)
		}
	})
}

func FuzzParseRaw(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		raw, err := ParseRaw(p)
		if err != nil {
			return
		}
		b, err := AppendRaw(nil, raw)
		if err != nil || !bytes.Equal(b[1:], p[1:]) {
			t.Fatalf("% x re-encoded as % x, %v", p, b, err)
		}
	})
}

func FuzzParsePath(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		if m, err := ParseConfirmPath(p); err == nil {
			if b := AppendConfirmPath(nil, m); !bytes.Equal(b[2:], p[2:]) || (b[1] != 0) != (p[1] != 0) {
				t.Fatalf("% x re-encoded as % x", p, b)
			}
		}
		m, err := ParseSimplifyPath(p)
		if err != nil || m.Path == "" {
			return
		}
		b, err := AppendSimplifyPath(nil, m)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", m, err)
		}
		if m2, err := ParseSimplifyPath(b); err != nil || m2 != m {
			t.Fatalf("%+v re-parsed as %+v, %v", m, m2, err)
		}
	})
}

// FuzzRemoteCall parses any packet as an RPC and decodes its arguments;
// what decodes re-encodes to a packet that decodes to the same encoding.
func FuzzRemoteCall(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		c, err := ParseRemoteCall(p)
		if err != nil {
			return
		}
		args, err := c.DecodeArgs(nil, variant.DecodeOptions{})
		if err != nil {
			return
		}
		b1, err := AppendRemoteCall(nil, c, variant.EncodeOptions{}, args...)
		if err != nil {
			return // e.g. a decoded String Godot's encoder would refuse
		}
		c2, err := ParseRemoteCall(b1)
		if err != nil {
			t.Fatalf("% x: own encoding % x does not parse: %v", p, b1, err)
		}
		args2, err := c2.DecodeArgs(nil, variant.DecodeOptions{})
		if err != nil {
			t.Fatalf("% x: own encoding % x: %v", p, b1, err)
		}
		if c2.Node != c.Node || c2.Path != c.Path || c2.Method != c.Method {
			t.Fatalf("header %+v re-parsed as %+v", c, c2)
		}
		b2, err := AppendRemoteCall(nil, c2, variant.EncodeOptions{}, args2...)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("% x: encodings differ:\n% x\n% x (%v)", p, b1, b2, err)
		}
	})
}

func FuzzDecodeCompressed(f *testing.F) {
	for _, s := range []string{"81", "01", "02 05", "42 2c 01", "c2 00 00 00 00 00 01 00 00", "04 00 00 00 01 00 00 00 78 00 00 00", "1c 00 00 00 02 00 00 00 02 00 00 00 01 00 00 00 04 00 00 00 01 00 00 00 61 00 00 00", "18 00 00 00", "3f"} {
		f.Add(h(f, s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		v, n, err := DecodeCompressed(p, variant.DecodeOptions{})
		if err != nil {
			return
		}
		if n <= 0 || n > len(p) {
			t.Fatalf("% x: used %d bytes", p, n)
		}
		full, n2, err := variant.Decode(p)
		if p[0]&metaTypeMask > typeInt && (err != nil || min(n2, len(p)) != n || !variant.Equal(full, v) && variant.Format(full) != variant.Format(v)) {
			t.Fatalf("% x: %v (%d) vs full decode %v (%d, %v)", p, v, n, full, n2, err)
		}
	})
}

// FuzzArgs reads arguments with the typed reader in an order chosen by the
// input: no panic, and what the typed methods return equals Value's result.
func FuzzArgs(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		c, err := ParseRemoteCall(p)
		if err != nil {
			return
		}
		a, b := c.Arguments(variant.DecodeOptions{}), c.Arguments(variant.DecodeOptions{})
		for i := 0; a.Len() > 0; i++ {
			want, err := b.Value()
			if err != nil {
				return
			}
			var got any
			switch p[i%len(p)] % 4 {
			case 0:
				got, err = a.Bool()
			case 1:
				got, err = a.Int()
			case 2:
				got, err = a.Float()
			case 3:
				got, err = a.Bytes()
			}
			if err != nil {
				if _, err := a.Value(); err != nil {
					t.Fatalf("% x: Value fails after a typed read failed: %v", p, err)
				}
				continue
			}
			if !variant.Equal(got, want) && variant.Format(got) != variant.Format(want) {
				t.Fatalf("% x: argument %d typed %#v, Value %#v", p, i, got, want)
			}
		}
	})
}

// FuzzMultiplayerReceive feeds a server Multiplayer (authentication on)
// each packet from an admitted client, from a client still authenticating
// and relayed from one client to another: no panic, the callbacks see only
// what arrived, the path cache stays within its bound, and every packet
// either goes somewhere or is counted.
func FuzzMultiplayerReceive(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) {
		ft, mp := newFake()
		var calls int
		m := NewMultiplayer(mp, &Config{
			AuthCallback: func(m *Multiplayer, id int32, data []byte) {
				if id == 42 {
					m.CompleteAuth(id)
				}
			},
			AuthTimeout:  -1,
			OnPeerPacket: func(m *Multiplayer, id int32, data []byte) { calls++ },
		})
		n, err := m.AddNode("Main", mainMethods)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"hello", "from_server", "pba", "noargs", "node_m"} {
			n.Handle(name, HandlerFunc(func(c Call, a Args) error {
				calls++
				for a.Len() > 0 {
					if _, err := a.Value(); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		ft.connect(42)
		ft.connect(43)
		ft.connect(44)
		ft.push(42, []byte{7, 0, 1})
		ft.push(42, []byte{7, 0})
		m.Poll()
		if got := m.Peers(); len(got) != 1 || got[0] != 42 {
			t.Fatalf("admitted %v", got)
		}
		relayed, err := AppendRelay(nil, 0, p)
		ft.push(42, p)
		ft.push(43, p)
		if err == nil {
			ft.push(42, relayed)
		}
		m.Poll()
		if sent, recv := m.peers[42].Len(); sent > MaxPeerPaths || recv > MaxPeerPaths {
			t.Fatalf("path cache %d/%d", sent, recv)
		}
		s := m.Stats()
		if s.RPCs+s.BadArgs > uint64(calls) {
			t.Fatalf("stats %+v with %d calls", s, calls)
		}
	})
}
