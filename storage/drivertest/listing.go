package drivertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/storage"
)

// Listings: metadata pages, order and label filters; ciphertext
// references in one namespace and across all.

// listAll pages through a namespace's metadata and checks every page's size
// and the ordering; it returns the names in order.
func listAll(t *testing.T, h *harness, ns string, opts storage.ListOptions) []string {
	t.Helper()
	var names []string
	size := effectivePageSize(opts.PageSize)
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
			if !matchLabels(m.Labels, opts.Labels) {
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
		if len(page) != defaultPageSize || next == "" {
			t.Errorf("first page: %d items, token %q; want %d items and a token", len(page), next, defaultPageSize)
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

type ctKey struct{ ns, name, valueID string }

// listRefs pages through ListCiphertexts and fails on a repeated ref.
func listRefs(t *testing.T, h *harness, ns string, size int) []storage.CiphertextRef {
	t.Helper()
	seen := map[ctKey]bool{}
	var out []storage.CiphertextRef
	token := ""
	eff := effectivePageSize(size)
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

// defaultPageSize is the page size the storage package documents for a
// page size of 0.
const defaultPageSize = 100

// effectivePageSize is the page size the storage package documents for a
// ListOptions.PageSize of n.
func effectivePageSize(n int) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > storage.MaxPageSize:
		return storage.MaxPageSize
	}
	return n
}

// matchLabels reports whether labels hold every key of want with the same
// value, as a label filter keeps.
func matchLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
