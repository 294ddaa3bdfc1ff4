package fleet

import (
	"context"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage"
)

// kindRunTokenRevoked is the record kind of run-token revocations.
const kindRunTokenRevoked = "runtoken.revoked"

// RunTokenRevocations returns a runtoken.RevocationSet kept in st's
// records, shared by every process on st and durable. st must stay open
// while the set is used.
func RunTokenRevocations(st *storage.Store) runtoken.RevocationSet {
	r := &revocations{st: st, reads: map[string]*sharedRead{}}
	r.read = r.readStore
	return r
}

// revocations is the durable RevocationSet. Its checks of one token id
// share reads of the store: while a read of an id is in flight, the checks
// of that id that arrive wait for the next read, which starts when the
// one in flight ends and answers them all.
//
// Every VU of a load test presents the same run token, so on the decrypt
// route the checks of one id come many at once; one read per check made
// the revocation check the route's costliest step after the secret's own
// read (issue #17 item 3). Sharing loses nothing: the read a check gets
// began after the check did, so it sees every revocation that completed
// before the check began, as a read of its own would. A check never joins
// a read already in flight, which may have read the store before that
// revocation. Without concurrency every check is its own read, with
// nothing to wait for.
type revocations struct {
	st *storage.Store
	// read is one read of the store: readStore; tests replace it.
	read func(ctx context.Context, id string) (bool, error)

	mu sync.Mutex
	// reads has a key for each id with a read in flight; its value is
	// the read that starts when that one ends, or nil while no check
	// waits for one.
	reads map[string]*sharedRead
}

// sharedRead is a read of one id that several checks wait for.
type sharedRead struct {
	done    chan struct{} // closed when revoked and err are set
	revoked bool
	err     error

	// Guarded by revocations.mu:
	waiters int                     // checks waiting for done
	first   context.Context         // the first waiter's context, whose values the read keeps
	cancel  context.CancelCauseFunc // set when the read starts
}

// Revoke implements runtoken.RevocationSet: it creates the revocation
// record, or extends an existing one to the later expiry.
func (r *revocations) Revoke(ctx context.Context, id string, expiry time.Time) error {
	const op = "fleet.Revoke"
	if !expiry.After(time.Now()) {
		return errcode.New(errcode.Invalid, op, "expiry must be in the future: a revocation until now revokes nothing")
	}
	for {
		_, err := r.st.PutRecord(ctx, &storage.Record{Kind: kindRunTokenRevoked, Key: id, Data: []byte("revoked"), ExpireTime: expiry})
		if errcode.Of(err) != errcode.AlreadyExists {
			return err
		}
		cur, err := r.st.GetRecord(ctx, kindRunTokenRevoked, id)
		switch {
		case errcode.Of(err) == errcode.NotFound:
			continue // expired or deleted meanwhile: create again
		case err != nil:
			return err
		case !cur.ExpireTime.IsZero() && !expiry.After(cur.ExpireTime):
			return nil // already revoked at least as long
		}
		cur.ExpireTime = expiry
		_, err = r.st.PutRecord(ctx, cur)
		if c := errcode.Of(err); c != errcode.Conflict && c != errcode.NotFound {
			return err
		}
	}
}

// Revoked implements runtoken.RevocationSet: it reads the store itself
// when no read of id is in flight, and otherwise waits for the next one
// (see revocations). A check whose context ends while it waits returns
// the context's error at once; the read it waited for ends when no check
// waits for it any more.
func (r *revocations) Revoked(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	r.mu.Lock()
	next, inFlight := r.reads[id]
	if !inFlight {
		r.reads[id] = nil
		r.mu.Unlock()
		// Deferred, so that a read that panics (net/http recovers a
		// handler's panic) does not leave id in flight for good.
		defer r.finish(id)
		return r.read(ctx, id)
	}
	if next == nil {
		next = &sharedRead{done: make(chan struct{}), first: ctx}
		r.reads[id] = next
	}
	next.waiters++
	r.mu.Unlock()
	select {
	case <-next.done:
		return next.revoked, next.err
	case <-ctx.Done():
		r.mu.Lock()
		next.waiters--
		if next.waiters == 0 && next.cancel != nil {
			next.cancel(context.Cause(ctx))
		}
		r.mu.Unlock()
		return false, ctx.Err()
	}
}

// finish ends the read of id in flight, starting the next one when a
// check waits for it.
func (r *revocations) finish(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := r.reads[id]
	if next == nil || next.waiters == 0 {
		delete(r.reads, id) // nobody waits: the next check reads for itself
		return
	}
	r.reads[id] = nil // next is in flight, and no check waits after it yet
	var ctx context.Context
	ctx, next.cancel = context.WithCancelCause(context.WithoutCancel(next.first))
	next.first = nil
	go func() {
		next.revoked, next.err = r.read(ctx, id)
		next.cancel(nil)
		close(next.done)
		r.finish(id)
	}()
}

// readStore reads the revocation record of id.
func (r *revocations) readStore(ctx context.Context, id string) (bool, error) {
	_, err := r.st.GetRecord(ctx, kindRunTokenRevoked, id)
	switch errcode.Of(err) {
	case errcode.OK:
		return true, nil
	case errcode.NotFound:
		return false, nil
	}
	return false, err
}
