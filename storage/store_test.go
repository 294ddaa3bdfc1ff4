package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage"
)

// TestErrorsWrappedOnce checks that a driver's error reaches the caller
// wrapped once, by the portable type, with its code and operation, and
// without the driver's own operation or a repeated code.
func TestErrorsWrappedOnce(t *testing.T) {
	ctx := context.Background()
	s, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.GetMetadata(ctx, "ns", "absent")
	if !errors.Is(err, errcode.NotFound) {
		t.Fatalf("GetMetadata of an absent secret = %v, want errcode.NotFound", err)
	}
	if d := cmp.Diff("storage.GetMetadata: not found: secret not found", err.Error()); d != "" {
		t.Errorf("error message (-want +got):\n%s", d)
	}
}

// TestSplitStoreKeepsCollectionsApart checks DESIGN invariant 3 on a
// composite store: its metadata is only in the metadata store and its
// ciphertexts only in the ciphertext store, and Close closes both.
func TestSplitStoreKeepsCollectionsApart(t *testing.T) {
	ctx := context.Background()
	open := func() *storage.Store {
		s, err := storage.OpenStore(ctx, "mem://")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	meta, cts := open(), open()
	s := storage.NewSplitStore(meta, cts)
	m := &storage.Metadata{Namespace: "ns", Name: "a", Version: 1, ValueID: "v1"}
	c := &storage.Ciphertext{Namespace: "ns", Name: "a", ValueID: "v1", Version: 1, Data: []byte("x")}
	if _, err := s.CreateWithCiphertext(ctx, m, c); err != nil {
		t.Fatal(err)
	}
	if _, err := meta.GetMetadata(ctx, "ns", "a"); err != nil {
		t.Errorf("metadata store: %v", err)
	}
	if _, err := cts.GetMetadata(ctx, "ns", "a"); !errors.Is(err, errcode.NotFound) {
		t.Errorf("ciphertext store holds the metadata: %v", err)
	}
	if _, err := cts.GetCiphertext(ctx, "ns", "a", "v1"); err != nil {
		t.Errorf("ciphertext store: %v", err)
	}
	if _, err := meta.GetCiphertext(ctx, "ns", "a", "v1"); !errors.Is(err, errcode.NotFound) {
		t.Errorf("metadata store holds the ciphertext: %v", err)
	}
	gm, gc, err := s.GetCurrent(ctx, "ns", "a")
	if err != nil || gm.ValueID != "v1" || gc == nil || string(gc.Data) != "x" {
		t.Fatalf("GetCurrent = %+v, %+v, %v", gm, gc, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]*storage.Store{"metadata": meta, "ciphertext": cts} {
		if _, err := st.GetMetadata(ctx, "ns", "a"); !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s store after the split store's Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestOpenSplitStoreErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, meta, ct, want string }{
		{"bad-metadata-url", "nosuch://user:hunter2@x", "mem://", "cannot open the metadata store"},
		{"bad-ciphertext-url", "mem://", "nosuch://user:hunter2@x", "cannot open the ciphertext store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := storage.OpenSplitStore(ctx, tc.meta, tc.ct)
			if err == nil {
				s.Close()
				t.Fatal("OpenSplitStore succeeded")
			}
			if !errors.Is(err, errcode.Invalid) {
				t.Errorf("err = %v, want errcode.Invalid", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "hunter2") {
				t.Errorf("err = %q, want it to say %q and not to hold the password", msg, tc.want)
			}
		})
	}
}

// TestErrClosedCarriesCode: ErrClosed is a sentinel with the shared code
// FailedPrecondition (issue #12: every sentinel carries a code), and a call
// after Close matches both, with the code said once.
func TestErrClosedCarriesCode(t *testing.T) {
	if got := errcode.Of(storage.ErrClosed); got != errcode.FailedPrecondition {
		t.Errorf("ErrClosed carries code %v, want FailedPrecondition", got)
	}
	ctx := context.Background()
	s, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetRecord(ctx, "apitoken", "k")
	if !errors.Is(err, storage.ErrClosed) || !errors.Is(err, errcode.FailedPrecondition) {
		t.Errorf("GetRecord after Close = %v, want ErrClosed and errcode.FailedPrecondition", err)
	}
	if n := strings.Count(err.Error(), "failed precondition"); n != 1 {
		t.Errorf("error %q names its code %d times, want once", err, n)
	}
}

// TestRecordsLiveWithMetadata: in a split store, records are kept by the
// metadata's backend, so the service's state sits with the secrets'
// metadata (and a mem:// ciphertext store shares nothing).
func TestRecordsLiveWithMetadata(t *testing.T) {
	ctx := context.Background()
	meta, err := storage.OpenStore(ctx, "docstore://?metadata=mem%3A%2F%2Fsbrl-m%2Fid&ciphertexts=mem%3A%2F%2Fsbrl-c%2Fid&records=mem%3A%2F%2Fsbrl-r%2Fid")
	if err != nil {
		t.Fatal(err)
	}
	ct, err := storage.OpenStore(ctx, "docstore://?metadata=mem%3A%2F%2Fsbrl-m2%2Fid&ciphertexts=mem%3A%2F%2Fsbrl-c2%2Fid")
	if err != nil {
		t.Fatal(err)
	}
	split := storage.NewSplitStore(meta, ct)
	defer split.Close()
	if _, err := split.PutRecord(ctx, &storage.Record{Kind: "keyring", Key: "primary", Data: []byte("k2")}); err != nil {
		t.Fatalf("PutRecord on a split store whose ciphertext backend keeps no records: %v", err)
	}
	other, err := storage.OpenStore(ctx, "docstore://?metadata=mem%3A%2F%2Fsbrl-m3%2Fid&ciphertexts=mem%3A%2F%2Fsbrl-c3%2Fid&records=mem%3A%2F%2Fsbrl-r%2Fid")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if r, err := other.GetRecord(ctx, "keyring", "primary"); err != nil || string(r.Data) != "k2" {
		t.Errorf("record through the metadata's records collection = %v, %v; want it", r, err)
	}
}

// FuzzRecord feeds arbitrary kinds, keys and data to PutRecord: each is
// either refused with secrets.ErrInvalid or stored and read back unchanged, also
// through a listing page token.
func FuzzRecord(f *testing.F) {
	f.Add("apitoken", "sha256:abc", []byte("h"))
	f.Add("revocation", "tok\x00", []byte{})
	f.Add("Key-Ring", "", []byte(nil))
	f.Add("k", "\xff", []byte("x"))
	ctx := context.Background()
	s, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, kind, key string, data []byte) {
		put, err := s.PutRecord(ctx, &storage.Record{Kind: kind, Key: key, Data: data})
		if err != nil {
			if !errors.Is(err, errcode.Invalid) && !errors.Is(err, errcode.AlreadyExists) {
				t.Fatalf("PutRecord(%q, %q) = %v, want success or errcode.Invalid", kind, key, err)
			}
			return
		}
		defer s.DeleteRecord(ctx, kind, key, put.Revision)
		got, err := s.GetRecord(ctx, kind, key)
		if err != nil {
			t.Fatalf("GetRecord of a stored record: %v", err)
		}
		if d := cmp.Diff(put, got); d != "" {
			t.Errorf("GetRecord (-put +got):\n%s", d)
		}
		page, _, err := s.ListRecords(ctx, kind, 1, "")
		if err != nil || len(page) != 1 {
			t.Fatalf("ListRecords = %d records, %v; want 1", len(page), err)
		}
	})
}
