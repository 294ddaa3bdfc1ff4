package drivertest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// The writes of a secret's metadata and ciphertext together
// (GetCurrent, CreateWithCiphertext, UpdateWithCiphertext, DeleteSecret):
// one query or transaction when the driver has Atomic operations, the
// portable type's sequence otherwise. Either way each must behave like the
// sequence of single calls it stands for, except that on any error nothing
// changes, which each error case checks with a snapshot of the namespace.

// snapshot is everything a namespace holds: its metadata and ciphertexts,
// data included.
type snapshot struct {
	Metadata    []*storage.Metadata
	Ciphertexts []*storage.Ciphertext
}

func (h *harness) snapshot(t *testing.T, ns string) snapshot {
	t.Helper()
	var s snapshot
	token := ""
	for {
		page, next, err := h.s.ListMetadata(h.ctx, ns, storage.ListOptions{PageSize: storage.MaxPageSize, PageToken: token})
		if err != nil {
			t.Fatalf("ListMetadata: %v", err)
		}
		s.Metadata = append(s.Metadata, page...)
		if next == "" {
			break
		}
		token = next
	}
	refs := listRefs(t, h, ns, storage.MaxPageSize)
	sortRefs(refs)
	for _, r := range refs {
		c, err := h.s.GetCiphertext(h.ctx, r.Namespace, r.Name, r.ValueID)
		if err != nil {
			t.Fatalf("GetCiphertext(%s/%s/%s): %v", r.Namespace, r.Name, r.ValueID, err)
		}
		s.Ciphertexts = append(s.Ciphertexts, c)
	}
	return s
}

// unchanged checks that a failed call left the namespace as before.
func (h *harness) unchanged(t *testing.T, what string, ns string, before snapshot) {
	t.Helper()
	diff(t, "namespace after "+what, before, h.snapshot(t, ns))
}

// valueIDs returns the value IDs of the stored ciphertexts of ns/name.
func (h *harness) valueIDs(t *testing.T, ns, name string) []string {
	t.Helper()
	var ids []string
	for _, r := range listRefs(t, h, ns, storage.MaxPageSize) {
		if r.Name == name {
			ids = append(ids, r.ValueID)
		}
	}
	return ids
}

// noCiphertextBytes fails if err's message holds any of the data strings.
func noCiphertextBytes(t *testing.T, what string, err error, data ...string) {
	t.Helper()
	for _, d := range data {
		if err != nil && d != "" && strings.Contains(err.Error(), d) {
			t.Errorf("%s error contains ciphertext bytes: %v", what, err)
		}
	}
}

// withValue returns m pointing at value ID id (version v).
func withValue(m *storage.Metadata, v int64, id string) *storage.Metadata {
	c := m.Clone()
	c.Version = v
	c.ValueID = id
	return c
}

func testGetCurrent(t *testing.T, h *harness) {
	cg := h.s
	ns := h.ns(0)
	emptyData := ciphertext(ns, "empty", "v1", "")
	emptyData.Data = []byte{}
	tests := []struct {
		name   string
		m      *storage.Metadata
		stored []*storage.Ciphertext // put before the metadata is read
		want   *storage.Ciphertext   // nil: GetCurrent returns no ciphertext
	}{
		{"current-value", withValue(meta(ns, "a"), 2, "v2"),
			[]*storage.Ciphertext{ciphertext(ns, "a", "v1", "older"), ciphertext(ns, "a", "v2", "current"), ciphertext(ns, "a", "v3", "newer")},
			ciphertext(ns, "a", "v2", "current")},
		{"empty-data", withValue(meta(ns, "empty"), 1, "v1"), []*storage.Ciphertext{emptyData}, emptyData},
		{"revoked", func() *storage.Metadata {
			m := withValue(meta(ns, "revoked"), 1, "")
			m.Revoked = true
			return m
		}(), []*storage.Ciphertext{ciphertext(ns, "revoked", "v1", "left behind")}, nil},
		{"revoked-with-an-empty-value-id-only", func() *storage.Metadata {
			m := withValue(meta(ns, "revoked2"), 1, "")
			m.Revoked = true
			return m
		}(), nil, nil},
		{"missing-ciphertext", withValue(meta(ns, "missing"), 1, "v1"),
			[]*storage.Ciphertext{ciphertext(ns, "missing", "v0", "another value"), ciphertext(ns, "other", "v1", "another name"),
				ciphertext(h.ns(1), "missing", "v1", "another namespace")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range tc.stored {
				h.put(t, c)
			}
			created := h.create(t, tc.m)
			m, c, err := cg.GetCurrent(h.ctx, ns, tc.m.Name)
			if err != nil {
				t.Fatalf("GetCurrent: %v", err)
			}
			diff(t, "GetCurrent metadata", created, m)
			diff(t, "GetCurrent metadata against GetMetadata", h.get(t, ns, tc.m.Name), m)
			if tc.want == nil {
				if c != nil {
					t.Errorf("GetCurrent returned ciphertext %s/%s/%s, want none", c.Namespace, c.Name, c.ValueID)
				}
				return
			}
			if c == nil {
				t.Fatal("GetCurrent returned no ciphertext")
			}
			if c.Data == nil {
				t.Error("GetCurrent returned nil Data, want empty non-nil")
			}
			diff(t, "GetCurrent ciphertext", tc.want, c)
			// The result is a copy.
			if len(c.Data) > 0 {
				c.Data[0] ^= 0xff
				_, again, err := cg.GetCurrent(h.ctx, ns, tc.m.Name)
				if err != nil {
					t.Fatal(err)
				}
				diff(t, "GetCurrent ciphertext after mutating a result", tc.want, again)
			}
		})
	}
	t.Run("after-update", func(t *testing.T) {
		cur := h.get(t, ns, "a")
		h.put(t, ciphertext(ns, "a", "v4", "fourth"))
		if _, err := h.s.UpdateMetadata(h.ctx, withValue(cur, 4, "v4")); err != nil {
			t.Fatal(err)
		}
		m, c, err := cg.GetCurrent(h.ctx, ns, "a")
		if err != nil || m.Revision != cur.Revision+1 || c == nil || string(c.Data) != "fourth" || c.Version != 1 {
			t.Errorf("GetCurrent after update = %+v, %+v, %v; want revision %d and value v4", m, c, err, cur.Revision+1)
		}
	})
	notFound := []struct{ name, ns, secret string }{
		{"absent", ns, "absent"},
		{"other-namespace", h.ns(1), "a"},
		{"orphan-ciphertext-only", h.ns(1), "missing"},
	}
	for _, tc := range notFound {
		t.Run("not-found/"+tc.name, func(t *testing.T) {
			m, c, err := cg.GetCurrent(h.ctx, tc.ns, tc.secret)
			wantErr(t, "GetCurrent", err, errcode.NotFound)
			if m != nil || c != nil {
				t.Errorf("GetCurrent returned %v, %v with an error", m, c)
			}
		})
	}
	for _, tc := range []struct{ name, ns, secret string }{
		{"no-namespace", "", "a"}, {"no-name", ns, ""}, {"invalid-utf8", ns, "bad\xff"},
	} {
		t.Run("invalid/"+tc.name, func(t *testing.T) {
			_, _, err := cg.GetCurrent(h.ctx, tc.ns, tc.secret)
			wantErr(t, "GetCurrent", err, errcode.Invalid)
		})
	}
}

func testCreateWithCiphertext(t *testing.T, h *harness) {
	aw := h.s
	ns := h.ns(0)
	t.Run("create", func(t *testing.T) {
		m := withValue(meta(ns, "new"), 1, "v1")
		m.Revision = 42 // ignored, as by CreateMetadata
		c := ciphertext(ns, "new", "v1", "sealed")
		got, err := aw.CreateWithCiphertext(h.ctx, m, c)
		if err != nil {
			t.Fatalf("CreateWithCiphertext: %v", err)
		}
		diff(t, "CreateWithCiphertext result", withRevision(m, 1), got)
		diff(t, "GetMetadata after create", withRevision(m, 1), h.get(t, ns, "new"))
		gc, err := h.s.GetCiphertext(h.ctx, ns, "new", "v1")
		if err != nil {
			t.Fatalf("GetCiphertext after create: %v", err)
		}
		diff(t, "GetCiphertext after create", c, gc)
		// Neither argument nor result reaches the store afterwards.
		m.Labels["env"] = "mutated"
		c.Data[0] = 'X'
		got.Decrypters[0] = "mutated"
		diff(t, "GetMetadata after mutating arguments", withRevision(withValue(meta(ns, "new"), 1, "v1"), 1), h.get(t, ns, "new"))
		if gc, err := h.s.GetCiphertext(h.ctx, ns, "new", "v1"); err != nil || string(gc.Data) != "sealed" {
			t.Errorf("GetCiphertext after mutating arguments = %v, %v", gc, err)
		}
	})
	t.Run("name-taken", func(t *testing.T) {
		h.create(t, withValue(meta(ns, "taken"), 1, "v1"))
		h.put(t, ciphertext(ns, "taken", "v1", "first"))
		before := h.snapshot(t, ns)
		dup := withValue(meta(ns, "taken"), 1, "v2")
		dup.Description = "second"
		_, err := aw.CreateWithCiphertext(h.ctx, dup, ciphertext(ns, "taken", "v2", "second-secret-bytes"))
		wantErr(t, "CreateWithCiphertext of a taken name", err, errcode.AlreadyExists)
		noCiphertextBytes(t, "CreateWithCiphertext", err, "second-secret-bytes", "first")
		h.unchanged(t, "CreateWithCiphertext of a taken name", ns, before)
		if _, err := h.s.GetCiphertext(h.ctx, ns, "taken", "v2"); !errors.Is(err, errcode.NotFound) {
			t.Errorf("the ciphertext of a failed create was stored (GetCiphertext: %v)", err)
		}
	})
	t.Run("ciphertext-key-taken", func(t *testing.T) {
		h.put(t, ciphertext(ns, "orphan", "v1", "orphan-bytes"))
		before := h.snapshot(t, ns)
		_, err := aw.CreateWithCiphertext(h.ctx, withValue(meta(ns, "orphan"), 1, "v1"), ciphertext(ns, "orphan", "v1", "overwrite-attempt"))
		wantErr(t, "CreateWithCiphertext with a taken ciphertext key", err, errcode.AlreadyExists)
		noCiphertextBytes(t, "CreateWithCiphertext", err, "overwrite-attempt", "orphan-bytes")
		h.unchanged(t, "CreateWithCiphertext with a taken ciphertext key", ns, before)
	})
	t.Run("same-name-other-namespace", func(t *testing.T) {
		if _, err := aw.CreateWithCiphertext(h.ctx, withValue(meta(h.ns(1), "taken"), 1, "v2"), ciphertext(h.ns(1), "taken", "v2", "x")); err != nil {
			t.Errorf("CreateWithCiphertext of a name taken in another namespace: %v", err)
		}
	})
	invalid := []struct {
		name string
		m    *storage.Metadata
		c    *storage.Ciphertext
	}{
		{"nil-metadata", nil, ciphertext(ns, "inv", "v1", "x")},
		{"nil-ciphertext", withValue(meta(ns, "inv"), 1, "v1"), nil},
		{"metadata-without-name", withValue(meta(ns, ""), 1, "v1"), ciphertext(ns, "inv", "v1", "x")},
		{"metadata-invalid-utf8", withValue(meta(ns, "inv\xff"), 1, "v1"), ciphertext(ns, "inv", "v1", "x")},
		{"ciphertext-without-value-id", withValue(meta(ns, "inv"), 1, "v1"), ciphertext(ns, "inv", "", "x")},
	}
	for _, tc := range invalid {
		t.Run("invalid/"+tc.name, func(t *testing.T) {
			before := h.snapshot(t, ns)
			_, err := aw.CreateWithCiphertext(h.ctx, tc.m, tc.c)
			wantErr(t, "CreateWithCiphertext", err, errcode.Invalid)
			h.unchanged(t, "an invalid CreateWithCiphertext", ns, before)
		})
	}
	t.Run("concurrent", func(t *testing.T) {
		errs := race(func(i int) error {
			id := fmt.Sprintf("v-writer-%d", i)
			m := withValue(meta(ns, "contended"), 1, id)
			m.Description = fmt.Sprintf("writer %d", i)
			_, err := aw.CreateWithCiphertext(h.ctx, m, ciphertext(ns, "contended", id, fmt.Sprintf("data %d", i)))
			return err
		})
		w := oneWinner(t, errs, errcode.AlreadyExists)
		got := h.get(t, ns, "contended")
		wantID := fmt.Sprintf("v-writer-%d", w)
		if got.Description != fmt.Sprintf("writer %d", w) || got.ValueID != wantID {
			t.Errorf("stored metadata %q pointing at %s, want writer %d's", got.Description, got.ValueID, w)
		}
		diff(t, "ciphertexts of the name (only the winner's)", []string{wantID}, h.valueIDs(t, ns, "contended"))
	})
}

func testUpdateWithCiphertext(t *testing.T, h *harness) {
	aw := h.s
	ns := h.ns(0)
	// setup creates ns/name at revision 1 pointing at v1, plus an unrelated
	// secret, and returns the stored metadata.
	setup := func(t *testing.T, name string) *storage.Metadata {
		t.Helper()
		m := h.create(t, withValue(meta(ns, name), 1, "v1"))
		h.put(t, ciphertext(ns, name, "v1", "value-1"))
		h.create(t, withValue(meta(ns, name+"-neighbour"), 1, "v1"))
		h.put(t, ciphertext(ns, name+"-neighbour", "v1", "neighbour"))
		return m
	}
	next := func(m *storage.Metadata, v int64, id string) *storage.Metadata {
		n := withValue(m, v, id)
		n.UpdateTime = m.UpdateTime.Add(time.Minute)
		n.UpdatedBy = "user:bob"
		return n
	}
	t.Run("new-value", func(t *testing.T) {
		cur := setup(t, "reset")
		upd := next(cur, 2, "v2")
		c := ciphertext(ns, "reset", "v2", "value-2")
		c.Version = 2
		got, err := aw.UpdateWithCiphertext(h.ctx, upd, c, "v1")
		if err != nil {
			t.Fatalf("UpdateWithCiphertext: %v", err)
		}
		diff(t, "UpdateWithCiphertext result", withRevision(upd, 2), got)
		diff(t, "GetMetadata after update", withRevision(upd, 2), h.get(t, ns, "reset"))
		gc, err := h.s.GetCiphertext(h.ctx, ns, "reset", "v2")
		if err != nil {
			t.Fatalf("GetCiphertext of the new value: %v", err)
		}
		diff(t, "new ciphertext", c, gc)
		diff(t, "ciphertexts of the name (old one deleted)", []string{"v2"}, h.valueIDs(t, ns, "reset"))
		diff(t, "ciphertexts of the neighbour", []string{"v1"}, h.valueIDs(t, ns, "reset-neighbour"))

		// Revoke: no new ciphertext, the current one deleted.
		rev := next(got, 2, "")
		rev.Revoked = true
		got, err = aw.UpdateWithCiphertext(h.ctx, rev, nil, "v2")
		if err != nil {
			t.Fatalf("UpdateWithCiphertext (revoke): %v", err)
		}
		diff(t, "UpdateWithCiphertext result (revoke)", withRevision(rev, 3), got)
		diff(t, "GetMetadata after revoke", withRevision(rev, 3), h.get(t, ns, "reset"))
		diff(t, "ciphertexts of the name after revoke", []string(nil), h.valueIDs(t, ns, "reset"))

		// Metadata only: neither a new ciphertext nor an old one to delete.
		desc := next(got, 2, "")
		desc.Description = "described"
		got, err = aw.UpdateWithCiphertext(h.ctx, desc, nil, "")
		if err != nil {
			t.Fatalf("UpdateWithCiphertext (metadata only): %v", err)
		}
		diff(t, "UpdateWithCiphertext result (metadata only)", withRevision(desc, 4), got)
		diff(t, "GetMetadata after a metadata-only update", withRevision(desc, 4), h.get(t, ns, "reset"))
	})
	t.Run("absent-old-value-is-not-an-error", func(t *testing.T) {
		cur := setup(t, "gone")
		if err := h.s.DeleteCiphertext(h.ctx, ns, "gone", "v1"); err != nil {
			t.Fatal(err)
		}
		if _, err := aw.UpdateWithCiphertext(h.ctx, next(cur, 2, "v2"), ciphertext(ns, "gone", "v2", "x"), "v1"); err != nil {
			t.Errorf("UpdateWithCiphertext whose old ciphertext is gone: %v", err)
		}
		diff(t, "ciphertexts of the name", []string{"v2"}, h.valueIDs(t, ns, "gone"))
	})
	for _, rev := range []int64{0, -1, 3, 99} {
		t.Run(fmt.Sprintf("revision-%d", rev), func(t *testing.T) {
			name := fmt.Sprintf("rev%d", rev)
			cur := setup(t, name)
			before := h.snapshot(t, ns)
			_, err := aw.UpdateWithCiphertext(h.ctx, withRevision(next(cur, 2, "v2"), rev), ciphertext(ns, name, "v2", "must-not-be-stored"), "v1")
			wantErr(t, "UpdateWithCiphertext with a wrong revision", err, errcode.Conflict)
			noCiphertextBytes(t, "UpdateWithCiphertext", err, "must-not-be-stored", "value-1")
			h.unchanged(t, "UpdateWithCiphertext with a wrong revision", ns, before)
		})
	}
	t.Run("stale-revision", func(t *testing.T) {
		cur := setup(t, "stale")
		moved, err := aw.UpdateWithCiphertext(h.ctx, next(cur, 2, "v2"), ciphertext(ns, "stale", "v2", "value-2"), "v1")
		if err != nil {
			t.Fatal(err)
		}
		before := h.snapshot(t, ns)
		// A writer that read revision 1 (and the value v1) loses: its new
		// ciphertext is not kept and the current one (v2) stays.
		_, err = aw.UpdateWithCiphertext(h.ctx, next(cur, 2, "v3"), ciphertext(ns, "stale", "v3", "value-3"), "v1")
		wantErr(t, "stale UpdateWithCiphertext", err, errcode.Conflict)
		h.unchanged(t, "a stale UpdateWithCiphertext", ns, before)
		// Also when it names the current value as the old one.
		_, err = aw.UpdateWithCiphertext(h.ctx, next(cur, 2, "v3"), ciphertext(ns, "stale", "v3", "value-3"), "v2")
		wantErr(t, "stale UpdateWithCiphertext", err, errcode.Conflict)
		h.unchanged(t, "a stale UpdateWithCiphertext", ns, before)
		diff(t, "metadata after stale updates", moved, h.get(t, ns, "stale"))
		diff(t, "ciphertexts of the name after stale updates", []string{"v2"}, h.valueIDs(t, ns, "stale"))
	})
	t.Run("not-found", func(t *testing.T) {
		h.put(t, ciphertext(ns, "absent", "v1", "orphan"))
		before := h.snapshot(t, ns)
		_, err := aw.UpdateWithCiphertext(h.ctx, withRevision(withValue(meta(ns, "absent"), 2, "v2"), 1), ciphertext(ns, "absent", "v2", "x"), "v1")
		wantErr(t, "UpdateWithCiphertext of an absent secret", err, errcode.NotFound)
		h.unchanged(t, "UpdateWithCiphertext of an absent secret", ns, before)
	})
	t.Run("ciphertext-key-taken", func(t *testing.T) {
		cur := setup(t, "dupkey")
		h.put(t, ciphertext(ns, "dupkey", "v2", "already-there"))
		before := h.snapshot(t, ns)
		_, err := aw.UpdateWithCiphertext(h.ctx, next(cur, 2, "v2"), ciphertext(ns, "dupkey", "v2", "overwrite-attempt"), "v1")
		wantErr(t, "UpdateWithCiphertext with a taken ciphertext key", err, errcode.AlreadyExists)
		noCiphertextBytes(t, "UpdateWithCiphertext", err, "overwrite-attempt", "already-there")
		h.unchanged(t, "UpdateWithCiphertext with a taken ciphertext key", ns, before)
	})
	t.Run("invalid", func(t *testing.T) {
		cur := setup(t, "inv")
		for _, tc := range []struct {
			name  string
			m     *storage.Metadata
			c     *storage.Ciphertext
			oldID string
		}{
			{"nil-metadata", nil, ciphertext(ns, "inv", "v2", "x"), "v1"},
			{"metadata-without-namespace", withValue(meta("", "inv"), 2, "v2"), ciphertext(ns, "inv", "v2", "x"), "v1"},
			{"ciphertext-without-value-id", next(cur, 2, "v2"), ciphertext(ns, "inv", "", "x"), "v1"},
			{"old-value-id-invalid-utf8", next(cur, 2, "v2"), ciphertext(ns, "inv", "v2", "x"), "v\xff"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := h.snapshot(t, ns)
				_, err := aw.UpdateWithCiphertext(h.ctx, tc.m, tc.c, tc.oldID)
				wantErr(t, "UpdateWithCiphertext", err, errcode.Invalid)
				h.unchanged(t, "an invalid UpdateWithCiphertext", ns, before)
			})
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		// writers goroutines replace the value at the same revision: one
		// wins, and exactly one new ciphertext survives, the winner's.
		cur := setup(t, "contended")
		for round := int64(1); round <= 3; round++ {
			errs := race(func(i int) error {
				id := fmt.Sprintf("v-round%d-writer%d", round, i)
				upd := next(cur, cur.Version+1, id)
				upd.Description = fmt.Sprintf("writer %d", i)
				_, err := aw.UpdateWithCiphertext(h.ctx, upd, ciphertext(ns, "contended", id, id), cur.ValueID)
				return err
			})
			w := oneWinner(t, errs, errcode.Conflict)
			wantID := fmt.Sprintf("v-round%d-writer%d", round, w)
			got := h.get(t, ns, "contended")
			if got.Revision != round+1 || got.ValueID != wantID || got.Description != fmt.Sprintf("writer %d", w) {
				t.Fatalf("round %d: stored revision %d pointing at %s by %q; want revision %d pointing at %s", round, got.Revision, got.ValueID, got.Description, round+1, wantID)
			}
			diff(t, fmt.Sprintf("round %d: ciphertexts of the name (only the winner's)", round), []string{wantID}, h.valueIDs(t, ns, "contended"))
			cur = got
		}
	})
}

// leftAfterDelete is what DeleteSecret leaves of the setup's ciphertexts:
// nothing in one transaction; the orphan v1 when sequenced, which removes
// the current value's ciphertext only (garbage collection takes orphans).
func (h *harness) leftAfterDelete() []string {
	if h.atomic {
		return nil
	}
	return []string{"v1"}
}

func testDeleteSecret(t *testing.T, h *harness) {
	aw := h.s
	ns := h.ns(0)
	// setup stores ns/name at revision 1 with its current value, an
	// orphan value of the same name, and neighbours that must survive: a
	// name that extends it, and the same name in another namespace.
	setup := func(t *testing.T, name string) *storage.Metadata {
		t.Helper()
		m := h.create(t, withValue(meta(ns, name), 2, "v2"))
		h.put(t, ciphertext(ns, name, "v1", "orphan"))
		h.put(t, ciphertext(ns, name, "v2", "current"))
		h.create(t, withValue(meta(ns, name+"x"), 1, "v1"))
		h.put(t, ciphertext(ns, name+"x", "v1", "longer name"))
		h.create(t, withValue(meta(h.ns(1), name), 1, "v2"))
		h.put(t, ciphertext(h.ns(1), name, "v2", "other namespace"))
		return m
	}
	t.Run("delete", func(t *testing.T) {
		m := setup(t, "doomed")
		other := h.snapshot(t, h.ns(1))
		if err := aw.DeleteSecret(h.ctx, ns, "doomed", m.Revision); err != nil {
			t.Fatalf("DeleteSecret: %v", err)
		}
		_, err := h.s.GetMetadata(h.ctx, ns, "doomed")
		wantErr(t, "GetMetadata after DeleteSecret", err, errcode.NotFound)
		diff(t, "ciphertexts of the name after DeleteSecret", h.leftAfterDelete(), h.valueIDs(t, ns, "doomed"))
		diff(t, "ciphertexts of a longer name", []string{"v1"}, h.valueIDs(t, ns, "doomedx"))
		h.get(t, ns, "doomedx")
		h.unchanged(t, "DeleteSecret in another namespace", h.ns(1), other)
		// The name can be created again, at revision 1.
		again, err := aw.CreateWithCiphertext(h.ctx, withValue(meta(ns, "doomed"), 1, "v2"), ciphertext(ns, "doomed", "v2", "again"))
		if err != nil || again.Revision != 1 {
			t.Errorf("CreateWithCiphertext after DeleteSecret = %v, %v; want revision 1", again, err)
		}
	})
	for _, rev := range []int64{0, -1, 2, 99} {
		t.Run(fmt.Sprintf("revision-%d", rev), func(t *testing.T) {
			name := fmt.Sprintf("rev%d", rev)
			setup(t, name)
			before := h.snapshot(t, ns)
			err := aw.DeleteSecret(h.ctx, ns, name, rev)
			wantErr(t, "DeleteSecret with a wrong revision", err, errcode.Conflict)
			h.unchanged(t, "DeleteSecret with a wrong revision", ns, before)
		})
	}
	t.Run("not-found", func(t *testing.T) {
		// Ciphertexts without metadata stay: the sequence stops at
		// DeleteMetadata's secrets.ErrNotFound.
		h.put(t, ciphertext(ns, "absent", "v1", "orphan"))
		before := h.snapshot(t, ns)
		err := aw.DeleteSecret(h.ctx, ns, "absent", 1)
		wantErr(t, "DeleteSecret of an absent secret", err, errcode.NotFound)
		h.unchanged(t, "DeleteSecret of an absent secret", ns, before)
	})
	for _, tc := range []struct{ name, ns, secret string }{
		{"no-namespace", "", "a"}, {"no-name", ns, ""}, {"invalid-utf8", ns, "bad\xff"},
	} {
		t.Run("invalid/"+tc.name, func(t *testing.T) {
			wantErr(t, "DeleteSecret", aw.DeleteSecret(h.ctx, tc.ns, tc.secret, 1), errcode.Invalid)
		})
	}
	t.Run("concurrent", func(t *testing.T) {
		m := setup(t, "contended")
		errs := race(func(int) error { return aw.DeleteSecret(h.ctx, ns, "contended", m.Revision) })
		oneWinner(t, errs, errcode.NotFound, errcode.Conflict)
		_, err := h.s.GetMetadata(h.ctx, ns, "contended")
		wantErr(t, "GetMetadata after DeleteSecret", err, errcode.NotFound)
		diff(t, "ciphertexts of the name", h.leftAfterDelete(), h.valueIDs(t, ns, "contended"))
	})
}
