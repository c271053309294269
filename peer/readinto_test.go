package peer_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/transport/udp"
	"github.com/packetpeer/packetpeer/variant"
)

type player struct {
	Name string   `godot:"name"`
	HP   uint8    `godot:"hp"`
	Pos  [2]int   `godot:"pos"`
	Tags []string `godot:"tags,omitempty"`
}

// udpPair returns two connected UDP peers on loopback.
func udpPair(t *testing.T) (*udp.Peer, *udp.Peer, context.Context) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	l, err := udp.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	c, err := udp.Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.PutPacket([]byte{0})) // makes the listener see c
	s, err := l.Accept(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, err = s.ReadPacket(ctx)
	require.NoError(t, err)
	return c, s, ctx
}

func TestReadVarInto(t *testing.T) {
	c, s, ctx := udpPair(t)

	require.NoError(t, c.PutVar(map[string]any{"name": "alice", "hp": 90, "pos": []any{3, 4}}))
	var p player
	require.NoError(t, s.ReadVarInto(ctx, &p))
	require.Equal(t, player{Name: "alice", HP: 90, Pos: [2]int{3, 4}}, p)

	// A valid value that does not fit: the field and both types are named.
	require.NoError(t, c.PutVar(map[string]any{"name": "bob", "hp": "full"}))
	err := s.ReadVarInto(ctx, new(player))
	var te *variant.UnmarshalTypeError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "hp", te.Field)
	require.Equal(t, "String", te.Value)
	require.Equal(t, reflect.TypeFor[uint8](), te.Type)
	require.ErrorIs(t, err, peer.ErrInvalidData)

	// Garbage is a *variant.Error, also ErrInvalidData.
	require.NoError(t, c.PutPacket([]byte{0xff, 0, 0, 0}))
	err = s.ReadVarInto(ctx, new(player))
	var ve *variant.Error
	require.ErrorAs(t, err, &ve)
	require.False(t, errors.As(err, &te))
	require.ErrorIs(t, err, peer.ErrInvalidData)

	// Not a pointer: refused, and the next packet stays queued.
	require.NoError(t, c.PutVar(map[string]any{"name": "carol"}))
	require.ErrorIs(t, s.ReadVarInto(ctx, p), peer.ErrInvalidParameter)
	require.ErrorIs(t, s.ReadVarInto(ctx, (*player)(nil)), peer.ErrInvalidParameter)
	var q player
	require.NoError(t, s.ReadVarInto(ctx, &q))
	require.Equal(t, "carol", q.Name)

	// The context bounds the wait.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.ReadVarInto(short, &q), context.DeadlineExceeded)

	require.NoError(t, s.Close())
	require.ErrorIs(t, s.ReadVarInto(ctx, &q), peer.ErrClosed)
}

// TestReadVarIntoAllocations: reading adds no allocation to what
// variant.Unmarshal of the same packet costs, once the pooled buffer is
// warm. (Under -race sync.Pool drops buffers at random, so it is skipped.)
func TestReadVarIntoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()
	type move struct {
		X, Y int
		Jump bool
	}
	pkt, err := variant.Marshal(move{X: 1, Y: 2, Jump: true})
	require.NoError(t, err)
	ctx := context.Background()
	var m move
	decode := testing.AllocsPerRun(200, func() {
		if err := variant.Unmarshal(pkt, &m); err != nil {
			t.Fatal(err)
		}
	})
	m = move{}
	read := testing.AllocsPerRun(200, func() {
		if err := a.PutPacket(pkt); err != nil {
			t.Fatal(err)
		}
		if err := b.ReadVarInto(ctx, &m); err != nil {
			t.Fatal(err)
		}
	})
	require.Equal(t, move{X: 1, Y: 2, Jump: true}, m)
	require.Equal(t, decode, read, "allocations: Unmarshal %.1f, ReadVarInto %.1f", decode, read)
}

// A server reads a Godot client's Dictionary straight into a struct.
func ExamplePeer_ReadVarInto() {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()

	// What a Godot client sends with put_var({"type": "move", "x": 3, "y": -1}).
	a.PutVar(map[string]any{"type": "move", "x": 3, "y": -1})
	var m struct {
		Type string `godot:"type"`
		X    int    `godot:"x"`
		Y    int    `godot:"y"`
	}
	fmt.Println(b.ReadVarInto(ctx, &m), m.Type)

	// A value of the wrong type names the field and both types.
	a.PutVar(map[string]any{"type": 7})
	err := b.ReadVarInto(ctx, &m)
	var te *variant.UnmarshalTypeError
	fmt.Println(errors.As(err, &te), te.Field, te.Value, te.Type)
	// Output:
	// <nil> move
	// true type int string
}

func BenchmarkReadVarInto(b *testing.B) {
	type move struct {
		Type string `godot:"type"`
		X, Y int
	}
	pkt, err := variant.Marshal(move{Type: "move", X: 3, Y: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := func(b *testing.B, read func(p *peer.Peer, m *move) error) {
		x, y := peer.Pipe(nil)
		defer x.Close()
		defer y.Close()
		var m move
		b.ReportAllocs()
		for b.Loop() {
			if err := x.PutPacket(pkt); err != nil {
				b.Fatal(err)
			}
			if err := read(y, &m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("ReadVarInto", func(b *testing.B) {
		run(b, func(p *peer.Peer, m *move) error { return p.ReadVarInto(ctx, m) })
	})
	b.Run("ReadPacket+Unmarshal", func(b *testing.B) {
		run(b, func(p *peer.Peer, m *move) error {
			pkt, err := p.ReadPacket(ctx)
			if err != nil {
				return err
			}
			return variant.Unmarshal(pkt, m)
		})
	})
	b.Run("ReadVar+Assign", func(b *testing.B) {
		run(b, func(p *peer.Peer, m *move) error {
			v, err := p.ReadVar(ctx)
			if err != nil {
				return err
			}
			return variant.Assign(m, v)
		})
	})
}
