package drivertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// timePrecision is the coarsest time precision the suite accepts: a Store
// must return CreateTime and UpdateTime within this of what was written,
// in UTC.
const timePrecision = time.Millisecond

// RunConformance runs the conformance suite against the driver that
// newDriver returns, through the portable type (storage.NewStore), as
// users see it. newDriver is called once per subtest and must return a
// new, open driver; the drivers may share data (every subtest uses
// namespaces of its own), and the suite closes each one when its subtest
// ends.
func RunConformance(t *testing.T, newDriver func(t *testing.T) driver.Store) {
	t.Helper()
	runConformance(t, func(t *testing.T) (*storage.Store, bool) {
		d := newDriver(t)
		if d == nil {
			t.Fatal("newDriver returned nil")
		}
		return storage.NewStore(d), d.Atomic() != nil
	})
}

// RunStoreConformance is RunConformance for a Store assembled some other
// way, such as one with metadata and ciphertexts on different backends
// (storage.OpenSplitStore), which no single driver describes.
// Its writes are taken to be sequenced.
func RunStoreConformance(t *testing.T, newStore func(t *testing.T) *storage.Store) {
	t.Helper()
	runConformance(t, func(t *testing.T) (*storage.Store, bool) { return newStore(t), false })
}

// runConformance runs the suite on the Stores of newStore, which also
// tells whether their writes are the driver's atomic ones.
func runConformance(t *testing.T, newStore func(t *testing.T) (*storage.Store, bool)) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"MetadataCRUD", testMetadataCRUD},
		{"Revisions", testRevisions},
		{"Incarnations", testIncarnations},
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
		// The writes of metadata and ciphertext together: the driver's
		// Atomic operations, or the portable type's sequence.
		{"GetCurrent", testGetCurrent},
		{"CreateWithCiphertext", testCreateWithCiphertext},
		{"UpdateWithCiphertext", testUpdateWithCiphertext},
		{"DeleteSecret", testDeleteSecret},
		{"History", testHistory},
		{"OptionalContextAndClose", testOptionalContextAndClose},
		// Records of the service's own state.
		{"RecordCRUD", testRecordCRUD},
		{"RecordInvalid", testRecordInvalid},
		{"RecordExpiry", testRecordExpiry},
		{"RecordListing", testRecordListing},
		{"RecordRaces", testRecordRaces},
		{"RecordSequence", testRecordSequence},
		{"RecordClose", testRecordClose},
		{"RecordWait", testRecordWait},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newHarness(t, newStore))
		})
	}
}

// harness is one subtest's store and namespace prefix.
type harness struct {
	s      *storage.Store
	atomic bool // the writes are one transaction each, not sequenced
	ctx    context.Context
	prefix string // unique per subtest
	closed atomic.Bool
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9]+`)

func newHarness(t *testing.T, newStore func(t *testing.T) (*storage.Store, bool)) *harness {
	t.Helper()
	s, atomic := newStore(t)
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
		atomic: atomic,
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
