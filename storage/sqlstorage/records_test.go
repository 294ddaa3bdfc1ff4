package sqlstorage_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/driver"
	"github.com/strongbox-go/strongbox/storage/sqlstorage"
)

// TestMigrateV1AddsRecordTables opens a database at schema version 1 (as
// released before records) and checks that opening it migrates it: the
// secrets it held stay and records work.
func TestMigrateV1AddsRecordTables(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var u string
			if name == "sqlite" {
				u = sqliteURL(t)
			} else {
				u = postgresSchema(t) // skips without PostgreSQL
			}
			s := mustOpen(t, u)
			if _, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: "kept"}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			// Back to version 1: no record tables, no history or incarnation
			// columns, no rows of the migrations after 1.
			db := rawDB(t, name, u)
			for _, q := range []string{
				"DROP TABLE strongbox_records", "DROP TABLE strongbox_record_kinds",
				"ALTER TABLE strongbox_metadata DROP COLUMN keep_versions",
				"ALTER TABLE strongbox_metadata DROP COLUMN history",
				"ALTER TABLE strongbox_metadata DROP COLUMN incarnation",
				"DELETE FROM " + sqlstorage.MigrationsTable + " WHERE version >= 2",
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			s = mustOpen(t, u)
			defer s.Close()
			if _, err := s.GetMetadata(ctx, "ns", "kept"); err != nil {
				t.Errorf("secret after the migration: %v", err)
			}
			if _, err := s.PutRecord(ctx, &storage.Record{Kind: "apitoken", Key: "k", Data: []byte("h")}); err != nil {
				t.Errorf("PutRecord after the migration: %v", err)
			}
			if got := migrationRows(t, name, u); got != sqlstorage.SchemaVersion {
				t.Errorf("%d migration rows, want %d", got, sqlstorage.SchemaVersion)
			}
		})
	}
}

// TestMigrateV2AddsHistory opens a database at schema version 2 (as
// released before value history) holding a secret, and checks that opening
// migrates it: the secret reads as keeping no earlier values, with no
// history and the empty incarnation, and a history written after the
// migration round-trips.
func TestMigrateV2AddsHistory(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var u string
			if name == "sqlite" {
				u = sqliteURL(t)
			} else {
				u = postgresSchema(t) // skips without PostgreSQL
			}
			s := mustOpen(t, u)
			if _, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: "old", Version: 4, ValueID: "v4"}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			db := rawDB(t, name, u)
			for _, q := range []string{
				"ALTER TABLE strongbox_metadata DROP COLUMN keep_versions",
				"ALTER TABLE strongbox_metadata DROP COLUMN history",
				"ALTER TABLE strongbox_metadata DROP COLUMN incarnation",
				"DELETE FROM " + sqlstorage.MigrationsTable + " WHERE version >= 3",
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			s = mustOpen(t, u)
			defer s.Close()
			m, err := s.GetMetadata(ctx, "ns", "old")
			if err != nil {
				t.Fatalf("secret after the migration: %v", err)
			}
			if m.Version != 4 || m.ValueID != "v4" || m.KeepVersions != 0 || m.History != nil || m.Incarnation != "" {
				t.Errorf("after the migration: version %d, value ID %q, keep %d, history %v; want 4, v4, 0, none",
					m.Version, m.ValueID, m.KeepVersions, m.History)
			}
			m.KeepVersions = 2
			m.History = []driver.HistoryEntry{{Version: 4, ValueID: "v4", CreatedBy: "u"}, {Version: 3, Destroyed: true}}
			if _, err := s.UpdateMetadata(ctx, m); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetMetadata(ctx, "ns", "old")
			if err != nil {
				t.Fatal(err)
			}
			if got.KeepVersions != 2 || len(got.History) != 2 || got.History[1] != m.History[1] || got.History[0].CreatedBy != "u" {
				t.Errorf("history after the migration: keep %d, %+v", got.KeepVersions, got.History)
			}
			if got := migrationRows(t, name, u); got != sqlstorage.SchemaVersion {
				t.Errorf("%d migration rows, want %d", got, sqlstorage.SchemaVersion)
			}
		})
	}
}

// TestPostgresNotifyWakesWaiters: with two Stores on one PostgreSQL schema
// (two processes of a fleet), a write through one wakes a WaitRecordChange
// on the other through LISTEN/NOTIFY, well before the half-second poll.
func TestPostgresNotifyWakesWaiters(t *testing.T) {
	ctx := context.Background()
	u := postgresSchema(t)
	a, b := mustOpen(t, u), mustOpen(t, u)
	defer a.Close()
	defer b.Close()
	var lat []time.Duration
	for i := range 5 {
		seq, err := a.WaitRecordChange(ctx, "revocation", -1)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan time.Time, 1)
		go func() {
			if _, err := a.WaitRecordChange(ctx, "revocation", seq); err != nil {
				t.Error(err)
			}
			done <- time.Now()
		}()
		time.Sleep(100 * time.Millisecond) // the waiter is listening
		start := time.Now()
		if _, err := b.PutRecord(ctx, &storage.Record{Kind: "revocation", Key: fmt.Sprint("tok-", i)}); err != nil {
			t.Fatal(err)
		}
		select {
		case at := <-done:
			lat = append(lat, at.Sub(start))
		case <-time.After(5 * time.Second):
			t.Fatal("the waiter was not woken")
		}
	}
	slices.Sort(lat)
	t.Logf("wake-up latencies: %v", lat)
	if lat[2] > 100*time.Millisecond {
		t.Errorf("median wake-up %v, want under 100ms (NOTIFY, not the 500ms poll)", lat[2])
	}
}
