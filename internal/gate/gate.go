// Package gate is the one Close gate of strongbox: a closed flag and a
// count of calls in flight. Everything with a Close (secrets.Manager,
// keeper.Envelope, source.Resolver, storage.Store) holds a Gate: each call
// Enters and Leaves it, and Close waits for the calls in flight and makes
// every later Enter fail.
//
// The rule: Close returns once no call is in flight; a call that entered
// before Close runs to its end; a call after Close fails with an error of
// code FailedPrecondition that matches ErrClosed, naming the operation and
// what is closed. Close may be called any number of times; only the first
// reports first == true, so the owner releases its resources once.
package gate

import (
	"sync"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// ErrClosed is matched (errors.Is) by every error Enter returns after
// Close. It has code FailedPrecondition.
var ErrClosed error = errcode.New(errcode.FailedPrecondition, "", "closed")

// Gate is a Close gate. The zero value is open; What names the thing in
// errors ("manager", "keeper", ...; "" means "object"). A Gate must not be
// copied after first use.
type Gate struct {
	What string

	mu       sync.RWMutex
	closed   bool
	done     chan struct{} // made by Done, closed by Close
	inflight sync.WaitGroup
}

// Enter registers a call in flight, or fails if the gate is closed. Every
// successful Enter must be paired with one Leave.
func (g *Gate) Enter(op string) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		what := g.What
		if what == "" {
			what = "object"
		}
		return &closedError{op: op, what: what}
	}
	g.inflight.Add(1)
	return nil
}

// Leave ends a call that Entered.
func (g *Gate) Leave() { g.inflight.Done() }

// Close makes later Enters fail and waits for the calls in flight. It
// reports whether this was the first Close. It must not be called from
// inside a call (between Enter and Leave): it would wait for itself.
func (g *Gate) Close() (first bool) {
	g.mu.Lock()
	first = !g.closed
	g.closed = true
	if first && g.done != nil {
		close(g.done)
	}
	g.mu.Unlock()
	g.inflight.Wait()
	return first
}

// Done returns a channel that is closed when Close begins, before it
// waits: a call in flight that waits (for a change, say) selects on it to
// end, so that Close does not wait for ever.
func (g *Gate) Done() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done == nil {
		g.done = make(chan struct{})
		if g.closed {
			close(g.done)
		}
	}
	return g.done
}

// closedError is the error of a call after Close: "op: failed
// precondition: manager is closed".
type closedError struct{ op, what string }

func (e *closedError) Error() string {
	s := errcode.FailedPrecondition.String() + ": " + e.what + " is closed"
	if e.op != "" {
		s = e.op + ": " + s
	}
	return s
}

func (e *closedError) Unwrap() error { return ErrClosed }
