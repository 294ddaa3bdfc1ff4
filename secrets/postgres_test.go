package secrets_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/strongbox-go/strongbox/storage"
)

// allBackends are backends plus PostgreSQL, for the tests that must run
// on every backend (value history): PostgreSQL runs when
// STRONGBOX_TEST_POSTGRES_URL is set, skips with a message otherwise, and
// fails under CI=true without it.
var allBackends = append(append([]string(nil), backends...), "postgres")

func forAllBackends(t *testing.T, test func(t *testing.T, backend string)) {
	for _, b := range allBackends {
		t.Run(b, func(t *testing.T) { test(t, b) })
	}
}

// openPostgres opens a store in a fresh schema of the test server, dropped
// when the test ends.
func openPostgres(t testing.TB) *storage.Store {
	t.Helper()
	base := os.Getenv("STRONGBOX_TEST_POSTGRES_URL")
	if base == "" {
		msg := "STRONGBOX_TEST_POSTGRES_URL is not set: run scripts/test, or export STRONGBOX_TEST_POSTGRES_URL=$(scripts/start-postgres)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (PostgreSQL tests are required under CI=true)")
		}
		t.Skip(msg)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "sbsecrets_" + hex.EncodeToString(b[:])
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
	st, err := storage.OpenStore(context.Background(), u.String())
	if err != nil {
		t.Fatalf("open PostgreSQL store: %v", err)
	}
	return st
}
