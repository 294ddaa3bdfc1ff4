package sqlstorage_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite:// and postgres://
)

// postgresURL returns the URL of the test PostgreSQL server, which
// scripts/test starts with scripts/start-postgres. Without one the test
// skips, except under CI=true, where it fails.
func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("STRONGBOX_TEST_POSTGRES_URL")
	if u == "" {
		msg := "STRONGBOX_TEST_POSTGRES_URL is not set: run scripts/test, or export STRONGBOX_TEST_POSTGRES_URL=$(scripts/start-postgres)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (PostgreSQL tests are required under CI=true)")
		}
		t.Skip(msg)
	}
	return u
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// postgresSchema creates a fresh schema for one test, dropped when the test
// ends, and returns the URL whose search_path selects it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := postgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := randomName("sbtest_")
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("CREATE SCHEMA: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("DROP SCHEMA: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal("STRONGBOX_TEST_POSTGRES_URL is not a URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

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
