package drivertest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// Records: CRUD with revisions, races with one winner, expiry, listing,
// and the change sequence.

// kind returns a record kind of the subtest's own (kinds are short
// identifiers, so it is derived from the prefix's random part).
func (h *harness) kind() string {
	return "k" + h.prefix[strings.LastIndexByte(h.prefix, '-')+1:]
}

// maxRecordSize is the documented bound of a record's data.
const maxRecordSize = 64 << 10

func rec(kind, key, data string) *storage.Record {
	return &storage.Record{Kind: kind, Key: key, Data: []byte(data)}
}

func (h *harness) putRecord(t *testing.T, r *storage.Record) *storage.Record {
	t.Helper()
	got, err := h.s.PutRecord(h.ctx, r)
	if err != nil {
		t.Fatalf("PutRecord(%s/%s, revision %d): %v", r.Kind, r.Key, r.Revision, err)
	}
	return got
}

func testRecordCRUD(t *testing.T, h *harness) {
	k := h.kind()
	created := h.putRecord(t, rec(k, "a", "one"))
	if created.Revision != 1 || created.UpdateTime.IsZero() {
		t.Errorf("created revision %d, update time %v; want 1 and a time", created.Revision, created.UpdateTime)
	}
	got, err := h.s.GetRecord(h.ctx, k, "a")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "GetRecord after create", created, got)

	upd := got
	upd.Data = []byte("two")
	updated := h.putRecord(t, upd)
	if updated.Revision != 2 {
		t.Errorf("updated revision = %d, want 2", updated.Revision)
	}
	got, err = h.s.GetRecord(h.ctx, k, "a")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "GetRecord after update", updated, got)

	// Create-only and stale updates never overwrite.
	_, err = h.s.PutRecord(h.ctx, rec(k, "a", "three"))
	wantErr(t, "PutRecord create over an existing record", err, errcode.AlreadyExists)
	stale := rec(k, "a", "three")
	stale.Revision = 1
	_, err = h.s.PutRecord(h.ctx, stale)
	wantErr(t, "PutRecord at a stale revision", err, errcode.Conflict)
	absent := rec(k, "nope", "x")
	absent.Revision = 1
	_, err = h.s.PutRecord(h.ctx, absent)
	wantErr(t, "PutRecord update of an absent record", err, errcode.NotFound)

	wantErr(t, "DeleteRecord at a stale revision", h.s.DeleteRecord(h.ctx, k, "a", 1), errcode.Conflict)
	if err := h.s.DeleteRecord(h.ctx, k, "a", 2); err != nil {
		t.Fatalf("DeleteRecord: %v", err)
	}
	_, err = h.s.GetRecord(h.ctx, k, "a")
	wantErr(t, "GetRecord after delete", err, errcode.NotFound)
	wantErr(t, "DeleteRecord of an absent record", h.s.DeleteRecord(h.ctx, k, "a", 2), errcode.NotFound)

	// A deleted key can be created again, from revision 1.
	if again := h.putRecord(t, rec(k, "a", "four")); again.Revision != 1 {
		t.Errorf("recreated revision = %d, want 1", again.Revision)
	}

	// Empty and maximal data round-trip; results are the caller's.
	empty := h.putRecord(t, &storage.Record{Kind: k, Key: "empty"})
	if empty.Data == nil || len(empty.Data) != 0 {
		t.Errorf("empty data came back as %#v, want an empty slice", empty.Data)
	}
	big := bytes.Repeat([]byte{0xA5}, maxRecordSize)
	h.putRecord(t, &storage.Record{Kind: k, Key: "big", Data: big})
	got, err = h.s.GetRecord(h.ctx, k, "big")
	if err != nil {
		t.Fatalf("GetRecord(big): %v", err)
	}
	if !bytes.Equal(got.Data, big) {
		t.Errorf("GetRecord(big): %d bytes, want %d bytes back unchanged", len(got.Data), len(big))
	}
	got.Data[0] = 0
	again, err := h.s.GetRecord(h.ctx, k, "big")
	if err != nil || again.Data[0] != 0xA5 {
		t.Errorf("changing a result changed the stored record (%v)", err)
	}

	// Keys are per kind.
	other := h.kind() + "x"
	_, err = h.s.GetRecord(h.ctx, other, "a")
	wantErr(t, "GetRecord in another kind", err, errcode.NotFound)
}

func testRecordInvalid(t *testing.T, h *harness) {
	k := h.kind()
	for _, tc := range []struct {
		name string
		r    *storage.Record
	}{
		{"nil", nil},
		{"empty kind", rec("", "a", "")},
		{"upper-case kind", rec("ApiToken", "a", "")},
		{"long kind", rec(strings.Repeat("k", 33), "a", "")},
		{"empty key", rec(k, "", "")},
		{"NUL in key", rec(k, "a\x00b", "")},
		{"long key", rec(k, strings.Repeat("k", 513), "")},
		{"large data", &storage.Record{Kind: k, Key: "a", Data: make([]byte, maxRecordSize+1)}},
		{"negative revision", &storage.Record{Kind: k, Key: "a", Revision: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.s.PutRecord(h.ctx, tc.r)
			wantErr(t, "PutRecord", err, errcode.Invalid)
		})
	}
	_, err := h.s.GetRecord(h.ctx, "", "a")
	wantErr(t, "GetRecord with an empty kind", err, errcode.Invalid)
	wantErr(t, "DeleteRecord with an empty key", h.s.DeleteRecord(h.ctx, k, "", 1), errcode.Invalid)
	_, _, err = h.s.ListRecords(h.ctx, "Bad Kind", 0, "")
	wantErr(t, "ListRecords with a malformed kind", err, errcode.Invalid)
	_, _, err = h.s.ListRecords(h.ctx, k, 0, "garbage")
	wantErr(t, "ListRecords with a malformed token", err, errcode.Invalid)
	_, err = h.s.WaitRecordChange(h.ctx, "", -1)
	wantErr(t, "WaitRecordChange(-1) with an empty kind", err, errcode.Invalid)
}

func testRecordExpiry(t *testing.T, h *harness) {
	k := h.kind()
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(time.Hour)
	h.putRecord(t, &storage.Record{Kind: k, Key: "gone", ExpireTime: past})
	live := h.putRecord(t, &storage.Record{Kind: k, Key: "live", ExpireTime: future})
	h.putRecord(t, &storage.Record{Kind: k, Key: "forever"})

	_, err := h.s.GetRecord(h.ctx, k, "gone")
	wantErr(t, "GetRecord of an expired record", err, errcode.NotFound)
	got, err := h.s.GetRecord(h.ctx, k, "live")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "unexpired record", live, got)
	if got.ExpireTime.Sub(future).Abs() > timePrecision || got.ExpireTime.Location() != time.UTC {
		t.Errorf("ExpireTime = %v, want %v", got.ExpireTime, future)
	}
	page, _, err := h.s.ListRecords(h.ctx, k, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "listed keys", []string{"forever", "live"}, recordKeys(page))

	// An expired record does not hold its key: a create replaces it, and
	// its revision goes on, so a write at the old revision fails.
	if r := h.putRecord(t, rec(k, "gone", "new")); r.Revision != 2 {
		t.Errorf("create over an expired record: revision %d, want 2", r.Revision)
	}
	wantErr(t, "DeleteRecord at the expired record's revision", h.s.DeleteRecord(h.ctx, k, "gone", 1), errcode.Conflict)

	// The sweep removes expired records only.
	h.putRecord(t, &storage.Record{Kind: k, Key: "gone2", ExpireTime: past})
	n, err := h.s.DeleteExpiredRecords(h.ctx, k)
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredRecords = %d, %v; want 1", n, err)
	}
	page, _, err = h.s.ListRecords(h.ctx, k, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "keys after the sweep", []string{"forever", "gone", "live"}, recordKeys(page))
	if n, err := h.s.DeleteExpiredRecords(h.ctx, k); err != nil || n != 0 {
		t.Errorf("second DeleteExpiredRecords = %d, %v; want 0", n, err)
	}
}

func recordKeys(rs []*storage.Record) []string {
	var keys []string
	for _, r := range rs {
		keys = append(keys, r.Key)
	}
	return keys
}

func testRecordListing(t *testing.T, h *harness) {
	k := h.kind()
	var want []string
	for i := range 25 {
		key := fmt.Sprintf("key-%03d", i)
		want = append(want, key)
		h.putRecord(t, rec(k, key, key))
		if i%5 == 0 { // expired records in between do not shorten a page
			h.putRecord(t, &storage.Record{Kind: k, Key: key + "-x", ExpireTime: time.Now().Add(-time.Minute)})
		}
	}
	h.putRecord(t, rec(k+"o", "key-000", "other kind"))
	var got []string
	token := ""
	pages := 0
	for {
		page, next, err := h.s.ListRecords(h.ctx, k, 10, token)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if next != "" && len(page) != 10 {
			t.Errorf("page %d has %d records, want 10", pages, len(page))
		}
		got = append(got, recordKeys(page)...)
		if next == "" {
			break
		}
		token = next
	}
	diff(t, "listed keys", want, got)
	if pages != 3 {
		t.Errorf("listing took %d pages, want 3", pages)
	}
}

func testRecordRaces(t *testing.T, h *harness) {
	k := h.kind()
	// Creators of one key: one wins.
	errs := race(func(i int) error {
		_, err := h.s.PutRecord(h.ctx, rec(k, "c", fmt.Sprint(i)))
		return err
	})
	w := oneWinner(t, errs, errcode.AlreadyExists)
	got, err := h.s.GetRecord(h.ctx, k, "c")
	if err != nil || string(got.Data) != fmt.Sprint(w) {
		t.Errorf("after the create race: %v, %v; want writer %d's data", got, err, w)
	}
	// Updaters at one revision: one wins.
	errs = race(func(i int) error {
		r := rec(k, "c", fmt.Sprint("u", i))
		r.Revision = 1
		_, err := h.s.PutRecord(h.ctx, r)
		return err
	})
	w = oneWinner(t, errs, errcode.Conflict)
	got, err = h.s.GetRecord(h.ctx, k, "c")
	if err != nil || string(got.Data) != fmt.Sprint("u", w) || got.Revision != 2 {
		t.Errorf("after the update race: %v, %v; want writer %d's data at revision 2", got, err, w)
	}
	// Deleters at one revision: one wins.
	errs = race(func(int) error { return h.s.DeleteRecord(h.ctx, k, "c", 2) })
	oneWinner(t, errs, errcode.NotFound, errcode.Conflict)
	// Creators over an expired record: one wins.
	h.putRecord(t, &storage.Record{Kind: k, Key: "e", ExpireTime: time.Now().Add(-time.Minute)})
	errs = race(func(i int) error {
		_, err := h.s.PutRecord(h.ctx, rec(k, "e", fmt.Sprint(i)))
		return err
	})
	oneWinner(t, errs, errcode.AlreadyExists)
}

func testRecordSequence(t *testing.T, h *harness) {
	k := h.kind()
	seq := func() int64 {
		t.Helper()
		n, err := h.s.WaitRecordChange(h.ctx, k, -1)
		if err != nil {
			t.Fatalf("WaitRecordChange(-1): %v", err)
		}
		return n
	}
	if n := seq(); n != 0 {
		t.Errorf("sequence of an unused kind = %d, want 0", n)
	}
	last := seq()
	step := func(what string, write func() error) {
		t.Helper()
		if err := write(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n := seq(); n <= last {
			t.Errorf("sequence after %s = %d, want more than %d", what, n, last)
		} else {
			last = n
		}
	}
	var r *storage.Record
	step("create", func() (err error) { r, err = h.s.PutRecord(h.ctx, rec(k, "a", "1")); return err })
	step("update", func() (err error) { r, err = h.s.PutRecord(h.ctx, r); return err })
	step("delete", func() error { return h.s.DeleteRecord(h.ctx, k, "a", r.Revision) })
	// A refused write changes nothing.
	_, err := h.s.PutRecord(h.ctx, &storage.Record{Kind: k, Key: "a", Revision: 7})
	wantErr(t, "update of a deleted record", err, errcode.NotFound)
	if n := seq(); n != last {
		t.Errorf("sequence after a refused write = %d, want %d", n, last)
	}
	// Other kinds have their own sequence.
	h.putRecord(t, rec(k+"o", "a", ""))
	if n := seq(); n != last {
		t.Errorf("sequence after a write of another kind = %d, want %d", n, last)
	}
}

func testRecordClose(t *testing.T, h *harness) {
	k := h.kind()
	h.putRecord(t, rec(k, "a", ""))
	h.closed.Store(true)
	if err := h.s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := h.s.GetRecord(h.ctx, k, "a")
	wantErr(t, "GetRecord after Close", err, storage.ErrClosed)
	_, err = h.s.PutRecord(h.ctx, rec(k, "b", ""))
	wantErr(t, "PutRecord after Close", err, storage.ErrClosed)
	wantErr(t, "DeleteRecord after Close", h.s.DeleteRecord(h.ctx, k, "a", 1), storage.ErrClosed)
	_, _, err = h.s.ListRecords(h.ctx, k, 0, "")
	wantErr(t, "ListRecords after Close", err, storage.ErrClosed)
	_, err = h.s.WaitRecordChange(h.ctx, k, -1)
	wantErr(t, "WaitRecordChange(-1) after Close", err, errcode.FailedPrecondition)
	_, err = h.s.DeleteExpiredRecords(h.ctx, k)
	wantErr(t, "DeleteExpiredRecords after Close", err, storage.ErrClosed)
}

func testRecordWait(t *testing.T, h *harness) {
	k := h.kind()
	seq, err := h.s.WaitRecordChange(h.ctx, k, -1)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		seq int64
		err error
		at  time.Time
	}
	got := make(chan result, 1)
	go func() {
		n, err := h.s.WaitRecordChange(h.ctx, k, seq)
		got <- result{n, err, time.Now()}
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case r := <-got:
		t.Fatalf("WaitRecordChange returned %d, %v before any write", r.seq, r.err)
	default:
	}
	wrote := time.Now()
	h.putRecord(t, rec(k, "a", ""))
	select {
	case r := <-got:
		if r.err != nil || r.seq <= seq {
			t.Errorf("WaitRecordChange = %d, %v; want more than %d", r.seq, r.err, seq)
		}
		// Issue #14: every instance learns of a revocation within a second.
		if d := r.at.Sub(wrote); d > time.Second {
			t.Errorf("WaitRecordChange returned %v after the write, want within 1s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitRecordChange did not return after a write")
	}
	// A sequence that already moved returns at once.
	n, err := h.s.WaitRecordChange(h.ctx, k, seq)
	if err != nil || n <= seq {
		t.Errorf("WaitRecordChange with an old sequence = %d, %v; want the current one", n, err)
	}
	// Close ends a wait with ErrClosed, and does not wait for it to time out.
	cur, _ := h.s.WaitRecordChange(h.ctx, k, -1)
	go func() {
		n, err := h.s.WaitRecordChange(h.ctx, k, cur)
		got <- result{n, err, time.Now()}
	}()
	time.Sleep(50 * time.Millisecond)
	h.closed.Store(true)
	start := time.Now()
	if err := h.s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a wait in flight", d)
	}
	select {
	case r := <-got:
		wantErr(t, "WaitRecordChange ended by Close", r.err, storage.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("WaitRecordChange did not return after Close")
	}
}
