package drivertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// Value history: KeepVersions and History round-trip through every call
// that returns metadata, kept values are ordinary ciphertexts, and
// UpdateWithCiphertext drops none, one or several of them as told, never
// one the new metadata still references.

// withHistory returns m keeping keep earlier values, with the history of
// versions (newest first; value ID "v<N>", or none when gone is set).
func withHistory(m *storage.Metadata, keep int, versions ...int64) *storage.Metadata {
	c := m.Clone()
	c.KeepVersions = keep
	c.History = nil
	for i, v := range versions {
		e := driver.HistoryEntry{
			Version:    v,
			ValueID:    fmt.Sprintf("v%d", v),
			CreateTime: baseTime.Add(time.Duration(v) * time.Minute),
			CreatedBy:  fmt.Sprintf("user:%d", v),
		}
		if i == 0 {
			c.Version, c.ValueID = v, e.ValueID
		}
		c.History = append(c.History, e)
	}
	return c
}

func testHistory(t *testing.T, h *harness) {
	ns := h.ns(0)
	t.Run("round-trip", func(t *testing.T) {
		in := withHistory(meta(ns, "hist"), 3, 4, 3, 2)
		in.History[1].ValueID, in.History[1].Destroyed = "", true
		in.History[2].ValueID, in.History[2].Revoked = "", true
		created := h.create(t, in)
		diff(t, "CreateMetadata result", withRevision(in, 1), created)
		diff(t, "GetMetadata", withRevision(in, 1), h.get(t, ns, "hist"))
		page, _, err := h.s.ListMetadata(h.ctx, ns, storage.ListOptions{})
		if err != nil || len(page) != 1 {
			t.Fatalf("ListMetadata = %d items, %v", len(page), err)
		}
		diff(t, "ListMetadata", withRevision(in, 1), page[0])
		h.put(t, ciphertext(ns, "hist", "v4", "four"))
		m, c, err := h.s.GetCurrent(h.ctx, ns, "hist")
		if err != nil || c == nil {
			t.Fatalf("GetCurrent = %v, %v", c, err)
		}
		diff(t, "GetCurrent metadata", withRevision(in, 1), m)

		// The largest history, then none again.
		versions := make([]int64, (driver.MaxKeepVersions + 1))
		for i := range versions {
			versions[i] = int64((driver.MaxKeepVersions + 1) - i)
		}
		big := withRevision(withHistory(created, driver.MaxKeepVersions, versions...), 1)
		got, err := h.s.UpdateMetadata(h.ctx, big)
		if err != nil {
			t.Fatalf("UpdateMetadata with %d history entries: %v", len(versions), err)
		}
		diff(t, "UpdateMetadata result", withRevision(big, 2), got)
		diff(t, "GetMetadata after update", withRevision(big, 2), h.get(t, ns, "hist"))
		none := withHistory(got, 0)
		none.Version, none.ValueID = 101, "v101"
		got, err = h.s.UpdateMetadata(h.ctx, none)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "GetMetadata without history", withRevision(none, 3), h.get(t, ns, "hist"))
		if got.History != nil {
			t.Errorf("an empty history comes back as %v, want nil", got.History)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		tooMany := make([]int64, (driver.MaxKeepVersions+1)+1)
		for i := range tooMany {
			tooMany[i] = int64(len(tooMany) - i)
		}
		for _, tc := range []struct {
			name string
			m    *storage.Metadata
		}{
			{"keep-negative", withHistory(meta(ns, "inv"), -1, 1)},
			{"keep-too-many", withHistory(meta(ns, "inv"), driver.MaxKeepVersions+1, 1)},
			{"history-too-long", withHistory(meta(ns, "inv"), driver.MaxKeepVersions, tooMany...)},
			{"version-zero", withHistory(meta(ns, "inv"), 1, 1, 0)},
			{"oldest-first", withHistory(meta(ns, "inv"), 1, 1, 2)},
			{"repeated-version", withHistory(meta(ns, "inv"), 1, 2, 2)},
			{"value-id-invalid-utf8", func() *storage.Metadata {
				m := withHistory(meta(ns, "inv"), 1, 2, 1)
				m.History[1].ValueID = "v\xff"
				return m
			}()},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := h.s.CreateMetadata(h.ctx, tc.m)
				wantErr(t, "CreateMetadata", err, errcode.Invalid)
				_, err = h.s.CreateWithCiphertext(h.ctx, tc.m, ciphertext(ns, "inv", tc.m.ValueID, "x"))
				wantErr(t, "CreateWithCiphertext", err, errcode.Invalid)
			})
		}
		if _, err := h.s.GetMetadata(h.ctx, ns, "inv"); errcode.Of(err) != errcode.NotFound {
			t.Errorf("an invalid create stored something: %v", err)
		}
	})

	// setup stores ns/name at version 3 keeping 2 earlier values, with the
	// ciphertexts v1, v2 and v3.
	setup := func(t *testing.T, name string) *storage.Metadata {
		t.Helper()
		m := h.create(t, withHistory(meta(ns, name), 2, 3, 2, 1))
		for _, id := range []string{"v1", "v2", "v3"} {
			h.put(t, ciphertext(ns, name, id, name+"-"+id))
		}
		return m
	}
	t.Run("reset-drops-the-oldest", func(t *testing.T) {
		cur := setup(t, "reset")
		upd := withRevision(withHistory(cur, 2, 4, 3, 2), 1)
		got, err := h.s.UpdateWithCiphertext(h.ctx, upd, ciphertext(ns, "reset", "v4", "four"), "v1")
		if err != nil {
			t.Fatalf("UpdateWithCiphertext: %v", err)
		}
		diff(t, "UpdateWithCiphertext result", withRevision(upd, 2), got)
		diff(t, "ciphertexts (v1 fell out)", []string{"v2", "v3", "v4"}, h.valueIDs(t, ns, "reset"))

		// A larger window drops nothing.
		upd = withHistory(got, 3, 5, 4, 3, 2)
		got, err = h.s.UpdateWithCiphertext(h.ctx, upd, ciphertext(ns, "reset", "v5", "five"))
		if err != nil {
			t.Fatalf("UpdateWithCiphertext dropping nothing: %v", err)
		}
		diff(t, "ciphertexts (none dropped)", []string{"v2", "v3", "v4", "v5"}, h.valueIDs(t, ns, "reset"))

		// No new value, several dropped (a window shrunk to 1).
		upd = withHistory(got, 1, 5, 4)
		got, err = h.s.UpdateWithCiphertext(h.ctx, upd, nil, "v3", "v2")
		if err != nil {
			t.Fatalf("UpdateWithCiphertext dropping two: %v", err)
		}
		diff(t, "GetMetadata after the shrink", withRevision(upd, 4), h.get(t, ns, "reset"))
		diff(t, "ciphertexts (two dropped)", []string{"v4", "v5"}, h.valueIDs(t, ns, "reset"))
		if got.Revision != 4 {
			t.Errorf("revision %d, want 4", got.Revision)
		}
	})
	t.Run("drop-of-a-referenced-value-is-refused", func(t *testing.T) {
		cur := setup(t, "ref")
		before := h.snapshot(t, ns)
		upd := withRevision(withHistory(cur, 2, 4, 3, 2), 1)
		for _, id := range []string{"v2", "v3"} {
			_, err := h.s.UpdateWithCiphertext(h.ctx, upd, ciphertext(ns, "ref", "v4", "four"), "v1", id)
			wantErr(t, "UpdateWithCiphertext dropping a kept value "+id, err, errcode.Invalid)
			h.unchanged(t, "a refused drop", ns, before)
		}
		// The current value of a metadata-only write.
		_, err := h.s.UpdateWithCiphertext(h.ctx, withRevision(cur, 1), nil, "v3")
		wantErr(t, "UpdateWithCiphertext dropping the current value", err, errcode.Invalid)
		h.unchanged(t, "a refused drop", ns, before)
		tooMany := make([]string, (driver.MaxKeepVersions+1)+1)
		for i := range tooMany {
			tooMany[i] = fmt.Sprintf("x%d", i)
		}
		_, err = h.s.UpdateWithCiphertext(h.ctx, withRevision(cur, 1), nil, tooMany...)
		wantErr(t, "UpdateWithCiphertext dropping too many", err, errcode.Invalid)
		h.unchanged(t, "a refused drop", ns, before)
	})
	t.Run("conflict-keeps-every-value", func(t *testing.T) {
		cur := setup(t, "stale")
		before := h.snapshot(t, ns)
		upd := withRevision(withHistory(cur, 1, 4, 3), 7)
		_, err := h.s.UpdateWithCiphertext(h.ctx, upd, ciphertext(ns, "stale", "v4", "four"), "v2", "v1")
		wantErr(t, "stale UpdateWithCiphertext", err, errcode.Conflict)
		h.unchanged(t, "a stale UpdateWithCiphertext with drops", ns, before)
	})
	t.Run("delete-removes-kept-values", func(t *testing.T) {
		cur := setup(t, "doomed")
		if err := h.s.DeleteSecret(h.ctx, ns, "doomed", cur.Revision); err != nil {
			t.Fatalf("DeleteSecret: %v", err)
		}
		diff(t, "ciphertexts after DeleteSecret", []string(nil), h.valueIDs(t, ns, "doomed"))
	})
}
