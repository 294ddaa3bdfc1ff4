package storage

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// Record is one small opaque record of a service's own state, kept with
// the metadata (see the package doc, # Records). (Kind, Key) is its key.
type Record = driver.Record

// Bounds of a record (see Record).
const (
	maxRecordSize    = 64 << 10
	maxRecordKeySize = 512
)

// recordPollInterval is how often WaitRecordChange reads the sequence of a
// driver that cannot wait for it (or as a safety net for one that can).
const recordPollInterval = 500 * time.Millisecond

// maxKindSize is the longest record kind.
const maxKindSize = 32

// validKind reports whether kind is 1 to 32 characters of a-z, 0-9, '.',
// '_' and '-', starting with a letter. Every record read checks its kind,
// a run-token revocation check among them; the regular expression this
// loop replaced took about 250 ns of the 3.4 µs such a read takes on
// SQLite.
func validKind(kind string) bool {
	if len(kind) == 0 || len(kind) > maxKindSize || kind[0] < 'a' || kind[0] > 'z' {
		return false
	}
	for i := 1; i < len(kind); i++ {
		switch c := kind[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func checkKind(op, kind string) error {
	if !validKind(kind) {
		return errcode.New(errcode.Invalid, op, "record kind must be 1 to 32 characters of a-z, 0-9, '.', '_', '-', starting with a letter")
	}
	return nil
}

func checkRecordKey(op, kind, key string) error {
	if err := checkKind(op, kind); err != nil {
		return err
	}
	if err := checkString(op, "record key", key, true); err != nil {
		return err
	}
	if len(key) > maxRecordKeySize {
		return errcode.New(errcode.Invalid, op, "record key is longer than "+strconv.Itoa(maxRecordKeySize)+" bytes")
	}
	return nil
}

func checkRecord(op string, r *Record) error {
	if r == nil {
		return errcode.New(errcode.Invalid, op, "record is nil")
	}
	if err := checkRecordKey(op, r.Kind, r.Key); err != nil {
		return err
	}
	if len(r.Data) > maxRecordSize {
		return errcode.New(errcode.Invalid, op, "record data is larger than 64 KiB")
	}
	if r.Revision < 0 {
		return errcode.New(errcode.Invalid, op, "record revision is negative")
	}
	return nil
}

// records returns the driver's records, or the error of a backend that
// keeps none. Records live with the metadata.
func (s *Store) records(op string) (driver.Records, error) {
	r := s.meta.Records()
	if r == nil {
		return nil, errcode.New(errcode.FailedPrecondition, op, "this store keeps no records (a docstore:// store needs a records collection)")
	}
	return r, nil
}

// expired reports whether r is past its ExpireTime at now.
func expired(r *Record, now time.Time) bool {
	return !r.ExpireTime.IsZero() && !r.ExpireTime.After(now)
}

func normRecord(r *Record) *Record {
	c := *r
	c.Data = bytes.Clone(r.Data)
	if c.Data == nil {
		c.Data = []byte{}
	}
	c.ExpireTime = normTime(r.ExpireTime)
	c.UpdateTime = normTime(r.UpdateTime)
	return &c
}

// GetRecord returns one record, or secrets.ErrNotFound if it is absent or
// expired.
func (s *Store) GetRecord(ctx context.Context, kind, key string) (*Record, error) {
	const op = "storage.GetRecord"
	if err := s.enter(ctx, op); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkRecordKey(op, kind, key); err != nil {
		return nil, err
	}
	d, err := s.records(op)
	if err != nil {
		return nil, err
	}
	r, err := d.GetRecord(ctx, kind, key)
	if err != nil {
		return nil, convert(ctx, s.meta, op, err)
	}
	if expired(r, time.Now()) {
		return nil, errcode.New(errcode.NotFound, op, "record not found")
	}
	return normRecord(r), nil
}

// PutRecord writes r and returns the stored copy, with its new Revision and
// UpdateTime. With Revision 0 it creates the record: secrets.ErrAlreadyExists
// if a record with its key exists and has not expired. A new key gets Revision
// 1; an expired record is replaced and its revision continues (so a write at
// the expired record's revision fails). With a Revision it updates the record
// read at that revision: secrets.ErrNotFound if absent, secrets.ErrConflict if
// the revision moved; an update at the revision read renews a record that
// expired since (until a sweep removes it). Of racing writers, exactly one
// wins. Data is at most 64 KiB. UpdateTime is set here, from this process's
// clock, and so is the expiry check.
func (s *Store) PutRecord(ctx context.Context, r *Record) (*Record, error) {
	const op = "storage.PutRecord"
	if err := s.enter(ctx, op); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := checkRecord(op, r); err != nil {
		return nil, err
	}
	d, err := s.records(op)
	if err != nil {
		return nil, err
	}
	n := normRecord(r)
	n.UpdateTime = normTime(time.Now())
	if r.Revision > 0 {
		if err := d.UpdateRecord(ctx, n); err != nil {
			return nil, convert(ctx, s.meta, op, err)
		}
		out := normRecord(n)
		out.Revision = r.Revision + 1
		return out, nil
	}
	rev, err := d.CreateRecord(ctx, n, n.UpdateTime)
	if err != nil {
		return nil, convert(ctx, s.meta, op, err)
	}
	out := normRecord(n)
	out.Revision = rev
	return out, nil
}

// DeleteRecord removes a record if its revision equals revision:
// secrets.ErrNotFound if absent, secrets.ErrConflict if the revision moved. A
// record that expired after it was read can still be deleted at that revision.
func (s *Store) DeleteRecord(ctx context.Context, kind, key string, revision int64) error {
	const op = "storage.DeleteRecord"
	if err := s.enter(ctx, op); err != nil {
		return err
	}
	defer s.leave()
	if err := checkRecordKey(op, kind, key); err != nil {
		return err
	}
	d, err := s.records(op)
	if err != nil {
		return err
	}
	return convert(ctx, s.meta, op, d.DeleteRecord(ctx, kind, key, revision))
}

// ListRecords returns one page of the unexpired records of kind, ordered
// by key in byte order, and the token of the next page ("" after the last
// page). pageSize follows ListOptions.PageSize.
func (s *Store) ListRecords(ctx context.Context, kind string, pageSize int, pageToken string) (page []*Record, nextPageToken string, err error) {
	const op = "storage.ListRecords"
	if err := s.enter(ctx, op); err != nil {
		return nil, "", err
	}
	defer s.leave()
	if err := checkKind(op, kind); err != nil {
		return nil, "", err
	}
	d, err := s.records(op)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeToken(op, pageToken)
	if err != nil {
		return nil, "", err
	}
	size := effectivePageSize(pageSize)
	batch := size + 1
	now := time.Now()
	var out []*Record
	for len(out) <= size {
		recs, err := d.ListRecords(ctx, kind, after, batch)
		if err != nil {
			return nil, "", convert(ctx, s.meta, op, err)
		}
		for _, r := range recs {
			after = r.Key
			if !expired(r, now) {
				out = append(out, normRecord(r))
				if len(out) > size {
					break
				}
			}
		}
		if len(recs) < batch {
			break
		}
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		next = encodeToken(out[size-1].Key)
	}
	return out, next, nil
}

// DeleteExpiredRecords removes the expired records of kind and returns
// how many it removed. Each is deleted at the revision it was read with,
// so a record renewed meanwhile stays. Run it from time to time; reads
// ignore expired records whether or not they are swept.
func (s *Store) DeleteExpiredRecords(ctx context.Context, kind string) (int, error) {
	const op = "storage.DeleteExpiredRecords"
	if err := s.enter(ctx, op); err != nil {
		return 0, err
	}
	defer s.leave()
	if err := checkKind(op, kind); err != nil {
		return 0, err
	}
	d, err := s.records(op)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	n, after := 0, ""
	for {
		recs, err := d.ListRecords(ctx, kind, after, MaxPageSize)
		if err != nil {
			return n, convert(ctx, s.meta, op, err)
		}
		for _, r := range recs {
			after = r.Key
			if !expired(r, now) {
				continue
			}
			err := convert(ctx, s.meta, op, d.DeleteRecord(ctx, kind, r.Key, r.Revision))
			switch {
			case err == nil:
				n++
			case errcode.Of(err) == errcode.NotFound || errcode.Of(err) == errcode.Conflict:
				// Another sweeper or writer was first.
			default:
				return n, err
			}
		}
		if len(recs) < MaxPageSize {
			return n, nil
		}
	}
}

// sequenceWaiter is the optional part of a driver.Records that can wait for
// a kind's sequence to move (PostgreSQL, through LISTEN/NOTIFY): Wait
// returns when it may have moved from seq, or when ctx is done.
type sequenceWaiter interface {
	WaitSequence(ctx context.Context, kind string, seq int64) error
}

// WaitRecordChange waits until kind's sequence differs from seq and
// returns the new value. The sequence is a number that grows with every
// write of a record of kind (0 before the first), by any process sharing
// the store; a seq of -1 returns the current sequence at once (one small
// read). It is for a process that keeps a copy of a kind (a
// revocation list, a key ring) in memory: it reads the kind, then loops on
// WaitRecordChange with the sequence it read, rereading the kind each time
// it returns. On PostgreSQL it is woken by NOTIFY at once; on every other
// backend it polls the sequence twice a second. It returns ctx's error when
// ctx is done and ErrClosed when the Store is closed meanwhile (Close does
// not wait for it).
func (s *Store) WaitRecordChange(ctx context.Context, kind string, seq int64) (int64, error) {
	const op = "storage.WaitRecordChange"
	if err := s.enter(ctx, op); err != nil {
		return 0, err
	}
	defer s.leave()
	if err := checkKind(op, kind); err != nil {
		return 0, err
	}
	d, err := s.records(op)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // Close ends the wait
		select {
		case <-s.lc.gate.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	w, _ := d.(sequenceWaiter)
	for {
		cur, err := d.Sequence(ctx, kind)
		if err == nil && cur != seq {
			return cur, nil
		}
		if err != nil && ctx.Err() == nil {
			return 0, convert(ctx, s.meta, op, err)
		}
		wait := recordPollInterval
		if w != nil && ctx.Err() == nil {
			wctx, wcancel := context.WithTimeout(ctx, 10*recordPollInterval)
			if w.WaitSequence(wctx, kind, seq) == nil {
				wait = 0 // woken (or the safety timeout passed): read again
			}
			wcancel()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			select {
			case <-s.lc.gate.Done():
				return 0, errcode.Wrap(errcode.FailedPrecondition, op, ErrClosed)
			default:
			}
			return 0, ctx.Err()
		case <-t.C:
		}
	}
}
