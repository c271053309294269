package enet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/devcert"
	"github.com/packetpeer/packetpeer/multiplayer"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/stretchr/testify/require"
)

var (
	bridgeOnce sync.Once
	bridgePath string
	bridgeErr  error
)

// dtlsBridge builds testdata/dtlsbridge.c (mbedTLS, as in Godot). Without
// gcc or libmbedtls-dev the test is skipped, unless
// PACKETPEER_REQUIRE_MBEDTLS=1 makes that a failure.
func dtlsBridge(t *testing.T) string {
	t.Helper()
	bridgeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dtlsbridge")
		if err != nil {
			bridgeErr = err
			return
		}
		bridgePath = filepath.Join(dir, "dtlsbridge")
		out, err := exec.Command("gcc", "-O1", "-Wall", "-o", bridgePath, "testdata/dtlsbridge.c",
			"-lmbedtls", "-lmbedx509", "-lmbedcrypto").CombinedOutput()
		if err != nil {
			bridgeErr = fmt.Errorf("building the mbedTLS bridge (apt-get install gcc libmbedtls-dev): %v\n%s", err, out)
		}
	})
	if bridgeErr != nil {
		if os.Getenv("PACKETPEER_REQUIRE_MBEDTLS") == "1" {
			t.Fatal(bridgeErr)
		}
		t.Skip(bridgeErr)
	}
	return bridgePath
}

// TestDTLSGodotClient connects a Godot-like ENet client (libenet, the
// godot-client mode of enetpeer.c) through mbedTLS configured as Godot's
// dtls_client_setup(hostname, TLSOptions.client_unsafe()) to a Go
// MultiplayerPeer server with DTLS: with an empty hostname mbedTLS sends a
// server_name extension holding an empty name, which pion alone refuses;
// the host repairs the handshake, and the client is admitted and
// exchanges packets as without DTLS.
func TestDTLSGodotClient(t *testing.T) {
	bridge := dtlsBridge(t)
	for _, hostname := range []string{"", "localhost"} {
		t.Run(fmt.Sprintf("hostname %q", hostname), func(t *testing.T) {
			peertest.CheckGoroutines(t)
			cert, err := devcert.New()
			require.NoError(t, err)
			srv, err := CreateServer("127.0.0.1:0", nil)
			require.NoError(t, err)
			defer srv.Close()
			require.NoError(t, srv.Host().DTLSServerSetup(cert.TLS))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()

			b := startProc(t, bridge, fmt.Sprint(srv.Host().LocalPort()), hostname)
			if l := b.expect(t, "HANDSHAKE "); !strings.HasPrefix(l, "HANDSHAKE OK DTLSv1.2") {
				t.Fatalf("mbedTLS: %q", l)
			}
			port := strings.TrimPrefix(b.expect(t, "BRIDGE "), "BRIDGE ")
			c := startC(t, "godot-client", port, "4242")
			c.expect(t, "PEER_CONNECTED 1 channels=255")
			if ev, err := srv.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerConnected, ID: 4242}) {
				t.Fatalf("server event %v, %v; want peer_connected(4242)", ev, err)
			}
			c.command(t, "send 2 0 over-dtls")
			got, info, err := srv.ReadPacketFrom(ctx)
			if err != nil || string(got) != "over-dtls" || info != (multiplayer.PacketInfo{From: 4242, Mode: multiplayer.TransferModeReliable}) {
				t.Errorf("server read %q %+v, %v", got, info, err)
			}
			require.NoError(t, srv.SendTo(4242, multiplayer.TransferModeReliable, 1, []byte("back")))
			want := godotCase{multiplayer.TransferModeReliable, 1, 2, 1}.packetLine(1, "back")
			if l := c.expect(t, "PACKET "); l != want {
				t.Errorf("client saw %q, want %q", l, want)
			}
			require.NoError(t, srv.DisconnectPeer(4242, false))
			c.expect(t, "PEER_DISCONNECTED 1")
			if ev, err := srv.ReadEvent(ctx); err != nil || ev != (multiplayer.Event{Type: multiplayer.PeerDisconnected, ID: 4242}) {
				t.Errorf("server event %v, %v; want peer_disconnected(4242)", ev, err)
			}
			// The DTLS session ends with the remote's last ENet connection.
			b.expect(t, "PEER CLOSE_NOTIFY")
			require.NoError(t, b.wait(t))
		})
	}
}
