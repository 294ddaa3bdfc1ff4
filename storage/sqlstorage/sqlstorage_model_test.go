package sqlstorage_test

import (
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/modeltest"
	"github.com/strongbox-go/strongbox/storage"
)

// TestModelSQLite drives secrets.Manager over a SQLite file with random
// sequences, faults and races, against internal/testing/modeltest's model.
func TestModelSQLite(t *testing.T) {
	t.Parallel()
	modeltest.Run(t, func(t testing.TB) *storage.Store {
		s, err := storage.OpenStore(t.Context(), sqliteURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, modeltest.Options{})
}

// TestModelPostgres is TestModelSQLite on PostgreSQL, in a schema of its
// own (STRONGBOX_TEST_POSTGRES_URL; skipped without it, except under CI).
func TestModelPostgres(t *testing.T) {
	t.Parallel()
	postgresURL(t)
	modeltest.Run(t, func(t testing.TB) *storage.Store {
		s, err := storage.OpenStore(t.Context(), postgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, modeltest.Options{})
}

// TestModelSplitSQLiteDocstore is TestModelSQLite on a composite store:
// metadata in a SQLite file, ciphertexts in a docstore collection, so
// every write is the portable type's sequence across two backends.
func TestModelSplitSQLiteDocstore(t *testing.T) {
	t.Parallel()
	modeltest.Run(t, func(t testing.TB) *storage.Store {
		s := mustOpenSplit(t, sqliteURL(t), "mem://")
		t.Cleanup(func() { s.Close() })
		return s
	}, modeltest.Options{})
}

// TestModelSplitPostgresDocstore is the same with the metadata in
// PostgreSQL.
func TestModelSplitPostgresDocstore(t *testing.T) {
	t.Parallel()
	postgresURL(t)
	modeltest.Run(t, func(t testing.TB) *storage.Store {
		s := mustOpenSplit(t, postgresSchema(t), "mem://")
		t.Cleanup(func() { s.Close() })
		return s
	}, modeltest.Options{})
}
