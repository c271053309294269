// Package cdp drives a Chromium browser over the DevTools protocol through
// the --remote-debugging-pipe file descriptors: no port, no WebSocket, and
// nothing but the standard library. It covers what the project's tests
// (godottest, internal/browsertest) need: open and close pages (targets) in
// flat sessions, call methods, receive events, evaluate JavaScript and take
// screenshots.
package cdp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// maxMessage bounds one protocol message from the browser.
const maxMessage = 64 << 20

// ErrClosed is returned by calls on a browser that has exited or been closed.
var ErrClosed = errors.New("cdp: browser closed")

// Error is an error answer of the browser to a call.
type Error struct {
	Method  string
	Code    int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("cdp: %s: %s (%d)", e.Method, e.Message, e.Code)
}

// Event is a protocol event.
type Event struct {
	Method string
	Params json.RawMessage
}

type message struct {
	ID        int64           `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Browser is a running Chromium.
type Browser struct {
	cmd    *exec.Cmd
	in     *os.File // the browser reads commands here
	out    *os.File // the browser writes answers and events here
	stderr *tailBuffer
	exited chan struct{} // closed when the process has exited

	writeMu sync.Mutex

	mu       sync.Mutex
	nextID   int64
	pending  map[int64]chan message
	sessions map[string]*Session
	closed   bool
	readDone chan struct{}
}

// Launch starts the browser binary exe with flags (plus the pipe flag) and
// returns when it answers the protocol.
func Launch(ctx context.Context, exe string, flags ...string) (*Browser, error) {
	cmdIn, ourIn, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ourOut, cmdOut, err := os.Pipe()
	if err != nil {
		cmdIn.Close()
		ourIn.Close()
		return nil, err
	}
	b := &Browser{
		in:       ourIn,
		out:      ourOut,
		stderr:   &tailBuffer{max: 8 << 10},
		exited:   make(chan struct{}),
		pending:  map[int64]chan message{},
		sessions: map[string]*Session{},
		readDone: make(chan struct{}),
	}
	b.cmd = exec.Command(exe, append(append([]string{}, flags...), "--remote-debugging-pipe", "about:blank")...)
	b.cmd.ExtraFiles = []*os.File{cmdIn, cmdOut} // fds 3 and 4
	b.cmd.Stderr = b.stderr
	b.cmd.Stdout = b.stderr
	setProcessGroup(b.cmd)
	err = b.cmd.Start()
	cmdIn.Close()
	cmdOut.Close()
	if err != nil {
		ourIn.Close()
		ourOut.Close()
		return nil, err
	}
	go func() {
		b.cmd.Wait()
		// Unblocks the reader if a child process kept the pipe open.
		b.out.Close()
		close(b.exited)
	}()
	go b.read()
	var v struct {
		Product string `json:"product"`
	}
	if err := b.Call(ctx, "", "Browser.getVersion", nil, &v); err != nil {
		b.Close()
		return nil, fmt.Errorf("%w (browser output: %s)", err, b.Stderr())
	}
	return b, nil
}

// Stderr returns the end of what the browser printed.
func (b *Browser) Stderr() string { return b.stderr.String() }

func (b *Browser) read() {
	defer close(b.readDone)
	r := bufio.NewReaderSize(b.out, 64<<10)
	var buf []byte
	for {
		var err error
		buf, err = readMessage(r, buf[:0])
		if err != nil {
			break
		}
		var m message
		if json.Unmarshal(buf, &m) != nil {
			continue
		}
		b.dispatch(m)
	}
	b.mu.Lock()
	b.closed = true
	for id, ch := range b.pending {
		close(ch)
		delete(b.pending, id)
	}
	for _, s := range b.sessions {
		s.q.close()
	}
	b.mu.Unlock()
}

func (b *Browser) dispatch(m message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.ID != 0 {
		if ch, ok := b.pending[m.ID]; ok {
			delete(b.pending, m.ID)
			ch <- m
		}
		return
	}
	if s, ok := b.sessions[m.SessionID]; ok {
		s.q.push(Event{Method: m.Method, Params: m.Params})
		if m.Method == "Inspector.detached" || m.Method == "Inspector.targetCrashed" {
			s.q.close()
		}
	}
}

// errTooLong reports a message over maxMessage bytes.
var errTooLong = fmt.Errorf("cdp: message over %d bytes", maxMessage)

// readMessage appends the next NUL-terminated message from r to buf and
// returns it without the NUL. A message over maxMessage bytes is an error
// (nothing past the limit is kept); so is EOF before the NUL.
func readMessage(r *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := r.ReadSlice(0)
		if len(buf)+len(chunk) > maxMessage+1 {
			return buf, errTooLong
		}
		buf = append(buf, chunk...)
		switch err {
		case nil:
			return buf[:len(buf)-1], nil
		case bufio.ErrBufferFull:
			continue
		default:
			return buf, err
		}
	}
}

// Call calls method in session (the browser itself when "") with params and
// decodes the answer into result (when not nil).
func (b *Browser) Call(ctx context.Context, session, method string, params, result any) error {
	var raw json.RawMessage
	if params != nil {
		p, err := json.Marshal(params)
		if err != nil {
			return err
		}
		raw = p
	}
	ch := make(chan message, 1)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	data, err := json.Marshal(message{ID: id, SessionID: session, Method: method, Params: raw})
	if err != nil {
		return err
	}
	b.writeMu.Lock()
	_, err = b.in.Write(append(data, 0))
	b.writeMu.Unlock()
	if err != nil {
		b.forget(id)
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return ErrClosed
		}
		if m.Error != nil {
			return &Error{Method: method, Code: m.Error.Code, Message: m.Error.Message}
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-ctx.Done():
		b.forget(id)
		return ctx.Err()
	}
}

func (b *Browser) forget(id int64) {
	b.mu.Lock()
	delete(b.pending, id)
	b.mu.Unlock()
}

// NewPage opens a blank page and attaches a session to it.
func (b *Browser) NewPage(ctx context.Context) (*Session, error) {
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &t); err != nil {
		return nil, err
	}
	// The session is registered before attaching would race the first
	// events, so events for unknown sessions are dropped: a page's events
	// start with the domains it enables after attaching.
	var a struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &a); err != nil {
		return nil, err
	}
	s := &Session{b: b, ID: a.SessionID, target: t.TargetID, q: newQueue()}
	b.mu.Lock()
	if b.closed {
		s.q.close()
	} else {
		b.sessions[a.SessionID] = s
	}
	b.mu.Unlock()
	return s, nil
}

// Close closes the browser (politely, then by killing its process group)
// and waits for it to exit.
func (b *Browser) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	select {
	case <-b.exited:
	default:
		b.Call(ctx, "", "Browser.close", nil, nil)
	}
	select {
	case <-b.exited:
	case <-ctx.Done():
	}
	killProcessGroup(b.cmd)
	<-b.exited
	b.in.Close()
	<-b.readDone
	return nil
}

// Session is a page's session.
type Session struct {
	b      *Browser
	ID     string
	target string
	q      *queue
}

// Call calls method on the page.
func (s *Session) Call(ctx context.Context, method string, params, result any) error {
	return s.b.Call(ctx, s.ID, method, params, result)
}

// Next returns the page's next event; it fails with ErrClosed once the page
// is gone (detached, crashed or the browser closed) and its events are read.
func (s *Session) Next(ctx context.Context) (Event, error) {
	return s.q.pop(ctx)
}

// queue is an unbounded FIFO of events: the reader never blocks on a slow
// consumer (which would stall the answers to calls).
type queue struct {
	mu     sync.Mutex
	items  []Event
	closed bool
	ready  chan struct{} // has a value when items or closed changed
}

func newQueue() *queue { return &queue{ready: make(chan struct{}, 1)} }

func (q *queue) push(e Event) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, e)
	}
	q.mu.Unlock()
	q.signal()
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *queue) pop(ctx context.Context) (Event, error) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			e := q.items[0]
			q.items[0] = Event{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return e, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return Event{}, ErrClosed
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}

var _ io.Writer = (*tailBuffer)(nil)

// Exception is a JavaScript exception thrown (or a promise rejected) by an
// expression run with Evaluate.
type Exception struct {
	Text string // the exception's description, with its stack when it has one
}

func (e *Exception) Error() string { return "cdp: JavaScript exception: " + e.Text }

// Evaluate runs the JavaScript expression expr in the page, waits for it
// when it is a promise, and decodes its value (as JSON) into result when
// result is not nil. An exception thrown by expr is an *Exception.
func (s *Session) Evaluate(ctx context.Context, expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := s.Call(ctx, "Runtime.evaluate", map[string]any{
		"expression":    expr,
		"awaitPromise":  true,
		"returnByValue": true,
	}, &r)
	if err != nil {
		return err
	}
	if r.Exception != nil {
		text := r.Exception.Exception.Description
		if text == "" {
			text = r.Exception.Text
		}
		return &Exception{Text: text}
	}
	if result == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, result)
}

// Screenshot returns a PNG of the page's viewport.
func (s *Session) Screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	if err := s.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return nil, err
	}
	return r.Data, nil
}

// Close closes the page.
func (s *Session) Close(ctx context.Context) error {
	return s.b.Call(ctx, "", "Target.closeTarget", map[string]any{"targetId": s.target}, nil)
}
