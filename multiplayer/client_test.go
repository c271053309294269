package multiplayer

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

func TestQueue(t *testing.T) {
	q := NewQueue[int]()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := q.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on empty queue = %v", err)
	}
	// FIFO across compactions.
	next := 0
	for i := range 1000 {
		q.Push(i)
		if i%3 == 2 {
			v, ok, err := q.Pop()
			if !ok || err != nil || v != next {
				t.Fatalf("Pop = %d, %v, %v; want %d", v, ok, err, next)
			}
			next++
		}
	}
	if q.Len() != 1000-next {
		t.Fatalf("Len %d, want %d", q.Len(), 1000-next)
	}
	ended := SessionEnded("test", "over")
	q.End(ended)
	q.End(io.ErrUnexpectedEOF) // the first end counts
	for next < 1000 {
		if err := q.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		v, ok, _ := q.Pop()
		if !ok || v != next {
			t.Fatalf("Pop = %d, %v; want %d", v, ok, next)
		}
		next++
	}
	if err := q.Wait(context.Background()); err != nil {
		t.Fatalf("Wait after End = %v, want nil (the end is there to report)", err)
	}
	if _, ok, err := q.Pop(); ok || err != ended {
		t.Fatalf("Pop after the notes = %v, %v; want the end", ok, err)
	}
	if !errors.Is(ended, peer.ErrUnconfigured) || !errors.Is(ended, io.EOF) {
		t.Errorf("SessionEnded matches neither ErrUnconfigured nor io.EOF")
	}

	q2 := NewQueue[int]()
	done := make(chan error)
	go func() { done <- q2.Wait(context.Background()) }()
	q2.Close()
	q2.Close()
	if err := <-done; !errors.Is(err, peer.ErrClosed) {
		t.Fatalf("Wait across Close = %v", err)
	}
}

type closer struct{ closed bool }

func (c *closer) Close() error { c.closed = true; return nil }

func TestConnectingAwait(t *testing.T) {
	c := NewConnecting("test")
	if !c.Finish(nil) || c.Finish(io.EOF) {
		t.Fatal("Finish: only the first call counts")
	}
	p := &closer{}
	if got, err := Await(context.Background(), p, c); got != p || err != nil || p.closed {
		t.Fatalf("Await connected = %v, %v, closed %v", got, err, p.closed)
	}
	c = NewConnecting("test")
	c.Finish(io.EOF)
	if got, err := Await(context.Background(), p, c); got != nil || err != io.EOF || !p.closed {
		t.Fatalf("Await failed = %v, %v, closed %v", got, err, p.closed)
	}
	c, p = NewConnecting("test"), &closer{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Await(ctx, p, c); !errors.Is(err, context.Canceled) || !errors.Is(err, peer.ErrTimeout) || !p.closed {
		t.Fatalf("Await cancelled = %v, closed %v", err, p.closed)
	}
}

// GetPacket skips notes whose packet is gone, then reports the end.
func TestQueueGetPacket(t *testing.T) {
	q := NewQueue[int]()
	read := func(v int) ([]byte, PacketInfo, bool) {
		return []byte{byte(v)}, PacketInfo{From: int32(v)}, v%2 == 0
	}
	for i := range 4 {
		q.Push(i)
	}
	for _, want := range []int32{0, 2} {
		b, info, err := q.GetPacket(read)
		if err != nil || info.From != want || b[0] != byte(want) {
			t.Fatalf("GetPacket = %v, %+v, %v; want packet %d", b, info, err, want)
		}
	}
	if _, _, err := q.GetPacket(read); !errors.Is(err, peer.ErrUnavailable) {
		t.Fatalf("GetPacket with no note left = %v, want ErrUnavailable", err)
	}
	ended := SessionEnded("test", "over")
	q.End(ended)
	if _, _, err := q.GetPacket(read); err != ended {
		t.Fatalf("GetPacket after End = %v", err)
	}
	if got := ended.Error(); got != "test: read packet: over: EOF (ERR_UNCONFIGURED)" {
		t.Errorf("SessionEnded text %q", got)
	}
}
