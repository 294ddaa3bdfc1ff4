package sqlstorage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// TestAtomicWritesUnderCancellation replaces a secret's value from several
// goroutines with contexts that end at random points of the transaction
// (before BEGIN, while waiting for the write lock, between statements).
// Whatever each call reports, the secret's only ciphertext is the one its
// metadata names (no orphan, no dangling pointer), and no connection is
// left inside a transaction: later writes go through at once.
func TestAtomicWritesUnderCancellation(t *testing.T) {
	urls := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return sqliteURL(t) }},
		{"sqlite-memory", func(*testing.T) string { return "sqlite://:memory:" }},
		{"postgres", func(t *testing.T) string { return postgresSchema(t) }},
	}
	for _, b := range urls {
		t.Run(b.name, func(t *testing.T) {
			s := mustOpen(t, b.url(t))
			defer s.Close()
			ctx := context.Background()
			const ns, name = "ns", "cancelled"
			if _, err := s.CreateWithCiphertext(ctx, &storage.Metadata{Namespace: ns, Name: name, Version: 1, ValueID: "v0"},
				&storage.Ciphertext{Namespace: ns, Name: name, ValueID: "v0", Version: 1, Data: []byte("v0")}); err != nil {
				t.Fatal(err)
			}
			// The deadlines span a few uncancelled writes, so that on a
			// loaded machine they still end inside transactions and not
			// all before BEGIN.
			span := 3 * time.Millisecond
			for range 3 {
				m, _, err := s.GetCurrent(ctx, ns, name)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if _, err := s.UpdateWithCiphertext(ctx, m, nil, ""); err != nil {
					t.Fatal(err)
				}
				span = max(span, 3*time.Since(start))
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			outcomes := map[string]int{}
			for g := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 25 {
						m, _, err := s.GetCurrent(ctx, ns, name)
						if err != nil {
							t.Error(err)
							return
						}
						id := fmt.Sprintf("v-%d-%d", g, i)
						next := m.Clone()
						next.Version++
						next.ValueID = id
						cctx, cancel := context.WithTimeout(ctx, time.Duration(rand.Int64N(int64(span))))
						_, err = s.UpdateWithCiphertext(cctx, next,
							&storage.Ciphertext{Namespace: ns, Name: name, ValueID: id, Version: next.Version, Data: []byte(id)}, m.ValueID)
						cancel()
						kind := "ok"
						switch {
						case err == nil:
						case errors.Is(err, errcode.Conflict):
							kind = "conflict"
						case errors.Is(err, context.DeadlineExceeded):
							kind = "deadline"
						default:
							t.Errorf("UpdateWithCiphertext: %v", err)
						}
						mu.Lock()
						outcomes[kind]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			t.Logf("deadlines up to %v, outcomes: %v", span, outcomes)
			checkOnlyCurrent(t, s, ns, name)
			// No connection holds a transaction (or the write lock): a
			// write with a short deadline goes through.
			for range 8 {
				m, _, err := s.GetCurrent(ctx, ns, name)
				if err != nil {
					t.Fatal(err)
				}
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_, err = s.UpdateWithCiphertext(cctx, m, nil, "")
				cancel()
				if err != nil {
					t.Fatalf("write after the cancelled ones: %v", err)
				}
			}
			checkOnlyCurrent(t, s, ns, name)
		})
	}
}

// checkOnlyCurrent fails unless ns/name has exactly one ciphertext, the
// one its metadata names.
func checkOnlyCurrent(t *testing.T, s *storage.Store, ns, name string) {
	t.Helper()
	ctx := context.Background()
	m, c, err := s.GetCurrent(ctx, ns, name)
	if err != nil || c == nil || string(c.Data) != m.ValueID {
		t.Fatalf("GetCurrent = %+v, %+v, %v; want the ciphertext of the current value", m, c, err)
	}
	refs, _, err := s.ListCiphertexts(ctx, ns, storage.MaxPageSize, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.ValueID)
	}
	if !slices.Equal(ids, []string{m.ValueID}) {
		t.Errorf("ciphertexts %v, want only the current one %s", ids, m.ValueID)
	}
}
