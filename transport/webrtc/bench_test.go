package webrtc

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	pion "github.com/pion/webrtc/v4"
)

// Benchmarks: this package's DataChannel against a raw pion DataChannel doing
// the same work on the same loopback setup, in one run:
//
//	go test -run '^$' -bench . -benchmem ./transport/webrtc/
//
// Throughput: one side sends b.N messages on a reliable ordered channel, the
// other receives them all (msgs/s), with at most throughputDatagrams in
// flight, after a warm-up. RoundTrip: one 64-byte message there and
// back per op. Both senders keep at most DefaultMaxBufferedAmount queued.

func rawAPI() *pion.API {
	var se pion.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return pion.NewAPI(pion.WithSettingEngine(se))
}

// rawPair connects two raw pion peer connections with one negotiated,
// reliable, ordered channel and returns both ends once open.
func rawPair(b *testing.B) (*pion.DataChannel, *pion.DataChannel) {
	b.Helper()
	api := rawAPI()
	pa, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		b.Fatal(err)
	}
	pb, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		pa.GracefulClose()
		pb.GracefulClose()
	})
	neg, id := true, uint16(1)
	da, err := pa.CreateDataChannel("bench", &pion.DataChannelInit{Negotiated: &neg, ID: &id})
	if err != nil {
		b.Fatal(err)
	}
	db, err := pb.CreateDataChannel("bench", &pion.DataChannelInit{Negotiated: &neg, ID: &id})
	if err != nil {
		b.Fatal(err)
	}
	openA, openB := make(chan struct{}), make(chan struct{})
	da.OnOpen(func() { close(openA) })
	db.OnOpen(func() { close(openB) })
	offer, _ := pa.CreateOffer(nil)
	gatherA := pion.GatheringCompletePromise(pa)
	if err := pa.SetLocalDescription(offer); err != nil {
		b.Fatal(err)
	}
	<-gatherA
	if err := pb.SetRemoteDescription(*pa.LocalDescription()); err != nil {
		b.Fatal(err)
	}
	answer, _ := pb.CreateAnswer(nil)
	gatherB := pion.GatheringCompletePromise(pb)
	if err := pb.SetLocalDescription(answer); err != nil {
		b.Fatal(err)
	}
	<-gatherB
	if err := pa.SetRemoteDescription(*pb.LocalDescription()); err != nil {
		b.Fatal(err)
	}
	<-openA
	<-openB
	return da, db
}

// rawSender sends with the same flow control as PutPacket.
func rawSender(d *pion.DataChannel) func(p []byte) error {
	low := make(chan struct{}, 1)
	d.SetBufferedAmountLowThreshold(DefaultMaxBufferedAmount / 2)
	d.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	return func(p []byte) error {
		for d.BufferedAmount() > DefaultMaxBufferedAmount {
			<-low
		}
		return d.Send(p)
	}
}

// throughputDatagrams bounds the datagrams a Throughput sender has in
// flight (messages sent and not yet handed to the receiver, times the SCTP
// DATA chunks each takes: pion's SCTP packets carry at most sctpPayload
// bytes, so a 1200 B message is two), and throughputWarmup is how many
// windows go through each connection before the timer starts. Bounded only
// by DefaultMaxBufferedAmount (1 MiB), the sender overran the UDP receive
// buffer (208 KiB, about 90 full datagrams) whenever the receiving
// goroutines fell behind on a loaded machine; SCTP then waited out its 1 s
// minimum retransmission timeout, so a run measured either the steady rate
// or loss recovery (raw pion: 7 400 or 30 800 msgs/s).
const (
	throughputDatagrams = 64
	sctpPayload         = 1191 - 12 - 16 // pion's initial MTU less the common and DATA chunk headers
	throughputWarmup    = 4
)

// window counts messages sent and received and holds the sender back while
// throughputDatagrams datagrams are in flight. It also keeps the longest gap
// between two received messages: SCTP waits at least a second to
// retransmit what fast retransmit did not recover, so a gap that long is
// loss recovery, not the steady rate.
type window struct {
	n       int64 // messages
	sent    int64 // the sender's
	got     atomic.Int64
	more    chan struct{}
	epoch   time.Time
	last    atomic.Int64 // since epoch; 0: none yet
	longest atomic.Int64
}

func newWindow(size int) *window {
	chunks := (size + sctpPayload - 1) / sctpPayload
	return &window{n: int64(max(4, throughputDatagrams/chunks)), more: make(chan struct{}, 1), epoch: time.Now()}
}

// received counts one message handed to the receiver and returns the count.
func (w *window) received() int64 {
	now := int64(time.Since(w.epoch))
	if last := w.last.Swap(now); last != 0 && now-last > w.longest.Load() {
		w.longest.Store(now - last) // one receiving goroutine
	}
	g := w.got.Add(1)
	if g%(w.n/4) == 0 {
		select {
		case w.more <- struct{}{}:
		default:
		}
	}
	return g
}

// wait returns when one more message may be sent, and counts it as sent.
func (w *window) wait() {
	for w.sent-w.got.Load() >= w.n {
		<-w.more
	}
	w.sent++
}

// timeThroughput runs a warm-up, then times run(b.N); run returns once
// every message was received. It reports the longest gap between two
// received messages while timed.
func timeThroughput(b *testing.B, size int, w *window, run func(n int)) {
	run(throughputWarmup * int(w.n))
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	w.last.Store(0)
	w.longest.Store(0)
	run(b.N)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(time.Duration(w.longest.Load()).Microseconds())/1000, "max-gap-ms")
}

func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{64, 1200} {
		b.Run("sdk/"+itoa(size), func(b *testing.B) {
			_, a, c := negotiatedPair(b, DataChannelConfig{ID: 1})
			msg := make([]byte, size)
			ctx := context.Background()
			w := newWindow(size)
			timeThroughput(b, size, w, func(n int) {
				done := make(chan error, 1)
				go func() {
					for range n {
						if _, err := c.ReadPacket(ctx); err != nil {
							done <- err
							return
						}
						w.received()
					}
					done <- nil
				}()
				for range n {
					w.wait()
					if err := a.PutPacket(msg); err != nil {
						b.Fatal(err)
					}
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("raw/"+itoa(size), func(b *testing.B) {
			da, db := rawPair(b)
			msg := make([]byte, size)
			send := rawSender(da)
			w := newWindow(size)
			var target atomic.Int64
			done := make(chan struct{}, 1)
			db.OnMessage(func(pion.DataChannelMessage) {
				if w.received() == target.Load() {
					done <- struct{}{}
				}
			})
			timeThroughput(b, size, w, func(n int) {
				target.Store(w.sent + int64(n))
				for range n {
					w.wait()
					if err := send(msg); err != nil {
						b.Fatal(err)
					}
				}
				<-done
			})
		})
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	b.Run("sdk", func(b *testing.B) {
		_, a, c := negotiatedPair(b, DataChannelConfig{ID: 1})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { // echo
			for {
				p, err := c.ReadPacket(ctx)
				if err != nil || c.PutPacket(p) != nil {
					return
				}
			}
		}()
		msg := make([]byte, 64)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := a.PutPacket(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := a.ReadPacket(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		da, db := rawPair(b)
		db.OnMessage(func(m pion.DataChannelMessage) { db.Send(m.Data) })
		got := make(chan struct{}, 1)
		da.OnMessage(func(pion.DataChannelMessage) { got <- struct{}{} })
		msg := make([]byte, 64)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := da.Send(msg); err != nil {
				b.Fatal(err)
			}
			<-got
		}
	})
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// runner does n units of a benchmark's work on one implementation.
type runner func(n int)

func sdkThroughput(b *testing.B, size int) runner {
	_, a, c := negotiatedPair(b, DataChannelConfig{ID: 1})
	want, done := make(chan int), make(chan error)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go func() {
		for {
			var n int
			select {
			case n = <-want:
			case <-ctx.Done():
				return
			}
			var err error
			for range n {
				if _, err = c.ReadPacket(ctx); err != nil {
					break
				}
			}
			done <- err
		}
	}()
	msg := make([]byte, size)
	return func(n int) {
		want <- n
		for range n {
			if err := a.PutPacket(msg); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

func rawThroughput(b *testing.B, size int) runner {
	da, db := rawPair(b)
	send := rawSender(da)
	var count, target atomic.Int64
	done := make(chan struct{}, 1)
	db.OnMessage(func(pion.DataChannelMessage) {
		if count.Add(1) == target.Load() {
			done <- struct{}{}
		}
	})
	msg := make([]byte, size)
	return func(n int) {
		target.Store(count.Load() + int64(n))
		for range n {
			if err := send(msg); err != nil {
				b.Fatal(err)
			}
		}
		<-done
	}
}

func sdkRoundTrip(b *testing.B) runner {
	_, a, c := negotiatedPair(b, DataChannelConfig{ID: 1})
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go func() {
		for {
			p, err := c.ReadPacket(ctx)
			if err != nil || c.PutPacket(p) != nil {
				return
			}
		}
	}()
	msg := make([]byte, 64)
	return func(n int) {
		for range n {
			if err := a.PutPacket(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := a.ReadPacket(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func rawRoundTrip(b *testing.B) runner {
	da, db := rawPair(b)
	db.OnMessage(func(m pion.DataChannelMessage) { db.Send(m.Data) })
	got := make(chan struct{}, 1)
	da.OnMessage(func(pion.DataChannelMessage) { got <- struct{}{} })
	msg := make([]byte, 64)
	return func(n int) {
		for range n {
			if err := da.Send(msg); err != nil {
				b.Fatal(err)
			}
			<-got
		}
	}
}

// BenchmarkVsRaw runs the SDK and raw pion alternately in chunks within one
// benchmark, so both see the same machine load, and reports each one's rate
// and their ratio (sdk/raw, higher is better; 1.0 = as fast as raw pion).
func BenchmarkVsRaw(b *testing.B) {
	cases := []struct {
		name     string
		chunk    int
		sdk, raw func(b *testing.B) runner
		unit     string
	}{
		{"throughput/64", 500, func(b *testing.B) runner { return sdkThroughput(b, 64) }, func(b *testing.B) runner { return rawThroughput(b, 64) }, "msgs/s"},
		{"throughput/1200", 100, func(b *testing.B) runner { return sdkThroughput(b, 1200) }, func(b *testing.B) runner { return rawThroughput(b, 1200) }, "msgs/s"},
		{"roundtrip/64", 1, sdkRoundTrip, rawRoundTrip, "rtt/s"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			sdk, raw := c.sdk(b), c.raw(b)
			sdk(c.chunk) // warm up both
			raw(c.chunk)
			var tSDK, tRaw time.Duration
			b.ResetTimer()
			for left := b.N; left > 0; {
				n := min(c.chunk, left)
				t0 := time.Now()
				sdk(n)
				t1 := time.Now()
				raw(n)
				tSDK += t1.Sub(t0)
				tRaw += time.Since(t1)
				left -= n
			}
			b.ReportMetric(float64(b.N)/tSDK.Seconds(), "sdk-"+c.unit)
			b.ReportMetric(float64(b.N)/tRaw.Seconds(), "raw-"+c.unit)
			b.ReportMetric(tRaw.Seconds()/tSDK.Seconds(), "sdk/raw")
		})
	}
}
