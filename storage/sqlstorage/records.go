package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// The driver's records (driver.Records): one table of records and one of
// per-kind change sequences, bumped in the same transaction as each write.
// On PostgreSQL every write also sends NOTIFY on the channel
// strongbox_records with the kind as payload, delivered at commit.

const (
	recordsTable     = "strongbox_records"
	recordKindsTable = "strongbox_record_kinds"
	notifyChannel    = "strongbox_records"
)

// Records implements driver.Store.
func (s *sqlDriver) Records() driver.Records { return s }

func recordNotFound() error { return errcode.New(errcode.NotFound, "", "record not found") }

// expireMicros stores the zero time (never expires) as 0.
func expireMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromExpireMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

// bumpKind increases kind's sequence inside the write's transaction.
func (s *sqlDriver) bumpKind(ctx context.Context, x execer, kind string) error {
	if _, err := x.ExecContext(ctx, s.q.bumpKind, kind); err != nil {
		return err
	}
	if s.dialect == Postgres {
		if _, err := x.ExecContext(ctx, "SELECT pg_notify($1, $2)", notifyChannel, kind); err != nil {
			return err
		}
	}
	return nil
}

// GetRecord implements driver.Records.
func (s *sqlDriver) GetRecord(ctx context.Context, kind, key string) (*driver.Record, error) {
	r := &driver.Record{Kind: kind, Key: key}
	var exp, upd int64
	err := s.queryRow(ctx, s.q.getRecord, kind, key).Scan(&r.Data, &r.Revision, &exp, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, recordNotFound()
	}
	if err != nil {
		return nil, err
	}
	r.ExpireTime, r.UpdateTime = fromExpireMicros(exp), fromMicros(upd)
	if r.Data == nil {
		r.Data = []byte{}
	}
	return r, nil
}

// CreateRecord implements driver.Records: one upsert, which inserts a new
// key or replaces a record expired at now, and returns the revision.
func (s *sqlDriver) CreateRecord(ctx context.Context, r *driver.Record, now time.Time) (int64, error) {
	var rev int64
	err := s.writeTx(ctx, func(x execer) error {
		err := x.QueryRowContext(ctx, s.q.createRecord, r.Kind, r.Key, r.Data,
			expireMicros(r.ExpireTime), micros(r.UpdateTime), now.UnixMicro()).Scan(&rev)
		if errors.Is(err, sql.ErrNoRows) {
			return errcode.New(errcode.AlreadyExists, "", "a record with this key exists")
		}
		if err != nil {
			return err
		}
		return s.bumpKind(ctx, x, r.Kind)
	})
	return rev, err
}

// recordMissingOrMoved tells apart the two reasons a conditional write
// changed no row.
func (s *sqlDriver) recordMissingOrMoved(ctx context.Context, x execer, kind, key string) error {
	var rev int64
	err := x.QueryRowContext(ctx, s.q.recordRevision, kind, key).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return recordNotFound()
	}
	if err != nil {
		return err
	}
	return errcode.New(errcode.Conflict, "", "revision moved: the record was changed since it was read")
}

// UpdateRecord implements driver.Records.
func (s *sqlDriver) UpdateRecord(ctx context.Context, r *driver.Record) error {
	return s.writeTx(ctx, func(x execer) error {
		n, err := affected(x.ExecContext(ctx, s.q.updateRecord, r.Data, expireMicros(r.ExpireTime),
			micros(r.UpdateTime), r.Kind, r.Key, r.Revision))
		if err != nil {
			return err
		}
		if n == 0 {
			return s.recordMissingOrMoved(ctx, x, r.Kind, r.Key)
		}
		return s.bumpKind(ctx, x, r.Kind)
	})
}

// DeleteRecord implements driver.Records.
func (s *sqlDriver) DeleteRecord(ctx context.Context, kind, key string, revision int64) error {
	return s.writeTx(ctx, func(x execer) error {
		n, err := affected(x.ExecContext(ctx, s.q.deleteRecord, kind, key, revision))
		if err != nil {
			return err
		}
		if n == 0 {
			return s.recordMissingOrMoved(ctx, x, kind, key)
		}
		return s.bumpKind(ctx, x, kind)
	})
}

// ListRecords implements driver.Records.
func (s *sqlDriver) ListRecords(ctx context.Context, kind, after string, limit int) ([]*driver.Record, error) {
	rows, err := s.query(ctx, s.q.listRecords, kind, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*driver.Record
	for rows.Next() {
		r := &driver.Record{Kind: kind}
		var exp, upd int64
		if err := rows.Scan(&r.Key, &r.Data, &r.Revision, &exp, &upd); err != nil {
			return nil, err
		}
		r.ExpireTime, r.UpdateTime = fromExpireMicros(exp), fromMicros(upd)
		if r.Data == nil {
			r.Data = []byte{}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Sequence implements driver.Records: one primary-key read.
func (s *sqlDriver) Sequence(ctx context.Context, kind string) (int64, error) {
	var seq int64
	err := s.queryRow(ctx, s.q.kindSeq, kind).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}
