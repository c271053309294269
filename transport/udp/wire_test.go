package udp

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/variant"
)

// Bytes from the golden vectors (../shared/vectors/godot4-variant.json):
// what Godot 4's put_var puts in the UDP payload, with no framing.
const (
	vecDictStrInt = "1b000000010000000400000001000000610000000200000001000000" // dictionary_str_int: {"a": 1}
	vecHello      = "040000000500000068656c6c6f000000"                         // string_hello: "hello"
)

// TestGodotWire plays a Godot PacketPeerUDP with a raw socket: its put_var
// datagram is decoded by a Listener peer, and the peer's PutVar reaches the
// raw socket as exactly Godot's bytes.
func TestGodotWire(t *testing.T) {
	peertest.CheckGoroutines(t)
	l, err := Listen("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer l.Close()
	godot := rawSockets(t, 1)[0]
	in, _ := hex.DecodeString(vecDictStrInt)
	_, err = godot.WriteToUDPAddrPort(in, listenerAddr(l))
	require.NoError(t, err)

	ctx := testCtx(t)
	srv, err := l.Accept(ctx)
	require.NoError(t, err)
	v, err := srv.ReadVar(ctx)
	require.NoError(t, err)
	var got map[string]int
	raw, err := variant.Marshal(v)
	require.NoError(t, err)
	require.Equal(t, in, raw, "decoded value re-encodes to Godot's bytes")
	require.NoError(t, variant.Unmarshal(raw, &got))
	require.Equal(t, map[string]int{"a": 1}, got)

	require.NoError(t, srv.PutVar("hello"))
	require.NoError(t, srv.PutVar(variant.NewDictionary("a", 1)))
	buf := make([]byte, 2048)
	require.NoError(t, godot.SetReadDeadline(time.Now().Add(5*time.Second)))
	for _, want := range []string{vecHello, vecDictStrInt} {
		n, from, err := godot.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		require.Equal(t, listenerAddr(l), from, "replies come from the listening socket, as UDPServer's do")
		require.Equal(t, want, hex.EncodeToString(buf[:n]))
	}
}
