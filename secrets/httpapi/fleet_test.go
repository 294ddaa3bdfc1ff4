package httpapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestUnknownKEKIs503UnknownKey: a value under a key-encryption key this
// instance does not hold is answered 503 unknown_key (Retry-After), never
// 500 "internal"/"decryption failed", and the Logger line names the KEK id
// (issue #14 item 3). Before the fix it was 500 internal, and the id was
// lost.
func TestUnknownKEKIs503UnknownKey(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.create("api-key", "k6-runner")
	all := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
	e.keeper.In.FailAll(fault.Decrypt, fmt.Errorf("keeper.Decrypt: KEK %q is not held by this keeper: %w", "kek-fleet-7", keeper.ErrUnknownKEK))
	r := e.do("GET", base+"/api-key/decrypt", all, "")
	if r.status != 503 || r.apiErr().Code != "unknown_key" {
		t.Fatalf("decrypt under an unknown KEK = %d %s, want 503 %s", r.status, r.apiErr().Code, "unknown_key")
	}
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503")
	}
	if strings.Contains(r.body, "decryption failed") {
		t.Errorf("body says decryption failed: %s", r.body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "kek-fleet-7") {
		t.Errorf("no log line names the KEK id; logs:\n%s", logs)
	}
	// A client reading the answer sees the same errors.Is answers as a
	// caller of the Manager.
	ae := r.apiErr()
	var apiErr error = &ae
	if !errors.Is(apiErr, keeper.ErrUnknownKEK) || !errors.Is(apiErr, secrets.ErrUnavailable) || errors.Is(apiErr, keeper.ErrDecrypt) {
		t.Errorf("client error %v: want ErrUnknownKEK and ErrUnavailable, not ErrDecryptionFailed", apiErr)
	}
}

// TestRequestTimeoutBoundsHangingBackend: a store or key service that
// never answers holds a request for RequestTimeout, not for ever, and the
// request fails 503 unavailable (issue #14 item 4). Before the fix the
// request waited as long as the client did.
func TestRequestTimeoutBoundsHangingBackend(t *testing.T) {
	for _, tc := range []struct {
		name string
		hang func(e *env)
	}{
		{"store", func(e *env) { e.store.In.HangNth(fault.GetMetadata, 1) }},
		{"key service", func(e *env) { e.keeper.In.HangNth(fault.Decrypt, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			h, err := httpapi.New(httpapi.Options{Manager: e.m, RunTokens: e.issuer.Verifier(), RequestTimeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			e.create("api-key", "k6-runner")
			all := e.token(runtoken.Grant{Namespace: ns, Subject: "k6-runner", AllNames: true})
			e.h = h
			tc.hang(e)
			start := time.Now()
			r := e.do("GET", base+"/api-key/decrypt", all, "")
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("request took %v with RequestTimeout 100ms", d)
			}
			if r.status != 503 || r.apiErr().Code != httpapi.CodeUnavailable {
				t.Errorf("hanging %s = %d %s, want 503 unavailable", tc.name, r.status, r.apiErr().Code)
			}
		})
	}
}
