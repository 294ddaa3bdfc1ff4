package secrets_test

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // registers sqlite://
)

// backends are the stores the Manager tests run on: docstore, which has
// none of the optional store interfaces (so the Manager orders its calls),
// and SQLite, which has them all (so writes are single transactions).
var backends = []string{"docstore", "sqlite"}

func forEachBackend(t *testing.T, test func(t *testing.T, backend string)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { test(t, b) })
	}
}

func newStore(t testing.TB, backend string) *storage.Store {
	t.Helper()
	return newStoreIn(t, backend, t.TempDir())
}

// newStoreIn opens a store whose files, if it has any, live in dir.
func newStoreIn(t testing.TB, backend, dir string) *storage.Store {
	t.Helper()
	var st *storage.Store
	switch backend {
	case "docstore":
		st = docstorage.NewInMemory()
	case "postgres":
		st = openPostgres(t)
	case "sqlite":
		var err error
		u := url.URL{Scheme: "sqlite", Path: filepath.Join(dir, "strongbox.db")}
		st, err = storage.OpenStore(context.Background(), u.String())
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newBackends returns the embedded defaults: an in-memory store and an
// envelope keeper over a fresh local key-encryption key.
func newBackends(t testing.TB) (*storage.Store, keeper.Keeper) {
	t.Helper()
	return newStore(t, "docstore"), newKeeper(t)
}

func newKeeper(t testing.TB) *keeper.Envelope {
	t.Helper()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	k, err := keeper.OpenEnvelope(context.Background(), u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}
