package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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

func TestQuickstartBadStore(t *testing.T) {
	err := run(context.Background(), &bytes.Buffer{}, "nosuch://x", "")
	if err == nil {
		t.Fatal("unknown store scheme accepted")
	}
}
