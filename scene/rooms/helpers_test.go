package rooms_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/scene"
	"github.com/packetpeer/packetpeer/transport/websocket"
)

// noLeaks fails the test if goroutines started during it still run shortly
// after it ends.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			runtime.Gosched()
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// mainMethods are the RPCs of the spec's §15 Main node, whose checksum
// the SIMPLIFY_PATH bytes below carry.
var mainMethods = func() *scene.Methods {
	anyPeer := scene.RPCConfig{Mode: scene.RPCModeAnyPeer, TransferMode: scene.TransferModeReliable}
	m, err := scene.NewMethods(
		[]scene.Method{{Name: "node_m", RPCConfig: anyPeer}},
		[]scene.Method{{Name: "zeta", RPCConfig: anyPeer}, {Name: "alpha", RPCConfig: anyPeer}, {Name: "hello", RPCConfig: anyPeer},
			{Name: "Zed", RPCConfig: anyPeer}, {Name: "from_server", RPCConfig: scene.DefaultRPC}, {Name: "noargs", RPCConfig: anyPeer}, {Name: "pba", RPCConfig: anyPeer}},
	)
	if err != nil {
		panic(err)
	}
	return m
}()

// h decodes spaced hex from the spec.
func h(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func le32(id int32) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(id))
	return fmt.Sprintf("% x", b)
}

// rawClient is a WebSocketMultiplayerPeer client that speaks
// SceneMultiplayer byte by byte, as a Godot client does.
type rawClient struct {
	t  *testing.T
	p  *websocket.MultiplayerPeer
	id int32
}

func dial(t *testing.T, url string) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err := websocket.DialClient(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &rawClient{t: t, p: p, id: p.UniqueID()}
}

func (c *rawClient) send(hexs string) {
	c.t.Helper()
	if err := c.p.SendTo(1, scene.TransferModeReliable, 0, h(c.t, hexs)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) next() []byte {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 10*time.Second)
	defer cancel()
	b, _, err := c.p.ReadPacketFrom(ctx)
	if err != nil {
		c.t.Fatalf("client %d: %v", c.id, err)
	}
	return bytes.Clone(b)
}

func (c *rawClient) expect(what string, want []byte) {
	c.t.Helper()
	if got := c.next(); !bytes.Equal(got, want) {
		c.t.Fatalf("client %d, %s:\n got % x\nwant % x", c.id, what, got, want)
	}
}

type got struct {
	sender int32
	what   string
}

// waitFor reads the next event of c, which must be want, failing after 10 s.
func waitFor(t *testing.T, c <-chan got, want got) {
	t.Helper()
	select {
	case g := <-c:
		if g != want {
			t.Fatalf("got %+v, want %+v", g, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %+v", want)
	}
}
