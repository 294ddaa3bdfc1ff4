// Package apitokentest checks that an apitoken.Store behaves as the
// interface documents, so that a durable implementation can run the same
// tests as apitoken.MemoryStore.
package apitokentest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
)

// RunConformance runs the Store contract against stores made by newStore,
// one per subtest, each empty.
func RunConformance(t *testing.T, newStore func(t *testing.T) apitoken.Store) {
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := func(id, ns string) apitoken.Record {
		return apitoken.Record{ID: id, Namespace: ns, Subject: "ci", Roles: []rbac.Role{rbac.RoleEditor},
			Description: "d", CreatedBy: "user:" + ns + "/alice", CreatedAt: at, ExpiresAt: at.Add(time.Hour),
			Hash: bytes.Repeat([]byte{7}, 32)}
	}
	wantCode := func(t *testing.T, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("error = %v, want one matching %v", err, want)
		}
	}
	t.Run("PutGetRoundTrip", func(t *testing.T) {
		s := newStore(t)
		r := rec("aaaaaaaaaaaaaaaa", "ns")
		rev, err := s.Put(ctx, r)
		if err != nil || rev <= 0 {
			t.Fatalf("Put = %d, %v; want a positive revision", rev, err)
		}
		got, err := s.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		r.Revision = rev
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("Get (-want +got):\n%s", diff)
		}
	})
	t.Run("CreateTwiceIsAlreadyExists", func(t *testing.T) {
		s := newStore(t)
		r := rec("aaaaaaaaaaaaaaaa", "ns")
		if _, err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		_, err := s.Put(ctx, r)
		wantCode(t, err, secrets.ErrAlreadyExists)
	})
	t.Run("ReplaceChecksRevision", func(t *testing.T) {
		s := newStore(t)
		r := rec("aaaaaaaaaaaaaaaa", "ns")
		rev, err := s.Put(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		r.Revision = rev
		r.Description = "changed"
		rev2, err := s.Put(ctx, r)
		if err != nil || rev2 <= rev {
			t.Fatalf("replace = %d, %v; want a revision above %d", rev2, err, rev)
		}
		_, err = s.Put(ctx, r) // stale
		wantCode(t, err, secrets.ErrConflict)
		got, err := s.Get(ctx, r.ID)
		if err != nil || got.Description != "changed" || got.Revision != rev2 {
			t.Errorf("Get = %+v, %v; want description changed at revision %d", got, err, rev2)
		}
		missing := rec("bbbbbbbbbbbbbbbb", "ns")
		missing.Revision = 1
		_, err = s.Put(ctx, missing)
		wantCode(t, err, secrets.ErrNotFound)
	})
	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		_, err := newStore(t).Get(ctx, "aaaaaaaaaaaaaaaa")
		wantCode(t, err, secrets.ErrNotFound)
	})
	t.Run("ListByNamespaceSorted", func(t *testing.T) {
		s := newStore(t)
		if got, err := s.List(ctx, ""); err != nil || len(got) != 0 {
			t.Fatalf("List of an empty store = %v, %v", got, err)
		}
		for _, r := range []apitoken.Record{rec("cccccccccccccccc", "a"), rec("aaaaaaaaaaaaaaaa", "a"), rec("bbbbbbbbbbbbbbbb", "b")} {
			if _, err := s.Put(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		ids := func(ns string) []string {
			recs, err := s.List(ctx, ns)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range recs {
				if r.Revision <= 0 {
					t.Errorf("List(%q): %s has no revision", ns, r.ID)
				}
				out = append(out, r.ID)
			}
			return out
		}
		if diff := cmp.Diff([]string{"aaaaaaaaaaaaaaaa", "cccccccccccccccc"}, ids("a")); diff != "" {
			t.Errorf("List(a) (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"}, ids("")); diff != "" {
			t.Errorf("List(all) (-want +got):\n%s", diff)
		}
	})
	t.Run("DeleteChecksRevision", func(t *testing.T) {
		s := newStore(t)
		r := rec("aaaaaaaaaaaaaaaa", "ns")
		rev, err := s.Put(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.Delete(ctx, r.ID, rev+100), secrets.ErrConflict)
		if err := s.Delete(ctx, r.ID, rev); err != nil {
			t.Fatal(err)
		}
		_, err = s.Get(ctx, r.ID)
		wantCode(t, err, secrets.ErrNotFound)
		wantCode(t, s.Delete(ctx, r.ID, 0), secrets.ErrNotFound)
	})
	t.Run("ReturnedRecordsAreCopies", func(t *testing.T) {
		s := newStore(t)
		r := rec("aaaaaaaaaaaaaaaa", "ns")
		if _, err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Roles[0], r.Hash[0] = rbac.RoleAdmin, 0
		got, err := s.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.Roles[0] = rbac.RoleAdmin
		again, _ := s.Get(ctx, r.ID)
		if again.Roles[0] != rbac.RoleEditor || again.Hash[0] != 7 {
			t.Errorf("the store shares memory with its callers: %+v", again)
		}
	})
	t.Run("CanceledContext", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := newStore(t).Get(cctx, "aaaaaaaaaaaaaaaa"); !errors.Is(err, context.Canceled) {
			t.Errorf("Get with a canceled context = %v, want context.Canceled", err)
		}
	})
}
