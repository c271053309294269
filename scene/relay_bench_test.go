package scene

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/packetpeer/packetpeer/transport/websocket"
)

// relayClients is the number of WebSocket clients in the relay benchmarks
// (the figure).
const relayClients = 100

// relayCall is an RPC hello(true, 300) by cache id, as Godot sends it once
// the path is confirmed: what the relay forwards.
var relayCall = []byte{0x00, 0x01, 0x03, 0x02, 0x81, 0x42, 0x2c, 0x01}

// cpuTime is the process's user+system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runRelay has relayClients gorilla clients, paired (0-1, 2-3, ...), each
// send b.N/relayClients messages to its partner through the server at url
// and read as many; first(conn) reads the server's first message and
// returns the client's id, msg(partner id) the bytes to send. It reports
// CPU time per relayed message, clients included (the same in both
// benchmarks).
func runRelay(b *testing.B, url string, first func(*gws.Conn) int32, msg func(partner int32) []byte) {
	conns := make([]*gws.Conn, relayClients)
	ids := make([]int32, relayClients)
	for i := range conns {
		c, _, err := gws.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i], ids[i] = c, first(c)
	}
	per := max(b.N/relayClients, 1)
	b.ResetTimer()
	start := cpuTime(b)
	var wg sync.WaitGroup
	for i, c := range conns {
		m := msg(ids[i^1])
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range per {
				if err := c.WriteMessage(gws.BinaryMessage, m); err != nil {
					b.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for n := 0; n < per; {
				_, p, err := c.ReadMessage()
				if err != nil {
					b.Error(err)
					return
				}
				if len(p) >= len(relayCall) {
					n++
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-start)/float64(per*relayClients), "cpu-ns/msg")
}

// BenchmarkRelay100 is a scene.Multiplayer server on a WebSocket
// multiplayer peer relaying RPCs between 100 clients (RELAY in, RELAY out
// stamped with the sender). Compare with BenchmarkRelay100Gorilla.
func BenchmarkRelay100(b *testing.B) {
	srv, err := websocket.CreateServer("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	m := NewMultiplayer(srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	runRelay(b, "ws://"+srv.Addr().String()+"/", func(c *gws.Conn) int32 {
		_, p, err := c.ReadMessage()
		if err != nil || len(p) != 4 {
			b.Fatalf("id message % x, %v", p, err)
		}
		return int32(binary.LittleEndian.Uint32(p))
	}, func(partner int32) []byte {
		p, _ := AppendRelay(nil, partner, relayCall)
		return p
	})
	if m.Stats().Relayed == 0 {
		b.Fatal("nothing relayed")
	}
}

// BenchmarkRelay100Gorilla is the baseline: a plain gorilla/websocket
// server forwarding each message, unparsed, to the sender's partner.
func BenchmarkRelay100Gorilla(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	type conn struct {
		mu sync.Mutex
		c  *gws.Conn
	}
	var mu sync.Mutex
	var conns []*conn
	up := gws.Upgrader{}
	var wg sync.WaitGroup
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		me := &conn{c: c}
		mu.Lock()
		id := len(conns)
		conns = append(conns, me)
		mu.Unlock()
		var idMsg [4]byte
		binary.LittleEndian.PutUint32(idMsg[:], uint32(id))
		me.mu.Lock()
		c.WriteMessage(gws.BinaryMessage, idMsg[:])
		me.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			for {
				_, p, err := c.ReadMessage()
				if err != nil {
					return
				}
				mu.Lock()
				var to *conn
				if id^1 < len(conns) {
					to = conns[id^1]
				}
				mu.Unlock()
				if to != nil {
					to.mu.Lock()
					to.c.WriteMessage(gws.BinaryMessage, p)
					to.mu.Unlock()
				}
			}
		}()
	})}
	go hs.Serve(ln)
	defer func() {
		hs.Close()
		mu.Lock()
		for _, c := range conns {
			c.c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	runRelay(b, "ws://"+ln.Addr().String()+"/", func(c *gws.Conn) int32 {
		_, p, err := c.ReadMessage()
		if err != nil || len(p) != 4 {
			b.Fatalf("id message % x, %v", p, err)
		}
		return int32(binary.LittleEndian.Uint32(p))
	}, func(partner int32) []byte {
		p, _ := AppendRelay(nil, partner, relayCall) // the same bytes, forwarded unparsed
		return p
	})
}
