package peer

import (
	"context"
	"sync"
)

// Serve accepts connections from l and runs handler for each in a goroutine
// of its own, with a context that ends when serving stops, and closes the
// peer when handler returns: the accept loop of a game server, for any
// transport's *Listener.
//
// Serve runs until ctx ends or Accept fails. Then it ends the handlers'
// context, closes every peer still open (so a handler blocked on its peer
// returns at once), waits for every handler to return and closes l. It
// returns nil when ctx ended, otherwise the Accept error that stopped it
// (one matching net.ErrClosed when l was closed by someone else). No
// goroutine of Serve outlives it. For a graceful stop that lets handlers
// finish on their own first (say goodbye, save state), use a Server and its
// Shutdown.
func Serve[P PacketPeer](ctx context.Context, l Listener[P], handler func(ctx context.Context, p P)) error {
	s := &Server[P]{Handler: handler}
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(closed)
		s.Close()
	})
	err := s.Serve(l)
	if stop() {
		s.Close()
	} else {
		<-closed
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// A Server serves connections from one or more listeners, one goroutine per
// peer, and shuts down as http.Server does: Shutdown gracefully, Close at
// once. The zero value with a Handler is ready to use; a Server must not be
// copied after first use.
type Server[P PacketPeer] struct {
	// Handler serves one peer. Its context ends when Shutdown or Close is
	// called; the peer is closed when Handler returns, or before that (and
	// after the context ended) by Close, or by Shutdown when Shutdown's
	// context ends first. Handler must return soon once its context has
	// ended or its peer is closed.
	Handler func(ctx context.Context, p P)

	mu        sync.Mutex
	init      bool
	stopping  bool
	ctx       context.Context // the handlers' context
	cancel    context.CancelFunc
	kill      context.Context // ends when peers are to be closed
	killPeers context.CancelFunc
	listeners map[*Listener[P]]struct{} // by address: a Listener need not be comparable
	sessions  sync.WaitGroup
	loops     sync.WaitGroup
}

func (s *Server[P]) lockedInit() {
	if s.init {
		return
	}
	s.init = true
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.kill, s.killPeers = context.WithCancel(context.Background())
	s.listeners = map[*Listener[P]]struct{}{}
}

// Serve accepts connections from l and runs Handler for each in its own
// goroutine until Shutdown or Close is called, then returns nil at once (as
// http.Server.Serve does, before the handlers finish). Shutdown and Close
// close l once the handlers are done: every transport's Listener.Close also
// closes the peers it accepted. When Accept fails for another reason (l was
// closed by someone else: an error matching net.ErrClosed), Serve closes l
// and returns that error. Serve may be called with several listeners at
// once; after Shutdown or Close it closes l and returns nil.
func (s *Server[P]) Serve(l Listener[P]) error {
	s.mu.Lock()
	s.lockedInit()
	if s.stopping {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.listeners[&l] = struct{}{}
	s.loops.Add(1)
	s.mu.Unlock()
	defer s.loops.Done()
	for {
		p, err := l.Accept(s.ctx)
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			if err == nil {
				p.Close()
			}
			return nil
		}
		if err != nil {
			delete(s.listeners, &l)
			s.mu.Unlock()
			l.Close()
			return err
		}
		s.sessions.Add(1)
		s.mu.Unlock()
		go s.serve(p)
	}
}

// serve runs the Handler on p, closing p when it returns or when the
// server kills its peers, whichever comes first.
func (s *Server[P]) serve(p P) {
	defer s.sessions.Done()
	closed := make(chan struct{})
	stop := context.AfterFunc(s.kill, func() {
		defer close(closed)
		p.Close()
	})
	defer func() {
		if stop() {
			p.Close()
		} else {
			<-closed
		}
	}()
	s.Handler(s.ctx, p)
}

// Shutdown stops the server gracefully: it stops accepting, ends the
// handlers' context and waits for every handler to return, then closes the
// listeners. When ctx ends first it closes the remaining peers, waits for
// their handlers and returns ctx's error. Once Shutdown has returned, no
// goroutine of the server is left.
func (s *Server[P]) Shutdown(ctx context.Context) error {
	s.stopAccepting()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s.sessions.Wait()
	}()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		s.killPeers()
		<-finished
		err = ctx.Err()
	}
	s.closeListeners()
	return err
}

// Close stops the server at once: it closes every peer being served and
// every listener, ends the handlers' context and waits for every handler
// to return.
func (s *Server[P]) Close() error {
	s.stop()
	s.killPeers() // after the handlers' context ended: a handler sees both
	s.loops.Wait()
	s.sessions.Wait()
	s.closeListeners()
	return nil
}

// stopAccepting makes every Serve return and ends the handlers' context;
// no session starts once it has returned.
func (s *Server[P]) stopAccepting() {
	s.stop()
	s.loops.Wait()
}

// stop ends the handlers' context and makes every Serve return without
// starting a session.
func (s *Server[P]) stop() {
	s.mu.Lock()
	s.lockedInit()
	s.stopping = true
	s.mu.Unlock()
	s.cancel()
}

func (s *Server[P]) closeListeners() {
	s.mu.Lock()
	listeners := s.listeners
	s.listeners = map[*Listener[P]]struct{}{}
	s.mu.Unlock()
	for l := range listeners {
		(*l).Close()
	}
}
