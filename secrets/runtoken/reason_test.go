package runtoken_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// TestReasonNamesEachRefusal checks that Reason, which replaced the
// exported refusal sentinels (issue #12), names every refusal, also
// wrapped, and nothing else.
func TestReasonNamesEachRefusal(t *testing.T) {
	for want, err := range map[string]error{
		"malformed":     runtoken.ErrMalformed,
		"unknown_key":   runtoken.ErrUnknownKey,
		"signature":     runtoken.ErrSignature,
		"lifetime":      runtoken.ErrLifetime,
		"expired":       runtoken.ErrExpired,
		"not_yet_valid": runtoken.ErrNotYetValid,
		"revoked":       runtoken.ErrTokenRevoked,
		"":              nil,
	} {
		t.Run(want, func(t *testing.T) {
			if got := runtoken.Reason(fmt.Errorf("verify: %w", err)); got != want {
				t.Errorf("Reason(%v) = %q, want %q", err, got, want)
			}
			if err != nil && !errors.Is(err, runtoken.ErrInvalidToken) {
				t.Errorf("%v does not match ErrInvalidToken", err)
			}
		})
	}
	for _, err := range []error{runtoken.ErrInvalidToken, errors.New("other")} {
		if got := runtoken.Reason(err); got != "" {
			t.Errorf("Reason(%v) = %q, want \"\"", err, got)
		}
	}
}

// TestNewKeyNilGenerates: NewHMACKey and NewEd25519Key with nil material
// make a fresh key (they replaced GenerateHMACKey and GenerateEd25519Key,
// issue #12), two calls never the same; an empty non-nil secret is refused.
func TestNewKeyNilGenerates(t *testing.T) {
	for name, gen := range map[string]func() (*runtoken.Key, error){
		"hmac":    func() (*runtoken.Key, error) { return runtoken.NewHMACKey("k1", nil) },
		"ed25519": func() (*runtoken.Key, error) { return runtoken.NewEd25519Key("k1", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			a, err := gen()
			if err != nil {
				t.Fatal(err)
			}
			b, err := gen()
			if err != nil {
				t.Fatal(err)
			}
			if !a.CanSign() {
				t.Error("a generated key cannot sign")
			}
			iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: a})
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := iss.Issue(context.Background(), runtoken.Grant{Namespace: "ns", Subject: "run", Names: []string{"s"}})
			if err != nil {
				t.Fatal(err)
			}
			v, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{b}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), tok); runtoken.Reason(err) != "signature" {
				t.Errorf("a token of one generated key verified by another: %v, want reason signature", err)
			}
		})
	}
	if _, err := runtoken.NewHMACKey("k1", []byte{}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("NewHMACKey(empty) = %v, want ErrInvalid", err)
	}
}
