package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// listener is the PostgreSQL LISTEN of a driver: one connection, taken
// from the pool when the first waiter arrives and held until Close, on
// which a goroutine receives the NOTIFY of every record write and wakes
// the waiters. If the connection is lost it reconnects, waking every
// waiter (they read the sequence again, so a notification lost meanwhile
// is not missed).
type listener struct {
	db *sql.DB

	mu      sync.Mutex
	started bool
	closed  bool
	wake    chan struct{} // closed and replaced on every notification
	failed  bool          // not listening right now
	cancel  context.CancelFunc
	done    chan struct{}
}

func newListener(db *sql.DB) *listener {
	return &listener{db: db, wake: make(chan struct{}), done: make(chan struct{})}
}

// WaitSequence implements the storage package's optional sequence waiter
// (see driver.Records.Sequence): it returns nil when a record of any kind
// may have been written, or ctx's error.
func (s *sqlDriver) WaitSequence(ctx context.Context, kind string, seq int64) error {
	if s.dialect != Postgres {
		return errors.ErrUnsupported
	}
	l := s.listen
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errors.ErrUnsupported
	}
	if !l.started {
		l.started = true
		lctx, cancel := context.WithCancel(context.Background())
		l.cancel = cancel
		go l.run(lctx)
	}
	wake, failed := l.wake, l.failed
	l.mu.Unlock()
	if failed {
		return errors.ErrUnsupported // poll meanwhile
	}
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// broadcast wakes every waiter.
func (l *listener) broadcast(failed bool) {
	l.mu.Lock()
	close(l.wake)
	l.wake = make(chan struct{})
	l.failed = failed
	l.mu.Unlock()
}

func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	for backoff := 100 * time.Millisecond; ctx.Err() == nil; backoff = min(2*backoff, 5*time.Second) {
		err := l.listenOnce(ctx, func() { backoff = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return
		}
		_ = err
		l.broadcast(true)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// listenOnce holds one connection in LISTEN until it fails or ctx ends.
func (l *listener) listenOnce(ctx context.Context, listening func()) error {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.ErrUnsupported
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
			return err
		}
		// Listening again: wake everyone, in case a write happened while not.
		listening()
		l.broadcast(false)
		defer func() {
			// Leave the pooled connection as it was found.
			uctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, _ = pc.Exec(uctx, "UNLISTEN "+notifyChannel)
		}()
		for {
			if _, err := pc.WaitForNotification(ctx); err != nil {
				return err
			}
			l.broadcast(false)
		}
	})
}

// close stops the listener and waits for its goroutine.
func (l *listener) close() {
	l.mu.Lock()
	started := l.started
	l.closed = true
	if l.cancel != nil {
		l.cancel()
	}
	l.mu.Unlock()
	if started {
		<-l.done
	}
}
