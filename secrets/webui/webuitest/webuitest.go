// Package webuitest checks that a webui.SessionStore behaves as the
// interface documents, so that a shared implementation (fleet.WebSessions)
// runs the same tests as webui.NewMemorySessionStore.
package webuitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/webui"
)

// RunConformance runs the SessionStore contract against stores made by
// newStore, one per subtest, each empty. Expiry is checked against the
// real clock (a few hundred milliseconds), as a shared store's readers
// use theirs.
func RunConformance(t *testing.T, newStore func(t *testing.T) webui.SessionStore) {
	ctx := context.Background()
	key := func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	hour := func() time.Time { return time.Now().Add(time.Hour) }
	wantErr := func(t *testing.T, what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("%s: error = %v, want one matching %v", what, err, want)
		}
	}
	get := func(t *testing.T, s webui.SessionStore, k string, want []byte) int64 {
		t.Helper()
		data, rev, err := s.GetSession(ctx, k)
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		if !bytes.Equal(data, want) || rev <= 0 {
			t.Fatalf("GetSession = %q, revision %d; want %q and a positive revision", data, rev, want)
		}
		return rev
	}

	t.Run("CreateGetDelete", func(t *testing.T) {
		s := newStore(t)
		k := key()
		rev, err := s.CreateSession(ctx, k, []byte(`{"a":1}`), hour())
		if err != nil || rev <= 0 {
			t.Fatalf("CreateSession = %d, %v; want a positive revision", rev, err)
		}
		if got := get(t, s, k, []byte(`{"a":1}`)); got != rev {
			t.Errorf("revision read %d, created %d", got, rev)
		}
		_, err = s.CreateSession(ctx, k, []byte(`{"a":2}`), hour())
		wantErr(t, "second create", err, secrets.ErrAlreadyExists)
		get(t, s, k, []byte(`{"a":1}`))
		if err := s.DeleteSession(ctx, k); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.GetSession(ctx, k)
		wantErr(t, "get after delete", err, secrets.ErrNotFound)
		if err := s.DeleteSession(ctx, k); err != nil {
			t.Errorf("deleting an absent session: %v, want nil", err)
		}
		_, _, err = s.GetSession(ctx, key())
		wantErr(t, "get of an unknown key", err, secrets.ErrNotFound)
	})

	t.Run("UpdateAtRevision", func(t *testing.T) {
		s := newStore(t)
		k := key()
		rev, err := s.CreateSession(ctx, k, []byte("one"), hour())
		if err != nil {
			t.Fatal(err)
		}
		rev2, err := s.UpdateSession(ctx, k, []byte("two"), rev)
		if err != nil || rev2 == rev {
			t.Fatalf("UpdateSession = %d, %v; want a new revision", rev2, err)
		}
		if got := get(t, s, k, []byte("two")); got != rev2 {
			t.Errorf("revision read %d, updated %d", got, rev2)
		}
		_, err = s.UpdateSession(ctx, k, []byte("stale"), rev)
		wantErr(t, "update at the old revision", err, secrets.ErrConflict)
		get(t, s, k, []byte("two"))
		_, err = s.UpdateSession(ctx, key(), []byte("x"), 1)
		wantErr(t, "update of an absent session", err, secrets.ErrNotFound)
	})

	t.Run("OneOfRacingUpdatesWins", func(t *testing.T) {
		s := newStore(t)
		k := key()
		rev, err := s.CreateSession(ctx, k, []byte("start"), hour())
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.UpdateSession(ctx, k, []byte{byte('a' + i)}, rev)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, secrets.ErrConflict):
				t.Errorf("a losing update failed with %v, want ErrConflict", err)
			}
		}
		if won != 1 {
			t.Errorf("%d racing updates at one revision succeeded, want exactly 1", won)
		}
	})

	t.Run("Expiry", func(t *testing.T) {
		t.Parallel() // they wait for the real clock
		s := newStore(t)
		k := key()
		soon := time.Now().Add(400 * time.Millisecond)
		if _, err := s.CreateSession(ctx, k, []byte("short"), soon); err != nil {
			t.Fatal(err)
		}
		rev := get(t, s, k, []byte("short"))
		time.Sleep(time.Until(soon) + 50*time.Millisecond)
		_, _, err := s.GetSession(ctx, k)
		wantErr(t, "get after expiry", err, secrets.ErrNotFound)
		_, err = s.UpdateSession(ctx, k, []byte("late"), rev)
		wantErr(t, "update after expiry", err, secrets.ErrNotFound)
		// An expired session does not hold its key.
		if _, err := s.CreateSession(ctx, k, []byte("again"), hour()); err != nil {
			t.Fatalf("create over an expired session: %v", err)
		}
		get(t, s, k, []byte("again"))
	})

	t.Run("UpdateKeepsExpiry", func(t *testing.T) {
		t.Parallel() // they wait for the real clock
		s := newStore(t)
		k := key()
		soon := time.Now().Add(300 * time.Millisecond)
		rev, err := s.CreateSession(ctx, k, []byte("x"), soon)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateSession(ctx, k, []byte("y"), rev); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(soon) + 50*time.Millisecond)
		_, _, err = s.GetSession(ctx, k)
		wantErr(t, "get after the expiry, updated before it", err, secrets.ErrNotFound)
	})

	t.Run("MaxSessionBytes", func(t *testing.T) {
		s := newStore(t)
		k := key()
		big := bytes.Repeat([]byte("x"), webui.MaxSessionBytes)
		if _, err := s.CreateSession(ctx, k, big, hour()); err != nil {
			t.Fatalf("a session of MaxSessionBytes: %v", err)
		}
		get(t, s, k, big)
	})
}
