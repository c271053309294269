package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

func TestDemo(t *testing.T) {
	for _, name := range []string{"stream", "udp"} {
		if _, ok := networks[name]; !ok {
			t.Fatalf("the demo has no %q network", name)
		}
	}
	for name, n := range networks {
		t.Run(name, func(t *testing.T) {
			peertest.CheckGoroutines(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out bytes.Buffer
			if err := run(ctx, n, &out); err != nil {
				t.Fatalf("demo failed: %v\n%s", err, out.String())
			}
			for _, want := range []string{
				"alice | * welcome alice (members: alice)",
				"bob   | * welcome bob (members: alice, bob)",
				"bob   | <alice> hi bob",
				"alice | <bob> hello alice!",
				"alice | * bob left",
				"demo finished",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("transcript lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
