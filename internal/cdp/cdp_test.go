package cdp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestQueueOrderAndClose(t *testing.T) {
	q := newQueue()
	for _, m := range []string{"a", "b", "c"} {
		q.push(Event{Method: m})
	}
	q.close()
	q.push(Event{Method: "after close"})
	for _, want := range []string{"a", "b", "c"} {
		e, err := q.pop(context.Background())
		if err != nil || e.Method != want {
			t.Fatalf("pop = %q, %v; want %q", e.Method, err, want)
		}
	}
	if _, err := q.pop(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("pop after the last event: %v, want ErrClosed", err)
	}
}

func TestQueuePopWaits(t *testing.T) {
	q := newQueue()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.pop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("pop on an empty queue with a cancelled context: %v", err)
	}
	got := make(chan string)
	go func() {
		e, _ := q.pop(context.Background())
		got <- e.Method
	}()
	q.push(Event{Method: "x"})
	if m := <-got; m != "x" {
		t.Fatalf("waiting pop got %q", m)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 4}
	b.Write([]byte("abc"))
	b.Write([]byte("defg"))
	if got := b.String(); got != "defg" {
		t.Fatalf("tail %q, want %q", got, "defg")
	}
}

func TestLaunchMissingBinary(t *testing.T) {
	if _, err := Launch(context.Background(), "/nonexistent/chromium"); err == nil {
		t.Fatal("Launch of a missing binary succeeded")
	}
}

func TestReadMessage(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader(`{"id":1}`+"\x00"+strings.Repeat("x", 100)+"\x00"+"partial"), 16)
	m, err := readMessage(r, nil)
	if err != nil || string(m) != `{"id":1}` {
		t.Fatalf("first message %q, %v", m, err)
	}
	m, err = readMessage(r, m[:0])
	if err != nil || string(m) != strings.Repeat("x", 100) {
		t.Fatalf("second message (longer than the reader's buffer) %q, %v", m, err)
	}
	if _, err := readMessage(r, m[:0]); !errors.Is(err, io.EOF) {
		t.Fatalf("message cut by EOF: %v, want io.EOF", err)
	}
}

// FuzzReadMessage: any byte stream splits into the NUL-free pieces between
// NULs, every message is bounded by maxMessage, and reading ends.
func FuzzReadMessage(f *testing.F) {
	f.Add([]byte("{}\x00{\"id\":2}\x00"))
	f.Add([]byte("\x00\x00x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 16)
		var buf []byte
		read := 0
		for {
			var err error
			buf, err = readMessage(r, buf[:0])
			if err != nil {
				break
			}
			if bytes.IndexByte(buf, 0) >= 0 || len(buf) > maxMessage {
				t.Fatalf("message %q holds a NUL or is too long", buf)
			}
			read += len(buf) + 1
		}
		if read > len(data) {
			t.Fatalf("read %d bytes of messages from %d", read, len(data))
		}
	})
}
