package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/peer/peertest"
)

// TestManyClients: 40 clients at once, each echoing 100 messages of mixed
// sizes and modes through the server, then everything closed while some
// writes may still be in flight. Bounded in count and time.
func TestManyClients(t *testing.T) {
	peertest.CheckGoroutines(t)
	const clients, msgs = 40, 100
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := Listen("127.0.0.1:0", &Config{HeartbeatInterval: time.Second})
	require.NoError(t, err)

	var serverWG sync.WaitGroup
	serverWG.Add(1)
	go func() { // accept and echo
		defer serverWG.Done()
		for {
			s, err := l.Accept(ctx)
			if err != nil {
				return
			}
			serverWG.Add(1)
			go func() {
				defer serverWG.Done()
				defer s.Close()
				for {
					b, err := s.ReadPacket(ctx)
					if err != nil {
						return
					}
					mode := WriteModeBinary
					if s.WasStringPacket() {
						mode = WriteModeText
					}
					if err := s.Send(b, mode); err != nil {
						return
					}
				}
			}()
		}
	}()

	errc := make(chan error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- func() error {
				c, err := Dial(ctx, wsURL(l), nil)
				if err != nil {
					return err
				}
				defer c.Close()
				for j := range msgs {
					msg := bytes.Repeat([]byte{byte(i), byte(j)}, 1+(i*j)%1000)
					text := j%3 == 0
					if text {
						msg = []byte(fmt.Sprintf("client %d message %d", i, j))
						err = c.SendText(string(msg))
					} else {
						err = c.WritePacket(ctx, msg)
					}
					if err != nil {
						return err
					}
					got, err := c.ReadPacket(ctx)
					if err != nil {
						return err
					}
					if !bytes.Equal(got, msg) || c.WasStringPacket() != text {
						return fmt.Errorf("client %d message %d: echo mismatch (%d bytes, text %v)", i, j, len(got), c.WasStringPacket())
					}
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	require.NoError(t, l.Close())
	serverWG.Wait()
	require.False(t, errors.Is(ctx.Err(), context.DeadlineExceeded), "load test ran out of time")
}
