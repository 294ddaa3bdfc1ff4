package secrets_test

import (
	"context"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/pgtest"
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
	st, err := storage.OpenStore(context.Background(), pgtest.Schema(t))
	if err != nil {
		t.Fatalf("open PostgreSQL store: %v", err)
	}
	return st
}
