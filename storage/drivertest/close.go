package drivertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// Context errors and Close: a done context fails every call and writes
// nothing; Close waits for calls in flight and later calls fail.

// calls returns one call of every Store method, for the context and Close
// subtests.
func calls(ns string) []struct {
	name string
	call func(ctx context.Context, s *storage.Store) error
} {
	return []struct {
		name string
		call func(ctx context.Context, s *storage.Store) error
	}{
		{"CreateMetadata", func(ctx context.Context, s *storage.Store) error {
			_, err := s.CreateMetadata(ctx, meta(ns, "new"))
			return err
		}},
		{"GetMetadata", func(ctx context.Context, s *storage.Store) error { _, err := s.GetMetadata(ctx, ns, "s"); return err }},
		{"UpdateMetadata", func(ctx context.Context, s *storage.Store) error {
			_, err := s.UpdateMetadata(ctx, withRevision(meta(ns, "s"), 1))
			return err
		}},
		{"DeleteMetadata", func(ctx context.Context, s *storage.Store) error { return s.DeleteMetadata(ctx, ns, "s", 1) }},
		{"ListMetadata", func(ctx context.Context, s *storage.Store) error {
			_, _, err := s.ListMetadata(ctx, ns, storage.ListOptions{})
			return err
		}},
		{"PutCiphertext", func(ctx context.Context, s *storage.Store) error {
			return s.PutCiphertext(ctx, ciphertext(ns, "s", "v2", "x"))
		}},
		{"GetCiphertext", func(ctx context.Context, s *storage.Store) error {
			_, err := s.GetCiphertext(ctx, ns, "s", "v1")
			return err
		}},
		{"DeleteCiphertext", func(ctx context.Context, s *storage.Store) error { return s.DeleteCiphertext(ctx, ns, "s", "v1") }},
		{"ListCiphertexts", func(ctx context.Context, s *storage.Store) error {
			_, _, err := s.ListCiphertexts(ctx, ns, 10, "")
			return err
		}},
		{"ListCiphertexts/all-namespaces", func(ctx context.Context, s *storage.Store) error {
			_, _, err := s.ListCiphertexts(ctx, "", 10, "")
			return err
		}},
		{"ReplaceCiphertext", func(ctx context.Context, s *storage.Store) error {
			return s.ReplaceCiphertext(ctx, ciphertext(ns, "s", "v1", "y"), []byte("x"))
		}},
	}
}

func testContextErrors(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.create(t, meta(ns, "s"))
	h.put(t, ciphertext(ns, "s", "v1", "x"))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, tc := range calls(ns) {
		t.Run(tc.name+"/canceled", func(t *testing.T) {
			wantErr(t, tc.name, tc.call(canceled, h.s), context.Canceled)
		})
		t.Run(tc.name+"/deadline", func(t *testing.T) {
			wantErr(t, tc.name, tc.call(expired, h.s), context.DeadlineExceeded)
		})
	}
	// Nothing was written or removed by the failed calls.
	diff(t, "metadata after canceled calls", withRevision(meta(ns, "s"), 1), h.get(t, ns, "s"))
	if _, err := h.s.GetCiphertext(h.ctx, ns, "s", "v1"); err != nil {
		t.Errorf("ciphertext after canceled calls: %v", err)
	}
	if _, err := h.s.GetMetadata(h.ctx, ns, "new"); !errors.Is(err, errcode.NotFound) {
		t.Errorf("canceled CreateMetadata wrote metadata (GetMetadata: %v)", err)
	}
}

func testClose(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.create(t, meta(ns, "s"))
	h.put(t, ciphertext(ns, "s", "v1", "x"))
	h.closed.Store(true)
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, tc := range calls(ns) {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(h.ctx, h.s)
			wantErr(t, tc.name+" after Close", err, storage.ErrClosed)
			wantErr(t, tc.name+" after Close", err, errcode.FailedPrecondition)
		})
	}
	t.Run("second-Close", func(t *testing.T) {
		done := make(chan error, 1)
		go func() { done <- h.s.Close() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("second Close did not return")
		}
	})
}

func testCloseInFlight(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.create(t, meta(ns, "s"))
	h.put(t, ciphertext(ns, "s", "v1", "x"))
	var closedAt atomic.Int64 // UnixNano when Close returned
	var wg sync.WaitGroup
	var ops atomic.Int64
	errs := make(chan error, 1000)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				startedAfterClose := closedAt.Load() != 0
				var err error
				switch (i + j) % 4 {
				case 0:
					_, err = h.s.GetMetadata(h.ctx, ns, "s")
				case 1:
					_, _, err = h.s.ListMetadata(h.ctx, ns, storage.ListOptions{})
				case 2:
					_, err = h.s.GetCiphertext(h.ctx, ns, "s", "v1")
				case 3:
					err = h.s.PutCiphertext(h.ctx, ciphertext(ns, "s", fmt.Sprintf("w%d-%d", i, j), "x"))
				}
				ops.Add(1)
				switch {
				case err == nil && startedAfterClose:
					errs <- fmt.Errorf("a call started after Close returned succeeded")
					return
				case errors.Is(err, storage.ErrClosed):
					return
				case err != nil:
					errs <- fmt.Errorf("call during Close: %w", err)
					return
				}
			}
		}()
	}
	for ops.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	h.closed.Store(true)
	if err := h.s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closedAt.Store(time.Now().UnixNano())
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testOptionalContextAndClose checks the writes of atomic.go
// with a done context (the context's error, nothing written) and after
// Close (ErrClosed).
func testOptionalContextAndClose(t *testing.T, h *harness) {
	s := h.s
	ns := h.ns(0)
	cur := h.create(t, withValue(meta(ns, "s"), 1, "v1"))
	h.put(t, ciphertext(ns, "s", "v1", "x"))
	type call struct {
		name string
		call func(ctx context.Context) error
	}
	calls := []call{
		{"GetCurrent", func(ctx context.Context) error {
			_, _, err := s.GetCurrent(ctx, ns, "s")
			return err
		}},
		{"CreateWithCiphertext", func(ctx context.Context) error {
			_, err := s.CreateWithCiphertext(ctx, withValue(meta(ns, "new"), 1, "v1"), ciphertext(ns, "new", "v1", "x"))
			return err
		}},
		{"UpdateWithCiphertext", func(ctx context.Context) error {
			_, err := s.UpdateWithCiphertext(ctx, withValue(cur, 2, "v2"), ciphertext(ns, "s", "v2", "y"), "v1")
			return err
		}},
		{"DeleteSecret", func(ctx context.Context) error { return s.DeleteSecret(ctx, ns, "s", 1) }},
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	before := h.snapshot(t, ns)
	for _, tc := range calls {
		t.Run(tc.name+"/canceled", func(t *testing.T) {
			wantErr(t, tc.name, tc.call(canceled), context.Canceled)
		})
		t.Run(tc.name+"/deadline", func(t *testing.T) {
			wantErr(t, tc.name, tc.call(expired), context.DeadlineExceeded)
		})
	}
	h.unchanged(t, "calls with a done context", ns, before)
	h.closed.Store(true)
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, tc := range calls {
		t.Run(tc.name+"/after-Close", func(t *testing.T) {
			err := tc.call(h.ctx)
			wantErr(t, tc.name+" after Close", err, storage.ErrClosed)
			wantErr(t, tc.name+" after Close", err, errcode.FailedPrecondition)
		})
	}
}
