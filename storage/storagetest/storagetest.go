package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/strongbox-go/strongbox/storage"
)

// TimePrecision is the coarsest time precision the suite accepts: a Store
// must return CreateTime and UpdateTime within this of what was written,
// in UTC.
const TimePrecision = time.Millisecond

// RunConformance runs the conformance suite against the Store that newStore
// returns. newStore is called once per subtest and must return a new,
// open Store; the Stores may share data (every subtest uses namespaces of
// its own), and the suite closes each one when its subtest ends.
func RunConformance(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"MetadataCRUD", testMetadataCRUD},
		{"Revisions", testRevisions},
		{"AlreadyExists", testAlreadyExists},
		{"NotFound", testNotFound},
		{"Invalid", testInvalid},
		{"CiphertextCRUD", testCiphertextCRUD},
		{"ReplaceCiphertext", testReplaceCiphertext},
		{"Pagination", testPagination},
		{"OrderByName", testOrderByName},
		{"LabelFilters", testLabelFilters},
		{"NamespaceIsolation", testNamespaceIsolation},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentCreates", testConcurrentCreates},
		{"ConcurrentDeletes", testConcurrentDeletes},
		{"ConcurrentReplaceCiphertext", testConcurrentReplace},
		{"ListCiphertexts", testListCiphertexts},
		{"ListCiphertextsAllNamespaces", testListCiphertextsAll},
		{"DeepCopies", testDeepCopies},
		{"Times", testTimes},
		{"ContextErrors", testContextErrors},
		{"Close", testClose},
		{"CloseWaitsForCallsInFlight", testCloseInFlight},
		// The optional interfaces; skipped when the Store lacks them.
		{"GetCurrent", testGetCurrent},
		{"CreateWithCiphertext", testCreateWithCiphertext},
		{"UpdateWithCiphertext", testUpdateWithCiphertext},
		{"DeleteSecret", testDeleteSecret},
		{"OptionalContextAndClose", testOptionalContextAndClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newHarness(t, newStore))
		})
	}
}

// harness is one subtest's store and namespace prefix.
type harness struct {
	s      storage.Store
	ctx    context.Context
	prefix string // unique per subtest
	closed atomic.Bool
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9]+`)

func newHarness(t *testing.T, newStore func(t *testing.T) storage.Store) *harness {
	t.Helper()
	s := newStore(t)
	if s == nil {
		t.Fatal("newStore returned nil")
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	base := t.Name()
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	h := &harness{
		s:      s,
		ctx:    context.Background(),
		prefix: "sbtest-" + strings.ToLower(unsafeChars.ReplaceAllString(base, "-")) + "-" + hex.EncodeToString(r[:]),
	}
	t.Cleanup(func() {
		if !h.closed.Load() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return h
}

// ns returns the subtest's i-th namespace.
func (h *harness) ns(i int) string { return fmt.Sprintf("%s-%d", h.prefix, i) }

// baseTime is a fixed instant with millisecond precision, in UTC, so any
// conforming store returns it unchanged.
var baseTime = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func meta(ns, name string) *storage.Metadata {
	return &storage.Metadata{
		Namespace:   ns,
		Name:        name,
		Description: "description of " + name,
		Labels:      map[string]string{"env": "test", "owner": "team-a"},
		Decrypters:  []string{"runner-1", "runner-2"},
		Version:     1,
		ValueID:     "v-" + name + "-1",
		CreateTime:  baseTime,
		UpdateTime:  baseTime,
		CreatedBy:   "user:alice",
		UpdatedBy:   "user:alice",
	}
}

func ciphertext(ns, name, valueID string, data string) *storage.Ciphertext {
	return &storage.Ciphertext{
		Namespace:  ns,
		Name:       name,
		ValueID:    valueID,
		Version:    1,
		Data:       []byte(data),
		CreateTime: baseTime,
	}
}

var cmpOpts = []cmp.Option{cmpopts.EquateEmpty()}

func withRevision(m *storage.Metadata, rev int64) *storage.Metadata {
	c := m.Clone()
	c.Revision = rev
	return c
}

func (h *harness) create(t *testing.T, m *storage.Metadata) *storage.Metadata {
	t.Helper()
	got, err := h.s.CreateMetadata(h.ctx, m)
	if err != nil {
		t.Fatalf("CreateMetadata(%s/%s): %v", m.Namespace, m.Name, err)
	}
	return got
}

func (h *harness) get(t *testing.T, ns, name string) *storage.Metadata {
	t.Helper()
	got, err := h.s.GetMetadata(h.ctx, ns, name)
	if err != nil {
		t.Fatalf("GetMetadata(%s/%s): %v", ns, name, err)
	}
	return got
}

func (h *harness) put(t *testing.T, c *storage.Ciphertext) {
	t.Helper()
	if err := h.s.PutCiphertext(h.ctx, c); err != nil {
		t.Fatalf("PutCiphertext(%s/%s/%s): %v", c.Namespace, c.Name, c.ValueID, err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

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
	wantErr(t, "GetMetadata after delete", err, storage.ErrNotFound)

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
			wantErr(t, "stale UpdateMetadata", err, storage.ErrConflict)
			diff(t, "metadata after rejected update", cur, h.get(t, ns, "s"))
		})
		t.Run(fmt.Sprintf("delete-revision-%d", rev), func(t *testing.T) {
			err := h.s.DeleteMetadata(h.ctx, ns, "s", rev)
			wantErr(t, "stale DeleteMetadata", err, storage.ErrConflict)
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
	wantErr(t, "duplicate CreateMetadata", err, storage.ErrAlreadyExists)
	diff(t, "metadata after duplicate create", first, h.get(t, ns, "api-key"))

	secret := "ciphertext-bytes-that-must-not-leak"
	h.put(t, ciphertext(ns, "api-key", "v1", secret))
	err = h.s.PutCiphertext(h.ctx, ciphertext(ns, "api-key", "v1", "overwrite-attempt"))
	wantErr(t, "duplicate PutCiphertext", err, storage.ErrAlreadyExists)
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
			wantErr(t, tc.name, tc.call(), storage.ErrNotFound)
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
			wantErr(t, tc.name, tc.call(), storage.ErrInvalid)
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
		wantErr(t, "GetCiphertext after delete", err, storage.ErrNotFound)
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
		{"stale-old", "wrapped-under-key-1", "wrapped-under-key-3", storage.ErrConflict, "wrapped-under-key-2"},
		{"empty-old", "", "wrapped-under-key-3", storage.ErrConflict, "wrapped-under-key-2"},
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

// listAll pages through a namespace's metadata and checks every page's size
// and the ordering; it returns the names in order.
func listAll(t *testing.T, h *harness, ns string, opts storage.ListOptions) []string {
	t.Helper()
	var names []string
	size := opts.EffectivePageSize()
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("ListMetadata never returned an empty page token")
		}
		page, next, err := h.s.ListMetadata(h.ctx, ns, opts)
		if err != nil {
			t.Fatalf("ListMetadata(page %d): %v", pages, err)
		}
		if len(page) > size {
			t.Fatalf("page %d has %d items, more than the page size %d", pages, len(page), size)
		}
		if len(opts.Labels) == 0 && next != "" && len(page) < size {
			t.Errorf("page %d has %d items and a next token; want full pages of %d before the last", pages, len(page), size)
		}
		for _, m := range page {
			if m.Namespace != ns {
				t.Errorf("ListMetadata(%s) returned an item of namespace %s", ns, m.Namespace)
			}
			if !storage.MatchLabels(m.Labels, opts.Labels) {
				t.Errorf("ListMetadata returned %s with labels %v, not matching filter %v", m.Name, m.Labels, opts.Labels)
			}
			names = append(names, m.Name)
		}
		if next == "" {
			break
		}
		if next == opts.PageToken {
			t.Fatalf("ListMetadata returned the same page token twice")
		}
		opts.PageToken = next
	}
	return names
}

func testPagination(t *testing.T, h *harness) {
	ns := h.ns(0)
	const n = 257
	var want []string
	for i := range n {
		name := fmt.Sprintf("secret-%04d", (i*7919)%n) // created out of order
		h.create(t, meta(ns, name))
		want = append(want, name)
	}
	slices.Sort(want)
	for _, size := range []int{-1, 0, 1, 7, 100, 256, 257, 258, 1000, 5000} {
		t.Run(fmt.Sprintf("page-size-%d", size), func(t *testing.T) {
			got := listAll(t, h, ns, storage.ListOptions{PageSize: size})
			diff(t, "names across pages", want, got)
		})
	}
	t.Run("first-page-default-size", func(t *testing.T) {
		page, next, err := h.s.ListMetadata(h.ctx, ns, storage.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != storage.DefaultPageSize || next == "" {
			t.Errorf("first page: %d items, token %q; want %d items and a token", len(page), next, storage.DefaultPageSize)
		}
		diff(t, "first page item", withRevision(meta(ns, want[0]), 1), page[0])
	})
	t.Run("exact-multiple", func(t *testing.T) {
		ns := h.ns(1)
		for i := range 10 {
			h.create(t, meta(ns, fmt.Sprintf("n%d", i)))
		}
		got := listAll(t, h, ns, storage.ListOptions{PageSize: 5})
		if len(got) != 10 {
			t.Errorf("listed %d items, want 10", len(got))
		}
	})
	t.Run("changes-between-pages", func(t *testing.T) {
		// Items created after a page was read but sorting after it appear
		// later; nothing already returned appears twice; deleting the last
		// item returned does not break the token.
		ns := h.ns(2)
		for _, name := range []string{"b", "d", "f"} {
			h.create(t, meta(ns, name))
		}
		page, next, err := h.s.ListMetadata(h.ctx, ns, storage.ListOptions{PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		h.create(t, meta(ns, "a"))
		h.create(t, meta(ns, "e"))
		// The item the token points after may be gone.
		if err := h.s.DeleteMetadata(h.ctx, ns, "d", 1); err != nil {
			t.Fatal(err)
		}
		rest, _, err := h.s.ListMetadata(h.ctx, ns, storage.ListOptions{PageSize: 10, PageToken: next})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range append(page, rest...) {
			got = append(got, m.Name)
		}
		diff(t, "names", []string{"b", "d", "e", "f"}, got)
	})
}

func testOrderByName(t *testing.T, h *harness) {
	ns := h.ns(0)
	// Byte order, not a locale's: upper case before lower case, '-' before
	// digits before '_'.
	names := []string{"b", "B", "a_b", "a-b", "a0", "ab", "A", "Z_", "_x", "-x", "a", "aB", "é", "z"}
	for _, n := range names {
		h.create(t, meta(ns, n))
	}
	want := slices.Clone(names)
	slices.Sort(want)
	diff(t, "order", want, listAll(t, h, ns, storage.ListOptions{PageSize: 3}))
}

func testLabelFilters(t *testing.T, h *harness) {
	ns := h.ns(0)
	const n = 60
	for i := range n {
		m := meta(ns, fmt.Sprintf("s%02d", i))
		m.Labels = map[string]string{}
		if i%3 == 0 {
			m.Labels["env"] = "prod"
		} else {
			m.Labels["env"] = "dev"
		}
		if i%2 == 0 {
			m.Labels["team"] = "a"
		}
		if i == 59 {
			m.Labels = nil
		}
		h.create(t, m)
	}
	expect := func(keep func(i int) bool) []string {
		var out []string
		for i := range n {
			if keep(i) {
				out = append(out, fmt.Sprintf("s%02d", i))
			}
		}
		return out
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"none", nil, expect(func(int) bool { return true })},
		{"env=prod", map[string]string{"env": "prod"}, expect(func(i int) bool { return i%3 == 0 })},
		{"env=dev", map[string]string{"env": "dev"}, expect(func(i int) bool { return i%3 != 0 && i != 59 })},
		{"env=prod,team=a", map[string]string{"env": "prod", "team": "a"}, expect(func(i int) bool { return i%6 == 0 })},
		{"team=b", map[string]string{"team": "b"}, nil},
		{"missing-key", map[string]string{"nope": "x"}, nil},
		{"empty-value-is-not-absent", map[string]string{"team": ""}, nil},
	}
	for _, tc := range tests {
		for _, size := range []int{1, 4, 7, 100} {
			t.Run(fmt.Sprintf("%s/page-size-%d", tc.name, size), func(t *testing.T) {
				got := listAll(t, h, ns, storage.ListOptions{Labels: tc.labels, PageSize: size})
				diff(t, "filtered names", tc.want, got)
			})
		}
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
		w := oneWinner(t, errs, storage.ErrConflict)
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
	w := oneWinner(t, errs, storage.ErrAlreadyExists)
	if got := h.get(t, ns, "new-name"); got.Description != fmt.Sprintf("writer %d", w) || got.Revision != 1 {
		t.Errorf("stored %q revision %d, want writer %d revision 1", got.Description, got.Revision, w)
	}
	errs = race(func(i int) error {
		return h.s.PutCiphertext(h.ctx, ciphertext(ns, "new-name", "v1", fmt.Sprintf("writer %d", i)))
	})
	w = oneWinner(t, errs, storage.ErrAlreadyExists)
	c, err := h.s.GetCiphertext(h.ctx, ns, "new-name", "v1")
	if err != nil || string(c.Data) != fmt.Sprintf("writer %d", w) {
		t.Errorf("stored ciphertext is not the winner's (err %v)", err)
	}
}

func testConcurrentDeletes(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.create(t, meta(ns, "doomed"))
	errs := race(func(int) error { return h.s.DeleteMetadata(h.ctx, ns, "doomed", 1) })
	oneWinner(t, errs, storage.ErrNotFound, storage.ErrConflict)
	_, err := h.s.GetMetadata(h.ctx, ns, "doomed")
	wantErr(t, "GetMetadata after delete", err, storage.ErrNotFound)
}

func testConcurrentReplace(t *testing.T, h *harness) {
	ns := h.ns(0)
	h.put(t, ciphertext(ns, "k", "v1", "old"))
	errs := race(func(i int) error {
		return h.s.ReplaceCiphertext(h.ctx, ciphertext(ns, "k", "v1", fmt.Sprintf("new-%d", i)), []byte("old"))
	})
	w := oneWinner(t, errs, storage.ErrConflict)
	c, err := h.s.GetCiphertext(h.ctx, ns, "k", "v1")
	if err != nil || string(c.Data) != fmt.Sprintf("new-%d", w) {
		t.Errorf("stored ciphertext is not the winner's (err %v)", err)
	}
}

type ctKey struct{ ns, name, valueID string }

// listRefs pages through ListCiphertexts and fails on a repeated ref.
func listRefs(t *testing.T, h *harness, ns string, size int) []storage.CiphertextRef {
	t.Helper()
	seen := map[ctKey]bool{}
	var out []storage.CiphertextRef
	token := ""
	eff := storage.ListOptions{PageSize: size}.EffectivePageSize()
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatal("ListCiphertexts never returned an empty page token")
		}
		page, next, err := h.s.ListCiphertexts(h.ctx, ns, size, token)
		if err != nil {
			t.Fatalf("ListCiphertexts: %v", err)
		}
		if len(page) > eff {
			t.Fatalf("ListCiphertexts page of %d items, more than the page size %d", len(page), eff)
		}
		if next != "" && len(page) < eff {
			t.Errorf("ListCiphertexts page of %d items with a next token; want full pages of %d before the last", len(page), eff)
		}
		for _, r := range page {
			k := ctKey{r.Namespace, r.Name, r.ValueID}
			if seen[k] {
				t.Errorf("ListCiphertexts returned %v twice", k)
			}
			seen[k] = true
			if ns != "" && r.Namespace != ns {
				t.Errorf("ListCiphertexts(%s) returned a ref in %s", ns, r.Namespace)
			}
			out = append(out, r)
		}
		if next == "" {
			return out
		}
		token = next
	}
}

func refOf(c *storage.Ciphertext) storage.CiphertextRef {
	return storage.CiphertextRef{Namespace: c.Namespace, Name: c.Name, ValueID: c.ValueID, Version: c.Version, CreateTime: c.CreateTime}
}

func sortRefs(r []storage.CiphertextRef) {
	slices.SortFunc(r, func(a, b storage.CiphertextRef) int {
		return strings.Compare(a.Namespace+"\x00"+a.Name+"\x00"+a.ValueID, b.Namespace+"\x00"+b.Name+"\x00"+b.ValueID)
	})
}

func testListCiphertexts(t *testing.T, h *harness) {
	ns := h.ns(0)
	var want []storage.CiphertextRef
	for i := range 23 {
		c := ciphertext(ns, fmt.Sprintf("s%02d", i%9), fmt.Sprintf("v%d", i), "data")
		c.Version = int64(i + 1)
		c.CreateTime = baseTime.Add(time.Duration(i) * time.Second)
		h.put(t, c)
		want = append(want, refOf(c))
	}
	h.put(t, ciphertext(h.ns(1), "s00", "v0", "other namespace"))
	sortRefs(want)
	for _, size := range []int{-1, 0, 1, 4, 23, 24, 2000} {
		t.Run(fmt.Sprintf("page-size-%d", size), func(t *testing.T) {
			got := listRefs(t, h, ns, size)
			sortRefs(got)
			diff(t, "refs", want, got)
		})
	}
	t.Run("empty-namespace", func(t *testing.T) {
		if got := listRefs(t, h, h.ns(2), 10); len(got) != 0 {
			t.Errorf("ListCiphertexts of an empty namespace returned %d refs", len(got))
		}
	})
}

func testListCiphertextsAll(t *testing.T, h *harness) {
	var want []storage.CiphertextRef
	for n := range 3 {
		for i := range 5 {
			c := ciphertext(h.ns(n), fmt.Sprintf("s%d", i), "v1", "data")
			h.put(t, c)
			want = append(want, refOf(c))
		}
	}
	sortRefs(want)
	for _, size := range []int{1, 4, 100} {
		t.Run(fmt.Sprintf("page-size-%d", size), func(t *testing.T) {
			// Other subtests may share the store: keep only ours.
			var got []storage.CiphertextRef
			for _, r := range listRefs(t, h, "", size) {
				if strings.HasPrefix(r.Namespace, h.prefix+"-") {
					got = append(got, r)
				}
			}
			sortRefs(got)
			diff(t, "refs across namespaces", want, got)
		})
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
		if d := got.Sub(want); d <= -TimePrecision || d >= TimePrecision {
			t.Errorf("%s = %v, want %v within %v", what, got, want, TimePrecision)
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

// calls returns one call of every Store method, for the context and Close
// subtests.
func calls(ns string) []struct {
	name string
	call func(ctx context.Context, s storage.Store) error
} {
	return []struct {
		name string
		call func(ctx context.Context, s storage.Store) error
	}{
		{"CreateMetadata", func(ctx context.Context, s storage.Store) error {
			_, err := s.CreateMetadata(ctx, meta(ns, "new"))
			return err
		}},
		{"GetMetadata", func(ctx context.Context, s storage.Store) error { _, err := s.GetMetadata(ctx, ns, "s"); return err }},
		{"UpdateMetadata", func(ctx context.Context, s storage.Store) error {
			_, err := s.UpdateMetadata(ctx, withRevision(meta(ns, "s"), 1))
			return err
		}},
		{"DeleteMetadata", func(ctx context.Context, s storage.Store) error { return s.DeleteMetadata(ctx, ns, "s", 1) }},
		{"ListMetadata", func(ctx context.Context, s storage.Store) error {
			_, _, err := s.ListMetadata(ctx, ns, storage.ListOptions{})
			return err
		}},
		{"PutCiphertext", func(ctx context.Context, s storage.Store) error {
			return s.PutCiphertext(ctx, ciphertext(ns, "s", "v2", "x"))
		}},
		{"GetCiphertext", func(ctx context.Context, s storage.Store) error {
			_, err := s.GetCiphertext(ctx, ns, "s", "v1")
			return err
		}},
		{"DeleteCiphertext", func(ctx context.Context, s storage.Store) error { return s.DeleteCiphertext(ctx, ns, "s", "v1") }},
		{"ListCiphertexts", func(ctx context.Context, s storage.Store) error {
			_, _, err := s.ListCiphertexts(ctx, ns, 10, "")
			return err
		}},
		{"ListCiphertexts/all-namespaces", func(ctx context.Context, s storage.Store) error {
			_, _, err := s.ListCiphertexts(ctx, "", 10, "")
			return err
		}},
		{"ReplaceCiphertext", func(ctx context.Context, s storage.Store) error {
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
	if _, err := h.s.GetMetadata(h.ctx, ns, "new"); !errors.Is(err, storage.ErrNotFound) {
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
			wantErr(t, tc.name+" after Close", err, storage.ErrFailedPrecondition)
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
