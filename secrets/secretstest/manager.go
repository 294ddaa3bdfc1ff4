package secretstest

// This file is the package's only wiring to the keeper and storage
// constructors: when those change, only newParts changes.

import (
	"context"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage" // mem://
)

// NewManager returns a Manager over a new in-memory store and an envelope
// keeper under a new throwaway key-encryption key, all three closed by
// t.Cleanup when the test ends (the Manager first). Nothing is shared
// between two calls: each Manager sees only its own secrets, and its key
// is gone with it.
//
// Each opts function may change the Options before the Manager is built:
// Store and Keeper are already set to the in-memory ones (read them to
// reach the store directly; replace them and the caller closes its own).
// The Authorizer is the default role table and the Auditor discards
// events unless a function sets them.
//
// NewManager stops the test with t.Fatal when any part cannot be built.
func NewManager(t testing.TB, opts ...func(*secrets.Options)) *secrets.Manager {
	t.Helper()
	o := newParts(t)
	for _, f := range opts {
		f(&o)
	}
	m, err := secrets.New(o)
	if err != nil {
		t.Fatalf("secretstest: secrets.New: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("secretstest: closing the Manager: %v", err)
		}
	})
	return m
}

// newParts opens the in-memory store and the throwaway keeper, registers
// their Close with t.Cleanup and returns Options holding them.
func newParts(t testing.TB) secrets.Options {
	t.Helper()
	ctx := context.Background()
	st, err := storage.OpenStore(ctx, "mem://")
	if err != nil {
		t.Fatalf("secretstest: opening the in-memory store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("secretstest: closing the store: %v", err)
		}
	})
	kek, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatalf("secretstest: making a key-encryption key: %v", err)
	}
	k, err := keeper.OpenEnvelope(ctx, kek, keeper.EnvelopeOptions{})
	if err != nil {
		// The error never quotes the URL (keeper's rule), which holds the key.
		t.Fatalf("secretstest: opening the envelope: %v", err)
	}
	t.Cleanup(func() {
		if err := k.Close(); err != nil {
			t.Errorf("secretstest: closing the keeper: %v", err)
		}
	})
	return secrets.Options{Store: st, Keeper: k}
}
