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
	"github.com/packetpeer/packetpeer/transport/stream"
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
	var oe *peer.OpError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "udp", oe.Transport)
	require.Equal(t, "read var", oe.Op)

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

// TestWriteVar: WriteVar delivers a value; to a remote that stops reading
// over TCP it waits, then fails when ctx ends with an error matching both
// ctx's error and ErrTimeout; an encoding over EncodeBufferMaxSize sends
// nothing; after Close it fails with ErrClosed.
func TestWriteVar(t *testing.T) {
	peertest.CheckGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, err := stream.Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	c, err := stream.Dial(ctx, l.Addr().String(), nil)
	require.NoError(t, err)
	defer c.Close()
	s, err := l.Accept(ctx)
	require.NoError(t, err)
	defer s.Close()

	require.NoError(t, c.WriteVar(ctx, player{Name: "alice", HP: 1}))
	var p player
	require.NoError(t, s.ReadVarInto(ctx, &p))
	require.Equal(t, "alice", p.Name)

	require.NoError(t, c.SetEncodeBufferMaxSize(peer.MinEncodeBufferMaxSize))
	err = c.WriteVar(ctx, make([]byte, 2*peer.MinEncodeBufferMaxSize))
	require.ErrorIs(t, err, peer.ErrOutOfMemory)
	require.NoError(t, c.SetEncodeBufferMaxSize(64<<10))

	// s reads nothing more: the kernel's buffers fill, then WriteVar waits.
	short, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	chunk := make([]byte, 32<<10)
	for range 100000 {
		if err = c.WriteVar(short, chunk); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, peer.ErrTimeout)

	require.NoError(t, c.Close())
	require.ErrorIs(t, c.WriteVar(ctx, 1), peer.ErrClosed)
}

// TestVarAllocations: reading adds no allocation to what variant.Unmarshal
// of the same packet costs, and WriteVar none to PutVar's, once the pooled
// buffers are warm. (Under -race sync.Pool drops buffers at random, so it
// is skipped.)
func TestVarAllocations(t *testing.T) {
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

	// WriteVar's encoding costs what PutVar's costs (its buffer is pooled
	// too); the rest is WritePacket's.
	buf := make([]byte, 0, 64)
	send := func(put func() error) float64 {
		return testing.AllocsPerRun(200, func() {
			if err := put(); err != nil {
				t.Fatal(err)
			}
			if _, err := b.AppendPacket(ctx, buf[:0]); err != nil {
				t.Fatal(err)
			}
		})
	}
	mv := move{X: 1, Y: 2}
	putVar := send(func() error { return a.PutVar(mv) })
	putPacket := send(func() error { return a.PutPacket(pkt) })
	writeVar := send(func() error { return a.WriteVar(ctx, mv) })
	writePacket := send(func() error { return a.WritePacket(ctx, pkt) })
	require.Equal(t, putVar-putPacket, writeVar-writePacket,
		"allocations of encoding: PutVar %.1f - PutPacket %.1f, WriteVar %.1f - WritePacket %.1f", putVar, putPacket, writeVar, writePacket)
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

// A send with a deadline: WriteVar waits for room at most until ctx ends,
// where PutVar would fail at once (a full queue) or block (TCP).
func ExamplePeer_WriteVar() {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()

	fmt.Println(a.WriteVar(ctx, map[string]any{"type": "move", "x": 3}))
	v, err := b.ReadVar(ctx)
	fmt.Println(v, err)
	// Output:
	// <nil>
	// {"type": "move", "x": 3} <nil>
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
