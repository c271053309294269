package enet

import (
	"context"
	"testing"
)

// A peer the server disconnects right after the handshake has connected
// and ended by the time a slow Dial looks: Dial returns it (its reads
// report the end), never "no answer". The old select chose at random and
// failed ExampleListen once under load.
func TestAwaitConnectPrefersConnected(t *testing.T) {
	connected, ended := make(chan struct{}), make(chan struct{})
	close(connected)
	close(ended)
	for range 200 {
		if ok, err := awaitConnect(context.Background(), connected, ended); !ok || err != nil {
			t.Fatalf("awaitConnect = %v, %v; want connected", ok, err)
		}
	}
	never := make(chan struct{})
	if ok, err := awaitConnect(context.Background(), never, ended); ok || err != nil {
		t.Fatalf("ended before connecting: awaitConnect = %v, %v; want false, nil", ok, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, err := awaitConnect(ctx, never, never); ok || err == nil {
		t.Fatalf("ctx done: awaitConnect = %v, %v; want its error", ok, err)
	}
}
