package secrets_test

import (
	"context"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// newBackends returns the embedded defaults: an in-memory store and an
// envelope keeper over a fresh local key-encryption key.
func newBackends(t testing.TB) (storage.Store, keeper.Keeper) {
	t.Helper()
	st := docstorage.NewInMemory()
	t.Cleanup(func() { st.Close() })
	return st, newKeeper(t)
}

func newKeeper(t testing.TB) *keeper.Envelope {
	t.Helper()
	u, err := keeper.NewLocalKEKURL()
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
