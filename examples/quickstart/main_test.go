package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
)

func TestQuickstartRedacts(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, "mem://", ""); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"created team-checkout/checkout-api-key version 1", "listed checkout-api-key", "revealed checkout-api-key: [REDACTED]", "Bearer ***SECRET_REDACTED***"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// Every generated value starts with this prefix; none may be printed.
	if strings.Contains(got, "sk_test_") {
		t.Fatalf("output holds the secret value:\n%s", got)
	}
}

// With a durable store and a stable key, a second run finds the secret of
// the first and resets it instead of failing.
func TestQuickstartSQLiteTwice(t *testing.T) {
	store := "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "quickstart.db"))
	kek, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"version 1", "version 2"} {
		var out bytes.Buffer
		if err := run(context.Background(), &out, store, kek); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "***SECRET_REDACTED***") || strings.Contains(out.String(), "sk_test_") {
			t.Fatalf("run %d output:\n%s", i+1, out.String())
		}
	}
}

func TestQuickstartBadStore(t *testing.T) {
	err := run(context.Background(), &bytes.Buffer{}, "nosuch://x", "")
	if err == nil {
		t.Fatal("unknown store scheme accepted")
	}
}
