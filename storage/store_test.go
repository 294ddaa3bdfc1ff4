package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetMetadata of an absent secret = %v, want ErrNotFound", err)
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
	if _, err := cts.GetMetadata(ctx, "ns", "a"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ciphertext store holds the metadata: %v", err)
	}
	if _, err := cts.GetCiphertext(ctx, "ns", "a", "v1"); err != nil {
		t.Errorf("ciphertext store: %v", err)
	}
	if _, err := meta.GetCiphertext(ctx, "ns", "a", "v1"); !errors.Is(err, storage.ErrNotFound) {
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
			if !errors.Is(err, storage.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "hunter2") {
				t.Errorf("err = %q, want it to say %q and not to hold the password", msg, tc.want)
			}
		})
	}
}
