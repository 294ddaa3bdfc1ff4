package docstorage_test

import (
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/modeltest"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// TestModel drives secrets.Manager over the in-memory docstore backend
// with random sequences, faults and races, against internal/testing/modeltest's
// model.
func TestModel(t *testing.T) {
	modeltest.Run(t, func(t testing.TB) *storage.Store {
		s := docstorage.NewInMemory()
		t.Cleanup(func() { s.Close() })
		return s
	}, modeltest.Options{})
}

// FuzzModel is TestModel with the sequences chosen by the fuzzer.
func FuzzModel(f *testing.F) {
	modeltest.Fuzz(f, func(t testing.TB) *storage.Store {
		s := docstorage.NewInMemory()
		t.Cleanup(func() { s.Close() })
		return s
	}, modeltest.Options{})
}
