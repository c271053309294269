package peer_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/variant"
	"github.com/stretchr/testify/require"
)

func TestPipeConformance(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		return peer.Pipe(nil)
	}, peertest.Config{})
}

func TestPipeSmallQueueConformance(t *testing.T) {
	// A queue of a few packets exercises back-pressure in every check.
	peertest.Run(t, func(t *testing.T) (peer.PacketPeer, peer.PacketPeer) {
		return peer.Pipe(&peer.PipeConfig{MaxPacketSize: 4096, ReceiveQueuePackets: 3})
	}, peertest.Config{})
}

func TestPipeRemoteCloseDrainsThenEOF(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := peer.Pipe(nil)
	defer b.Close()
	require.NoError(t, a.PutPacket([]byte("one")))
	require.NoError(t, a.PutPacket([]byte("two")))
	require.NoError(t, a.Close())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, want := range []string{"one", "two"} {
		p, err := b.ReadPacket(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(p))
	}
	_, err := b.ReadPacket(ctx)
	require.ErrorIs(t, err, io.EOF)
	require.ErrorIs(t, b.PutPacket([]byte("x")), io.ErrClosedPipe)
}

func TestPipeMaxPacketSize(t *testing.T) {
	a, b := peer.Pipe(&peer.PipeConfig{MaxPacketSize: 100})
	defer a.Close()
	defer b.Close()
	require.Equal(t, 100, a.MaxPacketSize())
	err := a.PutPacket(make([]byte, 101))
	require.ErrorIs(t, err, peer.ErrInvalidParameter)
	require.EqualError(t, err, "pipe: put packet: packet of 101 bytes exceeds MaxPacketSize 100 (ERR_INVALID_PARAMETER)")
}

func TestPipeBackPressureUnblocksOnClose(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := peer.Pipe(&peer.PipeConfig{ReceiveQueuePackets: 1})
	defer b.Close()
	require.NoError(t, a.PutPacket([]byte("fills the queue")))
	errc := make(chan error, 1)
	go func() { errc <- a.PutPacket([]byte("waits")) }()
	require.NoError(t, a.Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, peer.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("a PutPacket blocked by back-pressure did not return after Close")
	}
}

// pollOnly is a transport without Waiter: ReadPacket must fall back to polling.
type pollOnly struct{ peer.Transport }

func TestReadPacketWithoutWaiter(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := peer.Pipe(nil)
	defer a.Close()
	pb := peer.New(pollOnly{b.Transport()})
	defer pb.Close()

	go a.PutPacket([]byte("late"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := pb.ReadPacket(ctx)
	require.NoError(t, err)
	require.Equal(t, "late", string(p))

	errc := make(chan error, 1)
	go func() {
		_, err := pb.ReadPacket(context.Background())
		errc <- err
	}()
	pb.Close()
	require.ErrorIs(t, <-errc, peer.ErrClosed)
}

func TestGetVarRefusesObjectsByDefault(t *testing.T) {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()
	// A full Object: header 0x18 (no id flag), class "Node", no properties.
	obj := []byte{0x18, 0, 0, 0, 4, 0, 0, 0, 'N', 'o', 'd', 'e', 0, 0, 0, 0}
	require.NoError(t, a.PutPacket(obj))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := b.ReadVar(ctx)
	require.ErrorIs(t, err, peer.ErrUnauthorized)
}

func TestPutVarSendsObjectsAsIDsByDefault(t *testing.T) {
	a, b := peer.Pipe(nil)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	obj := &variant.Object{Class: "Node", ID: 77, Properties: []variant.Property{{Name: "name", Value: "n"}}}

	// Default (Godot's put_var(v, false)): only the instance id goes out.
	require.NoError(t, a.PutVar(obj))
	got, err := b.ReadPacket(ctx)
	require.NoError(t, err)
	want, err := variant.Marshal(variant.ObjectID(77))
	require.NoError(t, err)
	require.Equal(t, want, got, "PutVar of an *Object by default must send its ObjectID")

	// FullObjects: the whole object, which the receiver refuses by default
	// and decodes once it allows objects.
	a.SetEncodeOptions(variant.EncodeOptions{FullObjects: true})
	require.NoError(t, a.PutVar(obj))
	_, err = b.ReadVar(ctx)
	require.ErrorIs(t, err, peer.ErrUnauthorized)
	b.SetDecodeOptions(variant.DecodeOptions{AllowObjects: true})
	require.NoError(t, a.PutVar(obj))
	v, err := b.ReadVar(ctx)
	require.NoError(t, err)
	full, ok := v.(*variant.Object)
	require.True(t, ok, "got %T, want *variant.Object", v)
	require.Equal(t, "Node", full.Class)
	name, _ := full.Get("name")
	require.Equal(t, "n", name)
}

func TestErrorsMatchByCode(t *testing.T) {
	require.Equal(t, 2, peer.ErrUnavailable.Code())
	require.Equal(t, "ERR_INVALID_DATA", peer.ErrInvalidData.Name())
	require.Equal(t, 6, peer.ErrOutOfMemory.Code())
	require.Equal(t, "godot: ERR_UNAVAILABLE (2)", peer.ErrUnavailable.Error())
	for code := 1; code <= 48; code++ {
		e := peer.ErrorFromCode(code)
		require.NotNil(t, e, "code %d", code)
		require.Equal(t, code, e.Code())
	}
	require.Nil(t, peer.ErrorFromCode(0))
	require.Nil(t, peer.ErrorFromCode(49))
	require.False(t, errors.Is(peer.ErrUnavailable, peer.ErrInvalidData))
	wrapped := &peer.OpError{Op: "put var", Transport: "udp", Code: peer.ErrOutOfMemory, Detail: "too big"}
	require.ErrorIs(t, wrapped, peer.ErrOutOfMemory)
	require.Equal(t, "udp: put var: too big (ERR_OUT_OF_MEMORY)", wrapped.Error())
	codeAsCause := &peer.OpError{Op: "put var", Err: peer.ErrOutOfMemory, Detail: "too big"}
	require.ErrorIs(t, codeAsCause, peer.ErrOutOfMemory)
	require.Equal(t, "peer: put var: too big (ERR_OUT_OF_MEMORY)", codeAsCause.Error())
	closed := &peer.OpError{Op: "read packet", Transport: "stream", Err: net.ErrClosed}
	require.ErrorIs(t, closed, net.ErrClosed)
	require.Equal(t, "stream: read packet: use of closed network connection", closed.Error())
}

func TestPipeWritePacketWaitsForRoomUntilCtxEnds(t *testing.T) {
	peertest.CheckGoroutines(t)
	a, b := peer.Pipe(&peer.PipeConfig{ReceiveQueuePackets: 1})
	defer a.Close()
	defer b.Close()
	require.NoError(t, a.PutPacket([]byte("fills the queue")))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := a.WritePacket(ctx, []byte("waits"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, peer.ErrTimeout)

	// Room made by the reader lets the next WritePacket through.
	got, err := b.ReadPacket(context.Background())
	require.NoError(t, err)
	require.Equal(t, "fills the queue", string(got))
	require.NoError(t, a.WritePacket(context.Background(), []byte("fits")))
	got, err = b.ReadPacket(context.Background())
	require.NoError(t, err)
	require.Equal(t, "fits", string(got))
}

// counting is a transport that reports drop counters.
type counting struct {
	peer.Transport
	s peer.PeerStats
}

func (c *counting) PeerStats() peer.PeerStats { return c.s }

func TestPeerStatsFromTransport(t *testing.T) {
	a, b := peer.Pipe(nil)
	defer b.Close()
	require.Equal(t, peer.PeerStats{}, a.PeerStats())
	p := peer.New(&counting{Transport: a.Transport(), s: peer.PeerStats{DroppedFull: 2, DroppedOversize: 3, DroppedLate: 4}})
	defer p.Close()
	require.Equal(t, uint64(9), p.PeerStats().Dropped())
	require.Equal(t, uint64(3), p.PeerStats().DroppedOversize)
}

// variant's sentinels are peer's: one value per Godot error.
func TestVariantSentinelsArePeers(t *testing.T) {
	for _, c := range []struct{ v, p *peer.Error }{
		{variant.ErrUnavailable, peer.ErrUnavailable},
		{variant.ErrUnauthorized, peer.ErrUnauthorized},
		{variant.ErrOutOfMemory, peer.ErrOutOfMemory},
		{variant.ErrFileEOF, peer.ErrFileEOF},
		{variant.ErrInvalidData, peer.ErrInvalidData},
		{variant.ErrInvalidParameter, peer.ErrInvalidParameter},
		{variant.ErrBug, peer.ErrBug},
	} {
		require.True(t, c.v == c.p, "%v != %v", c.v, c.p)
	}
	_, _, err := variant.Decode([]byte{0xff, 0, 0, 0})
	require.ErrorIs(t, err, peer.ErrInvalidData)
	require.NotErrorIs(t, err, peer.ErrFileEOF)
}

// Peer's own errors name the transport, the operation, Godot's code and
// the cause.
func TestPeerErrorShape(t *testing.T) {
	a, b := peer.Pipe(nil)
	defer b.Close()
	ctx := context.Background()

	require.NoError(t, a.PutPacket([]byte{0xff, 0, 0, 0})) // not a Variant
	_, err := b.ReadVar(ctx)
	var ve *variant.Error
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, peer.ErrInvalidData)
	require.Equal(t, 0, ve.Offset)
	require.True(t, strings.HasPrefix(err.Error(), "pipe: read var: variant: ERR_INVALID_DATA: "), err.Error())

	require.NoError(t, a.SetEncodeBufferMaxSize(1024))
	err = a.PutVar(make([]byte, 2000))
	require.ErrorIs(t, err, peer.ErrOutOfMemory)
	require.EqualError(t, err, "pipe: put var: encoded size 2008 exceeds encode buffer max size 1024 (ERR_OUT_OF_MEMORY)")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = b.ReadPacket(cctx)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, peer.ErrTimeout)
	require.EqualError(t, err, "pipe: read packet: context canceled (ERR_TIMEOUT)")

	require.NoError(t, a.Close())
	err = a.PutPacket([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)
	require.ErrorIs(t, err, peer.ErrClosed)
	require.EqualError(t, err, "pipe: put packet: use of closed network connection")
}
