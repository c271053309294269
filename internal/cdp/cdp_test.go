package cdp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
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

// TestPageEvaluate runs a real Chromium: values and promises come back as
// JSON, an exception is an *Exception, a screenshot is a PNG, and a closed
// page's events end with ErrClosed.
func TestPageEvaluate(t *testing.T) {
	exe, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("PACKETPEER_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium (PACKETPEER_REQUIRE_BROWSER=1)")
		}
		t.Skip("no chromium (set PACKETPEER_REQUIRE_BROWSER=1 to fail instead)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Launch(ctx, exe, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := p.Evaluate(ctx, "Promise.resolve(40).then((x) => x + 2)", &sum); err != nil || sum != 42 {
		t.Fatalf("Evaluate of a promise: %d, %v; want 42", sum, err)
	}
	var x *Exception
	if err := p.Evaluate(ctx, "(() => { throw new Error('boom') })()", nil); !errors.As(err, &x) || !strings.Contains(x.Text, "boom") {
		t.Fatalf("Evaluate of a throw: %v, want an *Exception naming boom", err)
	}
	png, err := p.Screenshot(ctx)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("Screenshot: %d bytes %q..., %v", len(png), png[:min(len(png), 4)], err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := p.Next(ctx); err != nil {
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("events of a closed page end with %v, want ErrClosed", err)
			}
			break
		}
	}
}
