package udp

import (
	"context"
	"errors"
	"time"

	"github.com/packetpeer/packetpeer/internal/udpsock"
	"github.com/packetpeer/packetpeer/peer"
)

// A polled Listener (Config.Polled) has no goroutine: Poll and PollContext
// read the socket on the caller's goroutine, as Godot's UDPServer.poll
// does, sort the datagrams to the peers through the same demux as the read
// loop, run the idle expiry, and send what the peers' PutPacket calls
// queued.

// maxPollDatagrams bounds the datagrams one Poll reads, so that a flood
// cannot keep it from returning.
const maxPollDatagrams = 4096

// aLongTimeAgo, as a read deadline, wakes a read blocked in the socket.
var aLongTimeAgo = time.Unix(1, 0)

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

var errPollUnconfigured = &peer.OpError{Op: "poll", Transport: "udp", Code: peer.ErrUnconfigured, Err: peer.ErrClosed, Detail: "the Listener is closed"}

// pollState is a polled Listener's, guarded by Listener.pollMu.
type pollState struct {
	lastTick time.Time // when the expiry tick last advanced

	// PollContext's wake-up: a context.AfterFunc registered once per
	// context (not per wait) moves the read deadline to the past when ctx
	// ends. fired receives once it has.
	ctx      context.Context
	stop     func() bool
	deadline time.Time // the read deadline set on the socket
	fired    chan struct{}
}

// Poll reads every datagram waiting in the socket without blocking (up to
// 4096 per call) and sorts them to their peers, new remotes becoming
// pending peers, exactly as a Listener's read goroutine does (Godot's
// UDPServer.poll). First it sends, in as few sendmmsg calls as possible,
// what the peers' PutPacket calls queued since the last Poll. It also drops
// idle peers (Config.IdleTimeout), counting time from each peer's last
// datagram read by a Poll.
//
// Poll is for a Listener made with Config.Polled; on any other Listener it
// does nothing and returns nil (its goroutine reads). While another
// goroutine is in Poll or PollContext, Poll only sends the queued puts and
// returns: that goroutine reads. After Close it returns an error matching
// peer.ErrUnconfigured (Godot's code) and net.ErrClosed; if the socket fails
// for good, that error, also returned by the peers' reads.
func (l *Listener) Poll() error {
	if !l.cfg.Polled {
		if l.isClosed() {
			return errPollUnconfigured
		}
		return nil
	}
	if !l.pollMu.TryLock() {
		// Another goroutine polls (or waits in PollContext): it reads.
		if l.isClosed() {
			return errPollUnconfigured
		}
		l.sock.Flush()
		return nil
	}
	defer l.pollMu.Unlock()
	return l.poll(context.Background(), false)
}

// PollContext is Poll, but when no datagram is waiting it first sends the
// queued puts, then blocks until one arrives, ctx ends or the Listener is
// closed, so a server loop sleeps instead of spinning:
//
//	for {
//		if err := l.PollContext(ctx); err != nil {
//			return err
//		}
//		// TakeConnection while IsConnectionAvailable; for each peer,
//		// GetPacket until it fails, PutPacket the answers.
//	}
//
// It returns ctx's error when ctx ends first (a ctx already ended makes it
// Poll, returning that error if nothing was waiting), and after Close an error
// matching net.ErrClosed. Passing the same ctx to every call costs no
// allocation. Calls from several goroutines take turns.
func (l *Listener) PollContext(ctx context.Context) error {
	if !l.cfg.Polled {
		if l.isClosed() {
			return errPollUnconfigured
		}
		return nil
	}
	l.pollMu.Lock()
	defer l.pollMu.Unlock()
	if ps := &l.ps; ps.ctx != nil && (ps.ctx != ctx || ctx.Err() != nil) {
		l.detachContext()
	}
	return l.poll(ctx, true)
}

// poll reads, waiting for a datagram until ctx ends when wait is set;
// pollMu is held.
func (l *Listener) poll(ctx context.Context, wait bool) error {
	if l.isClosed() {
		return errPollUnconfigured
	}
	l.sock.Flush()
	swept := l.advanceExpiry()
	batch := l.sock.Config().Batch
	n := 0
	var err error
	for n < maxPollDatagrams {
		var ms []udpsock.Message
		if n == 0 && wait && ctx.Err() == nil {
			// The first read waits in the socket only if it is empty:
			// when datagrams wait, it is the one recvmmsg Poll makes.
			if ms, err = l.waitBatch(ctx); err != nil {
				break
			}
			swept = l.advanceExpiry() || swept
		} else if ms, err = l.sock.PollBatch(); err != nil {
			if isTimeout(err) && !l.isClosed() {
				// ctx's deadline passed before its AfterFunc ran.
				l.detachContext()
				continue
			}
			err = l.pollFailed(err)
			break
		}
		if len(ms) == 0 {
			break
		}
		l.demux(ms)
		n += len(ms)
		if len(ms) < batch {
			break // the socket was empty
		}
	}
	if swept {
		l.expireIdle(0)
	}
	if err == nil && n == 0 {
		err = ctx.Err() // ended before the call, and nothing was waiting
	}
	return err
}

// waitBatch reads the socket, blocking until datagrams arrive, ctx ends or
// Close.
func (l *Listener) waitBatch(ctx context.Context) ([]udpsock.Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l.attachContext(ctx)
		ms, err := l.sock.ReadBatch()
		if err == nil {
			return ms, nil
		}
		if l.isClosed() {
			return nil, errPollUnconfigured
		}
		if isTimeout(err) {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			continue
		}
		if transientReadError(err) {
			l.readErr.Add(1)
			continue
		}
		return nil, l.pollFailed(err)
	}
}

// pollFailed ends every peer's queue with a fatal read error.
func (l *Listener) pollFailed(err error) error {
	if l.isClosed() {
		return errPollUnconfigured
	}
	e := &peer.OpError{Op: "poll", Transport: "udp", Code: peer.ErrConnectionError, Err: err, Detail: "listener socket"}
	l.fail(e)
	return e
}

// attachContext makes ctx's end wake a read blocked in the socket: the
// socket's read deadline is ctx's, and an AfterFunc, registered once for
// ctx, moves it to the past when ctx is cancelled.
func (l *Listener) attachContext(ctx context.Context) {
	ps := &l.ps
	if ps.ctx != ctx {
		l.detachContext()
		if ctx.Done() != nil {
			ps.ctx = ctx
			ps.stop = context.AfterFunc(ctx, func() {
				l.conn.SetReadDeadline(aLongTimeAgo)
				ps.fired <- struct{}{}
			})
		}
	}
	if dl, _ := ctx.Deadline(); !dl.Equal(ps.deadline) {
		l.conn.SetReadDeadline(dl)
		ps.deadline = dl
	}
}

// detachContext undoes attachContext: Poll must not find a past deadline.
// pollMu or (in Close) every other user of ps is done.
func (l *Listener) detachContext() {
	ps := &l.ps
	if ps.stop != nil {
		if !ps.stop() {
			<-ps.fired // the AfterFunc ran or is running: let it finish
			ps.deadline = aLongTimeAgo
		}
		ps.ctx, ps.stop = nil, nil
	}
	if !ps.deadline.IsZero() {
		l.conn.SetReadDeadline(time.Time{})
		ps.deadline = time.Time{}
	}
}

// advanceExpiry moves the expiry tick on by the IdleTimeout/4 periods
// elapsed since it last moved, and reports whether it did, so that peers
// whose datagrams the coming reads find are stamped with the current tick.
func (l *Listener) advanceExpiry() bool {
	if l.cfg.IdleTimeout <= 0 {
		return false
	}
	period := expiryPeriod(l.cfg.IdleTimeout)
	elapsed := time.Since(l.ps.lastTick)
	if elapsed < period {
		return false
	}
	n := elapsed / period
	l.ps.lastTick = l.ps.lastTick.Add(n * period)
	l.mu.Lock()
	l.tick += uint64(n)
	l.mu.Unlock()
	return true
}

func expiryPeriod(idle time.Duration) time.Duration {
	return max(idle/expiryTicks, time.Millisecond)
}
