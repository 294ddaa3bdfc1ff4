package drivertest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Races: of writers with one revision, name or old data, exactly one
// wins.

const writers = 16

// race runs f in writers goroutines released together and returns their
// errors.
func race(f func(i int) error) []error {
	errs := make([]error, writers)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range writers {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = f(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// oneWinner checks that exactly one call succeeded and every other failed
// with one of losers, and returns the winner's index.
func oneWinner(t *testing.T, errs []error, losers ...error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Errorf("writers %d and %d both succeeded", winner, i)
			}
			winner = i
			continue
		}
		if !slices.ContainsFunc(losers, func(l error) bool { return errors.Is(err, l) }) {
			t.Errorf("writer %d: got %v, want one of %v", i, err, losers)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer succeeded")
	}
	return winner
}

func testConcurrentUpdates(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.create(t, meta(ns, "contended"))
	for round := int64(1); round <= 3; round++ {
		errs := race(func(i int) error {
			m := withRevision(meta(ns, "contended"), round)
			m.Description = fmt.Sprintf("writer %d", i)
			_, err := h.s.UpdateMetadata(h.ctx, m)
			return err
		})
		w := oneWinner(t, errs, errcode.Conflict)
		got := h.get(t, ns, "contended")
		if got.Revision != round+1 || got.Description != fmt.Sprintf("writer %d", w) {
			t.Errorf("round %d: stored revision %d by %q, want %d by writer %d", round, got.Revision, got.Description, round+1, w)
		}
	}
}

func testConcurrentCreates(t *testing.T, h *harness) {
	ns := h.ns(0)
	errs := race(func(i int) error {
		m := meta(ns, "new-name")
		m.Description = fmt.Sprintf("writer %d", i)
		_, err := h.s.CreateMetadata(h.ctx, m)
		return err
	})
	w := oneWinner(t, errs, errcode.AlreadyExists)
	if got := h.get(t, ns, "new-name"); got.Description != fmt.Sprintf("writer %d", w) || got.Revision != 1 {
		t.Errorf("stored %q revision %d, want writer %d revision 1", got.Description, got.Revision, w)
	}
	errs = race(func(i int) error {
		return h.s.PutCiphertext(h.ctx, ciphertext(ns, "new-name", "v1", fmt.Sprintf("writer %d", i)))
	})
	w = oneWinner(t, errs, errcode.AlreadyExists)
	c, err := h.s.GetCiphertext(h.ctx, ns, "new-name", "v1")
	if err != nil || string(c.Data) != fmt.Sprintf("writer %d", w) {
		t.Errorf("stored ciphertext is not the winner's (err %v)", err)
	}
}

func testConcurrentDeletes(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.create(t, meta(ns, "doomed"))
	errs := race(func(int) error { return h.s.DeleteMetadata(h.ctx, ns, "doomed", 1) })
	oneWinner(t, errs, errcode.NotFound, errcode.Conflict)
	_, err := h.s.GetMetadata(h.ctx, ns, "doomed")
	wantErr(t, "GetMetadata after delete", err, errcode.NotFound)
}

func testConcurrentReplace(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.put(t, ciphertext(ns, "k", "v1", "old"))
	errs := race(func(i int) error {
		return h.s.ReplaceCiphertext(h.ctx, ciphertext(ns, "k", "v1", fmt.Sprintf("new-%d", i)), []byte("old"))
	})
	w := oneWinner(t, errs, errcode.Conflict)
	c, err := h.s.GetCiphertext(h.ctx, ns, "k", "v1")
	if err != nil || string(c.Data) != fmt.Sprintf("new-%d", w) {
		t.Errorf("stored ciphertext is not the winner's (err %v)", err)
	}
}
