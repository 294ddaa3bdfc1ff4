package sqlstorage

import (
	"context"
	sqldriver "database/sql/driver"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgReads runs the hot point reads on PostgreSQL (getCurrent, getRecord:
// a decrypt, and with durable run-token revocations its check) in
// pipelined batches. A read that finds fewer than pgMaxBatches batches in
// flight runs at once, as a batch of one; otherwise it waits in a queue,
// and when a batch ends the reads queued meanwhile go out together as the
// next one: one pgx.Batch, that is one write to the server and one read of
// all the answers, on one pooled connection.
//
// Under load most of a point read's cost is not the lookup but the round
// trip around it: a write and a read system call on each side and a wake-up
// of the server's backend process, which on a small machine competes with
// the service for the same cores (issue #17 item 3). A batch pays them once
// for all its reads. Nothing else changes: each read is its own statement
// with its own result and error, sent after its caller asked and answered
// before its caller returns, so a read sees every write that completed
// before it began, as an unbatched read does; at low load no read waits
// for another.
//
// A batch runs as long as one of its callers still waits for it: its
// context ends when every member's context has ended. A caller whose
// context ends while its read is still queued leaves at once; one whose
// read was sent waits for the batch, which scans into its destinations. A
// batch that failed before reaching the server (pgconn.SafeToRetry), or
// found its connection closed, is run again read by read through
// database/sql, which retries on another connection, as every read did
// before; so is every read of a database whose driver is not pgx.
type pgReads struct {
	// send runs a batch, setting each read's err: the store's
	// sendPGBatch; tests replace it.
	send func(batch []*pgRead)

	mu      sync.Mutex
	running int       // batches in flight
	queue   []*pgRead // reads waiting for the next batch
}

// pgMaxBatches is how many batches may be in flight at once (each holds
// one pooled connection, of the 16 a store opens), and pgMaxBatch the most
// reads in one, which bounds how long the first waits for the last. Fewer
// batches in flight make bigger ones: on the decrypt route under 100
// clients (TestDecryptRouteLoad, 30 rounds, with durable revocations) 1
// batch gave 0.33 of the constant handler, 2 gave 0.37-0.40, 3 0.36-0.38,
// 4 0.35-0.36 and 6 0.33. Two, not one, so that a read stuck on a dead
// connection does not hold up every other.
const (
	pgMaxBatches = 2
	pgMaxBatch   = 64
)

// pgRead is one read of a batch.
type pgRead struct {
	ctx  context.Context
	q    string
	args []any
	dest []any
	err  error
	// wake receives nil when the read is done (err set), or the batch the
	// read is to lead (itself first) when a batch it was queued for starts.
	wake chan []*pgRead
}

// pgRow is a hot read on PostgreSQL, run through the store's pgReads when
// it is scanned.
type pgRow struct {
	p    *pgReads
	ctx  context.Context
	q    string
	args []any
}

// Scan implements scanner.
func (r pgRow) Scan(dest ...any) error { return r.p.scan(r.ctx, r.q, r.args, dest) }

// scan runs q with args and scans its row into dest, as (*sql.Row).Scan
// does (sql.ErrNoRows without a row).
func (p *pgReads) scan(ctx context.Context, q string, args, dest []any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &pgRead{ctx: ctx, q: q, args: args, dest: dest}
	p.mu.Lock()
	if p.running < pgMaxBatches {
		p.running++
		p.mu.Unlock()
		p.lead([]*pgRead{r})
		return r.err
	}
	r.wake = make(chan []*pgRead, 1)
	p.queue = append(p.queue, r)
	p.mu.Unlock()
	var batch []*pgRead
	select {
	case batch = <-r.wake:
	case <-ctx.Done():
		p.mu.Lock()
		if i := slices.Index(p.queue, r); i >= 0 {
			p.queue = slices.Delete(p.queue, i, i+1)
			p.mu.Unlock()
			return ctx.Err()
		}
		p.mu.Unlock()
		batch = <-r.wake // taken: its batch scans into dest, so wait
	}
	if batch != nil {
		p.lead(batch)
	}
	return r.err
}

// lead runs batch, whose first read is the caller's, wakes the others, and
// then starts the next batch from the queue or gives up its slot.
func (p *pgReads) lead(batch []*pgRead) {
	p.send(batch)
	for _, r := range batch[1:] {
		r.wake <- nil
	}
	p.mu.Lock()
	if len(p.queue) == 0 {
		p.running--
		p.mu.Unlock()
		return
	}
	n := min(len(p.queue), pgMaxBatch)
	next := slices.Clone(p.queue[:n])
	p.queue = slices.Delete(p.queue, 0, n)
	p.mu.Unlock()
	next[0].wake <- next
}

// sendPGBatch sends batch and sets each read's err.
func (s *sqlDriver) sendPGBatch(batch []*pgRead) {
	ctx, cancel := batchContext(batch)
	defer cancel()
	if fallback, err := s.pipeline(ctx, batch); fallback {
		for _, r := range batch {
			r.err = s.db.QueryRowContext(r.ctx, r.q, r.args...).Scan(r.dest...)
		}
	} else if err != nil {
		for _, r := range batch {
			r.err = err
		}
	}
}

// batchContext is a context that ends when every read's context has ended
// (then with the last one's error).
func batchContext(batch []*pgRead) (context.Context, context.CancelFunc) {
	if len(batch) == 1 {
		return batch[0].ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(batch[0].ctx))
	var mu sync.Mutex
	left := len(batch)
	stops := make([]func() bool, len(batch))
	for i, r := range batch {
		stops[i] = context.AfterFunc(r.ctx, func() {
			mu.Lock()
			left--
			last := left == 0
			mu.Unlock()
			if last {
				cancel(context.Cause(r.ctx))
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel(nil)
	}
}

// pipeline sends batch on a pooled connection through pgx and sets each
// read's err from its answer. It returns an error for the whole batch when
// it got no connection, and fallback when the batch is to be read again
// through database/sql.
func (s *sqlDriver) pipeline(ctx context.Context, batch []*pgRead) (fallback bool, err error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer c.Close()
	// Raw's error only tells database/sql whether to keep the connection
	// (sqldriver.ErrBadConn: discard it); the reads have theirs.
	_ = c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			fallback = true
			return nil
		}
		pc := sc.Conn()
		if pc.IsClosed() {
			fallback = true
			return sqldriver.ErrBadConn
		}
		b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(batch))}
		for _, r := range batch {
			b.Queue(r.q, r.args...)
		}
		br := pc.SendBatch(ctx, b)
		for i, r := range batch {
			r.err = br.QueryRow().Scan(r.dest...)
			if i == 0 && r.err != nil && pgconn.SafeToRetry(r.err) {
				br.Close()
				fallback = true
				return sqldriver.ErrBadConn
			}
		}
		if br.Close() != nil && pc.IsClosed() {
			return sqldriver.ErrBadConn
		}
		return nil
	})
	return fallback, nil
}
