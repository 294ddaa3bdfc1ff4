package sqlstorage_test

import (
	"context"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/strongbox-go/strongbox/internal/testing/pgtest"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite:// and postgres://
)

// postgresURL returns the URL of the test PostgreSQL server (see pgtest.URL:
// skipped without one, failed under CI=true).
func postgresURL(t testing.TB) string { return pgtest.URL(t) }

// postgresSchema creates a fresh schema for one test, dropped when the test
// ends, and returns the URL whose search_path selects it.
func postgresSchema(t testing.TB) string { return pgtest.Schema(t) }

func sqliteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "strongbox.db")
}

func mustOpen(t testing.TB, urlstr string) *storage.Store {
	t.Helper()
	s, err := storage.OpenStore(context.Background(), urlstr)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}
