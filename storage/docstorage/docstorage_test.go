package docstorage_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"gocloud.dev/docstore"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
	"github.com/strongbox-go/strongbox/storage/docstorage"
	"github.com/strongbox-go/strongbox/storage/driver"
	"github.com/strongbox-go/strongbox/storage/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.RunConformance(t, func(t *testing.T) driver.Store {
		return docstorage.NewMemDriver()
	})
}

// TestConformanceSharedCollections runs the suite with every subtest's
// Store over the same two collections, opened from URLs, as a deployment
// with one database would.
func TestConformanceSharedCollections(t *testing.T) {
	ctx := context.Background()
	meta, err := docstore.OpenCollection(ctx, "mem://sbconf-meta/id")
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	ct, err := docstore.OpenCollection(ctx, "mem://sbconf-ct/id")
	if err != nil {
		t.Fatal(err)
	}
	defer ct.Close()
	rec, err := docstore.OpenCollection(ctx, "mem://sbconf-rec/id")
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	drivertest.RunConformance(t, func(t *testing.T) driver.Store {
		return docstorage.CollectionsDriver(meta, ct, rec)
	})
	// The Stores did not close the collections they do not own.
	if err := meta.Query().Get(ctx).Next(ctx, map[string]any{}); err != nil {
		t.Errorf("shared collection after the suite: %v", err)
	}
}

// docstoreURL is the docstore:// store URL of the given collection URLs.
func docstoreURL(meta, ct, rec string) string {
	u := "docstore://?metadata=" + url.QueryEscape(meta) + "&ciphertexts=" + url.QueryEscape(ct)
	if rec != "" {
		u += "&records=" + url.QueryEscape(rec)
	}
	return u
}

func TestOpenOwnsCollections(t *testing.T) {
	ctx := context.Background()
	u := docstoreURL("mem://sbown-meta/id", "mem://sbown-ct/id", "mem://sbown-rec/id")
	s, err := storage.OpenStore(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Closing released the URL-opened collection: reopening starts empty.
	s2, err := storage.OpenStore(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.GetMetadata(ctx, "ns", "n"); !errors.Is(err, errcode.NotFound) {
		t.Errorf("GetMetadata after reopen = %v, want ErrNotFound", err)
	}
}

func TestOpenCollectionsInvalid(t *testing.T) {
	c := docstorage.NewInMemory()
	defer c.Close()
	if _, err := docstorage.OpenCollections(nil, nil, nil); !errors.Is(err, errcode.Invalid) {
		t.Errorf("OpenCollections(nil, nil, nil) = %v, want ErrInvalid", err)
	}
	ctx := context.Background()
	a, err := docstore.OpenCollection(ctx, "mem://sbinv-a/id")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := docstore.OpenCollection(ctx, "mem://sbinv-b/id")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := docstorage.OpenCollections(a, b, a); !errors.Is(err, errcode.Invalid) {
		t.Errorf("OpenCollections with records = metadata: %v, want ErrInvalid", err)
	}
	if _, err := storage.OpenStore(ctx, docstoreURL("", "mem://x/id", "")); !errors.Is(err, errcode.Invalid) {
		t.Errorf("OpenStore with an empty collection URL = %v, want ErrInvalid", err)
	}
}

// TestDocstoreWithoutRecordsCollection: a docstore:// store opened without
// records=... keeps secrets as before and refuses record calls with a code
// that says so, instead of failing at open (existing URLs keep working).
func TestDocstoreWithoutRecordsCollection(t *testing.T) {
	ctx := context.Background()
	s, err := storage.OpenStore(ctx, docstoreURL("mem://sbnorec-meta/id", "mem://sbnorec-ct/id", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.PutRecord(ctx, &storage.Record{Kind: "apitoken", Key: "k"})
	if !errors.Is(err, errcode.FailedPrecondition) || !strings.Contains(err.Error(), "records collection") {
		t.Errorf("PutRecord without a records collection = %v, want ErrFailedPrecondition naming the records collection", err)
	}
}

// TestRecordsSharedThroughCollection: two Stores over the same records
// collection (two processes on one database) see each other's records
// and sequence.
func TestRecordsSharedThroughCollection(t *testing.T) {
	ctx := context.Background()
	u := docstoreURL("mem://sbshare-meta/id", "mem://sbshare-ct/id", "mem://sbshare-rec/id")
	a, err := storage.OpenStore(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := storage.OpenStore(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.PutRecord(ctx, &storage.Record{Kind: "revocation", Key: "tok-1", Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	got, err := b.GetRecord(ctx, "revocation", "tok-1")
	if err != nil || string(got.Data) != "x" {
		t.Fatalf("GetRecord through the other Store = %v, %v; want the record", got, err)
	}
	if seq, err := b.WaitRecordChange(ctx, "revocation", -1); err != nil || seq < 1 {
		t.Errorf("WaitRecordChange(-1) through the other Store = %d, %v; want >= 1", seq, err)
	}
}

func TestOpenStoreURLs(t *testing.T) {
	ctx := context.Background()
	good := []string{
		"mem://",
		"MEM://",
		"docstore://?metadata=" + url.QueryEscape("mem://sburl-meta/id") + "&ciphertexts=" + url.QueryEscape("mem://sburl-ct/id"),
	}
	for _, u := range good {
		t.Run(u, func(t *testing.T) {
			s, err := storage.OpenStore(ctx, u)
			if err != nil {
				t.Fatalf("OpenStore(%q): %v", u, err)
			}
			defer s.Close()
			m, err := s.CreateMetadata(ctx, &storage.Metadata{Namespace: "ns", Name: "n"})
			if err != nil || m.Revision != 1 {
				t.Fatalf("CreateMetadata = %v, %v", m, err)
			}
		})
	}
	bad := []struct{ url, msg string }{
		{"mem://host", "takes no host"},
		{"mem://?x=1", "takes no host"},
		{"docstore://?metadata=" + url.QueryEscape("mem://sburl-m2/id"), "exactly one"},
		{"docstore://?metadata=a&ciphertexts=b&extra=1", "unknown docstore:// parameter extra"},
		{"docstore://?metadata=" + url.QueryEscape("nosuch://x/id") + "&ciphertexts=" + url.QueryEscape("mem://sburl-c3/id"), "cannot open the metadata collection"},
		{"docstore://?metadata=" + url.QueryEscape("mem://same/id") + "&ciphertexts=" + url.QueryEscape("mem://same/id"), "separate collections"},
		{"unknown://x", `no store registered for URL scheme "unknown"`},
		{"://nope", "malformed store URL"},
		{"no-scheme", "no scheme"},
	}
	for _, tc := range bad {
		t.Run(tc.url, func(t *testing.T) {
			s, err := storage.OpenStore(ctx, tc.url)
			if err == nil {
				s.Close()
				t.Fatalf("OpenStore(%q) succeeded, want an error", tc.url)
			}
			if !errors.Is(err, errcode.Invalid) {
				t.Errorf("OpenStore(%q) = %v, want ErrInvalid", tc.url, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("OpenStore(%q) = %q, want it to mention %q", tc.url, err, tc.msg)
			}
		})
	}
}

func TestOpenStoreErrorHidesURL(t *testing.T) {
	// A password in a URL never reaches an error message.
	u := "docstore://?metadata=" + url.QueryEscape("nosuch://user:hunter2@x/id") + "&ciphertexts=" + url.QueryEscape("mem://sburl-c4/id")
	_, err := storage.OpenStore(context.Background(), u)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("OpenStore error = %v; want an error without the password", err)
	}
	_, err = storage.OpenStore(context.Background(), "://user:hunter2@x")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("OpenStore error = %v; want an error without the password", err)
	}
}

func TestSchemesRegistered(t *testing.T) {
	for _, u := range []string{"docstore://?x=1", "mem://?x=1"} {
		_, err := storage.OpenStore(context.Background(), u)
		if err == nil || strings.Contains(err.Error(), "no store registered") {
			t.Errorf("OpenStore(%q) = %v; want the scheme's own parameter error", u, err)
		}
	}
}
