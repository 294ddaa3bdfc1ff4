package sqlstorage_test

import (
	"context"
	"testing"

	"github.com/strongbox-go/strongbox/storage"
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
			// Back to version 1: no record tables, no migration 2 row.
			db := rawDB(t, name, u)
			for _, q := range []string{
				"DROP TABLE strongbox_records", "DROP TABLE strongbox_record_kinds",
				"DELETE FROM " + sqlstorage.MigrationsTable + " WHERE version = 2",
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
