package drivertest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
)

// CRUD of metadata and ciphertexts: revisions, duplicates, absent
// records, invalid arguments, namespace isolation, deep copies and times.

func testMetadataCRUD(t *testing.T, h *harness) {
	ns := h.ns(0)
	in := meta(ns, "db-password")
	in.Revision = 42 // ignored: create always starts at 1
	created := h.create(t, in)
	want := withRevision(in, 1)
	diff(t, "CreateMetadata result", want, created)
	diff(t, "GetMetadata after create", want, h.get(t, ns, "db-password"))

	// Update every field but the key.
	upd := created.Clone()
	upd.Description = "rotated"
	upd.Labels = map[string]string{"env": "prod"}
	upd.Decrypters = []string{"runner-3"}
	upd.Version = 2
	upd.ValueID = "v-2"
	upd.Revoked = true
	upd.UpdateTime = baseTime.Add(time.Hour)
	upd.UpdatedBy = "user:bob"
	got, err := h.s.UpdateMetadata(h.ctx, upd)
	if err != nil {
		t.Fatalf("UpdateMetadata: %v", err)
	}
	diff(t, "UpdateMetadata result", withRevision(upd, 2), got)
	diff(t, "GetMetadata after update", withRevision(upd, 2), h.get(t, ns, "db-password"))

	got3, err := h.s.UpdateMetadata(h.ctx, got)
	if err != nil {
		t.Fatalf("second UpdateMetadata: %v", err)
	}
	if got3.Revision != 3 {
		t.Errorf("revision after two updates = %d, want 3", got3.Revision)
	}

	if err := h.s.DeleteMetadata(h.ctx, ns, "db-password", 3); err != nil {
		t.Fatalf("DeleteMetadata: %v", err)
	}
	_, err = h.s.GetMetadata(h.ctx, ns, "db-password")
	wantErr(t, "GetMetadata after delete", err, errcode.NotFound)

	// The name is free again and starts over at revision 1.
	again := h.create(t, meta(ns, "db-password"))
	if again.Revision != 1 {
		t.Errorf("revision after re-create = %d, want 1", again.Revision)
	}
}

func testRevisions(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.create(t, meta(ns, "s"))
	cur, err := h.s.UpdateMetadata(h.ctx, withRevision(meta(ns, "s"), 1))
	if err != nil {
		t.Fatalf("UpdateMetadata: %v", err)
	}
	if cur.Revision != 2 {
		t.Fatalf("revision after update = %d, want 2", cur.Revision)
	}
	for _, rev := range []int64{1, 0, -1, 3, 99} {
		t.Run(fmt.Sprintf("update-revision-%d", rev), func(t *testing.T) {
			m := withRevision(meta(ns, "s"), rev)
			m.Description = "must not be written"
			_, err := h.s.UpdateMetadata(h.ctx, m)
			wantErr(t, "stale UpdateMetadata", err, errcode.Conflict)
			diff(t, "metadata after rejected update", cur, h.get(t, ns, "s"))
		})
		t.Run(fmt.Sprintf("delete-revision-%d", rev), func(t *testing.T) {
			err := h.s.DeleteMetadata(h.ctx, ns, "s", rev)
			wantErr(t, "stale DeleteMetadata", err, errcode.Conflict)
			diff(t, "metadata after rejected delete", cur, h.get(t, ns, "s"))
		})
	}
}

func testAlreadyExists(t *testing.T, h *harness) {
	ns := h.ns(0)
	first := h.create(t, meta(ns, "api-key"))
	dup := meta(ns, "api-key")
	dup.Description = "second"
	_, err := h.s.CreateMetadata(h.ctx, dup)
	wantErr(t, "duplicate CreateMetadata", err, errcode.AlreadyExists)
	diff(t, "metadata after duplicate create", first, h.get(t, ns, "api-key"))

	secret := "ciphertext-bytes-that-must-not-leak"
	h.put(t, ciphertext(ns, "api-key", "v1", secret))
	err = h.s.PutCiphertext(h.ctx, ciphertext(ns, "api-key", "v1", "overwrite-attempt"))
	wantErr(t, "duplicate PutCiphertext", err, errcode.AlreadyExists)
	if err != nil && (strings.Contains(err.Error(), "overwrite-attempt") || strings.Contains(err.Error(), secret)) {
		t.Errorf("PutCiphertext error contains ciphertext bytes: %v", err)
	}
	got, err := h.s.GetCiphertext(h.ctx, ns, "api-key", "v1")
	if err != nil {
		t.Fatalf("GetCiphertext: %v", err)
	}
	if string(got.Data) != secret {
		t.Errorf("duplicate PutCiphertext overwrote the data")
	}
}

func testNotFound(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.create(t, meta(ns, "present"))
	h.put(t, ciphertext(ns, "present", "v1", "x"))
	tests := []struct {
		name string
		call func() error
	}{
		{"GetMetadata", func() error { _, err := h.s.GetMetadata(h.ctx, ns, "absent"); return err }},
		{"GetMetadata/other-namespace", func() error { _, err := h.s.GetMetadata(h.ctx, h.ns(1), "present"); return err }},
		{"UpdateMetadata", func() error { _, err := h.s.UpdateMetadata(h.ctx, withRevision(meta(ns, "absent"), 1)); return err }},
		{"DeleteMetadata", func() error { return h.s.DeleteMetadata(h.ctx, ns, "absent", 1) }},
		{"GetCiphertext", func() error { _, err := h.s.GetCiphertext(h.ctx, ns, "present", "v2"); return err }},
		{"GetCiphertext/other-name", func() error { _, err := h.s.GetCiphertext(h.ctx, ns, "absent", "v1"); return err }},
		{"ReplaceCiphertext", func() error {
			return h.s.ReplaceCiphertext(h.ctx, ciphertext(ns, "present", "v2", "new"), []byte("x"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, tc.call(), errcode.NotFound)
		})
	}
	t.Run("DeleteCiphertext/absent-is-not-an-error", func(t *testing.T) {
		if err := h.s.DeleteCiphertext(h.ctx, ns, "absent", "v1"); err != nil {
			t.Errorf("DeleteCiphertext of an absent ciphertext: %v", err)
		}
	})
	t.Run("ListMetadata/empty-namespace", func(t *testing.T) {
		page, next, err := h.s.ListMetadata(h.ctx, h.ns(2), storage.ListOptions{})
		if err != nil || len(page) != 0 || next != "" {
			t.Errorf("ListMetadata of an empty namespace = %d items, token %q, %v; want none", len(page), next, err)
		}
	})
}

func testInvalid(t *testing.T, h *harness) {
	ns := h.ns(0)
	noNS := meta("", "x")
	noName := meta(ns, "")
	badUTF8 := meta(ns, "bad\xff")
	tests := []struct {
		name string
		call func() error
	}{
		{"CreateMetadata/nil", func() error { _, err := h.s.CreateMetadata(h.ctx, nil); return err }},
		{"CreateMetadata/no-namespace", func() error { _, err := h.s.CreateMetadata(h.ctx, noNS); return err }},
		{"CreateMetadata/no-name", func() error { _, err := h.s.CreateMetadata(h.ctx, noName); return err }},
		{"CreateMetadata/invalid-utf8", func() error { _, err := h.s.CreateMetadata(h.ctx, badUTF8); return err }},
		{"UpdateMetadata/nil", func() error { _, err := h.s.UpdateMetadata(h.ctx, nil); return err }},
		{"GetMetadata/no-namespace", func() error { _, err := h.s.GetMetadata(h.ctx, "", "x"); return err }},
		{"DeleteMetadata/no-name", func() error { return h.s.DeleteMetadata(h.ctx, ns, "", 1) }},
		{"ListMetadata/no-namespace", func() error { _, _, err := h.s.ListMetadata(h.ctx, "", storage.ListOptions{}); return err }},
		{"ListMetadata/malformed-token", func() error {
			_, _, err := h.s.ListMetadata(h.ctx, ns, storage.ListOptions{PageToken: "%%not a token%%"})
			return err
		}},
		{"ListCiphertexts/malformed-token", func() error { _, _, err := h.s.ListCiphertexts(h.ctx, ns, 10, "%%not a token%%"); return err }},
		{"PutCiphertext/nil", func() error { return h.s.PutCiphertext(h.ctx, nil) }},
		{"PutCiphertext/no-value-id", func() error { return h.s.PutCiphertext(h.ctx, ciphertext(ns, "x", "", "d")) }},
		{"GetCiphertext/no-namespace", func() error { _, err := h.s.GetCiphertext(h.ctx, "", "x", "v"); return err }},
		{"ReplaceCiphertext/nil", func() error { return h.s.ReplaceCiphertext(h.ctx, nil, []byte("x")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, tc.call(), errcode.Invalid)
		})
	}
}

func testCiphertextCRUD(t *testing.T, h *harness) {
	ns := h.ns(0)
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	big := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 16<<10) // 64 KiB
	tests := []struct {
		name string
		c    *storage.Ciphertext
	}{
		{"small", ciphertext(ns, "a", "v1", "opaque")},
		{"every-byte-value", &storage.Ciphertext{Namespace: ns, Name: "b", ValueID: "v1", Version: 7, Data: allBytes, CreateTime: baseTime}},
		{"64KiB", &storage.Ciphertext{Namespace: ns, Name: "c", ValueID: "v9", Version: 9, Data: big, CreateTime: baseTime}},
		{"same-name-second-value", ciphertext(ns, "a", "v2", "second")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.put(t, tc.c)
			got, err := h.s.GetCiphertext(h.ctx, tc.c.Namespace, tc.c.Name, tc.c.ValueID)
			if err != nil {
				t.Fatalf("GetCiphertext: %v", err)
			}
			diff(t, "GetCiphertext", tc.c, got)
		})
	}
	t.Run("delete", func(t *testing.T) {
		if err := h.s.DeleteCiphertext(h.ctx, ns, "a", "v1"); err != nil {
			t.Fatalf("DeleteCiphertext: %v", err)
		}
		_, err := h.s.GetCiphertext(h.ctx, ns, "a", "v1")
		wantErr(t, "GetCiphertext after delete", err, errcode.NotFound)
		if err := h.s.DeleteCiphertext(h.ctx, ns, "a", "v1"); err != nil {
			t.Errorf("second DeleteCiphertext: %v", err)
		}
		// The other value of the same secret is untouched.
		if _, err := h.s.GetCiphertext(h.ctx, ns, "a", "v2"); err != nil {
			t.Errorf("GetCiphertext of the sibling value: %v", err)
		}
		// A deleted key can be written again.
		h.put(t, ciphertext(ns, "a", "v1", "again"))
	})
}

func testReplaceCiphertext(t *testing.T, h *harness) {
	ns := h.ns(0)
	orig := ciphertext(ns, "k", "v1", "wrapped-under-key-1")
	h.put(t, orig)
	tests := []struct {
		name     string
		old, new string
		wantErr  error
		wantData string
	}{
		{"swap", "wrapped-under-key-1", "wrapped-under-key-2", nil, "wrapped-under-key-2"},
		{"stale-old", "wrapped-under-key-1", "wrapped-under-key-3", errcode.Conflict, "wrapped-under-key-2"},
		{"empty-old", "", "wrapped-under-key-3", errcode.Conflict, "wrapped-under-key-2"},
		{"swap-again", "wrapped-under-key-2", "wrapped-under-key-3", nil, "wrapped-under-key-3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nc := ciphertext(ns, "k", "v1", tc.new)
			err := h.s.ReplaceCiphertext(h.ctx, nc, []byte(tc.old))
			if tc.wantErr == nil && err != nil {
				t.Fatalf("ReplaceCiphertext: %v", err)
			}
			if tc.wantErr != nil {
				wantErr(t, "ReplaceCiphertext", err, tc.wantErr)
				if err != nil && strings.Contains(err.Error(), "wrapped-under-key") {
					t.Errorf("ReplaceCiphertext error contains ciphertext bytes: %v", err)
				}
			}
			got, err := h.s.GetCiphertext(h.ctx, ns, "k", "v1")
			if err != nil {
				t.Fatalf("GetCiphertext: %v", err)
			}
			want := *orig
			want.Data = []byte(tc.wantData)
			diff(t, "ciphertext after ReplaceCiphertext", &want, got)
		})
	}
}

func testNamespaceIsolation(t *testing.T, h *harness) {
	ns1, ns2 := h.ns(1), h.ns(2)
	m1 := meta(ns1, "shared-name")
	m2 := meta(ns2, "shared-name")
	m2.Description = "the other tenant's"
	h.create(t, m1)
	h.create(t, m2)
	h.create(t, meta(ns2, "only-in-2"))
	diff(t, "ns1 metadata", withRevision(m1, 1), h.get(t, ns1, "shared-name"))
	diff(t, "ns2 metadata", withRevision(m2, 1), h.get(t, ns2, "shared-name"))
	diff(t, "ns1 listing", []string{"shared-name"}, listAll(t, h, ns1, storage.ListOptions{}))
	diff(t, "ns2 listing", []string{"only-in-2", "shared-name"}, listAll(t, h, ns2, storage.ListOptions{}))
	// A prefix of a namespace is another namespace.
	diff(t, "prefix listing", []string(nil), listAll(t, h, h.prefix, storage.ListOptions{}))

	h.put(t, ciphertext(ns1, "shared-name", "v1", "data-1"))
	h.put(t, ciphertext(ns2, "shared-name", "v1", "data-2"))
	for ns, want := range map[string]string{ns1: "data-1", ns2: "data-2"} {
		c, err := h.s.GetCiphertext(h.ctx, ns, "shared-name", "v1")
		if err != nil {
			t.Fatalf("GetCiphertext(%s): %v", ns, err)
		}
		if string(c.Data) != want || c.Namespace != ns {
			t.Errorf("GetCiphertext(%s) returned another namespace's ciphertext", ns)
		}
	}
	refs, _, err := h.s.ListCiphertexts(h.ctx, ns1, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].Namespace != ns1 {
		t.Errorf("ListCiphertexts(%s) = %v, want only its own ciphertext", ns1, refs)
	}

	// Writes in one namespace leave the other alone.
	upd := withRevision(meta(ns1, "shared-name"), 1)
	upd.Description = "changed"
	if _, err := h.s.UpdateMetadata(h.ctx, upd); err != nil {
		t.Fatal(err)
	}
	if err := h.s.DeleteMetadata(h.ctx, ns1, "shared-name", 2); err != nil {
		t.Fatal(err)
	}
	if err := h.s.DeleteCiphertext(h.ctx, ns1, "shared-name", "v1"); err != nil {
		t.Fatal(err)
	}
	diff(t, "ns2 metadata after ns1 writes", withRevision(m2, 1), h.get(t, ns2, "shared-name"))
	if _, err := h.s.GetCiphertext(h.ctx, ns2, "shared-name", "v1"); err != nil {
		t.Errorf("ns2 ciphertext after ns1 delete: %v", err)
	}
	err = h.s.PutCiphertext(h.ctx, ciphertext(ns1, "shared-name", "v1", "data-1-again"))
	if err != nil {
		t.Errorf("PutCiphertext in ns1 after delete: %v", err)
	}
}

func testDeepCopies(t *testing.T, h *harness) {
	ns := h.ns(0)
	in := meta(ns, "s")
	created := h.create(t, in)
	want := withRevision(meta(ns, "s"), 1)

	// Mutating what was passed in or returned must not reach the store.
	in.Labels["env"] = "mutated-input"
	in.Decrypters[0] = "mutated-input"
	created.Labels["env"] = "mutated-result"
	created.Labels["new"] = "x"
	created.Decrypters[0] = "mutated-result"
	got := h.get(t, ns, "s")
	diff(t, "after mutating create's input and result", want, got)
	got.Labels["env"] = "mutated-get"
	got.Decrypters = append(got.Decrypters[:0], "mutated-get")
	diff(t, "after mutating get's result", want, h.get(t, ns, "s"))

	upd := withRevision(meta(ns, "s"), 1)
	res, err := h.s.UpdateMetadata(h.ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	upd.Labels["env"] = "mutated-update-input"
	res.Labels["env"] = "mutated-update-result"
	diff(t, "after mutating update's input and result", withRevision(meta(ns, "s"), 2), h.get(t, ns, "s"))

	page, _, err := h.s.ListMetadata(h.ctx, ns, storage.ListOptions{})
	if err != nil || len(page) != 1 {
		t.Fatalf("ListMetadata: %d items, %v", len(page), err)
	}
	page[0].Labels["env"] = "mutated-list"
	diff(t, "after mutating list's result", withRevision(meta(ns, "s"), 2), h.get(t, ns, "s"))

	c := ciphertext(ns, "s", "v1", "abcdef")
	h.put(t, c)
	c.Data[0] = 'X'
	gc, err := h.s.GetCiphertext(h.ctx, ns, "s", "v1")
	if err != nil {
		t.Fatal(err)
	}
	gc.Data[1] = 'Y'
	gc2, err := h.s.GetCiphertext(h.ctx, ns, "s", "v1")
	if err != nil {
		t.Fatal(err)
	}
	if string(gc2.Data) != "abcdef" {
		t.Errorf("ciphertext data = %q after mutating put's input and get's result, want %q", gc2.Data, "abcdef")
	}
	nc := ciphertext(ns, "s", "v1", "ghijkl")
	if err := h.s.ReplaceCiphertext(h.ctx, nc, []byte("abcdef")); err != nil {
		t.Fatal(err)
	}
	nc.Data[0] = 'Z'
	gc3, err := h.s.GetCiphertext(h.ctx, ns, "s", "v1")
	if err != nil || string(gc3.Data) != "ghijkl" {
		t.Errorf("ciphertext data = %q, %v after mutating replace's input, want %q", gc3.Data, err, "ghijkl")
	}
}

func testTimes(t *testing.T, h *harness) {
	ns := h.ns(0)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	tests := []struct {
		name string
		t    time.Time
	}{
		{"nanoseconds-in-another-zone", time.Date(2026, 11, 27, 9, 45, 1, 123_456_789, zone)},
		{"with-monotonic-reading", time.Now()},
		{"before-1970", time.Date(1969, 7, 20, 20, 17, 40, 999_999_999, time.UTC)},
		{"unix-epoch", time.Unix(0, 0)},
		{"year-9999", time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
		{"zero", time.Time{}},
	}
	check := func(t *testing.T, what string, got, want time.Time) {
		t.Helper()
		if want.IsZero() {
			if !got.IsZero() {
				t.Errorf("%s = %v, want the zero time", what, got)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("%s is in %v, want UTC", what, got.Location())
		}
		if d := got.Sub(want); d <= -timePrecision || d >= timePrecision {
			t.Errorf("%s = %v, want %v within %v", what, got, want, timePrecision)
		}
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("t%d", i)
			m := meta(ns, name)
			m.CreateTime, m.UpdateTime = tc.t, tc.t
			res := h.create(t, m)
			check(t, "CreateMetadata result CreateTime", res.CreateTime, tc.t)
			got := h.get(t, ns, name)
			check(t, "CreateTime", got.CreateTime, tc.t)
			check(t, "UpdateTime", got.UpdateTime, tc.t)
			c := ciphertext(ns, name, "v1", "x")
			c.CreateTime = tc.t
			h.put(t, c)
			gc, err := h.s.GetCiphertext(h.ctx, ns, name, "v1")
			if err != nil {
				t.Fatal(err)
			}
			check(t, "ciphertext CreateTime", gc.CreateTime, tc.t)
			refs, _, err := h.s.ListCiphertexts(h.ctx, ns, 100, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range refs {
				if r.Name == name {
					check(t, "ciphertext ref CreateTime", r.CreateTime, tc.t)
				}
			}
		})
	}
}

// testIncarnations: revisions restart at 1 when a name is deleted and
// created again, so a write carries the incarnation it read too. A write
// read from the deleted secret must conflict on the new one, whatever its
// revision, directly and through the metadata-and-ciphertext write, and
// leave the new secret as it was.
func testIncarnations(t *testing.T, h *harness) {
	ns := h.ns(0)
	old := meta(ns, "s")
	old.Incarnation = "first-life"
	oldRead := h.create(t, old)
	if oldRead.Incarnation != "first-life" {
		t.Fatalf("incarnation after create = %q, want first-life", oldRead.Incarnation)
	}
	if err := h.s.DeleteMetadata(h.ctx, ns, "s", oldRead.Revision); err != nil {
		t.Fatalf("DeleteMetadata: %v", err)
	}
	again := meta(ns, "s")
	again.Description = "second life"
	again.Incarnation = "second-life"
	h.create(t, again)
	now := h.get(t, ns, "s")
	if now.Revision != oldRead.Revision {
		t.Fatalf("the re-created secret has revision %d, the deleted one had %d: the test needs them equal", now.Revision, oldRead.Revision)
	}
	stale := oldRead.Clone()
	stale.Description = "written from the deleted secret"
	_, err := h.s.UpdateMetadata(h.ctx, stale)
	wantErr(t, "UpdateMetadata read from the deleted incarnation", err, errcode.Conflict)
	diff(t, "metadata after the refused stale update", now, h.get(t, ns, "s"))
	h.put(t, ciphertext(ns, "s", "v-stale", "stale"))
	_, err = h.s.UpdateWithCiphertext(h.ctx, stale, nil)
	wantErr(t, "UpdateWithCiphertext read from the deleted incarnation", err, errcode.Conflict)
	diff(t, "metadata after the refused stale write", now, h.get(t, ns, "s"))
	// The current incarnation's writes go through, and keep it.
	cur := now.Clone()
	cur.Description = "updated in its own life"
	got, err := h.s.UpdateMetadata(h.ctx, cur)
	if err != nil {
		t.Fatalf("UpdateMetadata of the current incarnation: %v", err)
	}
	if got.Incarnation != "second-life" || h.get(t, ns, "s").Incarnation != "second-life" {
		t.Fatalf("incarnation after update = %q / %q, want second-life", got.Incarnation, h.get(t, ns, "s").Incarnation)
	}
}
